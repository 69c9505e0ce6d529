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
from fastapi.responses import Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import add_asset_routes, page_response

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {
    "/dossier-assets/search.js": ("search.js", "text/javascript; charset=utf-8"),
    "/dossier-assets/dossier-i18n.js": ("dossier-i18n.js", "text/javascript; charset=utf-8"),
    "/dossier-assets/dossier.js": ("dossier.js", "text/javascript; charset=utf-8"),
}

router = APIRouter(tags=["dossier pages"])


@router.get("/search", summary="The cloud search page (云搜索)")
def search_page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return page_response(STATIC / "search.html")


@router.get("/dossier/{entity_id}", summary="The dossier page of an entity (全息档案)")
def dossier_page(entity_id: str, _access: Annotated[Access, requires(public=True)]) -> Response:
    # The page reads the entity id from its own address; the id is never written into the HTML.
    return page_response(STATIC / "dossier.html")


add_asset_routes(router, STATIC, ASSETS, prefix="dossier_asset", label="Dossier page asset")
