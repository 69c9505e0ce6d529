"""Accepted events reach the warehouse: each sealed segment of the event log becomes one warehouse batch.

The batch id is the segment's (``events-<first offset>``), so copying a segment twice — after a crash
between the warehouse commit and anything else — adds nothing. Lineage columns: ``source`` (``live``),
``batch`` (the batch id) and ``row`` (the event's offset in the log).

The files are laid out as ingestion lays out the same tables, ``<table>/source=live/day=<day>/`` (the
warehouse refuses any other layout: one file without ``source=`` beside ingestion's made every read of the
table fail).

The copy runs next to the live stream in the same server: it gets a DuckDB connection limited to one thread,
so a segment's copy (a few hundred ms of CPU at 50 000 events) leaves the other core to intake, processing
and push instead of stalling them — it was a visible bump in the alert latency every sealed segment.
"""

from __future__ import annotations

import logging
from pathlib import Path

from policecloud.apps.alerts.bus import LocalLogBus
from policecloud.data.model.vectorized import connect
from policecloud.data.warehouse import Warehouse
from policecloud.platform.sql import literal as _literal

log = logging.getLogger(__name__)
SOURCE = "live"  # the partition and lineage value of every event that came through the live intake
PARTITIONS = ["source", "day"]  # the layout ingestion gives the event tables
# What the intake keeps of each event (alerts/intake.py), as read back from the log.
_COMMON = {"id": "VARCHAR", "kind": "VARCHAR", "time": "TIMESTAMPTZ", "place": "VARCHAR", "county": "VARCHAR"}
_FIELDS = {
    "checkpoint_pass": {"plate": "VARCHAR", "plate_color": "VARCHAR", "direction": "INTEGER", "speed": "INTEGER"},
    "hotel_stay": {
        "place_name": "VARCHAR",
        "id_number": "VARCHAR",
        "name": "VARCHAR",
        "phone": "VARCHAR",
        "room": "VARCHAR",
    },
    "camera_detection": {"object": "VARCHAR", "plate": "VARCHAR", "color": "VARCHAR"},
}


def _code_map(column: str, codes: dict[str, str]) -> str:
    cases = " ".join(f"WHEN {_literal(code)} THEN {_literal(value)}" for code, value in codes.items())
    return f"CASE CAST({column} AS VARCHAR) {cases} END"


# The GA codes checkpoint gateways send, as the checkpoint mappings translate them (mappings/checkpoint_passes*.yaml).
_DIRECTION = {"1": "westbound", "2": "eastbound", "3": "northbound", "4": "southbound"}
_PLATE_COLOR = {"0": "white", "1": "yellow", "2": "blue", "3": "black", "5": "green", "6": "yellow_green"}
# Each table's columns as ingestion lands the same table (the standard model's properties, same names and types):
# readers of a table (the event index, resolution, dossiers) then find the same columns in every batch — the
# sink's own names (``place``, ``time`` for a stay) once made the event index refuse the table.
TABLES: dict[str, dict[str, str]] = {
    "checkpoint_pass": {
        "time": '"time"',
        "checkpoint_id": "place",
        "plate": "plate",
        "plate_color": _code_map("plate_color", _PLATE_COLOR),
        "direction": _code_map("direction", _DIRECTION),
        "speed": "CAST(speed AS DOUBLE)",
    },
    "hotel_stay": {
        "start": '"time"',
        "end": "CAST(NULL AS TIMESTAMPTZ)",  # a check-in: the check-out is not known yet
        "id_number": "id_number",
        "name": "name",
        "hotel_id": "place",
        "room": "room",
    },
    "camera_detection": {
        "time": '"time"',
        "camera_id": "place",
        "object": "object",
        "plate": "plate",
        "color": "color",
    },
}


def segment_query(path: Path, start: int, batch_id: str, kind: str) -> str:
    columns = {**_COMMON, **_FIELDS[kind]}
    spec = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in columns.items()) + "}"
    fields = ", ".join(f'{expression} AS "{name}"' for name, expression in TABLES[kind].items())
    return (
        f"SELECT id, {fields}, CAST(\"time\" AT TIME ZONE 'Asia/Shanghai' AS DATE) AS day, "
        f"{_literal(SOURCE)} AS source, {_literal(batch_id)} AS batch, row FROM ("
        f"SELECT *, {start - 1} + row_number() OVER () AS row FROM read_json({_literal(str(path))}, "
        f"format='newline_delimited', columns={spec})) WHERE kind = {_literal(kind)}"
    )


_FORMER = "place"  # a column only the sink's former batches have (its own names, before issue 13)
_upgraded: set[str] = set()  # warehouse roots whose former batches this process has already rewritten


def upgrade_former_batches(warehouse: Warehouse) -> list[str]:
    """Rewrite the live batches written with the sink's former column names to the ingested tables' names
    (the same projection as :func:`segment_query`, over the old files); returns the batch ids rewritten.

    Done once per process and warehouse, at the first flush, and by ``policecloud warehouse repair``: a
    warehouse the old sink wrote is then read like any other (the event index refused its ``hotel_stay``).
    """
    import pyarrow.parquet as pq

    rewritten = []
    for info in list(warehouse.batches()):
        if info.meta.get("source") != SOURCE:
            continue
        for table, names in info.files.items():
            if table in TABLES and names and _FORMER in pq.read_schema(Path(warehouse.root) / names[0]).names:
                fields = ", ".join(f'{expression} AS "{name}"' for name, expression in TABLES[table].items())
                warehouse.rewrite(info.batch_id, table, f"id, {fields}, batch, row")
                rewritten.append(info.batch_id)
    return sorted(set(rewritten))


def flush_sealed(bus: LocalLogBus, warehouse: Warehouse) -> list[str]:
    """Copy every sealed segment not yet in the warehouse; returns the batch ids written."""
    root = str(Path(warehouse.root).resolve())
    if root not in _upgraded:
        _upgraded.add(root)  # tried once: a batch that cannot be rewritten must not stop the copies below
        try:
            upgrade_former_batches(warehouse)
        except Exception:
            log.exception("rewriting the sink's former batches failed; `policecloud warehouse repair` retries")
    written = []
    pending = [(s, c) for s, c in bus.sealed_segments() if not warehouse.is_committed(f"events-{s:012d}")]
    if not pending:
        return written
    con = connect()
    try:
        con.execute("SET threads = 1")  # leave the other core to the live stream
        for start, _count in pending:
            batch_id = f"events-{start:012d}"
            path = bus.segment_path(start)
            with warehouse.batch(batch_id, {"source": SOURCE, "segment": path.name}, con=con) as batch:
                for kind in TABLES:
                    batch.write(kind, segment_query(path, start, batch_id, kind), partition_by=PARTITIONS)
            written.append(batch_id)
    finally:
        con.close()
    return written


def repair_notes(warehouse: Warehouse) -> list[str]:
    """The ``warehouse_repaired`` hook: the live sink's former batches, columns renamed as ingestion names them."""
    return [f"live batch {b}: columns renamed as ingestion names them" for b in upgrade_former_batches(warehouse)]
