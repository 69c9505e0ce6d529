"""The home page (一屏功能展示): ``/`` lists, after login, the apps the user's permissions open.

Like the search and dossier pages, the page and its script are public and hold no data: the tiles come from
``GET /api/menu`` (only the entries the user's permissions allow) and the user's name from ``/api/auth/me``,
with the session the shared login (``/dossier-assets/common.js``) keeps in this tab. Chinese by default,
English on a button; the style is the search pages' (``dossier.css``) with a few rules of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import add_asset_routes, page_response

STATIC = Path(__file__).resolve().parent / "static" / "home"
ASSETS = {
    "/home-assets/home.js": ("home.js", "text/javascript; charset=utf-8"),
    "/home-assets/home.css": ("home.css", "text/css; charset=utf-8"),
}

router = APIRouter(tags=["home"])


@router.get("/", summary="The home page: the apps the user may open (一屏功能展示)")
def home_page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return page_response(STATIC / "home.html")


add_asset_routes(router, STATIC, ASSETS, prefix="home_asset", label="Home page asset")
