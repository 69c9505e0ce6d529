"""The tiny app's API route and page: each route states its access rule with ``requires``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import add_asset_routes, page_response
from tiny_app.events import TinyPinged

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(tags=["tiny"])


@router.get("/api/tiny/ping", summary="Answer pong, and audit it")
def ping(access: Annotated[Access, requires()], echo: str = "") -> dict:
    access.audit(TinyPinged(echo))
    access.commit()
    return {"pong": echo, "user": access.user.username}


@router.get("/tiny", summary="The tiny app's page")
def page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return page_response(STATIC / "tiny.html")


add_asset_routes(router, STATIC, {"/tiny-assets/tiny.js": ("tiny.js", "text/javascript; charset=utf-8")}, prefix="tiny")
