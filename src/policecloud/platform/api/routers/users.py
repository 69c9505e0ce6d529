"""User administration: accounts (system administrator), roles and grants (security administrator).

Target users are looked up through the caller's jurisdiction scope in SQL: users outside it do not exist here.
The rules on what an administrator may do to an account (三员分立, bounded grants) are in
:mod:`policecloud.platform.access.accounts`; refusals are audited here like any denied request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from policecloud.platform.access import accounts
from policecloud.platform.access.errors import AccessError, not_found
from policecloud.platform.api.ids import RecordId
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.store.models import User

router = APIRouter(prefix="/api/users", tags=["users"])
T = TypeVar("T")


class UserIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    jurisdiction: str = Field(max_length=12, description="Division (6 digits) or police-station (9 digits) code")
    display_name: str = Field(default="", max_length=128)
    partner_agency: str | None = Field(default=None, max_length=128)


class RolesIn(BaseModel):
    roles: list[str]


class GrantIn(BaseModel):
    code: str = Field(max_length=12)
    reason: str = Field(max_length=500)
    days: int = Field(
        default=accounts.DEFAULT_GRANT_DAYS,
        ge=1,
        le=accounts.MAX_GRANT_DAYS,
        description=f"How long the grant lasts, in days (1–{accounts.MAX_GRANT_DAYS}; the last day included)",
    )


class RevokeIn(BaseModel):
    reason: str = Field(max_length=500)


def _target(access: Access, user_id: int) -> User:
    stmt = select(User).where(User.id == user_id, access.user.scope.clause(User.jurisdiction_code))
    user = access.db.execute(stmt).scalar_one_or_none()
    if user is None:
        raise not_found("user", "用户")
    return user


def _checked(access: Access, action: Callable[[], T]) -> T:
    """Run an account change; a refusal by the account rules (403) is audited like any denied request."""
    try:
        return action()
    except AccessError as error:
        if error.status == 403:
            raise access.refuse(error) from None
        raise


@router.get("", summary="Users in the caller's jurisdiction")
def list_users(access: Annotated[Access, requires("users.read", jurisdiction=True)]) -> dict[str, object]:
    users = accounts.list_users(access.db, access.user.scope)
    access.commit()
    return {"users": [accounts.user_dict(u, access.now.date()) for u in users]}


@router.post(
    "",
    status_code=201,
    summary="Create an account (no roles: a security administrator assigns them; the user changes the password "
    "and enrols the second factor at first login)",
)
def create_user(body: UserIn, access: Annotated[Access, requires("users.manage", jurisdiction=True)]) -> dict:
    if not access.user.scope.covers(body.jurisdiction):
        raise access.refuse(
            AccessError(
                403,
                "outside_jurisdiction",
                "You can only create accounts inside your jurisdiction.",
                "只能在本辖区内创建账户。",
            )
        )
    user, _ = accounts.create_user(
        access.db,
        access.settings,
        access.actor,
        username=body.username,
        password=body.password,
        jurisdiction=body.jurisdiction,
        display_name=body.display_name,
        partner_agency=body.partner_agency,
    )
    access.commit()
    return accounts.user_dict(user, access.now.date())


@router.post("/{user_id}/disable", summary="Disable an account (its sessions end); never an administrator's")
def disable_user(user_id: RecordId, access: Annotated[Access, requires("users.manage", jurisdiction=True)]) -> dict:
    user = _target(access, user_id)
    _checked(access, lambda: accounts.disable_user(access.db, access.actor, user, by=access.user))
    access.commit()
    return accounts.user_dict(user, access.now.date())


@router.post(
    "/{user_id}/reset-mfa",
    summary="Clear a user's second factor and end their sessions; the user enrols a new one at next login",
)
def reset_mfa(user_id: RecordId, access: Annotated[Access, requires("users.manage", jurisdiction=True)]) -> dict:
    user = _target(access, user_id)
    ended = _checked(access, lambda: accounts.reset_mfa(access.db, access.actor, user, access.now, by=access.user))
    access.commit()
    return {"username": user.username, "mfa_enrolled": False, "sessions_ended": ended}


@router.put("/{user_id}/roles", summary="Set a user's roles (separation of duties enforced)")
def set_roles(
    user_id: RecordId, body: RolesIn, access: Annotated[Access, requires("roles.assign", jurisdiction=True)]
) -> dict:
    user = _target(access, user_id)
    _checked(access, lambda: accounts.set_roles(access.db, access.actor, user, body.roles, by=access.user))
    access.commit()
    return accounts.user_dict(user, access.now.date())


@router.post(
    "/{user_id}/jurisdictions",
    status_code=201,
    summary="Grant a user an extra jurisdiction inside your own scope, for a bounded time",
)
def grant_jurisdiction(
    user_id: RecordId, body: GrantIn, access: Annotated[Access, requires("roles.assign", jurisdiction=True)]
) -> dict:
    user = _target(access, user_id)
    _checked(
        access,
        lambda: accounts.grant_jurisdiction(
            access.db, access.actor, user, body.code, body.reason, now=access.now, days=body.days, by=access.user
        ),
    )
    access.commit()
    return accounts.user_dict(user, access.now.date())


# Revocation is a POST to a sub-resource, not a DELETE: it needs a written reason (DELETE bodies are dropped by
# some clients and proxies) and the grant is not deleted — it stays, marked revoked, with who, when and why.
@router.post("/{user_id}/jurisdictions/{code}/revoke", summary="Revoke a jurisdiction grant before it expires")
def revoke_jurisdiction(
    user_id: RecordId,
    code: Annotated[str, Path(max_length=12)],
    body: RevokeIn,
    access: Annotated[Access, requires("roles.assign", jurisdiction=True)],
) -> dict:
    user = _target(access, user_id)
    _checked(
        access,
        lambda: accounts.revoke_jurisdiction(
            access.db, access.actor, user, code, body.reason, now=access.now, by=access.user
        ),
    )
    access.commit()
    return accounts.user_dict(user, access.now.date())
