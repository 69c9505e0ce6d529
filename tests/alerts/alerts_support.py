"""Helpers for the early-warning tests: the API over a fresh store with its data under tmp_path."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from policecloud.apps.alerts.routes import service_of
from policecloud.platform.access import accounts, audit
from policecloud.platform.access.auth import token_digest
from policecloud.platform.api import create_app
from policecloud.platform.store.models import AuditEntry, AuthSession
from policecloud.platform.store.testing import FakeClock, fast_settings

PASSWORD = "correct horse 42"
PURPOSE = "incident:J4201112026000123"
ADMIN = audit.Actor("cli:test", "local")


def checkpoint_pass(n: int, plate: str, checkpoint: str = "4201110001", time: str = "2026-10-03 08:00:00") -> dict:
    return {"kind": "checkpoint_pass", "id": f"P{n}", "time": time, "checkpoint": checkpoint, "plate": plate}


class Platform:
    """The API (with its early-warning service) over a fresh store; users and sessions made directly."""

    def __init__(self, engine: Engine, clock: FakeClock, data_dir: Path, **settings: object) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = fast_settings(data_dir=data_dir, **settings)
        self.app = create_app(self.settings, engine=engine, clock=clock)
        self.client = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
        self.tokens = 0

    def __enter__(self) -> Platform:
        self.client.__enter__()  # runs the lifespan: starts the early-warning service
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.__exit__(*exc)

    @property
    def service(self):
        return service_of(self.app)

    def user(self, username: str, roles: list[str], jurisdiction: str = "420111") -> dict[str, str]:
        """Create a user and return bearer headers of a session made in the store."""
        with Session(self.engine, expire_on_commit=False) as session:
            user, _ = accounts.create_user(
                session, self.settings, ADMIN, username=username, password=PASSWORD, jurisdiction=jurisdiction,
                roles=roles, provisioned=True,
            )  # fmt: skip
            self.tokens += 1
            token = f"token-{username}-{self.tokens}"
            now = self.clock()
            session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    def post_events(self, headers: dict[str, str], events: list[dict]) -> dict:
        response = self.client.post("/api/events", json={"events": events}, headers=headers)
        assert response.status_code == 202, response.text
        return response.json()

    def process(self) -> None:
        assert self.service.drain(timeout=20), "events were not processed"

    def audit_events(self, name: str) -> list[dict]:
        import json

        with Session(self.engine) as session:
            rows = session.execute(select(AuditEntry).where(AuditEntry.event == name).order_by(AuditEntry.seq))
            return [json.loads(e.payload) | {"actor": e.actor} for e in rows.scalars()]
