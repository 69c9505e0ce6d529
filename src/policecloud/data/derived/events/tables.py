"""What the event key index holds, and how it is laid out on disk.

The index is a derived, disposable copy of the warehouse's event tables, sorted by the key officers look
events up by (a plate, an ID number, a phone) so that one lookup touches one or a few small row groups::

    <index_dir>/current.json                     {"version": "v…"}: the live version, replaced atomically
    <index_dir>/v<stamp>/manifest.json           files, indexed warehouse batches, build history
    <index_dir>/v<stamp>/<table>/month=YYYY-MM/bucket=NNN/<build>.parquet   sorted by (key, time, batch, row)
    <index_dir>/v<stamp>/checkpoints-<build>.parquet                         checkpoint coordinates
    <index_dir>/_lock, <index_dir>/_tmp/        one builder at a time; DuckDB spill and staging files

Months are calendar months of the event time in the index's time zone (a table too small to be worth
splitting by time has the one partition ``month=all``); a key's bucket is a portable hash (the first 32 bits
of its MD5, the same in DuckDB SQL and in Python) modulo the table's bucket count. Both are chosen when a
table is first indexed, from its size, and kept until a rebuild.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from policecloud.platform.durable import VersionedDir, file_lock
from policecloud.platform.sql import literal as quote

FORMAT = 1
MANIFEST = "manifest.json"
POINTER = "current.json"
NO_MONTH = "none"  # partition of rows without an event time
ALL_TIME = "all"  # the one time partition of a table indexed without a time grain


@dataclass(frozen=True)
class EventTable:
    """A warehouse event table and the key it is looked up by."""

    name: str
    key: str  # the lookup column
    time: str  # the event time; the start of an interval
    end: str | None = None  # the end of an interval (stays, sessions): lookups find overlapping intervals
    key_type: str | None = None  # element type that normalizes a looked-up key (plate, id_number, phone)

    @property
    def time_columns(self) -> tuple[str, ...]:
        return (self.time, self.end) if self.end else (self.time,)


EVENT_TABLES: dict[str, EventTable] = {
    t.name: t
    for t in (
        EventTable("checkpoint_pass", "plate", "time", key_type="plate"),
        EventTable("hotel_stay", "id_number", "start", "end", key_type="id_number"),
        EventTable("internet_session", "id_number", "start", "end", key_type="id_number"),
        EventTable("traffic_violation", "plate", "time", key_type="plate"),
        EventTable("call110", "caller_phone", "time", key_type="phone"),
        # The monitoring device's number (the sources' msisdn): the only key a measurement has.
        EventTable("cell_measurement", "device_id", "time"),
    )
}
DROPPED_COLUMNS = ("day",)  # warehouse partition columns derived from the time: not copied


# --- partitioning: the same function in SQL (build) and Python (lookup) ------------------------------------
def bucket_sql(key_sql: str, buckets: int) -> str:
    if buckets <= 1:
        return "0"
    return f"CAST(CAST('0x' || substr(md5({key_sql}), 1, 8) AS UBIGINT) % {buckets} AS INTEGER)"


def bucket_of(key: str, buckets: int) -> int:
    if buckets <= 1:
        return 0
    return int(hashlib.md5(key.encode("utf-8")).hexdigest()[:8], 16) % buckets


def month_sql(time_sql: str, timezone: str, grain: str) -> str:
    if grain == ALL_TIME:
        return f"'{ALL_TIME}'"
    return f"coalesce(strftime(timezone({quote(timezone)}, {time_sql}), '%Y-%m'), '{NO_MONTH}')"


def month_bounds(month: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [first, after) that month 'YYYY-MM' spans in ``timezone``."""
    zone = ZoneInfo(timezone)
    year, number = int(month[:4]), int(month[5:7])
    first = dt.datetime(year, number, 1, tzinfo=zone)
    after = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return first, after


def layout_for(rows: int, months: int, target_rows: int) -> tuple[str, int]:
    """The time grain ('month', or 'all' for a table too small to split by time) and the bucket count (a power
    of two, at most 256) that give files of about ``target_rows`` rows."""
    if rows <= target_rows:
        return ALL_TIME, 1
    buckets, per_month = 1, rows / max(months, 1)
    while buckets < 256 and per_month / buckets > target_rows:
        buckets *= 2
    return "month", buckets


def places_sql(root: Path, files: Sequence[str], seq: Mapping[str, int]) -> str:
    """The checkpoint registry's latest row per code (by commit order ``seq``), its location as lon/lat."""
    listed = ", ".join(quote(root / f) for f in files)
    order = ", ".join(f"({quote(b)}, {int(n)})" for b, n in seq.items()) or "(NULL, 0)"
    return (
        "SELECT code AS checkpoint_id, name AS checkpoint_name, "
        "TRY_CAST(split_part(location, ',', 1) AS DOUBLE) AS lon, "
        "TRY_CAST(split_part(location, ',', 2) AS DOUBLE) AS lat "
        f"FROM read_parquet([{listed}], hive_partitioning = true, union_by_name = true) "
        f"JOIN (VALUES {order}) AS o(batch, seq) USING (batch) WHERE code IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY code ORDER BY seq DESC, row DESC) = 1 ORDER BY code"
    )


# --- versions and the manifest ----------------------------------------------------------------------------
def versions(index_dir: Path) -> VersionedDir:
    """The index's versions (``v…`` directories) and its pointer ``current.json`` = ``{"version": …}``."""
    return VersionedDir(Path(index_dir), key="version", prefix="v", pointer_name=POINTER)


def current_version(index_dir: Path) -> Path | None:
    """The live version directory, or None when no index was ever published."""
    path = versions(index_dir).live()
    return path if path is not None and (path / MANIFEST).exists() else None


def read_manifest(version_dir: Path) -> dict[str, Any]:
    with open(version_dir / MANIFEST, encoding="utf-8") as handle:
        return json.load(handle)


def new_manifest(version: str, warehouse_dir: Path, timezone: str, row_group_size: int) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": version,
        "warehouse": str(warehouse_dir.resolve()),
        "timezone": timezone,
        "row_group_size": row_group_size,
        "batches": [],
        "tables": {},
        "checkpoints": None,
        "builds": [],
    }


def publish(index_dir: Path, version_dir: Path) -> None:
    """Make ``version_dir`` the live version (one atomic rename), then delete the versions it replaces."""
    store = versions(index_dir)
    store.publish(version_dir)
    store.prune()


def builder_lock(index_dir: Path) -> AbstractContextManager[None]:
    """One builder of the event index at a time."""
    return file_lock(index_dir / "_lock")


def default_index_dir(data_dir: Path) -> Path:
    """Where the platform keeps the event key index: ``<data_dir>/event_index``."""
    return Path(data_dir) / "event_index"
