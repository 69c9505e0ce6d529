"""Standard addresses (标准地址, the 一标 of 一标三实): the registry, and every address mention matched to it.

The address stage of ``policecloud resolve`` runs three steps on a connection that has the warehouse views:

    build_address_registry(con, roads=..., counties=..., prefectures=...)   # → address_registry, address_aliases
    inputs = address_inputs_sql(con)                                         # every address-bearing column
    match_addresses(con, inputs)                                             # → address_matches

* :mod:`address_registry`: the registry from the house and organization registers (element key, id and code
  scheme, building and door-plate parents).
* :mod:`address_geocode`: coordinates from the reference road network and boundaries.
* :mod:`address_match`: exact (verbatim, then by element key) and fuzzy matching with its score and threshold.
* :mod:`evaluate_addresses`: accuracy against the synthetic province's truth.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from policecloud.data.model.schema import Schema, load_schema
from policecloud.data.resolve.addresses.match import match_addresses
from policecloud.data.resolve.addresses.registry import build_address_registry
from policecloud.data.resolve.records import record_key

__all__ = ["address_columns", "address_inputs_sql", "build_address_registry", "match_addresses"]

# Lineage-bearing tables that are not records of the data model.
_NOT_RECORDS = frozenset({"quarantine", "ingest_stats"})


def address_columns(
    con: duckdb.DuckDBPyConnection, schema: Schema | None = None, tables: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(table, column) of every warehouse column that holds an address, sorted.

    A warehouse table is a view (or table) with the lineage columns ``batch`` and ``row``; its address columns
    are those named like a property whose element type is ``address`` in the data model (registered_address,
    current_address, address, place, full_address), of type VARCHAR. ``tables`` restricts the search to those
    relations (pass the warehouse's own tables, ``Warehouse.tables()``, when the connection holds other
    relations with lineage columns).
    """
    schema = schema or load_schema()
    names = {name for t in schema for name, prop in t.properties.items() if prop.type_name == "address"}
    relations = con.execute(
        """SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'
           UNION SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"""
    ).fetchall()
    found = []
    wanted = set(tables) if tables is not None else None
    for (view,) in relations:
        if view in _NOT_RECORDS or (wanted is not None and view not in wanted):
            continue
        described = {row[0]: row[1] for row in con.execute(f'DESCRIBE "{view}"').fetchall()}
        if not {"batch", "row"} <= described.keys():
            continue
        found += [(view, name) for name in sorted(names) if described.get(name) == "VARCHAR"]
    return found


def address_inputs_sql(
    con: duckdb.DuckDBPyConnection, schema: Schema | None = None, tables: Iterable[str] | None = None
) -> str:
    """SELECT (record_key, table_name, field, raw) over every address column of the warehouse, blanks skipped."""
    parts = [
        f"""SELECT {record_key()} AS record_key, '{table}' AS table_name, '{column}' AS field, "{column}" AS raw
            FROM "{table}" WHERE nullif(trim("{column}"), '') IS NOT NULL"""
        for table, column in address_columns(con, schema, tables)
    ]
    if not parts:
        return (
            "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS table_name, NULL::VARCHAR AS field, "
            "NULL::VARCHAR AS raw WHERE false"
        )
    return "\nUNION ALL ".join(parts)
