"""Jurisdiction grants are bounded (issue 13, finding 1): inside the granter's scope, never to oneself, for at
most a year, revocable, and counted only while in force wherever the principal's scope is built."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from policecloud.platform.access import accounts, audit
from policecloud.platform.access.errors import AccessError
from policecloud.platform.access.principal import principal_for
from policecloud.platform.store import make_engine
from policecloud.platform.store.migrate import upgrade
from policecloud.platform.store.models import JurisdictionGrant
from policecloud.platform.store.testing import fast_settings

SETTINGS = fast_settings()
OPERATOR = audit.Actor("cli:test", "local")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REASON = "联合专案行动需要跨区核查"


def _user(session: Session, username: str, roles: list[str], code: str):
    user, _ = accounts.create_user(
        session, SETTINGS, OPERATOR, username=username, password="long password 12", jurisdiction=code,
        roles=roles, provisioned=True,
    )  # fmt: skip
    session.flush()
    return user


def _principal(session: Session, user, today: date):
    return principal_for(session, user, today)


def test_a_grant_beyond_the_granters_scope_or_to_oneself_is_refused(store_engine):
    """The reported attack: a prefecture security administrator (420100) granting the whole province."""
    with Session(store_engine) as session:
        sec = _user(session, "sec.wuhan", ["secadmin"], "420100")
        analyst = _user(session, "chen.jing", ["analyst"], "420111")
        by = _principal(session, sec, NOW.date())
        for code in ("420000", "421126"):
            with pytest.raises(AccessError) as err:
                accounts.grant_jurisdiction(session, audit.Actor("sec.wuhan"), analyst, code, REASON, now=NOW, by=by)
            assert err.value.status == 403 and err.value.code == "grant_outside_scope"
        with pytest.raises(AccessError) as err:
            accounts.grant_jurisdiction(session, audit.Actor("sec.wuhan"), sec, "420102", REASON, now=NOW, by=by)
        assert err.value.code == "own_account"
        assert _principal(session, analyst, NOW.date()).scope.prefixes == ("420111",)


def test_grants_expire_and_stop_counting(store_engine):
    with Session(store_engine) as session:
        analyst = _user(session, "chen.jing", ["analyst"], "420111")
        grant = accounts.grant_jurisdiction(session, OPERATOR, analyst, "420502", REASON, now=NOW, days=3)
        assert grant.valid_until == date(2026, 12, 3)  # three days, the first and the last included
        assert _principal(session, analyst, date(2026, 12, 3)).scope.covers("420502003")
        assert not _principal(session, analyst, date(2026, 12, 4)).scope.covers("420502003")
        for days in (0, 366, -5):
            with pytest.raises(AccessError) as err:
                accounts.grant_jurisdiction(session, OPERATOR, analyst, "420503", REASON, now=NOW, days=days)
            assert err.value.code == "grant_days"


def test_a_revoked_grant_stops_counting_and_can_be_given_again(store_engine):
    with Session(store_engine) as session:
        analyst = _user(session, "chen.jing", ["analyst"], "420111")
        accounts.grant_jurisdiction(session, OPERATOR, analyst, "420502", REASON, now=NOW)
        with pytest.raises(AccessError) as err:
            accounts.revoke_jurisdiction(session, OPERATOR, analyst, "420502", "short", now=NOW)
        assert err.value.code == "reason_required"
        revoked = accounts.revoke_jurisdiction(session, OPERATOR, analyst, "420502", "专案已结束，收回授权", now=NOW)
        assert revoked.revoked_by == "cli:test" and revoked.revoke_reason == "专案已结束，收回授权"
        assert not _principal(session, analyst, NOW.date()).scope.covers("420502003")
        with pytest.raises(AccessError) as err:
            accounts.revoke_jurisdiction(session, OPERATOR, analyst, "420502", "专案已结束，收回授权", now=NOW)
        assert err.value.status == 404
        again = accounts.grant_jurisdiction(session, OPERATOR, analyst, "420502", REASON, now=NOW, days=5)
        assert again.revoked_at is None and _principal(session, analyst, NOW.date()).scope.covers("420502003")
        session.commit()
        events = [e for e in session.execute(text("SELECT event FROM audit_log ORDER BY seq")).scalars()]
        assert events.count("permission.jurisdiction") == 2 and events.count("permission.jurisdiction_revoke") == 1


def test_what_a_granter_holds_by_a_grant_is_passed_on_no_longer_than_held(store_engine):
    with Session(store_engine) as session:
        sec = _user(session, "sec.wuhan", ["secadmin"], "420100")
        analyst = _user(session, "chen.jing", ["analyst"], "420111")
        accounts.grant_jurisdiction(session, OPERATOR, sec, "420500", REASON, now=NOW, days=10)
        by = _principal(session, sec, NOW.date())
        passed = accounts.grant_jurisdiction(
            session, audit.Actor("sec.wuhan"), analyst, "420502", REASON, now=NOW, days=90, by=by
        )
        assert passed.valid_until == date(2026, 12, 10)  # capped at the granter's own grant
        later = NOW + timedelta(days=11)  # the granter's grant has expired: 420502 is outside their scope again
        other = _user(session, "li.na", ["analyst"], "420111")
        with pytest.raises(AccessError) as err:
            accounts.grant_jurisdiction(
                session, audit.Actor("sec.wuhan"), other, "420502", REASON, now=later,
                by=_principal(session, sec, later.date()),
            )  # fmt: skip
        assert err.value.code == "grant_outside_scope"


def test_migration_0004_gives_existing_grants_an_end(store_engine, tmp_path):
    if store_engine.dialect.name == "postgresql":  # back to an empty schema
        with store_engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        store_engine = make_engine(f"sqlite:///{tmp_path / 'before-0004.db'}")
    upgrade(store_engine, "0003")
    with store_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, jurisdiction_code, disabled, "
                "failed_logins, created_at) VALUES (1, 'old.user', '', 'x', '420111', false, 0, :now)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
        connection.execute(
            text("INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES (1, 'analyst', 'sec', :now)"),
            {"now": NOW.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO jurisdiction_grants (user_id, code, reason, granted_by, granted_at) "
                "VALUES (1, '420000', 'old unbounded grant', 'sec', :now)"
            ),
            {"now": NOW.replace(tzinfo=None)},
        )
    upgrade(store_engine)
    with Session(store_engine) as session:
        grant = session.query(JurisdictionGrant).one()
        today = datetime.now(UTC).date()
        assert today < grant.valid_until <= today + timedelta(days=31) and grant.revoked_at is None
        user = accounts.get_user(session, "old.user")
        assert user.must_change_password is False and user.totp_pending_secret is None
        assert user.role_names == ["analyst"]  # the upgrade rebuilt no table that others reference (cascades)
