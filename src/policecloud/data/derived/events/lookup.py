"""Event lookups by key: a plate's checkpoint passes, a person's hotel stays, a phone's 110 calls, in a time range.

``EventIndex`` reads the key index built by ``event_index``: for a key it opens the one file per month of the
key's hash bucket, keeps the row groups whose min/max statistics of the key (and of the time) can hold it,
and reads only those. File footers are cached, so a warm lookup reads a row group or two and nothing else.

The index is derived and may lag the warehouse. When it is missing, does not cover a table, or belongs to a
different warehouse, a lookup queries the warehouse directly (correct, slower) and says so: ``source`` is
``'warehouse'``. When batches were ingested after the last build, the index answers for what it holds and
only the new batches' files are scanned: ``source`` is ``'index+warehouse'``. Results are identical either way.

Time ranges are half-open, [start, end). Instant events match when their time is in the range; intervals
(hotel stays, internet sessions) when they overlap it (started before ``end``, ended at or after ``start``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from policecloud.data.derived.events.rows import EPOCH, concat, empty, micros, normalize_key, predicate, row_groups
from policecloud.data.derived.events.tables import (
    ALL_TIME,
    EVENT_TABLES,
    NO_MONTH,
    POINTER,
    EventTable,
    bucket_of,
    current_version,
    month_bounds,
    places_sql,
    quote,
    read_manifest,
)
from policecloud.data.model.vectorized import connect
from policecloud.platform.sql import ident

_FOREVER = dt.timedelta(days=365 * 1000)


@dataclass
class Lookup:
    """The events found, sorted by time, and how they were found."""

    table: pa.Table  # one row per event: record_key, the table's columns (and checkpoint name/lon/lat for passes)
    source: str  # 'index' | 'index+warehouse' | 'warehouse'
    note: str = ""  # why the warehouse was read, when it was
    files: int = 0  # index files opened
    row_groups: int = 0  # index row groups read
    row_groups_total: int = 0  # row groups in the index files opened
    warehouse_files: int = 0  # warehouse files scanned

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows


@dataclass
class _State:
    version_dir: Path | None
    manifest: dict[str, Any] | None
    stamp: tuple
    checkpoints: pa.Table | None = None


class EventIndex:
    """Lookups by key over the event key index at ``index_dir``, falling back to the warehouse."""

    def __init__(self, index_dir: str | Path, warehouse_dir: str | Path | None = None, timezone: str | None = None):
        self.index_dir = Path(index_dir)
        self._warehouse_dir = Path(warehouse_dir) if warehouse_dir is not None else None
        self._timezone = timezone
        self._state: _State | None = None
        self._footers: OrderedDict[str, pq.FileMetaData] = OrderedDict()
        self._records: dict[str, dict[str, Any]] = {}  # warehouse commit records are immutable
        self._listing: tuple[Any, list[str]] = (None, [])
        self._lock = threading.Lock()

    # --- the lookups officers make ------------------------------------------------------------------------
    def passes(self, plate: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Lookup:
        """A plate's checkpoint passes (its trajectory), with each checkpoint's name and coordinates."""
        return self.lookup("checkpoint_pass", plate, start, end)

    def hotel_stays(self, id_number: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Lookup:
        return self.lookup("hotel_stay", id_number, start, end)

    def internet_sessions(
        self, id_number: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> Lookup:
        return self.lookup("internet_session", id_number, start, end)

    def violations(self, plate: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Lookup:
        return self.lookup("traffic_violation", plate, start, end)

    def calls(self, phone: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Lookup:
        return self.lookup("call110", phone, start, end)

    def cell_measurements(
        self, device_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> Lookup:
        return self.lookup("cell_measurement", device_id, start, end)

    def lookup(self, table: str, key: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Lookup:
        """Events of ``table`` with this key in [start, end) (naive times are in the index's time zone)."""
        if table not in EVENT_TABLES:
            raise KeyError(f"no key lookups for {table!r}; tables: {', '.join(EVENT_TABLES)}")
        spec = EVENT_TABLES[table]
        start, end = self._aware(start), self._aware(end)
        for attempt in range(2):
            try:
                return self._lookup(spec, normalize_key(spec, key), start, end)
            except FileNotFoundError:  # a rebuild or compaction removed a file after we read the manifest
                if attempt:
                    raise
                self._state = None
        raise AssertionError("unreachable")

    def _aware(self, value: dt.datetime | dt.date | None) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(self.timezone))

    # --- state ------------------------------------------------------------------------------------------
    @property
    def warehouse_dir(self) -> Path | None:
        if self._warehouse_dir is not None:
            return self._warehouse_dir
        manifest = self._current().manifest
        return Path(manifest["warehouse"]) if manifest else None

    @property
    def timezone(self) -> str:
        manifest = self._current().manifest
        return self._timezone or (manifest["timezone"] if manifest else "Asia/Shanghai")

    def _current(self) -> _State:
        """The live version and its manifest, re-read when the pointer or the manifest changed."""
        stamp = (_mtime(self.index_dir / POINTER),)
        state = self._state
        if state is not None and state.version_dir is not None:
            stamp += (_mtime(state.version_dir / "manifest.json"),)
        if state is not None and state.stamp == stamp:
            return state
        version_dir = current_version(self.index_dir)
        manifest = read_manifest(version_dir) if version_dir else None
        stamp = (_mtime(self.index_dir / POINTER),)
        if version_dir is not None:
            stamp += (_mtime(version_dir / "manifest.json"),)
        self._state = _State(version_dir, manifest, stamp)
        return self._state

    def _warehouse_batches(self) -> list[str]:
        """Committed warehouse batches, listed again only when the commit directory changed."""
        wdir = self.warehouse_dir
        stamp = (wdir, _mtime(wdir / "_batches")) if wdir is not None else None
        if stamp is None or not stamp[1]:
            return []
        if self._listing[0] != stamp:
            names = sorted(n[: -len(".json")] for n in os.listdir(wdir / "_batches") if n.endswith(".json"))
            self._listing = (stamp, names)
        return self._listing[1]

    def _record(self, batch_id: str) -> dict[str, Any]:
        record = self._records.get(batch_id)
        if record is None:
            assert self.warehouse_dir is not None
            with open(self.warehouse_dir / "_batches" / f"{batch_id}.json", encoding="utf-8") as handle:
                full = json.load(handle)
            record = self._records[batch_id] = {"files": full["files"], "seq": full["seq"]}
        return record

    def _files_of(self, batch_id: str) -> dict[str, list[str]]:
        return self._record(batch_id)["files"]

    def status(self) -> dict[str, dict[str, Any]]:
        """Per table: indexed rows and files, the layout, and how many warehouse batches are not indexed yet."""
        state = self._current()
        out: dict[str, dict[str, Any]] = {}
        for name in EVENT_TABLES:
            entry = (state.manifest or {}).get("tables", {}).get(name)
            pending = self._pending(name, entry)
            out[name] = {
                "indexed": entry is not None,
                "rows": entry["rows"] if entry else 0,
                "files": len(entry["files"]) if entry else 0,
                "buckets": entry["buckets"] if entry else None,
                "grain": entry.get("grain") if entry else None,
                "pending_batches": None if pending is None else len(pending),
            }
        return out

    def _pending(self, table: str, entry: dict[str, Any] | None) -> dict[str, list[str]] | None:
        """Warehouse files of ``table`` in batches the index has not seen; None when the index cannot be used."""
        if entry is None:
            return None
        known = set(entry["batches"])
        present = self._warehouse_batches()
        if not known <= set(present):
            return None  # the warehouse was replaced: the index describes another one
        return {b: fs for b in present if b not in known and (fs := self._files_of(b).get(table))}

    # --- reading ----------------------------------------------------------------------------------------
    def _lookup(self, spec: EventTable, key: str, start, end) -> Lookup:
        state = self._current()
        entry = (state.manifest or {}).get("tables", {}).get(spec.name)
        pending = self._pending(spec.name, entry)
        if pending is None or state.version_dir is None:
            files = self._all_warehouse_files(spec.name)
            note = "no event index" if state.manifest is None else f"the event index does not cover {spec.name}"
            if state.manifest is not None and entry is not None:
                note = "the event index was built from another warehouse"
            found = self._scan_warehouse(spec, files, key, start, end)
            return self._finish(spec, Lookup(found, "warehouse", note, warehouse_files=len(files)), fresh=True)
        result = self._read_index(state.version_dir, entry, spec, key, start, end)
        if pending:
            files = [f for fs in pending.values() for f in fs]
            result.table = concat([result.table, self._scan_warehouse(spec, files, key, start, end)])
            result.source, result.warehouse_files = "index+warehouse", len(files)
            result.note = f"{len(pending)} batch(es) ingested after the last index build"
        return self._finish(spec, result, fresh=False)

    def _read_index(self, version_dir: Path, entry, spec: EventTable, key: str, start, end) -> Lookup:
        bounded = start is not None or end is not None
        reach = dt.timedelta(seconds=entry["max_duration_s"])  # an interval may start this long before `start`
        lo, hi = (start or EPOCH - _FOREVER) - reach, end or EPOCH + _FOREVER
        bucket = bucket_of(key, entry["buckets"])
        chosen = [
            f for f in entry["files"] if f["bucket"] == bucket and self._month_matches(f["month"], lo, hi, bounded)
        ]
        key_bytes, low, high = key.encode("utf-8"), micros(lo), micros(hi)
        parts, read, total = [], 0, 0
        for f in chosen:
            path = version_dir / f["path"]
            meta = self._footer(path)
            total += meta.num_row_groups
            groups = row_groups(meta, spec, key_bytes, low, high, bounded)
            if groups:
                read += len(groups)
                parts.append(pq.ParquetFile(path, metadata=meta).read_row_groups(groups))
        if not parts:  # nothing found: still the table's columns
            first = version_dir / entry["files"][0]["path"] if entry["files"] else None
            parts = [self._footer(first).schema.to_arrow_schema().empty_table()] if first else [empty(spec)]
        table = concat(parts)
        table = table.filter(predicate(table, spec, key, start, end))
        return Lookup(table, "index", files=len(chosen), row_groups=read, row_groups_total=total)

    def _month_matches(self, month: str, lo: dt.datetime, hi: dt.datetime, bounded: bool) -> bool:
        if month == ALL_TIME:
            return True
        if month == NO_MONTH:  # events without a time are found only by lookups without a time range
            return not bounded
        first, after = month_bounds(month, self.timezone)
        return first < hi and after > lo

    def _footer(self, path: Path) -> pq.FileMetaData:
        """A file's footer (row-group statistics), cached: index files never change once listed."""
        name = str(path)
        with self._lock:
            meta = self._footers.get(name)
            if meta is not None:
                self._footers.move_to_end(name)
                return meta
        meta = pq.read_metadata(path)
        with self._lock:
            self._footers[name] = meta
            if len(self._footers) > 2048:
                self._footers.popitem(last=False)
        return meta

    def _all_warehouse_files(self, table: str) -> list[str]:
        return [f for b in self._warehouse_batches() for f in self._files_of(b).get(table, ())]

    def _scan_warehouse(self, spec: EventTable, files: list[str], key: str, start, end) -> pa.Table:
        if not files:
            return empty(spec)
        assert self.warehouse_dir is not None
        listed = ", ".join(quote(self.warehouse_dir / f) for f in files)
        source = f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"
        where, params = [f"{ident(spec.key)} = ?"], [key]
        if end is not None:
            where.append(f"{ident(spec.time)} < ?")
            params.append(end)
        if start is not None:
            where.append(f"coalesce({ident(spec.end or spec.time)}, {ident(spec.time)}) >= ?")
            params.append(start)
        con = connect()
        try:
            query = f"SELECT COLUMNS(lambda c: c NOT IN ('day')) FROM {source} WHERE {' AND '.join(where)}"
            return con.sql(query, params=params).to_arrow_table()
        finally:
            con.close()

    def _finish(self, spec: EventTable, result: Lookup, fresh: bool) -> Lookup:
        """Sort by time, present times in the index's time zone, add the record key and checkpoint places.

        A record without an id of its own is stored with a NULL ``id`` and read as its record key, as the
        warehouse's views read it."""
        order = [(spec.time, "ascending"), ("batch", "ascending"), ("row", "ascending")]
        table = result.table.sort_by(order)
        zone = pa.timestamp("us", tz=self.timezone)
        for name in spec.time_columns:
            if name in table.column_names:
                table = table.set_column(table.schema.get_field_index(name), name, table[name].cast(zone))
        keys = pc.binary_join_element_wise(table["batch"], pc.cast(table["row"], pa.string()), ":")
        table = table.add_column(0, "record_key", keys)
        if "id" in table.column_names:
            ids = pc.coalesce(table["id"].cast(pa.string()), keys)
            table = table.set_column(table.schema.get_field_index("id"), "id", ids)
        else:
            table = table.append_column("id", keys)
        if spec.name == "checkpoint_pass":
            table = self._with_places(table, fresh)
        result.table = table
        return result

    def _with_places(self, table: pa.Table, fresh: bool) -> pa.Table:
        places = self._places(fresh)
        at = pc.index_in(table["checkpoint_id"], value_set=places["checkpoint_id"])
        for name in ("checkpoint_name", "lon", "lat"):
            table = table.append_column(name, places[name].take(at))
        return table

    def _places(self, fresh: bool) -> pa.Table:
        """Checkpoint coordinates: from the index when it has them and is current, else from the warehouse."""
        state = self._current()
        info = (state.manifest or {}).get("checkpoints")
        if not fresh and info and state.version_dir is not None and self._pending("checkpoint", info) == {}:
            if state.checkpoints is None:
                state.checkpoints = pq.read_table(state.version_dir / info["path"])
            return state.checkpoints
        files = self._all_warehouse_files("checkpoint")
        if not files:
            return pa.table({n: pa.array([], t) for n, t in _PLACE_TYPES.items()})
        assert self.warehouse_dir is not None
        seq = {b: self._record(b)["seq"] for b in self._warehouse_batches()}
        con = connect()
        try:
            return con.sql(places_sql(self.warehouse_dir, files, seq)).to_arrow_table()
        finally:
            con.close()


_PLACE_TYPES = {"checkpoint_id": pa.string(), "checkpoint_name": pa.string(), "lon": pa.float64(), "lat": pa.float64()}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0
