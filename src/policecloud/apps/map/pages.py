"""The one map (一张图): the dashboard page, its vendored assets, and the map's data routes.

The page and its scripts are public (they hold no data); everything shown on them comes from routes that
need a login: boundaries, devices and statistics (``map.view``, no personal data) and alerts (``alerts.read``,
see policecloud.apps.alerts.routes). Nothing is fetched from outside the platform: MapLibre and ECharts are
vendored under ``static/vendor`` and the boundaries are the synthetic province's vendored GeoJSON.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts.models import Alert, EventHour, MapDevice
from policecloud.platform.api.policy import Access, requires

STATIC = Path(__file__).resolve().parent / "static"
BOUNDARIES = Path(__file__).resolve().parents[1] / "synth" / "data"
ASSETS = {
    "/map/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/map/app.css": ("app.css", "text/css; charset=utf-8"),
    "/map/vendor/maplibre-gl.js": ("vendor/maplibre-gl/maplibre-gl.js", "text/javascript; charset=utf-8"),
    "/map/vendor/maplibre-gl.css": ("vendor/maplibre-gl/maplibre-gl.css", "text/css; charset=utf-8"),
    "/map/vendor/echarts.min.js": ("vendor/echarts/echarts.min.js", "text/javascript; charset=utf-8"),
}
# The page may load only what the platform serves (no external script, style, image or map tile hosts).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; child-src blob:; connect-src 'self'"
)

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


def device_dict(d: MapDevice) -> dict[str, Any]:
    return {"code": d.code, "kind": d.kind, "name": d.name, "county_code": d.county_code, "lon": d.lon, "lat": d.lat}


@router.get("/api/map/devices", summary="Checkpoints, cameras and police units on the map")
def devices(access: Annotated[Access, requires("map.view")]) -> dict[str, object]:
    rows = access.db.execute(select(MapDevice).order_by(MapDevice.kind, MapDevice.code)).scalars()
    out = [device_dict(d) for d in rows]
    access.commit()
    return {"devices": out}


class DeviceIn(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z]{4,24}$")
    kind: str = Field(pattern=r"^(checkpoint|camera|unit)$")
    name: str = Field(min_length=1, max_length=100)
    county_code: str = Field(pattern=r"^\d{6}$")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class DevicesIn(BaseModel):
    devices: list[DeviceIn] = Field(max_length=50000)


@router.put("/api/map/devices", summary="Load device registries (checkpoints, cameras, units); replaces by code")
def load_devices(body: DevicesIn, access: Annotated[Access, requires("events.ingest")]) -> dict[str, object]:
    for device in body.devices:
        access.db.merge(MapDevice(**device.model_dump()))
    access.audit(aev.DevicesLoaded(len(body.devices)))
    access.commit()
    service = getattr(access.request.app.state, "alerts", None)
    if service is not None:
        service.invalidate_rules()  # places give alerts their coordinates
    return {"loaded": len(body.devices)}


@router.get("/api/map/stats", summary="Events per hour, alerts by type and by prefecture")
def stats(access: Annotated[Access, requires("map.view", jurisdiction=True)]) -> dict[str, object]:
    latest = access.db.execute(select(func.max(EventHour.hour))).scalar_one_or_none()
    per_hour: Counter[str] = Counter()
    if latest is not None:
        since = latest - timedelta(hours=23)
        rows = access.db.execute(
            select(EventHour.hour, func.sum(EventHour.count)).where(EventHour.hour >= since).group_by(EventHour.hour)
        )
        for hour, n in rows:
            per_hour[hour.isoformat()] += int(n)
    scope = access.user.scope
    scoped = or_(scope.clause(Alert.jurisdiction_code), scope.clause(Alert.owner_jurisdiction))
    by_type = access.db.execute(select(Alert.alert_type, func.count()).where(scoped).group_by(Alert.alert_type))
    prefecture = func.substr(Alert.jurisdiction_code, 1, 4)
    by_prefecture = access.db.execute(select(prefecture, func.count()).where(scoped).group_by(prefecture))
    access.commit()
    return {
        "events_per_hour": [{"hour": h, "count": n} for h, n in sorted(per_hour.items())],
        "alerts_by_type": {t: int(n) for t, n in by_type},
        "alerts_by_prefecture": {f"{p}00": int(n) for p, n in by_prefecture},
    }
