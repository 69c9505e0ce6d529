"""Reading the synthetic province's *sources* for the live demo: device registries, one day of events in
the intake's raw form, and the hotlists (布控车辆, 在逃人员) as watchlist entries.

Only ``sources/`` is read — never ``truth/`` (that is for tests and benchmarks). Events keep the sources'
raw values (full-width digits, ``未识别`` plates, legacy IDs ...): the intake validates them as it would
any field device's.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

UNREAD_PLATE = "未识别"


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def devices(sources: Path) -> list[dict[str, Any]]:
    """Checkpoints, cameras and police units with coordinates, in the shape of ``PUT /api/map/devices``."""
    out = []
    for row in _rows(sources / "checkpoint_registry.csv"):
        out.append(
            {
                "code": row["卡口编号"],
                "kind": "checkpoint",
                "name": row["卡口名称"][:100],
                "county_code": row["所属区县"],
                "lon": _float(row["经度"]),
                "lat": _float(row["纬度"]),
            }
        )
    for row in _rows(sources / "camera_registry.csv"):
        out.append(
            {
                "code": row["设备编码"],
                "kind": "camera",
                "name": row["设备名称"][:100],
                "county_code": row["设备编码"][:6],
                "lon": _float(row["经度"]),
                "lat": _float(row["纬度"]),
            }
        )
    for row in _rows(sources / "police_units.csv"):
        out.append(
            {
                "code": row["单位编码"],
                "kind": "unit",
                "name": row["单位名称"][:100],
                "county_code": row["所属区县"],
                "lon": _float(row["经度"]),
                "lat": _float(row["纬度"]),
            }
        )
    return out


def days(sources: Path) -> list[date]:
    """The days for which checkpoint passes exist."""
    found = {p.stem[-8:] for p in (sources / "checkpoint_passes").glob("*/passes_*.*")}
    return sorted(datetime.strptime(d, "%Y%m%d").date() for d in found)


def day_events(sources: Path, day: date) -> list[dict[str, Any]]:
    """Every checkpoint pass and hotel check-in of ``day`` (local time), as raw intake events, by time."""
    stamp = day.strftime("%Y%m%d")
    events: list[tuple[str, dict[str, Any]]] = []
    csv_path = sources / "checkpoint_passes" / "csv" / f"passes_{stamp}.csv"
    if csv_path.exists():
        for row in _rows(csv_path):
            plate = row["号牌号码"]
            raw = {
                "kind": "checkpoint_pass",
                "id": row["过车编号"],
                "time": row["过车时间"],
                "checkpoint": row["卡口编号"],
                "plate": None if plate == UNREAD_PLATE else plate,
                "plate_color": row["号牌颜色"],
                "direction": row["方向"],
                "speed": row["车速"],
            }
            events.append((row["过车时间"], raw))
    parquet_path = sources / "checkpoint_passes" / "parquet" / f"passes_{stamp}.parquet"
    if parquet_path.exists():
        for row in pq.read_table(parquet_path).to_pylist():
            when = datetime.fromtimestamp(row["pass_time_ms"] / 1000, UTC).astimezone(_SHANGHAI)
            raw = {
                "kind": "checkpoint_pass",
                "id": row["pass_id"],
                "time": when.isoformat(),
                "checkpoint": row["device_id"],
                "plate": row["plate_no"],
                "plate_color": row["plate_color"],
                "direction": row["direction_code"],
                "speed": row["speed_kmh"],
            }
            events.append((when.strftime("%Y-%m-%d %H:%M:%S"), raw))
    hotel_path = sources / "hotel_stays.jsonl"
    if hotel_path.exists():
        prefix = day.isoformat()
        with open(hotel_path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if not str(row.get("rzsj", "")).startswith(prefix):
                    continue
                raw = {
                    "kind": "hotel_stay",
                    "id": row["lsh"],
                    "time": row["rzsj"],
                    "hotel": row["lgdm"],
                    "hotel_name": row.get("lgmc", ""),
                    "id_number": row.get("zjhm"),
                    "name": row.get("xm", ""),
                    "room": row.get("fjh", ""),
                }
                events.append((row["rzsj"], raw))
    events.sort(key=lambda item: item[0])
    return [raw for _, raw in events]


def hotlist_entries(sources: Path) -> list[dict[str, Any]]:
    """Watchlist entries from the vehicle hotlist, the wanted-persons list, and — so that a fugitive's own
    car is watched too — the vehicles the traffic police's registry lists under a wanted person's ID."""
    entries = []
    hotlist = sources / "vehicle_hotlist.csv"
    if hotlist.exists():
        for row in _rows(hotlist):
            start = datetime.strptime(row["布控开始时间"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=_SHANGHAI)
            entries.append(
                {"kind": "vehicle", "value": row["号牌号码"], "reason": row["布控原因"], "reference": row["布控编号"],
                 "valid_from": start}
            )  # fmt: skip
    watched_plates = {e["value"] for e in entries}
    wanted = sources / "wanted_persons.csv"
    if wanted.exists():
        since = datetime(2000, 1, 1, tzinfo=UTC)  # the list gives no start: wanted since before any event
        for row in _rows(wanted):
            case = row["案件编号"]
            entries.append(
                {"kind": "person", "value": row["公民身份号码"], "reason": f"在逃人员（{case}）",
                 "reference": row["在逃人员编号"], "valid_from": since}
            )  # fmt: skip
            for plate, serial in _registered_vehicles(sources, row["公民身份号码"]):
                if plate not in watched_plates:
                    watched_plates.add(plate)
                    entries.append(
                        {"kind": "vehicle", "value": plate, "reason": f"在逃人员名下车辆（{case}）",
                         "reference": f"{row['在逃人员编号']}/{serial}", "valid_from": since}
                    )  # fmt: skip
    return entries


def _registered_vehicles(sources: Path, id_number: str) -> list[tuple[str, str]]:
    """(plate, registry serial) of the vehicles registered to ``id_number`` in the traffic database."""
    path = sources / "traffic_vehicles.sqlite"
    if not path.exists():
        return []
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT FZJG, HPHM, XH FROM vehicle WHERE SFZMHM = ? ORDER BY XH", (id_number,)).fetchall()
    # HPHM is the plate without its province character, which FZJG (the issuing office, e.g. 鄂A) starts with
    return [(f"{fzjg[:1]}{hphm}", str(xh)) for fzjg, hphm, xh in rows if fzjg and hphm]


def _shanghai():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


_SHANGHAI = _shanghai()
