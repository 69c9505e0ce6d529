"""User accounts: create, list, disable, reset MFA, assign roles and jurisdiction grants — each audited.

Functions work inside the caller's session and transaction (the caller commits), so an action and its audit
entry are committed together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.access import audit
from policecloud.access import events as ev
from policecloud.access import roles as role_catalogue
from policecloud.access.credentials import hash_password, new_totp_secret, totp_uri
from policecloud.access.errors import AccessError, invalid
from policecloud.access.jurisdiction import Jurisdiction, JurisdictionScope
from policecloud.config import Settings
from policecloud.store.models import JurisdictionGrant, PartnerAgency, User, UserRole

_USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,63}")


@dataclass(frozen=True)
class Enrollment:
    """A TOTP secret to hand to the user once (shown at creation or reset, never again)."""

    secret: str
    uri: str


def find_user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise AccessError(404, "unknown_user", f"No user named {username!r}.", f"没有名为 {username!r} 的用户。")
    return user


def create_user(
    session: Session,
    settings: Settings,
    actor: audit.Actor,
    *,
    username: str,
    password: str,
    jurisdiction: str,
    roles: Iterable[str] = (),
    display_name: str = "",
    partner_agency: str | None = None,
) -> tuple[User, Enrollment | None]:
    if not _USERNAME.fullmatch(username):
        raise invalid(
            "username",
            "Usernames are 3–64 lower-case letters, digits, '.', '_' or '-', starting with a letter.",
            "用户名为3–64位小写字母、数字、'.'、'_'或'-'，须以字母开头。",
        )
    if find_user(session, username) is not None:
        raise AccessError(409, "user_exists", f"User {username!r} already exists.", f"用户 {username!r} 已存在。")
    role_names = sorted(set(roles))
    for name in role_names:
        role_catalogue.role(name)
    role_catalogue.check_separation_of_duties(role_names)
    code = Jurisdiction.parse(jurisdiction).code
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(settings, password),
        jurisdiction_code=code,
    )
    if partner_agency:
        user.partner_agency_id = _agency(session, partner_agency).id
    user.roles = [UserRole(role=r, granted_by=actor.name) for r in role_names]
    enrollment = None
    if role_catalogue.mfa_required(role_names):
        enrollment = _enroll(user)
    session.add(user)
    session.flush()
    audit.append(session, ev.UserCreated(username, role_names, code), actor)
    return user, enrollment


def _agency(session: Session, name: str) -> PartnerAgency:
    agency = session.execute(select(PartnerAgency).where(PartnerAgency.name == name)).scalar_one_or_none()
    if agency is None:
        agency = PartnerAgency(name=name)
        session.add(agency)
        session.flush()
    return agency


def _enroll(user: User) -> Enrollment:
    user.totp_secret = new_totp_secret()
    user.totp_last_step = None
    return Enrollment(user.totp_secret, totp_uri(user.totp_secret, user.username))


def list_users(session: Session, scope: JurisdictionScope | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if scope is not None:
        stmt = stmt.where(scope.clause(User.jurisdiction_code))
    return list(session.execute(stmt).scalars())


def disable_user(session: Session, actor: audit.Actor, user: User) -> None:
    user.disabled = True
    session.flush()
    audit.append(session, ev.UserDisabled(user.username), actor)


def reset_mfa(session: Session, actor: audit.Actor, user: User) -> Enrollment:
    enrollment = _enroll(user)
    session.flush()
    audit.append(session, ev.MfaReset(user.username), actor)
    return enrollment


def set_roles(session: Session, actor: audit.Actor, user: User, roles: Iterable[str]) -> list[str]:
    after = sorted(set(roles))
    for name in after:
        role_catalogue.role(name)
    role_catalogue.check_separation_of_duties(after)
    if user.username == actor.name:
        raise AccessError(403, "own_roles", "No one may change their own roles.", "任何人不得修改自己的角色。")
    before = user.role_names
    keep = {r.role: r for r in user.roles if r.role in after}
    user.roles = [keep.get(r) or UserRole(role=r, granted_by=actor.name) for r in after]
    session.flush()
    audit.append(session, ev.RolesChanged(user.username, before, after), actor)
    return after


def grant_jurisdiction(session: Session, actor: audit.Actor, user: User, code: str, reason: str) -> None:
    code = Jurisdiction.parse(code).code
    if len(reason.strip()) < 10:
        raise invalid(
            "reason_required",
            "A jurisdiction grant needs a written reason of at least 10 characters.",
            "授予辖区权限须填写不少于10个字的理由。",
        )
    if any(g.code == code for g in user.grants):
        raise AccessError(
            409, "grant_exists", f"{user.username} already holds {code}.", f"{user.username} 已拥有 {code}。"
        )
    user.grants.append(JurisdictionGrant(code=code, reason=reason.strip(), granted_by=actor.name))
    session.flush()
    audit.append(session, ev.JurisdictionGranted(user.username, code, reason.strip()), actor)


def user_dict(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.role_names,
        "jurisdiction": user.jurisdiction_code,
        "grants": sorted(g.code for g in user.grants),
        "disabled": user.disabled,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "mfa_enrolled": user.totp_secret is not None,
    }
