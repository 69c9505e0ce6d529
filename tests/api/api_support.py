"""Helpers for the API tests: the application over a fresh store, users, sessions, records, audit events."""

from __future__ import annotations

import json
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from policecloud.platform.access import accounts, audit
from policecloud.platform.access.auth import token_digest
from policecloud.platform.access.credentials import totp_now
from policecloud.platform.api import create_app
from policecloud.platform.store.models import (
    AuditEntry,
    AuthSession,
    PartnerAgency,
    PersonRecord,
    SharingAgreement,
    User,
)
from policecloud.platform.store.testing import FakeClock, fast_settings

PASSWORD = "correct horse 42"
PURPOSE = "case:A4201112026110001"
ADMIN = audit.Actor("cli:test", "local")


class Platform:
    """The API over a fresh store, with helpers to make users, sessions and records."""

    def __init__(self, engine: Engine, fake_clock: FakeClock, **settings: object) -> None:
        self.engine = engine
        self.clock = fake_clock
        self.settings = fast_settings(**settings)
        self.app = create_app(self.settings, engine=engine, clock=fake_clock)
        self.client = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
        self.secrets: dict[str, str] = {}

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def user(
        self,
        username: str,
        roles: list[str],
        jurisdiction: str = "420111",
        agency: str | None = None,
        first_login: bool = False,
    ) -> int:
        """A user ready to log in (provisioned: password final, second factor enrolled, as the operator does for
        test accounts); ``first_login=True`` makes one as the API would, still to change its password and enrol."""
        with self.session() as session:
            user, enrollment = accounts.create_user(
                session, self.settings, ADMIN, username=username, password=PASSWORD, jurisdiction=jurisdiction,
                roles=roles, partner_agency=agency, provisioned=not first_login,
            )  # fmt: skip
            session.commit()
            if enrollment:
                self.secrets[username] = enrollment.secret
            return user.id

    def login(self, username: str) -> dict[str, str]:
        """Log in through the API (password + TOTP) and return bearer headers."""
        body = {"username": username, "password": PASSWORD, "client": "api"}
        if username in self.secrets:
            body["totp"] = totp_now(self.secrets[username], self.clock())
        response = self.client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def grant(self, user_id: int, code: str, days: int = 30) -> str:
        """A jurisdiction grant in force, made by the operator (for tests that are not about granting)."""
        with self.session() as session:
            user = session.get(User, user_id)
            reason = "测试所需的跨区核查授权理由"
            accounts.grant_jurisdiction(session, ADMIN, user, code, reason, now=self.clock(), days=days)
            session.commit()
        return code

    def issue_token(self, user_id: int, token: str) -> dict[str, str]:
        """A session made directly in the store (for tests that are not about logging in)."""
        with self.session() as session:
            now = self.clock()
            session.add(AuthSession(token_hash=token_digest(token), user_id=user_id, created_at=now, last_seen_at=now))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def person(self, name: str = "张伟", code: str = "420111001", **fields: object) -> int:
        values = {
            "id_number": "420111199001011234",
            "phone": "13812345678",
            "address": "湖北省武汉市洪山区珞喻路1037号3栋201室",
            "birth_date": date(1990, 1, 1),
            "sex": "1",
        }
        values.update(fields)
        with self.session() as session:
            record = PersonRecord(name=name, jurisdiction_code=code, created_at=self.clock(),
                                  updated_at=self.clock(), **values)  # fmt: skip
            session.add(record)
            session.commit()
            return record.id

    def agreement(self, agency: str, reference: str, fields: dict[str, list[str]]) -> None:
        with self.session() as session:
            found = session.execute(select(PartnerAgency).where(PartnerAgency.name == agency)).scalar_one_or_none()
            if found is None:
                found = PartnerAgency(name=agency)
                session.add(found)
                session.flush()
            session.add(SharingAgreement(agency_id=found.id, reference=reference, fields=json.dumps(fields)))
            session.commit()

    def events(self, name: str | None = None) -> list[dict]:
        with self.session() as session:
            stmt = select(AuditEntry).order_by(AuditEntry.seq)
            if name:
                stmt = stmt.where(AuditEntry.event == name)
            return [
                {"event": e.event, "actor": e.actor, "client": e.client, **json.loads(e.payload)}
                for e in session.execute(stmt).scalars()
            ]
