"""User accounts: create, list, disable, reset MFA, assign roles, grant and revoke jurisdictions — each audited.

The rules of 三员分立 live here, not in the routes: no one administers their own account, no administrator
another administrator's, administrator roles come only from the server operator, and a jurisdiction grant is
bounded (inside the granter's scope, for at most a year, revocable). ``by`` is the acting principal when the
API acts; ``None`` means the server operator at the command line.

Functions work inside the caller's session and transaction (the caller commits), so an action and its audit
entry are committed together or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.access.credentials import hash_password, new_totp_secret, totp_uri
from policecloud.platform.access.errors import AccessError, invalid
from policecloud.platform.access.jurisdiction import Jurisdiction, JurisdictionScope
from policecloud.platform.access.principal import Principal
from policecloud.platform.config import Settings
from policecloud.platform.store.models import AuthSession, JurisdictionGrant, PartnerAgency, User, UserRole

_USERNAME = re.compile(r"[a-z][a-z0-9_.-]{2,63}")


@dataclass(frozen=True)
class Enrollment:
    """A TOTP secret shown once: to the user enrolling at login, or to the operator provisioning a machine,
    demo or test account (``create_user(provisioned=True)``)."""

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
    provisioned: bool = False,
) -> tuple[User, Enrollment | None]:
    """Create an account. A new account must change its password at first login, and its user enrols their
    own second factor then (see :mod:`policecloud.platform.access.enrolment`); nothing secret is returned.

    ``provisioned`` is for machine, demo and test accounts the server operator sets up completely: the
    password is final and the second factor (when a role needs one) is enrolled now and returned once. It is
    recorded in the audit entry, and the API never offers it.
    """
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
        must_change_password=not provisioned,
    )
    if partner_agency:
        user.partner_agency_id = _agency(session, partner_agency).id
    user.roles = [UserRole(role=r, granted_by=actor.name) for r in role_names]
    enrollment = None
    if provisioned and role_catalogue.mfa_required(role_names):
        enrollment = _enroll(user)
    session.add(user)
    session.flush()
    audit.append(session, ev.UserCreated(username, role_names, code, provisioned), actor)
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
    user.totp_pending_secret = None
    user.totp_last_step = None
    return Enrollment(user.totp_secret, totp_uri(user.totp_secret, user.username))


def list_users(session: Session, scope: JurisdictionScope | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if scope is not None:
        stmt = stmt.where(scope.clause(User.jurisdiction_code))
    return list(session.execute(stmt).scalars())


def is_admin(user: User) -> bool:
    """Whether the account holds one of the three administrative duties (sysadmin, secadmin, auditor)."""
    return any(role_catalogue.is_admin_role(r) for r in user.role_names)


def check_may_act_on(by: Principal | None, user: User) -> None:
    """No one acts on their own account, and no administrator on an administrator's account (三员分立: the
    three duties cannot switch each other off or take each other's accounts over). ``by`` is None for the
    server operator at the command line, who sets the administrators up in the first place."""
    if by is None:
        return
    if by.user_id == user.id:
        raise AccessError(403, "own_account", "No one may administer their own account.", "任何人不得管理自己的账户。")
    if is_admin(user):
        raise AccessError(
            403,
            "admin_account",
            "No administrator may act on another administrator's account; the server operator does this with "
            "'policecloud user …'.",
            "管理员不得操作其他管理员的账户；如需操作，请由服务器运维人员使用 'policecloud user …' 命令。",
        )


def disable_user(session: Session, actor: audit.Actor, user: User, *, by: Principal | None = None) -> None:
    check_may_act_on(by, user)
    user.disabled = True
    session.flush()
    audit.append(session, ev.UserDisabled(user.username), actor)


def reset_mfa(session: Session, actor: audit.Actor, user: User, now: datetime, *, by: Principal | None = None) -> int:
    """Clear the user's second factor and end their sessions; returns how many sessions ended.

    No secret is issued here: the user enrols a new factor themselves at their next login, after their own
    password — so whoever resets a factor never holds one.
    """
    check_may_act_on(by, user)
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_last_step = None
    ended = end_sessions(session, user, now)
    session.flush()
    audit.append(session, ev.MfaReset(user.username, ended), actor, now)
    return ended


def end_sessions(session: Session, user: User, now: datetime) -> int:
    open_sessions = session.execute(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
    ).scalars()
    count = 0
    for row in open_sessions:
        row.ended_at = now
        count += 1
    return count


def set_roles(
    session: Session, actor: audit.Actor, user: User, roles: Iterable[str], *, by: Principal | None = None
) -> list[str]:
    after = sorted(set(roles))
    for name in after:
        role_catalogue.role(name)
    role_catalogue.check_separation_of_duties(after)
    if user.username == actor.name:
        raise AccessError(403, "own_roles", "No one may change their own roles.", "任何人不得修改自己的角色。")
    check_may_act_on(by, user)
    if by is not None and any(role_catalogue.is_admin_role(r) for r in after):
        raise AccessError(
            403,
            "admin_roles_by_operator",
            "Administrator roles (sysadmin, secadmin, auditor) are given only by the server operator "
            "('policecloud user add'), never through the API.",
            "系统管理员、安全管理员、安全审计员角色只能由服务器运维人员（'policecloud user add'）授予，"
            "不能通过接口授予。",
        )
    before = user.role_names
    keep = {r.role: r for r in user.roles if r.role in after}
    user.roles = [keep.get(r) or UserRole(role=r, granted_by=actor.name) for r in after]
    session.flush()
    audit.append(session, ev.RolesChanged(user.username, before, after), actor)
    return after


MAX_GRANT_DAYS = 365
DEFAULT_GRANT_DAYS = 30
_MIN_REASON = 10


def _reason(reason: str, code: str, en_what: str, zh_what: str) -> str:
    text = (reason or "").strip()
    if len(text) < _MIN_REASON:
        raise invalid(
            code,
            f"{en_what} needs a written reason of at least {_MIN_REASON} characters.",
            f"{zh_what}须填写不少于{_MIN_REASON}个字的理由。",
        )
    return text


def grant_jurisdiction(
    session: Session,
    actor: audit.Actor,
    user: User,
    code: str,
    reason: str,
    *,
    now: datetime,
    days: int = DEFAULT_GRANT_DAYS,
    by: Principal | None = None,
) -> JurisdictionGrant:
    """Widen ``user``'s scope by ``code`` for ``days`` days (1–365, the last day included).

    Through the API (``by`` given) the grant must lie inside the granter's own scope — their home jurisdiction
    and their own grants in force — and never goes to the granter or to an administrator; what the granter holds
    only by a grant of their own, they pass on until that grant's last day at most.
    """
    code = Jurisdiction.parse(code).code
    text = _reason(reason, "reason_required", "A jurisdiction grant", "授予辖区权限")
    if not 1 <= days <= MAX_GRANT_DAYS:
        raise invalid(
            "grant_days",
            f"A grant lasts 1 to {MAX_GRANT_DAYS} days.",
            f"辖区授权期限为1至{MAX_GRANT_DAYS}天。",
        )
    check_may_act_on(by, user)
    if by is not None and not by.scope.covers(code):
        raise AccessError(
            403,
            "grant_outside_scope",
            f"You can only grant jurisdictions inside your own scope; {code} is outside it.",
            f"只能授予本人权限范围内的辖区；{code} 不在您的范围内。",
        )
    today = now.date()
    existing = next((g for g in user.grants if g.code == code), None)
    if existing is not None and existing.active(today):
        raise AccessError(
            409,
            "grant_exists",
            f"{user.username} already holds {code} until {existing.valid_until.isoformat()}; revoke it first "
            "to change it.",
            f"{user.username} 已拥有 {code}（至 {existing.valid_until.isoformat()}），如需变更请先撤销。",
        )
    valid_until = today + timedelta(days=days - 1)
    if by is not None:  # what the granter holds only by a grant, they pass on no longer than they hold it
        valid_until = min(valid_until, _granter_holds_until(session, by, code, today))
    grant = existing or JurisdictionGrant(code=code)
    # A past, expired or revoked grant of the same code is renewed in place (one row per user and code);
    # its history is in the audit log.
    grant.reason = text
    grant.granted_by = actor.name
    grant.granted_at = now
    grant.valid_until = valid_until
    grant.revoked_at = grant.revoked_by = grant.revoke_reason = None
    if existing is None:
        user.grants.append(grant)
    session.flush()
    audit.append(session, ev.JurisdictionGranted(user.username, code, text, valid_until.isoformat()), actor, now)
    return grant


def _granter_holds_until(session: Session, by: Principal, code: str, today: date) -> date:
    """The last day ``by`` covers ``code``: forever (date.max) from their home jurisdiction, else the latest end
    of their own grants in force that cover it."""
    granter = session.get(User, by.user_id)
    if granter is None:
        return today
    if Jurisdiction.parse(granter.jurisdiction_code).covers(code):
        return date.max
    ends = [g.valid_until for g in granter.grants if g.active(today) and Jurisdiction.parse(g.code).covers(code)]
    return max(ends, default=today)


def revoke_jurisdiction(
    session: Session,
    actor: audit.Actor,
    user: User,
    code: str,
    reason: str,
    *,
    now: datetime,
    by: Principal | None = None,
) -> JurisdictionGrant:
    """End a grant in force before its last day; the row stays (who revoked, when, why)."""
    code = Jurisdiction.parse(code).code
    text = _reason(reason, "reason_required", "Revoking a grant", "撤销辖区授权")
    check_may_act_on(by, user)
    grant = next((g for g in user.grants if g.code == code and g.active(now.date())), None)
    if grant is None:
        raise AccessError(
            404,
            "no_such_grant",
            f"{user.username} holds no grant of {code} in force.",
            f"{user.username} 没有有效的 {code} 辖区授权。",
        )
    grant.revoked_at = now
    grant.revoked_by = actor.name
    grant.revoke_reason = text
    session.flush()
    audit.append(session, ev.JurisdictionRevoked(user.username, code, text), actor, now)
    return grant


def active_grants(user: User, today: date) -> list[JurisdictionGrant]:
    return sorted((g for g in user.grants if g.active(today)), key=lambda g: g.code)


def user_dict(user: User, today: date) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": user.role_names,
        "jurisdiction": user.jurisdiction_code,
        "grants": [g.code for g in active_grants(user, today)],
        "grant_details": [
            {
                "code": g.code,
                "valid_until": g.valid_until.isoformat(),
                "granted_by": g.granted_by,
                "reason": g.reason,
                "active": g.active(today),
                "revoked_at": g.revoked_at.isoformat() if g.revoked_at else None,
                "revoked_by": g.revoked_by,
            }
            for g in sorted(user.grants, key=lambda g: g.code)
        ],
        "disabled": user.disabled,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "mfa_enrolled": user.totp_secret is not None,
        "must_change_password": user.must_change_password,
    }
