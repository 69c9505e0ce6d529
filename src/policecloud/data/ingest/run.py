"""Ingesting one source: read each unit, standardize, commit records + quarantine + stats as one batch.

The batch id is a fingerprint of the mapping text and the input bytes, so ingesting the same file again
adds nothing; the three tables of a batch become visible together (see ``policecloud.data.warehouse``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from policecloud.data.ingest import readers
from policecloud.data.ingest.mapping import SourceMapping
from policecloud.data.ingest.standardize import Standardized, lit, q, standardize
from policecloud.data.model.vectorized import connect
from policecloud.data.warehouse import Warehouse

QUARANTINE_TABLE = "quarantine"
STATS_TABLE = "ingest_stats"
NO_CHECKPOINT = "1000 GB"


@dataclass
class UnitReport:
    """The reconciliation of one unit: rows read = rows landed + rows quarantined, always."""

    source: str
    unit: str
    batch_id: str
    skipped: bool = False
    rows_read: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    values_quarantined: int = 0
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)  # reason → count, most frequent first
    fill_rates: dict[str, float] = field(default_factory=dict)
    replaces: list[str] = field(default_factory=list)  # earlier batches of the same unit this one superseded

    @property
    def reconciled(self) -> bool:
        return self.rows_read == self.rows_landed + self.rows_quarantined

    def as_dict(self) -> dict:
        return asdict(self) | {"reconciled": self.reconciled}


def fingerprint(mapping: SourceMapping, unit: readers.Unit, sources_dir: Path) -> str | None:
    """The batch id of a file (or SQLite database file): the mapping text and the bytes. None for another
    database, whose rows are fingerprinted once read (:func:`rows_fingerprint`)."""
    digest = hashlib.sha256(mapping.text.encode())
    path = unit.path
    url = mapping.reader.url or ""
    if path is None and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///").replace("{sources}", str(sources_dir)))
        digest.update(f"{mapping.reader.table}|{mapping.reader.query}".encode())
    if path is None:
        return None
    buffer = bytearray(1 << 22)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])
    return f"{mapping.source}-{digest.hexdigest()[:24]}"


def rows_fingerprint(con, mapping: SourceMapping) -> str:
    """The batch id of rows already read into ``src``: the mapping text, the row count and a hash of every row
    (with its position), so the same table read again is the same batch and any changed row a new one."""
    count, rows_hash = con.execute("SELECT count(*), coalesce(bit_xor(hash(s)), 0) FROM src AS s").fetchall()[0]
    digest = hashlib.sha256(f"{mapping.text}|{count}|{rows_hash}".encode())
    return f"{mapping.source}-{digest.hexdigest()[:24]}"


def _needed_columns(mapping: SourceMapping) -> list[str]:
    seen: dict[str, None] = {}
    for f in mapping.fields:
        if not f.join:
            for column in f.source_columns():
                seen.setdefault(column, None)
    for join in (mapping.reader.joins or {}).values():
        for local in join["on"]:
            seen.setdefault(local, None)
    return list(seen)


def _day_property(mapping: SourceMapping, schema) -> str | None:
    if "date" not in mapping.partition_by:
        return None
    start = schema.get(mapping.entity).temporal.get("start")
    return start if start in {f.prop for f in mapping.fields} else None


def ingest_unit(
    warehouse: Warehouse,
    mapping: SourceMapping,
    unit: readers.Unit,
    sources_dir: Path,
    schema,
    clock: Callable[[], dt.datetime] | None = None,
) -> UnitReport:
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    report = UnitReport(mapping.source, unit.label, "")
    con = connect()
    # The unit's tables live only as long as this connection: an automatic checkpoint would compress them all
    # (src included) at the commit of some later small table, several seconds spent on nothing.
    con.execute(f"SET checkpoint_threshold = '{NO_CHECKPOINT}'")
    try:
        with tempfile.TemporaryDirectory(prefix="pc-ingest-") as tmp, ThreadPoolExecutor(1) as pool:
            # The file is hashed (its batch id) while DuckDB reads it; a batch already committed stops the read.
            hashing = pool.submit(fingerprint, mapping, unit, sources_dir)
            hashing.add_done_callback(lambda done: _stop_if_committed(done, warehouse, con))
            try:
                readers.open_unit(con, mapping, unit, _needed_columns(mapping), Path(tmp), sources_dir)
            except readers.ReadError:
                if not _committed(hashing.result(), warehouse):
                    raise
            batch_id = report.batch_id = hashing.result() or ""
            if _committed(batch_id, warehouse):
                report.skipped = True
                return report
            if not batch_id:
                batch_id = report.batch_id = rows_fingerprint(con, mapping)
                if warehouse.is_committed(batch_id):
                    report.skipped = True
                    return report
            _load_joins(con, mapping, sources_dir, Path(tmp))
            day = _day_property(mapping, schema)
            unit_std = standardize(con, mapping, day)
            _measure(unit_std, report)
            partition = ["source", "day"] if day else ["source"]
            meta = {"source": mapping.source, "unit": unit.label}
            # The same unit ingested again with another mapping or other content replaces its earlier batch:
            # a corrected file, a database read again, a mapping that now maps one more column.
            earlier = [
                b.batch_id
                for b in warehouse.batches()
                if b.meta.get("source") == mapping.source and b.meta.get("unit") == unit.label
            ]
            # Everything that depends on the file's order is done; the writers may now work in any order.
            con.execute("SET preserve_insertion_order = false")
            report.replaces = earlier
            with warehouse.batch(batch_id, meta=meta, con=con, supersedes=earlier) as batch:
                landed = batch.write(mapping.table, unit_std.records_sql(batch_id, day), partition_by=partition)
                report.fill_rates = _fill_rates(unit_std, report.rows_landed, batch.null_counts(mapping.table))
                batch.write(QUARANTINE_TABLE, unit_std.quarantine_sql(batch_id), partition_by=["source"])
                batch.write(STATS_TABLE, _stats_sql(report, unit, now()), partition_by=["source"])
            if landed != report.rows_landed:
                raise RuntimeError(f"{mapping.source}: wrote {landed} rows, expected {report.rows_landed}")
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


def _committed(batch_id: str | None, warehouse: Warehouse) -> bool:
    return bool(batch_id) and warehouse.is_committed(batch_id)


def _stop_if_committed(hashing: Future, warehouse: Warehouse, con) -> None:
    if hashing.exception() is None and _committed(hashing.result(), warehouse):
        con.interrupt()


def _load_joins(con, mapping: SourceMapping, sources_dir: Path, workdir: Path) -> None:
    """Each join of the reader becomes a lookup table ``join_<name>``, first row per key (no fan-out).

    ``where: {column: value}`` keeps only the lookup rows with those values (e.g. the log-off lines of a
    session log joined to its log-on lines); a lookup table is not a record source, so nothing is lost.
    """
    for name, join in (mapping.reader.joins or {}).items():
        path = sources_dir / join["path"] if join.get("path") else None
        sub = readers.Unit(mapping.source, path, join.get("path") or join.get("table") or name)
        where = {str(k): str(v) for k, v in (join.get("where") or {}).items()}
        used = (c for f in mapping.fields if f.join == name for c in f.source_columns())
        needed = sorted({*join["on"].values(), *where, *used})
        spec = replace(mapping.reader, table=join.get("table"), query=None, path=join.get("path"))
        readers.open_unit(con, replace(mapping, reader=spec), sub, needed, workdir, sources_dir, f"lk_{name}")
        keys = ", ".join(q(r) for r in join["on"].values())
        condition = " AND ".join(f"{q(k)} = {lit(v)}" for k, v in where.items()) or "true"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE join_{name} AS SELECT * FROM lk_{name} WHERE {condition} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _row) = 1"
        )


def _measure(unit_std: Standardized, report: UnitReport) -> None:
    con = unit_std.con
    parsed, rejected = unit_std.parsed_rows, unit_std.rejected_rows
    parse_rejects = con.execute("SELECT count(*) FROM src_rejects").fetchall()[0][0]
    report.rows_read = parsed + parse_rejects
    report.rows_quarantined = rejected + parse_rejects
    report.rows_landed = parsed - rejected
    reasons = con.execute(
        f"SELECT reason, count(*) AS n FROM ({unit_std.quarantine_sql('x')}) GROUP BY reason ORDER BY n DESC, reason"
    ).fetchall()
    report.reasons = dict(reasons)
    report.values_quarantined = sum(report.reasons.values())


def _fill_rates(unit_std: Standardized, landed: int, nulls) -> dict[str, float]:
    """Per property, the share of landed records with a value: from the NULL counts of the written records
    when the warehouse has them (the statistics of its files), else counted in the unit's tables."""
    props = [f.prop for f in unit_std.mapping.fields]
    if nulls is not None and all(p in nulls for p in props):
        filled = {p: landed - nulls[p] for p in props}
    else:
        filled = unit_std.filled()
    return {p: round(filled[p] / max(landed, 1), 4) for p in props}


def _stats_sql(report: UnitReport, unit: readers.Unit, at: dt.datetime) -> str:
    return (
        f"SELECT {lit(report.source)} AS source, {lit(report.batch_id)} AS batch, {lit(unit.label)} AS unit, "
        f"TIMESTAMPTZ {lit(at.isoformat())} AS ingested_at, {report.rows_read}::BIGINT AS rows_read, "
        f"{report.rows_landed}::BIGINT AS rows_landed, {report.rows_quarantined}::BIGINT AS rows_quarantined, "
        f"{report.values_quarantined}::BIGINT AS values_quarantined, "
        f"{lit(json.dumps(report.fill_rates, ensure_ascii=False))} AS fill_rates, "
        f"{lit(json.dumps(report.reasons, ensure_ascii=False))} AS reasons"
    )


def ingest_source(warehouse: Warehouse, mapping: SourceMapping, sources_dir: Path, schema) -> Iterator[UnitReport]:
    for unit in readers.units(mapping, sources_dir):
        yield ingest_unit(warehouse, mapping, unit, sources_dir, schema)
