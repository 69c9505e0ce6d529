"""Login: Argon2 passwords, TOTP second factor, lockout after 5 failures for 10 minutes, 30-minute idle expiry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.platform.access import accounts, audit, auth
from policecloud.platform.access.credentials import totp_now
from policecloud.platform.access.errors import AccessError
from policecloud.platform.store.models import AuditEntry
from policecloud.platform.store.testing import fast_settings

SETTINGS = fast_settings()
PASSWORD = "correct horse 42"
ADMIN = audit.Actor("cli:test", "local")


def _user(session: Session, username: str = "li.ming", roles=("investigator",)) -> accounts.Enrollment | None:
    _, enrollment = accounts.create_user(
        session, SETTINGS, ADMIN, username=username, password=PASSWORD, jurisdiction="420111", roles=roles,
        provisioned=True,  # an operator-provisioned account: no first-login steps (tested in test_access_first_login)
    )  # fmt: skip
    session.commit()
    return enrollment


def _login(session, clock, password=PASSWORD, totp=None, username="li.ming"):
    return auth.login(session, SETTINGS, clock(), username=username, password=password, totp=totp, client="10.1.1.1")


def _events(session: Session) -> list[tuple[str, dict]]:
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    return [(r.event, json.loads(r.payload)) for r in rows]


def test_password_is_stored_as_argon2id(store_engine):
    with Session(store_engine) as session:
        _user(session)
        user = accounts.get_user(session, "li.ming")
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_weak_passwords_are_refused(store_engine):
    with Session(store_engine) as session, pytest.raises(AccessError) as err:
        accounts.create_user(session, SETTINGS, ADMIN, username="weak", password="short1", jurisdiction="420111")
    assert err.value.code == "weak_password"


def test_role_with_personal_data_needs_the_totp_code(store_engine, clock):
    with Session(store_engine) as session:
        enrollment = _user(session)
        assert enrollment is not None
        with pytest.raises(AccessError) as err:
            _login(session, clock)
        assert err.value.status == 401 and err.value.code == "mfa_required"
        with pytest.raises(AccessError) as err:
            _login(session, clock, totp="000000" if totp_now(enrollment.secret, clock()) != "000000" else "111111")
        assert err.value.code == "invalid_credentials"
        result = _login(session, clock, totp=totp_now(enrollment.secret, clock()))
        assert result.token and result.user.username == "li.ming"
        names = [e for e, _ in _events(session)]
        assert names[-2:] == ["auth.login_failed", "auth.login"]


def test_a_totp_code_is_accepted_only_once(store_engine, clock):
    with Session(store_engine) as session:
        enrollment = _user(session)
        code = totp_now(enrollment.secret, clock())
        assert _login(session, clock, totp=code).token
        clock.advance(seconds=5)  # same 30-second step: the code seen by a shoulder-surfer
        with pytest.raises(AccessError) as err:
            _login(session, clock, totp=code)
        assert err.value.code == "invalid_credentials"
        assert _events(session)[-1] == ("auth.login_failed", {"username": "li.ming", "reason": "mfa_replay"})
        clock.advance(seconds=30)
        assert _login(session, clock, totp=totp_now(enrollment.secret, clock())).token


def test_role_without_personal_data_logs_in_with_password_only(store_engine, clock):
    with Session(store_engine) as session:
        assert _user(session, "citizen.wang", roles=("citizen",)) is None
        assert _login(session, clock, username="citizen.wang").token


def test_five_failures_lock_the_account_for_ten_minutes(store_engine, clock):
    with Session(store_engine) as session:
        enrollment = _user(session)
        for attempt in range(1, 6):
            with pytest.raises(AccessError) as err:
                _login(session, clock, password="wrong password 1")
            assert err.value.status == (423 if attempt == 5 else 401)
        code = totp_now(enrollment.secret, clock())
        with pytest.raises(AccessError) as err:
            _login(session, clock, totp=code)  # even the right password is refused while locked
        assert err.value.status == 423 and "10" in err.value.en
        clock.advance(minutes=9, seconds=59)
        with pytest.raises(AccessError) as err:
            _login(session, clock, totp=totp_now(enrollment.secret, clock()))
        assert err.value.code == "account_locked"
        clock.advance(seconds=2)
        assert _login(session, clock, totp=totp_now(enrollment.secret, clock())).token
        events = _events(session)
        assert [e for e, _ in events].count("auth.login_failed") == 7
        (locked,) = [p for e, p in events if e == "auth.lockout"]
        assert locked["failures"] == 5 and locked["username"] == "li.ming"


def test_wrong_totp_codes_count_towards_lockout(store_engine, clock):
    with Session(store_engine) as session:
        enrollment = _user(session)
        wrong = "123456" if totp_now(enrollment.secret, clock()) != "123456" else "654321"
        for _ in range(5):
            with pytest.raises(AccessError):
                _login(session, clock, totp=wrong)
        with pytest.raises(AccessError) as err:
            _login(session, clock, totp=totp_now(enrollment.secret, clock()))
        assert err.value.status == 423


def test_unknown_and_disabled_users_are_refused_and_audited(store_engine, clock):
    with Session(store_engine) as session:
        _user(session, "citizen.wang", roles=("citizen",))
        with pytest.raises(AccessError) as err:
            _login(session, clock, username="nobody")
        assert err.value.code == "invalid_credentials"
        accounts.disable_user(session, ADMIN, accounts.get_user(session, "citizen.wang"))
        session.commit()
        with pytest.raises(AccessError) as err:
            _login(session, clock, username="citizen.wang")
        assert err.value.code == "account_disabled"
        reasons = [p["reason"] for e, p in _events(session) if e == "auth.login_failed"]
        assert reasons == ["unknown_user", "disabled"]


def test_sessions_expire_after_thirty_idle_minutes(store_engine, clock):
    with Session(store_engine) as session:
        _user(session, "citizen.wang", roles=("citizen",))
        token = _login(session, clock, username="citizen.wang").token
        clock.advance(minutes=29)
        assert auth.authenticate(session, SETTINGS, clock(), token).username == "citizen.wang"
        session.commit()
        clock.advance(minutes=29)  # activity 29 minutes ago keeps it alive
        assert auth.authenticate(session, SETTINGS, clock(), token).username == "citizen.wang"
        session.commit()
        clock.advance(minutes=30, seconds=1)
        with pytest.raises(AccessError) as err:
            auth.authenticate(session, SETTINGS, clock(), token)
        assert err.value.code == "session_expired"
        clock.advance(seconds=1)  # and it stays expired
        with pytest.raises(AccessError):
            auth.authenticate(session, SETTINGS, clock(), token)


def test_only_the_token_hash_is_stored(store_engine, clock):
    from policecloud.platform.store.models import AuthSession

    with Session(store_engine) as session:
        _user(session, "citizen.wang", roles=("citizen",))
        token = _login(session, clock, username="citizen.wang").token
        stored = session.execute(select(AuthSession.token_hash)).scalar_one()
        assert stored == auth.token_digest(token) and token not in stored


def test_disabling_a_user_ends_their_sessions(store_engine, clock):
    with Session(store_engine) as session:
        _user(session, "citizen.wang", roles=("citizen",))
        token = _login(session, clock, username="citizen.wang").token
        accounts.disable_user(session, ADMIN, accounts.get_user(session, "citizen.wang"))
        session.commit()
        with pytest.raises(AccessError) as err:
            auth.authenticate(session, SETTINGS, clock(), token)
        assert err.value.code == "account_disabled"


def test_missing_enrollment_offers_the_user_a_secret_and_opens_no_session(store_engine, clock):
    with Session(store_engine) as session:
        _user(session, "citizen.wang", roles=("citizen",))
        user = accounts.get_user(session, "citizen.wang")
        accounts.set_roles(session, ADMIN, user, ["analyst"])
        session.commit()
        with pytest.raises(AccessError) as err:
            _login(session, clock, username="citizen.wang")
        assert err.value.code == "mfa_enrolment_required" and err.value.body()["totp_uri"].startswith("otpauth://")


def test_random_service_passwords_always_meet_the_policy():
    from policecloud.platform.access.credentials import check_password_policy, random_password

    for _ in range(2000):
        check_password_policy(random_password())  # raises on a weak one
