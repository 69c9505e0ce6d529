"""The one map (一张图): the dashboard page, its vendored assets, and the map's data routes.

The page and its scripts are public (they hold no data); everything shown on them comes from routes that
need a login: boundaries, devices and statistics (``map.view``, no personal data) and alerts (``alerts.read``,
see policecloud.apps.alerts.routes). Nothing is fetched from outside the platform: MapLibre and ECharts are
vendored under ``static/vendor`` and the boundaries are the synthetic province's vendored GeoJSON.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import add_asset_routes, page_response

STATIC = Path(__file__).resolve().parent / "static"
BOUNDARIES = resources.files("policecloud.data.model") / "data"
ASSETS = {
    "/map/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/map/app.css": ("app.css", "text/css; charset=utf-8"),
}

router = APIRouter(tags=["map"])


@router.get("/map", summary="The one map (一张图) dashboard page")
def page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return page_response(STATIC / "dashboard.html")


add_asset_routes(router, STATIC, ASSETS, prefix="asset", cache="max-age=3600", label="Dashboard asset")


@cache
def _boundary_bytes(level: str) -> bytes:
    return (BOUNDARIES / f"hubei_{level}.geo.json").read_bytes()


@router.get("/api/map/boundaries/prefectures", summary="Prefecture boundaries of Hubei (GeoJSON)")
def prefectures(_access: Annotated[Access, requires("map.view")]) -> Response:
    return Response(_boundary_bytes("prefectures"), media_type="application/geo+json")


@router.get("/api/map/boundaries/counties", summary="County boundaries of Hubei (GeoJSON)")
def counties(_access: Annotated[Access, requires("map.view")]) -> Response:
    return Response(_boundary_bytes("counties"), media_type="application/geo+json")
