"""Quarantine and freshness queries over the warehouse (数据新鲜性和可用性)."""

from __future__ import annotations

import json
from pathlib import Path

from policecloud.data.ingest.run import QUARANTINE_TABLE, STATS_TABLE
from policecloud.data.warehouse import Warehouse
from policecloud.platform.sql import literal


def _where(source: str | None, reason: str | None) -> tuple[str, list]:
    clauses, params = [], []
    if source:
        clauses.append("source = ?")
        params.append(source)
    if reason:
        clauses.append("reason = ?")
        params.append(reason)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _has(warehouse: Warehouse, table: str) -> bool:
    """Nothing ingested yet (or nothing ever quarantined) is an empty answer, not an error."""
    return table in warehouse.tables()


def quarantine_summary(warehouse: Warehouse, source: str | None = None, reason: str | None = None) -> list[tuple]:
    if not _has(warehouse, QUARANTINE_TABLE):
        return []
    where, params = _where(source, reason)
    return warehouse.sql(
        "SELECT source, reason, count(*)::BIGINT, "
        "count(DISTINCT CASE WHEN row_rejected THEN batch || ':' || row END)::BIGINT "
        f"FROM {QUARANTINE_TABLE}{where} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        params,
    )


def quarantine_rows(
    warehouse: Warehouse, source: str | None = None, reason: str | None = None, limit: int = 20
) -> list[tuple]:
    if not _has(warehouse, QUARANTINE_TABLE):
        return []
    where, params = _where(source, reason)
    return warehouse.sql(
        f"SELECT source, batch, row, field, raw, reason FROM {QUARANTINE_TABLE}{where} "
        f"ORDER BY source, batch, row, field LIMIT {int(limit)}",
        params,
    )


def export_quarantine(warehouse: Warehouse, target: Path, source: str | None = None, reason: str | None = None) -> int:
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"export to .csv or .parquet, not {suffix or 'a file without extension'}")
    if not _has(warehouse, QUARANTINE_TABLE):
        raise ValueError("nothing has been quarantined yet: no file written")
    where, params = _where(source, reason)
    fmt = "FORMAT csv, HEADER true" if suffix == ".csv" else "FORMAT parquet"
    con = warehouse.connect()
    try:
        query = f"SELECT source, batch, row, field, raw, reason, row_rejected FROM {QUARANTINE_TABLE}{where}"
        return con.execute(f"COPY ({query} ORDER BY 1, 2, 3, 4) TO {literal(target)} ({fmt})", params).fetchall()[0][0]
    finally:
        con.close()


def freshness(warehouse: Warehouse) -> list[dict]:
    """Per source: last batch time, batch count, rows landed, rejection rate, latest fill rates."""
    if not _has(warehouse, STATS_TABLE):
        return []
    rows = warehouse.sql(
        f"""SELECT source, max(ingested_at), count(*), sum(rows_landed)::BIGINT, sum(rows_quarantined)::BIGINT,
                   sum(rows_read)::BIGINT, arg_max(fill_rates, ingested_at)
            FROM {STATS_TABLE} GROUP BY source ORDER BY source"""
    )
    return [
        {
            "source": source,
            "last_batch_at": last.isoformat(timespec="seconds"),
            "batches": batches,
            "rows_landed": landed,
            "rows_quarantined": quarantined,
            "rejection_rate": quarantined / read if read else 0.0,
            "fill_rates": json.loads(fill),
        }
        for source, last, batches, landed, quarantined, read, fill in rows
    ]
