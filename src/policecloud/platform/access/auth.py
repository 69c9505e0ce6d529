"""Login (password + TOTP, lockout) and server-side sessions with idle expiry.

Tokens are 256-bit random strings; only their SHA-256 is stored, so a copy of the database yields no usable
session. The same token works as the web cookie or as an API bearer token; both expire after the idle time.
The clock is passed in, so tests move time instead of sleeping.

Argon2 (0.1–0.2 s of CPU) never runs inside a store transaction: login reads the account in a short
transaction that ends before the password is checked, then decides and records the outcome in a second short
one on the account row as it is by then (locked: ``FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so
concurrent logins count failures, lock the account and consume TOTP steps exactly once. A session's last-seen
time is written at most every ``session_touch_seconds``, in a transaction of its own, so a read writes nothing.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from policecloud.platform.access import audit, enrolment
from policecloud.platform.access import events as ev
from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.access.credentials import burn_verification, hash_password, totp_step, verify_password
from policecloud.platform.access.errors import AccessError
from policecloud.platform.access.principal import Principal, principal_for
from policecloud.platform.config import Settings
from policecloud.platform.store.models import AuthSession, User

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_BAD_CREDENTIALS = AccessError(
    401, "invalid_credentials", "Wrong username, password or code.", "用户名、密码或动态口令错误。"
)


@dataclass(frozen=True)
class LoginResult:
    token: str
    user: User
    expires_after_idle: timedelta


def login(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    username: str,
    password: str,
    totp: str | None,
    client: str,
    kind: str = "web",
) -> LoginResult:
    """Check the credentials and open a session; commits in every outcome, so failures are recorded."""
    actor = audit.Actor(username or "anonymous", client)
    password_ok, checked_hash = _check_password(session, settings, now, username, password)
    # The outcome: one short transaction on the account as it is now (another login may have run meanwhile).
    user = session.execute(
        select(User).where(User.username == username).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()

    def refuse(reason: str, error: AccessError) -> AccessError:
        audit.append(session, ev.LoginFailed(username, reason), actor, now)
        session.commit()
        return error

    if user is None:
        raise refuse("unknown_user", _BAD_CREDENTIALS)
    if user.disabled:
        raise refuse("disabled", AccessError(403, "account_disabled", "This account is disabled.", "该账户已停用。"))
    if user.locked_until is not None:
        if user.locked_until > now:
            minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
            raise refuse("locked", _locked_error(minutes))
        user.locked_until = None
        user.failed_logins = 0
    if checked_hash is None:  # the account was disabled, locked or missing when read: nothing was checked
        raise refuse("account_changed", _BAD_CREDENTIALS)
    if not password_ok or user.password_hash != checked_hash:  # a password changed meanwhile is not checked
        raise _count_failure(session, settings, user, actor, now, "password")
    if role_catalogue.mfa_required(user.role_names):
        # No factor yet: the user enrols one now (policecloud.platform.access.enrolment); raises until a code
        # confirms it.
        if user.totp_secret is None and not enrolment.enrol_at_login(session, user, totp, now, actor):
            raise _count_failure(session, settings, user, actor, now, "mfa_enrolment")
        if not totp:
            session.rollback()
            raise AccessError(
                401,
                "mfa_required",
                "Password accepted; now give the 6-digit code from your authenticator app ('totp').",
                "密码正确；请输入身份验证器中的6位动态口令（totp）。",
            )
        step = totp_step(user.totp_secret, totp, now)
        if step is None:
            raise _count_failure(session, settings, user, actor, now, "mfa")
        if user.totp_last_step is not None and step <= user.totp_last_step:
            raise _count_failure(session, settings, user, actor, now, "mfa_replay")
        user.totp_last_step = step
    user.failed_logins = 0
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=token_digest(token),
            user_id=user.id,
            kind=kind,
            client=client[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    audit.append(session, ev.LoginSucceeded(username, kind, user.totp_secret is not None), actor, now)
    session.commit()
    return LoginResult(token, user, timedelta(minutes=settings.session_idle_minutes))


# Logins verify one password at a time per process: a flood from many addresses (each under its rate limit,
# policecloud.platform.api.login_limits) then takes at most one core, and an attempt that cannot start soon is refused.
_ARGON2_GATE = threading.BoundedSemaphore(1)
_GATE_WAIT_SECONDS = 2.0
_LOGIN_BUSY = AccessError(
    503, "login_busy", "Too many logins at once; try again in a few seconds.", "当前登录请求过多，请稍后几秒再试。"
)


def _check_password(
    session: Session, settings: Settings, now: datetime, username: str, password: str
) -> tuple[bool, str | None]:
    """Argon2 outside any transaction: read the stored hash, end the read, then verify (or spend the same time).

    Returns whether the password matched and the hash it was checked against (None when nothing was checked:
    no such user, or an account disabled or locked, which the caller refuses without a check).
    """
    row = session.execute(
        select(User.password_hash, User.disabled, User.locked_until).where(User.username == username)
    ).one_or_none()
    session.commit()  # nothing held from here on
    if row is not None and (row.disabled or (row.locked_until is not None and row.locked_until > now)):
        return False, None
    if not _ARGON2_GATE.acquire(timeout=_GATE_WAIT_SECONDS):
        raise _LOGIN_BUSY
    try:
        if row is None:
            burn_verification(settings)  # unknown usernames answer as slowly as wrong passwords
            return False, None
        return verify_password(settings, row.password_hash, password), row.password_hash
    finally:
        _ARGON2_GATE.release()


def _locked_error(minutes: int) -> AccessError:
    return AccessError(
        423,
        "account_locked",
        f"Too many failed logins: the account is locked; try again in {minutes} minute(s).",
        f"登录失败次数过多，账户已锁定，请{minutes}分钟后再试。",
    )


def _count_failure(
    session: Session, settings: Settings, user: User, actor: audit.Actor, now: datetime, reason: str
) -> AccessError:
    user.failed_logins += 1
    audit.append(session, ev.LoginFailed(user.username, reason), actor, now)
    error = _BAD_CREDENTIALS
    if user.failed_logins >= settings.lockout_failures:
        user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        audit.append(
            session,
            ev.AccountLocked(user.username, user.locked_until.isoformat(), user.failed_logins),
            actor,
            now,
        )
        error = _locked_error(settings.lockout_minutes)
    session.commit()
    return error


_SESSION_EXPIRED = AccessError(
    401, "session_expired", "Your session has expired; please log in again.", "会话已过期，请重新登录。"
)
_NOT_AUTHENTICATED = AccessError(401, "not_authenticated", "Please log in first.", "请先登录。")


def authenticate(session: Session, settings: Settings, now: datetime, token: str | None) -> Principal:
    """The principal of a session token; 401 if unknown or idle too long.

    The last-seen time is written only when older than ``session_touch_seconds`` (so idle expiry may come that
    much later), and in a transaction of its own: ``session`` may be a read-only snapshot (see
    policecloud.platform.store.engine), and most requests write nothing for the session check.
    """
    if not token:
        raise _NOT_AUTHENTICATED
    row = session.execute(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        raise _SESSION_EXPIRED if row is not None else _NOT_AUTHENTICATED
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        _write_session(session, row.id, ended_at=now)
        raise _SESSION_EXPIRED
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        _write_session(session, row.id, ended_at=now)
        raise AccessError(403, "account_disabled", "This account is disabled.", "该账户已停用。")
    if now - row.last_seen_at >= timedelta(seconds=settings.session_touch_seconds):
        _write_session(session, row.id, last_seen_at=now)
    return principal_for(session, user, now.date())


def _write_session(session: Session, session_id: int, **values: datetime) -> None:
    """Update one session row in a short transaction of its own (ending the caller's read first).

    Nothing of the caller is pending at this point (authentication comes first in every request), so the
    commit only ends its snapshot; the update is then the first statement of a new transaction, which waits
    for the write lock instead of failing to upgrade a read (SQLite).
    """
    session.commit()
    stmt = update(AuthSession).where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
    if "last_seen_at" in values:
        stmt = stmt.where(AuthSession.last_seen_at < values["last_seen_at"])
    session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    session.commit()


def logout(session: Session, now: datetime, token: str, actor: audit.Actor) -> None:
    row = session.execute(select(AuthSession).where(AuthSession.token_hash == token_digest(token))).scalar_one_or_none()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        audit.append(session, ev.LoggedOut(actor.name), actor, now)


def change_password(
    session: Session, settings: Settings, now: datetime, user_id: int, current: str, new: str, actor: audit.Actor
) -> None:
    """Change one's own password (the current one is required); all the user's sessions end. Commits.

    Both Argon2 steps (checking the current password, hashing the new one) run with no transaction open.
    """
    user = session.get(User, user_id)
    assert user is not None
    checked_hash = user.password_hash
    session.commit()  # nothing held while Argon2 runs
    if not verify_password(settings, checked_hash, current):
        audit.append(session, ev.PasswordChanged(user.username, False, "wrong_password"), actor, now)
        session.commit()
        raise AccessError(403, "wrong_password", "The current password is wrong.", "当前密码错误。")
    if current == new:
        raise AccessError(400, "same_password", "The new password must differ.", "新密码不能与原密码相同。")
    new_hash = hash_password(settings, new)
    user = session.execute(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if user.password_hash != checked_hash:
        session.rollback()
        raise AccessError(
            409, "password_changed", "The password was changed meanwhile; log in again.", "密码已被修改，请重新登录。"
        )
    user.password_hash = new_hash
    user.must_change_password = False  # the first-login change (policecloud.platform.access.enrolment) is done
    for other in session.execute(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
    ).scalars():
        other.ended_at = now
    audit.append(session, ev.PasswordChanged(user.username, True), actor, now)
    session.commit()
