"""Running element types over whole columns inside DuckDB.

``check_sql`` builds the two-step query (normalize, then judge) that ingestion embeds in its own
SELECTs; ``check_column`` runs it over a column of any relation and returns (row, value, reason).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from policecloud.data.model.types import ElementType


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never tries the network for extensions, in the platform's time zone
    (timestamps come back to Python as Asia/Shanghai wall time, dates cast from them are local dates)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    return con


def setup(con: duckdb.DuckDBPyConnection, types: Iterable[ElementType]) -> None:
    for etype in types:
        etype.sql_setup(con)


def check_sql(etype: ElementType, source: str, column: str, keep: Iterable[str] = (), distinct: bool = False) -> str:
    """SQL over ``source`` (a table name or parenthesised query) giving the kept columns, ``raw``,
    ``value`` (the normalized value, NULL unless valid) and ``reason`` (NULL when valid or missing).

    The normalized candidate is computed once in an inner query so that the reason expression can
    refer to it without DuckDB evaluating the normalization twice.
    """
    kept = "".join(f"{c}, " for c in keep)
    raw = f"CAST({column} AS VARCHAR)"
    if distinct:
        return _check_distinct_sql(etype, source, raw, kept)
    inner = f"SELECT {kept}{raw} AS raw, {etype.sql_normalize(raw)} AS norm FROM {source}"
    reason = etype.sql_reason("norm", "raw")
    return (
        f"SELECT {kept}raw, CASE WHEN reason IS NULL THEN norm END AS value, reason "
        f"FROM (SELECT *, {reason} AS reason FROM ({inner}))"
    )


def _check_distinct_sql(etype: ElementType, source: str, raw: str, kept: str) -> str:
    """Check each distinct value once and join the verdicts back: identifiers repeat a great deal in police
    data (one plate passes hundreds of checkpoints), so this is the fast path for event columns."""
    verdicts = (
        f"SELECT raw, CASE WHEN reason IS NULL THEN norm END AS value, reason FROM "
        f"(SELECT raw, norm, {etype.sql_reason('norm', 'raw')} AS reason FROM "
        f"(SELECT raw, {etype.sql_normalize('raw')} AS norm FROM (SELECT DISTINCT {raw} AS raw FROM {source})))"
    )
    return (
        f"SELECT {kept}s.raw, v.value, v.reason FROM (SELECT {kept}{raw} AS raw FROM {source}) AS s "
        f"LEFT JOIN ({verdicts}) AS v ON s.raw IS NOT DISTINCT FROM v.raw"
    )


def check_column(
    con: duckdb.DuckDBPyConnection, etype: ElementType, source: str, column: str, distinct: bool = False
) -> duckdb.DuckDBPyRelation:
    etype.sql_setup(con)
    return con.sql(check_sql(etype, source, column, distinct=distinct))


def check_values(
    con: duckdb.DuckDBPyConnection, etype: ElementType, values: list[object], distinct: bool = False
) -> list[tuple]:
    """Check a Python list through the vectorized form; returns (raw, value, reason) in input order."""
    import pyarrow as pa

    etype.sql_setup(con)
    table = pa.table({"i": list(range(len(values))), "v": [None if v is None else str(v) for v in values]})
    con.register("_pc_values", table)
    try:
        sql = check_sql(etype, "_pc_values", "v", keep=["i"], distinct=distinct)
        rows = con.sql(f"SELECT raw, value, reason FROM ({sql}) ORDER BY i").fetchall()
    finally:
        con.unregister("_pc_values")
    return rows
