"""Where dossiers read from, and who is reading.

``DossierSource`` holds one DuckDB connection over the published master data (and the warehouse it was built
from) and hands out a cursor per request; when a new resolution run is published it opens the new one. The
event key index (checkpoint passes, …) is read through :class:`~policecloud.data.derived.events.lookup.EventIndex`,
which falls back to the warehouse by itself when the index is missing or stale.

Lookups of links by entity and by record go through the views ``links_e`` and ``links_r``: sorted copies of the
links when they were built (``link_index``), the plain ``links`` otherwise.

``Viewer`` is the reader as the dossier sees them: the jurisdiction code prefixes they may see (applied in SQL
on an entity's ``county``) and the sensitive fields they may see unmasked. Entities without a county (phones:
a number is not bound to a place) are visible to province-wide scopes only.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from policecloud.data.derived.events.tables import default_index_dir
from policecloud.data.resolve.master import Master, MasterMissing, current_run, open_master
from policecloud.platform.access.jurisdiction import JurisdictionScope
from policecloud.platform.access.masking import MASKERS
from policecloud.platform.sql import literal as quote

ENTITY_ID = re.compile(r"[PVOTHA][0-9a-f]{16}")
ENTITY_TYPES = {"P": "person", "V": "vehicle", "O": "organization", "T": "phone", "H": "house", "A": "address"}
_PREFIX = re.compile(r"\d{1,9}")
MAX_ROWS_LISTED = 20_000  # per batch; beyond, the whole batch is read
_ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{15}")

# Warehouse columns and statement properties holding a sensitive value, and which masked field they are.
SENSITIVE = {
    "id_number": "id_number",
    "owner_id": "id_number",
    "legal_representative_id_number": "id_number",
    "phone": "phone",
    "caller_phone": "phone",
    "number": "phone",
    "address": "address",
    "registered_address": "address",
    "current_address": "address",
    "place": "address",
}
# The field an entity's caption and key are, by entity type (None: shown as is).
CAPTION_FIELD = {"phone": "phone", "house": "address", "address": "address"}
KEY_FIELD = {"person": "id_number", "phone": "phone"}


@dataclass(frozen=True)
class Viewer:
    """Whose eyes: jurisdiction prefixes (GB/T 2260 code prefixes) and the sensitive fields shown in clear."""

    prefixes: tuple[str, ...]
    unmasked: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        bad = [p for p in self.prefixes if not _PREFIX.fullmatch(p)]
        if bad:
            raise ValueError(f"not jurisdiction prefixes: {bad}")

    @property
    def province_wide(self) -> bool:
        return any(len(p) <= 2 for p in self.prefixes)

    def scope_sql(self, column: str) -> str:
        """A SQL condition keeping rows whose ``column`` (a county code) lies in this viewer's jurisdiction."""
        return JurisdictionScope(tuple(self.prefixes)).duckdb_sql(column, unknown_inside=self.province_wide)

    def covers(self, county: str | None) -> bool:
        if county is None:
            return self.province_wide
        return any(county.startswith(p) for p in self.prefixes)

    def mask(self, field: str | None, value: Any) -> Any:
        """``value`` masked as the sensitive field ``field`` unless this viewer may see it."""
        if field is None or field in self.unmasked or not isinstance(value, str) or not value:
            return value
        if field == "id_number" and not _ID_NUMBER.fullmatch(value):
            return value  # an owner key that is a credit code, not a person's number
        return MASKERS[field](value)

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A record with every sensitive column masked for this viewer."""
        return {k: self.mask(SENSITIVE.get(k), v) for k, v in row.items()}

    def entity(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """An entity row (entity_id, entity_type, caption, key, …) with caption and key masked as needed."""
        out = dict(row)
        kind = out.get("entity_type")
        out["caption"] = self.mask(CAPTION_FIELD.get(kind), out.get("caption"))
        out["key"] = self.mask(KEY_FIELD.get(kind), out.get("key"))
        return out

    @property
    def unmasked_fields(self) -> list[str]:
        return sorted(self.unmasked & MASKERS.keys())


def plain(value: Any) -> Any:
    """A value as JSON can carry it: times as ISO 8601 (with offset), decimals as floats."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def fetch_dicts(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    result = cur.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def rows_where(keys: Iterable[str], alias: str = "") -> str:
    """A condition selecting warehouse rows by record key (``batch:row``) that Parquet statistics can prune on:
    files by batch, row groups by row number (rows are stored in ingest order)."""
    rows: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        batch, _, row = key.rpartition(":")
        rows[batch].add(int(row))
    dot = f"{alias}." if alias else ""
    parts = [
        f"({dot}batch = {quote(batch)} AND {dot}row IN ({', '.join(map(str, sorted(found)))}))"
        if len(found) <= MAX_ROWS_LISTED
        else f"{dot}batch = {quote(batch)}"
        for batch, found in sorted(rows.items())
    ]
    return "(" + " OR ".join(parts) + ")" if parts else "false"


