"""A vehicle's checkpoint trajectory (轨迹) for a time range, for the map and its time slider.

Passes come from the event key index by plate (every plate the vehicle has carried), joined to the checkpoint
coordinates; the index falls back to the warehouse by itself and says so (``source``). Without a range, the last
``DEFAULT_DAYS`` days up to the latest pass are shown.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import duckdb

from policecloud.apps.dossier.reader import DossierSource, plain

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_POINTS = 5000


class RangeError(ValueError):
    """The requested range is empty or too long."""


def vehicle_plates(cur: duckdb.DuckDBPyConnection, entity_id: str) -> list[str]:
    rows = cur.execute(
        "SELECT DISTINCT value FROM statements_e WHERE entity_id = ? AND property = 'plate' ORDER BY 1", [entity_id]
    ).fetchall()
    return [r[0] for r in rows]


def check_range(start: dt.datetime | None, end: dt.datetime | None) -> None:
    if start is not None and end is not None:
        if end <= start:
            raise RangeError("the end of the range must come after its start")
        if end - start > dt.timedelta(days=MAX_DAYS):
            raise RangeError(f"a trajectory covers at most {MAX_DAYS} days")


def trajectory(
    source: DossierSource,
    plates: list[str],
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    max_points: int = MAX_POINTS,
) -> dict[str, Any]:
    """The passes of ``plates`` in [start, end), oldest first, at most ``max_points`` (the latest ones)."""
    check_range(start, end)
    passes: list[dict[str, Any]] = []
    sources, notes = set(), set()
    for plate in plates:
        found = source.passes(plate, start, end)
        sources.add(found.source)
        if found.note:
            notes.add(found.note)
        passes += found.rows()
    passes.sort(key=lambda p: (p["time"], p.get("record_key") or ""))
    if start is None and end is None and passes:
        last = passes[-1]["time"]
        start, end = last - dt.timedelta(days=DEFAULT_DAYS), last + dt.timedelta(seconds=1)
        passes = [p for p in passes if p["time"] >= start]
    total = len(passes)
    shown = passes[-max_points:]
    days = Counter(p["time"].date().isoformat() for p in passes)
    points = [
        {
            "time": plain(p["time"]),
            "plate": p.get("plate"),
            "checkpoint_id": p.get("checkpoint_id"),
            "checkpoint_name": p.get("checkpoint_name"),
            "lon": p.get("lon"),
            "lat": p.get("lat"),
            "direction": p.get("direction"),
            "speed": p.get("speed"),
            "record_key": p.get("record_key"),
            "record_id": p.get("id"),
        }
        for p in shown
    ]
    return {
        "plates": plates,
        "start": plain(start),
        "end": plain(end),
        "total": total,
        "truncated": total > len(points),
        "points": points,
        "located": sum(1 for p in points if p["lon"] is not None),
        "days": [{"day": d, "passes": n} for d, n in sorted(days.items())],
        "source": "+".join(sorted(sources)) if sources else None,
        "notes": sorted(notes),
    }
