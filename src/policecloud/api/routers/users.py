"""User administration: accounts (system administrator), roles and grants (security administrator).

Target users are looked up through the caller's jurisdiction scope in SQL: users outside it do not exist here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from policecloud.access import accounts
from policecloud.access.errors import AccessError, not_found
from policecloud.api.ids import RecordId
from policecloud.api.policy import Access, requires
from policecloud.store.models import User

router = APIRouter(prefix="/api/users", tags=["users"])


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


def _target(access: Access, user_id: int) -> User:
    stmt = select(User).where(User.id == user_id, access.user.scope.clause(User.jurisdiction_code))
    user = access.db.execute(stmt).scalar_one_or_none()
    if user is None:
        raise not_found("user", "用户")
    return user


@router.get("", summary="Users in the caller's jurisdiction")
def list_users(access: Annotated[Access, requires("users.read", jurisdiction=True)]) -> dict[str, object]:
    users = accounts.list_users(access.db, access.user.scope)
    access.commit()
    return {"users": [accounts.user_dict(u) for u in users]}


@router.post("", status_code=201, summary="Create an account (roles are assigned by a security administrator)")
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
    return accounts.user_dict(user)


@router.post("/{user_id}/disable", summary="Disable an account (its sessions end)")
def disable_user(user_id: RecordId, access: Annotated[Access, requires("users.manage", jurisdiction=True)]) -> dict:
    user = _target(access, user_id)
    accounts.disable_user(access.db, access.actor, user)
    access.commit()
    return accounts.user_dict(user)


@router.post("/{user_id}/reset-mfa", summary="Issue a new TOTP secret (hand it to the user once)")
def reset_mfa(user_id: RecordId, access: Annotated[Access, requires("users.manage", jurisdiction=True)]) -> dict:
    user = _target(access, user_id)
    enrollment = accounts.reset_mfa(access.db, access.actor, user)
    access.commit()
    return {"username": user.username, "totp_secret": enrollment.secret, "totp_uri": enrollment.uri}


@router.put("/{user_id}/roles", summary="Set a user's roles (separation of duties enforced)")
def set_roles(
    user_id: RecordId, body: RolesIn, access: Annotated[Access, requires("roles.assign", jurisdiction=True)]
) -> dict:
    user = _target(access, user_id)
    accounts.set_roles(access.db, access.actor, user, body.roles)
    access.commit()
    return accounts.user_dict(user)


@router.post("/{user_id}/jurisdictions", status_code=201, summary="Grant a user an extra jurisdiction")
def grant_jurisdiction(
    user_id: RecordId, body: GrantIn, access: Annotated[Access, requires("roles.assign", jurisdiction=True)]
) -> dict:
    user = _target(access, user_id)
    accounts.grant_jurisdiction(access.db, access.actor, user, body.code, body.reason)
    access.commit()
    return accounts.user_dict(user)
