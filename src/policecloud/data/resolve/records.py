"""Shared SQL pieces of the resolution stages: record keys, when a record was seen, the link and claim layouts.

Every stage produces two tables of the same shape:
- ``links_<kind>``: which entity each record (or a mention inside a record) belongs to, with method and score;
- ``claims_<kind>``: which value of which property a record states about the entity, and when it was seen.
The final stage folds them into ``links``, ``statements`` and ``entities`` (see assemble.py).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb

from policecloud.data.warehouse import open_warehouse
from policecloud.platform.durable import fsync_file

LINK_COLUMNS = "record_key, table_name, record_id, source, role, entity_type, entity_id, method, score"
CLAIM_COLUMNS = "entity_id, entity_type, property, value, source, seen"

# Tables every batch writes next to its data.
BOOKKEEPING_TABLES = ("ingest_stats", "quarantine")
# The entity-id prefixes of the master data (see the contract in docs/master-data.md).
PREFIX = {"person": "P", "vehicle": "V", "organization": "O", "phone": "T", "house": "H", "address": "A"}


def record_key(alias: str = "") -> str:
    """SQL for a row's record key: ``batch:row`` (unique over the warehouse, stable across re-runs)."""
    dot = f"{alias}." if alias else ""
    return f"({dot}batch || ':' || CAST({dot}row AS VARCHAR))"


def entity_id_sql(kind: str, anchor: str) -> str:
    """SQL for a stable entity id: the kind's letter and 16 hex characters of a KEYED hash of the anchor key.

    Anchors are identifiers (a person's is the ID number): a plain hash of an 18-digit ID number can be reversed
    by trying them all, so the hash is keyed with the installation's secret (the DuckDB variable
    ``pc_id_key``, set by the run from ``<data_dir>/master/id_key``): ids stay stable across runs and reveal nothing.
    """
    return f"('{PREFIX[kind]}' || substr(sha256(coalesce(getvariable('pc_id_key'), '') || {anchor}), 1, 16))"


def ensure_id_key(data_dir: Path) -> str:
    """The installation's entity-id key (created once, readable only by its owner)."""
    path = Path(data_dir) / "master" / "id_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
            fsync_file(fh)
        os.replace(temp, path)
    return path.read_text(encoding="ascii").strip()


def use_id_key(con: duckdb.DuckDBPyConnection, key: str) -> None:
    if not all(c in "0123456789abcdef" for c in key):
        raise ValueError("the entity-id key must be hexadecimal")
    con.execute(f"SET VARIABLE pc_id_key = '{key}'")


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    # fetchall, not fetchone: an unfinished result keeps the connection busy (DuckDB 2.0).
    query = (
        "SELECT 1 FROM duckdb_views() WHERE view_name = ? UNION ALL SELECT 1 FROM duckdb_tables() WHERE table_name = ?"
    )
    return bool(con.execute(query, [name, name]).fetchall())


def columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(f'DESCRIBE "{table}"').fetchall()}


def seen_sql(con: duckdb.DuckDBPyConnection, table: str, alias: str = "t") -> str:
    """When a record was seen: its event time if the table has one, else when its batch was committed."""
    cols = columns(con, table)
    for name in ("time", "start"):
        if name in cols:
            return f"coalesce({alias}.{name}, b.committed_at)"
    return "b.committed_at"


def prepare_batches(con: duckdb.DuckDBPyConnection, warehouse_dir) -> None:
    """Table ``batch_info(batch, source, table_name, committed_at)`` from the warehouse's commit records.

    ``table_name`` is the batch's data table (the one table it wrote besides statistics and quarantine).
    """
    rows = []
    for b in open_warehouse(warehouse_dir).batches():
        data_tables = sorted(t for t in b.files if t not in BOOKKEEPING_TABLES)
        rows.append((b.batch_id, b.meta.get("source"), data_tables[0] if data_tables else None, b.committed_at))
    con.execute(
        "CREATE OR REPLACE TABLE batch_info"
        " (batch VARCHAR, source VARCHAR, table_name VARCHAR, committed_at TIMESTAMPTZ)"
    )
    if rows:
        con.executemany("INSERT INTO batch_info VALUES (?, ?, ?, ?)", rows)


def empty_links() -> str:
    return (
        "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS table_name, NULL::VARCHAR AS record_id, "
        "NULL::VARCHAR AS source, NULL::VARCHAR AS role, NULL::VARCHAR AS entity_type, NULL::VARCHAR AS entity_id, "
        "NULL::VARCHAR AS method, NULL::DOUBLE AS score WHERE false"
    )


def empty_claims() -> str:
    return (
        "SELECT NULL::VARCHAR AS entity_id, NULL::VARCHAR AS entity_type, NULL::VARCHAR AS property, "
        "NULL::VARCHAR AS value, NULL::VARCHAR AS source, NULL::TIMESTAMPTZ AS seen WHERE false"
    )


def unpivot_claims(source_query: str, kind: str, properties: list[str]) -> str:
    """Claims from a query with columns entity_id, source, seen and one column per property."""
    if not properties:
        return empty_claims()
    parts = [
        f"SELECT entity_id, '{kind}' AS entity_type, '{p}' AS property, CAST({p} AS VARCHAR) AS value, source, seen "
        f"FROM ({source_query}) WHERE {p} IS NOT NULL AND CAST({p} AS VARCHAR) <> ''"
        for p in properties
    ]
    return " UNION ALL ".join(parts)
