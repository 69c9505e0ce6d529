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
from fastapi.responses import FileResponse, Response

from policecloud.platform.api.policy import Access, requires
from policecloud.platform.web.shell import CSP

STATIC = Path(__file__).resolve().parent / "static"
BOUNDARIES = resources.files("policecloud.data.model") / "data"
ASSETS = {
    "/map/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/map/app.css": ("app.css", "text/css; charset=utf-8"),
}

router = APIRouter(tags=["map"])


@router.get("/map", summary="The one map (一张图) dashboard page")
def page(_access: Annotated[Access, requires(public=True)]) -> Response:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})  # fmt: skip


def _asset_route(path: str, name: str, media_type: str) -> None:
    def asset(_access: Annotated[Access, requires(public=True)]) -> Response:
        return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "max-age=3600"})

    asset.__name__ = "asset_" + name.replace("/", "_").replace(".", "_").replace("-", "_")
    router.add_api_route(path, asset, methods=["GET"], summary=f"Dashboard asset {name}")


for _path, (_name, _type) in ASSETS.items():
    _asset_route(_path, _name, _type)


@cache
def _boundary_bytes(level: str) -> bytes:
    return (BOUNDARIES / f"hubei_{level}.geo.json").read_bytes()


@router.get("/api/map/boundaries/prefectures", summary="Prefecture boundaries of Hubei (GeoJSON)")
def prefectures(_access: Annotated[Access, requires("map.view")]) -> Response:
    return Response(_boundary_bytes("prefectures"), media_type="application/geo+json")


@router.get("/api/map/boundaries/counties", summary="County boundaries of Hubei (GeoJSON)")
def counties(_access: Annotated[Access, requires("map.view")]) -> Response:
    return Response(_boundary_bytes("counties"), media_type="application/geo+json")