def linked_keys(cur: duckdb.DuckDBPyConnection, entity_id: str) -> dict[str, list[str]]:
    """Per warehouse table, the record keys of the entity's records."""
    rows = cur.execute(
        "SELECT table_name, list(DISTINCT record_key ORDER BY record_key) FROM links_e WHERE entity_id = ? "
        "AND table_name IS NOT NULL GROUP BY 1",
        [entity_id],
    ).fetchall()
    return dict(rows)


def relations_of(cur: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Every view and table on the connection with its columns (to degrade when a table or column is absent)."""
    rows = cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    ).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


class DossierSource:
    """The published master data and the event index of one data directory."""

    def __init__(
        self,
        data_dir: Path,
        warehouse_dir: Path | None = None,
        index_dir: Path | None = None,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.warehouse_dir = Path(warehouse_dir or self.data_dir / "warehouse")
        self.index_dir = Path(index_dir or default_index_dir(self.data_dir))
        self.timezone = timezone
        self._lock = threading.Lock()
        self._events_lock = threading.Lock()
        self._run: str | None = None
        self._master: Master | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._tables: dict[str, set[str]] = {}
        self._linked: dict[str, Path] = {}
        self._events = None

    def _open(self) -> tuple[duckdb.DuckDBPyConnection, dict[str, set[str]]]:
        from policecloud.data.derived.links import attach_link_views, index_files

        run = current_run(self.data_dir)
        with self._lock:
            if run is None:
                raise MasterMissing(self.data_dir)
            if run != self._run or self._con is None:
                master = open_master(self.data_dir, self.warehouse_dir)
                con = master.connect()
                self._linked = attach_link_views(con, self.data_dir, run)
                self._tables = relations_of(con)
                self._master, self._con, self._run = master, con, run
            elif index_files(self.data_dir, run).keys() != self._linked.keys():  # the sorted links were (re)built
                self._linked = attach_link_views(self._con, self.data_dir, run)
            return self._con, self._tables

    @property
    def run_id(self) -> str | None:
        return self._run

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own (one per request; DuckDB cursors may run in parallel threads)."""
        con, _ = self._open()
        cur = con.cursor()
        cur.execute(f"SET TimeZone = {quote(self.timezone)}")
        try:
            yield cur
        finally:
            cur.close()

    def tables(self) -> dict[str, set[str]]:
        """Views of the current connection (warehouse and master tables) and their columns."""
        return self._open()[1]

    def passes(self, plate: str, start: dt.datetime | None = None, end: dt.datetime | None = None):
        """A plate's checkpoint passes from the event index (which falls back to the warehouse when it is missing
        or stale). One lookup at a time: the index reader caches file footers and is not made for threads."""
        from policecloud.data.derived.events.lookup import EventIndex

        with self._events_lock:
            if self._events is None:
                self._events = EventIndex(self.index_dir, self.warehouse_dir, self.timezone)
            return self._events.passes(plate, start, end)

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con, self._run, self._master = None, None, None
