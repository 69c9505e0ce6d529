"""Ingesting one source: read each unit, standardize, commit records + quarantine + stats as one batch.

The batch id is a fingerprint of the mapping text and the input bytes, so ingesting the same file again
adds nothing; the three tables of a batch become visible together (see ``policecloud.warehouse``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from policecloud.ingest import readers
from policecloud.ingest.mapping import SourceMapping
from policecloud.ingest.standardize import build_std, lit, q, quarantine_sql, records_sql
from policecloud.model.vectorized import connect
from policecloud.warehouse import Warehouse

QUARANTINE_TABLE = "quarantine"
STATS_TABLE = "ingest_stats"


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
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
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
    batch_id = fingerprint(mapping, unit, sources_dir)
    report = UnitReport(mapping.source, unit.label, batch_id or "")
    if batch_id and warehouse.is_committed(batch_id):
        report.skipped = True
        return report
    con = connect()
    try:
        with tempfile.TemporaryDirectory(prefix="pc-ingest-") as tmp:
            readers.open_unit(con, mapping, unit, _needed_columns(mapping), Path(tmp), sources_dir)
            if batch_id is None:
                batch_id = report.batch_id = rows_fingerprint(con, mapping)
                if warehouse.is_committed(batch_id):
                    report.skipped = True
                    return report
            _load_joins(con, mapping, sources_dir, Path(tmp))
            build_std(con, mapping)
            _measure(con, mapping, report)
            day = _day_property(mapping, schema)
            partition = ["source", "day"] if day else ["source"]
            stats = _stats_sql(report, unit, now())
            meta = {"source": mapping.source, "unit": unit.label}
            with warehouse.batch(batch_id, meta=meta, con=con) as batch:
                landed = batch.write(mapping.table, records_sql(mapping, batch_id, day), partition_by=partition)
                batch.write(QUARANTINE_TABLE, quarantine_sql(mapping, batch_id), partition_by=["source"])
                batch.write(STATS_TABLE, stats, partition_by=["source"])
            if landed != report.rows_landed:
                raise RuntimeError(f"{mapping.source}: wrote {landed} rows, expected {report.rows_landed}")
    finally:
        con.close()
    report.seconds = time.perf_counter() - started
    return report


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


def _measure(con, mapping: SourceMapping, report: UnitReport) -> None:
    counts = ", ".join(f"count({q(f.prop)}) FILTER (WHERE NOT _rejected)" for f in mapping.fields)
    row = con.execute(f"SELECT count(*), count(*) FILTER (WHERE _rejected), {counts} FROM std").fetchall()[0]
    parsed, rejected, filled = row[0], row[1], row[2:]
    parse_rejects = con.execute("SELECT count(*) FROM src_rejects").fetchall()[0][0]
    report.rows_read = parsed + parse_rejects
    report.rows_quarantined = rejected + parse_rejects
    report.rows_landed = parsed - rejected
    landed = max(report.rows_landed, 1)
    report.fill_rates = {f.prop: round(n / landed, 4) for f, n in zip(mapping.fields, filled, strict=True)}
    reasons = con.execute(
        f"SELECT reason, count(*) AS n FROM ({quarantine_sql(mapping, 'x')}) GROUP BY reason ORDER BY n DESC, reason"
    ).fetchall()
    report.reasons = dict(reasons)
    report.values_quarantined = sum(report.reasons.values())


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
