"""First login: the user enrols their own second factor, and a new account changes its password first.

An administrator never holds a user's second factor: creating an account or resetting its factor issues no
secret. Instead, when a user whose role needs a second factor logs in with the right password and has none,
login offers a fresh secret *to that user* (in the refusal's body) and opens no session; the user adds it to an
authenticator app and logs in again with a code from it, which confirms the enrolment and opens the session.

A new account (``must_change_password``) gets a session that can do nothing but change the password: the
principal is built without roles, permissions or scope
(:func:`policecloud.platform.access.principal.principal_for`), and the route policy answers
``password_change_required`` to everything else (:func:`password_change_required`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access.credentials import new_totp_secret, totp_step, totp_uri
from policecloud.platform.access.errors import AccessError
from policecloud.platform.store.models import User


class EnrolmentRequired(AccessError):
    """The refusal that carries the offered secret: shown to the user who just gave their own password."""

    def __init__(self, secret: str, uri: str) -> None:
        super().__init__(
            401,
            "mfa_enrolment_required",
            "Password accepted. Your role needs a second factor: add this secret to an authenticator app, then "
            "log in again with the 6-digit code it shows ('totp').",
            "密码正确。您的角色要求双因素认证：请将下列密钥添加到身份验证器，然后输入其显示的6位动态口令（totp）重新登录。",
        )
        self.secret = secret
        self.uri = uri

    def body(self) -> dict[str, str]:
        return {**super().body(), "totp_secret": self.secret, "totp_uri": self.uri}


def enrol_at_login(session: Session, user: User, totp: str | None, now: datetime, actor: audit.Actor) -> bool:
    """Called by login, after a correct password, for a user whose role needs a second factor and has none.

    Without a code: keeps (or makes) the offered secret, records the offer, commits and raises
    :class:`EnrolmentRequired`. With a code: True once it matches the offered secret (which becomes the
    user's factor; login then checks the same code as usual and opens the session), False if it does not
    (login counts a failure).
    """
    if user.totp_pending_secret is None:
        user.totp_pending_secret = new_totp_secret()
    secret = user.totp_pending_secret
    if not totp:
        audit.append(session, ev.MfaEnrolmentOffered(user.username), actor, now)
        session.commit()
        raise EnrolmentRequired(secret, totp_uri(secret, user.username))
    if totp_step(secret, totp, now) is None:
        return False
    user.totp_secret = secret
    user.totp_pending_secret = None
    user.totp_last_step = None
    audit.append(session, ev.MfaEnrolled(user.username), actor, now)
    return True


def password_change_required() -> AccessError:
    return AccessError(
        403,
        "password_change_required",
        "Choose your own password first (POST /api/auth/password); until then this session can do nothing else.",
        "请先修改初始密码（POST /api/auth/password）；修改前本会话不能执行其他操作。",
    )
