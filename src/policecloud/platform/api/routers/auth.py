"""Login, logout and "who am I". Web clients get a secure, http-only cookie; API clients a bearer token."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from policecloud.platform.access import auth
from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.api.policy import SESSION_COOKIE, Access, client_address, get_db, requires, session_token

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    totp: str | None = Field(default=None, max_length=12, description="6-digit code, when the role needs MFA")
    client: Literal["web", "api"] = "web"


@router.post(
    "/login",
    summary="Log in (password, then TOTP code when the role needs it; a user with no second factor yet is "
    "offered one to enrol, 401 mfa_enrolment_required, and confirms it with a code)",
)
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    db: Annotated[Session, Depends(get_db)],
    _public: Annotated[Access, requires(public=True)],
) -> dict[str, object]:
    state = request.app.state
    result = auth.login(
        db,
        state.settings,
        state.clock(),
        username=body.username,
        password=body.password,
        totp=body.totp,
        client=client_address(request),
        kind=body.client,
    )
    out: dict[str, object] = {
        "username": result.user.username,
        "roles": result.user.role_names,
        "idle_timeout_minutes": int(result.expires_after_idle.total_seconds() // 60),
        # A new account: the session can only change the password (POST /api/auth/password) until it does.
        "must_change_password": result.user.must_change_password,
    }
    if body.client == "api":
        out["token"] = result.token
        out["token_type"] = "bearer"
    else:
        response.set_cookie(
            SESSION_COOKIE,
            result.token,
            httponly=True,
            secure=state.settings.cookie_secure,
            samesite="strict",
            path="/",
        )
    return out


@router.post("/logout", summary="End the current session")
def logout(request: Request, response: Response, access: Annotated[Access, requires()]) -> dict[str, str]:
    token = session_token(request)
    if token:
        auth.logout(access.db, access.now, token, access.actor)
    access.commit()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "logged_out"}


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


@router.post(
    "/password",
    summary="Change your password (every session ends; log in again). A new account must do this first.",
)
def change_password(body: PasswordIn, response: Response, access: Annotated[Access, requires()]) -> dict[str, str]:
    auth.change_password(
        access.db, access.settings, access.now, access.user.user_id, body.current_password, body.new_password,
        access.actor,
    )  # fmt: skip
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"status": "changed"}


@router.get("/me", summary="The current user, roles, permissions and jurisdiction scope")
def me(access: Annotated[Access, requires()]) -> dict[str, object]:
    user = access.user
    access.commit()  # keeps the session's last-seen time
    return {
        "username": user.username,
        "roles": [
            {"name": r, "zh": role_catalogue.role(r).zh, "en": role_catalogue.role(r).en} for r in sorted(user.roles)
        ],
        "permissions": sorted(user.permissions),
        "scope": list(user.scope.prefixes),
        "unmasked_fields": sorted(user.unmasked),
        "partner_agency": user.partner.agency if user.partner else None,
        "must_change_password": user.must_change_password,
    }
