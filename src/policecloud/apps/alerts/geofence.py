"""Geofences: a polygon on the map and a daily time window (local time) during which it is watched."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from policecloud.platform.access.errors import invalid

Ring = tuple[tuple[float, float], ...]


def parse_polygon(raw: str | Sequence[Sequence[float]]) -> Ring:
    """A ring of (lon, lat) points, at least three distinct, inside the valid coordinate range."""
    points = json.loads(raw) if isinstance(raw, str) else raw
    try:
        ring = tuple((float(p[0]), float(p[1])) for p in points)
    except (TypeError, ValueError, IndexError):
        ring = ()
    if ring and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(set(ring)) < 3 or not all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in ring):
        raise invalid(
            "polygon",
            "A geofence needs at least three distinct [longitude, latitude] points.",
            "电子围栏至少需要三个不同的[经度, 纬度]点。",
        )
    return ring


def contains(ring: Ring, lon: float, lat: float) -> bool:
    """Point in polygon by ray casting (even-odd rule); points on an edge may fall either way."""
    inside = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def in_window(start_minute: int, end_minute: int, when: datetime, timezone: str) -> bool:
    """Whether ``when`` falls in the daily window [start, end) local time; a window may wrap midnight."""
    local = when.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    if start_minute <= end_minute:
        return start_minute <= minute < end_minute
    return minute >= start_minute or minute < end_minute


@dataclass(frozen=True)
class Fence:
    id: int
    name: str
    ring: Ring
    start_minute: int
    end_minute: int
    watched_only: bool
    reason: str
    jurisdiction_code: str
    valid_from: datetime
    valid_until: datetime | None

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.ring]
        ys = [p[1] for p in self.ring]
        return min(xs), min(ys), max(xs), max(ys)

    def covers(self, lon: float, lat: float, when: datetime, timezone: str) -> bool:
        if when < self.valid_from or (self.valid_until is not None and when >= self.valid_until):
            return False
        x0, y0, x1, y1 = self.bbox()
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return contains(self.ring, lon, lat) and in_window(self.start_minute, self.end_minute, when, timezone)
