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
from fastapi.responses import FileResponse, Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import CSP

STATIC = Path(__file__).resolve().parent / "static" / "home"
ASSETS = {
    "/home-assets/home.js": ("home.js", "text/javascript; charset=utf-8"),
    "/home-assets/home.css": ("home.css", "text/css; charset=utf-8"),
}
_PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(tags=["home"])


@router.get("/", summary="The home page: the apps the user may open (一屏功能展示)")
def home_page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return FileResponse(STATIC / "home.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


def _asset_route(path: str, name: str, media_type: str) -> None:
    def asset(_access: Annotated[Access, requires(public=True)]) -> Response:
        return FileResponse(
            STATIC / name,
            media_type=media_type,
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    asset.__name__ = "home_asset_" + name.replace(".", "_")
    router.add_api_route(path, asset, methods=["GET"], summary=f"Home page asset {name}")


for _path, (_name, _type) in ASSETS.items():
    _asset_route(_path, _name, _type)
