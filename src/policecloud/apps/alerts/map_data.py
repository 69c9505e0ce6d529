"""The one map's data that early warning keeps: the device registry (places give alerts their coordinates) and
the statistics of events and alerts. Served at ``/api/map/*`` for the map page."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts.models import Alert, EventHour, MapDevice
from policecloud.platform.api.policy import Access, requires

router = APIRouter(tags=["map"])


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
