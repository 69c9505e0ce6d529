"""The pages of cloud search and the dossiers: ``/search`` and ``/dossier/{entity_id}``.

The pages are served by the platform and hold no data: every value on them comes from the audited API
(``/api/search``, ``/api/dossier/…``) with the purpose the officer gave at login, so the same access rules,
masking and audit apply as for any other client. Chinese by default, English on a button; the map (MapLibre)
and the relations graph (ECharts) are the vendored copies the one map uses, and the Content-Security-Policy
allows no other host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import CSP

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "/dossier-assets/search.js": ("search.js", "text/javascript; charset=utf-8"),
    "/dossier-assets/dossier-i18n.js": ("dossier-i18n.js", "text/javascript; charset=utf-8"),
    "/dossier-assets/dossier.js": ("dossier.js", "text/javascript; charset=utf-8"),
}
_PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(tags=["dossier pages"])


@router.get("/search", summary="The cloud search page (云搜索)")
def search_page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return FileResponse(STATIC / "search.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


@router.get("/dossier/{entity_id}", summary="The dossier page of an entity (全息档案)")
def dossier_page(entity_id: str, _access: Annotated[Access, requires(public=True)]) -> Response:
    # The page reads the entity id from its own address; the id is never written into the HTML.
    return FileResponse(STATIC / "dossier.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


def _asset_route(path: str, name: str, media_type: str) -> None:
    def asset(_access: Annotated[Access, requires(public=True)]) -> Response:
        return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"})

    asset.__name__ = "dossier_asset_" + name.replace(".", "_").replace("-", "_")
    router.add_api_route(path, asset, methods=["GET"], summary=f"Dossier page asset {name}")


for _path, (_name, _type) in ASSETS.items():
    _asset_route(_path, _name, _type)
