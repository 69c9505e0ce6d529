"""Standardizing a property once per distinct raw value, and getting the values back into every row cheaply.

``pv_<p>(key, value, why, n[, day])`` holds each distinct raw text of the unit (NULL included), its valid
value (NULL when missing or invalid), the reason it is quarantined (``<type>.<code>``, ``required.missing``
for a blank required value, else NULL), how many rows have it, and for the partitioning property its date.

Joining 5 million rows back to a lookup costs about as much as writing one more column, so the records
query avoids it where it can: for a value of a cheap type the lookup is checked against a plain expression
of the raw text (the text itself for VARCHAR, a cast for numbers and dates). When that expression gives the
value of every key, it replaces the join; when it misses a few keys (lower-case plates, separators, invalid
values), only those exceptions are joined. The check is exact: it runs on every distinct value of the unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from policecloud.data.ingest.mapping import FieldSpec
from policecloud.platform.sql import ident as _q
from policecloud.platform.sql import literal as _lit

# Value types a cast from the raw text can reproduce cheaply, row by row.
CASTABLE = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT", "DATE", "BOOLEAN"}
# Above this share of exceptions among the keys, a join on the whole lookup is simpler and no slower.
MAX_EXCEPTION_SHARE = 0.5
# A text value with at most this many distinct values is written as an ENUM: DuckDB's Parquet writer then
# takes the dictionary as it is instead of hashing every string (the file holds plain strings either way).
ENUM_MAX_VALUES = 10_000


@dataclass
class Lookup:
    con: duckdb.DuckDBPyConnection
    table: str  # pv_<p>
    alias: str  # of the join in the records query
    surrogate: str | None  # expression of "{raw}" giving the value of every key not in ``exceptions``
    exceptions: str | None  # table (key, value) of the keys the surrogate gets wrong; None: no join needed
    bad_keys: int  # distinct non-NULL raw texts to quarantine
    null_bad: bool  # rows without a raw text are quarantined (a required property or key)
    enum: str | None = None  # ENUM type of the valid values, for the writer

    def value(self, raw: str) -> str:
        if self.surrogate is None:
            value = f"{self.alias}.value"
        elif self.exceptions is None:
            value = self.surrogate.format(raw=raw)
        else:
            plain = self.surrogate.format(raw=raw)
            value = f"CASE WHEN {self.alias}.key IS NULL THEN {plain} ELSE {self.alias}.value END"
        return value if self.enum is None else f"TRY_CAST({value} AS {self.enum})"

    def day(self, raw: str) -> str:
        if self.surrogate is None:
            return f"{self.alias}.day"
        return f"CAST({self.value(raw)} AS DATE)"

    def join(self, raw: str) -> str:
        table = self.table if self.surrogate is None else self.exceptions
        if table is None:
            return ""
        return f" LEFT JOIN {table} AS {self.alias} ON {self.alias}.key = {raw}"

    def bad_conditions(self, raw: str) -> list[str]:
        """Conditions on a row's raw text true exactly when this property puts the row in quarantine."""
        found = []
        if self.bad_keys:
            found.append(f"{raw} IN (SELECT key FROM {self.table} WHERE why IS NOT NULL AND key IS NOT NULL)")
        if self.null_bad:
            found.append(f"{raw} IS NULL")
        return found

    def null_rows(self) -> int:
        """Rows of the unit without a valid value."""
        sql = f"SELECT coalesce(sum(n), 0) FROM {self.table} WHERE value IS NULL"
        return int(self.con.execute(sql).fetchall()[0][0])


def _distinct(raw: str) -> str:
    return f"SELECT {raw} AS key, count(*) AS n FROM work GROUP BY ALL"


def build_python_lookup(con: duckdb.DuckDBPyConnection, f: FieldSpec, raw: str) -> None:
    """``_checked(key, n, norm, code)`` for a type without a SQL form: each distinct value checked in Python
    once (``check_many`` when the type has it)."""
    rows = con.execute(_distinct(raw)).fetchall()
    keys = [r[0] for r in rows]
    check_many = getattr(f.etype, "check_many", None)
    checked = check_many(keys) if check_many else [f.etype.check(k) for k in keys]
    table = pa.table(
        {
            "key": keys,
            "n": [r[1] for r in rows],
            "norm": [None if c.value is None else str(c.value) for c in checked],
            "code": [c.reason for c in checked],
        },
        schema=pa.schema([("key", pa.string()), ("n", pa.int64()), ("norm", pa.string()), ("code", pa.string())]),
    )
    con.register("_python_checked", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _checked AS SELECT * FROM _python_checked")
    finally:
        con.unregister("_python_checked")


def build(con: duckdb.DuckDBPyConnection, f: FieldSpec, index: int, raw: str, blocking: bool, with_day: bool) -> Lookup:
    """Create ``pv_<p>`` from the column ``raw`` of ``work`` and choose how records get its values back."""
    etype = f.etype
    if etype.vectorized:
        checked = (
            f"SELECT key, n, norm, {etype.sql_reason('norm', 'key')} AS code FROM "
            f"(SELECT key, n, {etype.sql_normalize('key')} AS norm FROM ({_distinct(raw)}))"
        )
    else:
        build_python_lookup(con, f, raw)
        checked = "SELECT * FROM _checked"
    missing = " WHEN norm IS NULL THEN 'required.missing'" if blocking else ""
    day = ", CAST(CASE WHEN code IS NULL THEN norm END AS DATE) AS day" if with_day else ""
    table = _q(f"pv_{f.prop}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT key, CASE WHEN code IS NULL THEN norm END AS value, "
        f"CASE WHEN code IS NOT NULL THEN {_lit(etype.name + '.')} || code{missing} END AS why, n{day} "
        f"FROM ({checked})"
    )
    keys, bad_keys, null_bad, values, value_type = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE why IS NOT NULL AND key IS NOT NULL), "
        f"coalesce(bool_or(key IS NULL AND why IS NOT NULL), false), count(DISTINCT value), any_value(typeof(value)) "
        f"FROM {table}"
    ).fetchall()[0]
    lookup = Lookup(con, table, f"v{index}", None, None, int(bad_keys), bool(null_bad))
    if value_type == "VARCHAR":
        surrogate = "{raw}"
        if 0 < values <= ENUM_MAX_VALUES:
            lookup.enum = _q(f"pe_{f.prop}")
            values_sql = f"SELECT DISTINCT value FROM {table} WHERE value IS NOT NULL ORDER BY value"
            con.execute(f"CREATE TYPE {lookup.enum} AS ENUM ({values_sql})")
    elif value_type in CASTABLE or str(value_type).startswith("DECIMAL"):
        surrogate = f"TRY_CAST({{raw}} AS {value_type})"
    else:
        return lookup
    exceptions = _q(f"px_{f.prop}")
    wrong = con.execute(
        f"CREATE OR REPLACE TEMP TABLE {exceptions} AS SELECT key, value FROM {table} "
        f"WHERE key IS NOT NULL AND value IS DISTINCT FROM {surrogate.format(raw='key')}"
    ).fetchall()[0][0]
    if wrong > MAX_EXCEPTION_SHARE * keys:
        return lookup
    lookup.surrogate = surrogate
    lookup.exceptions = exceptions if wrong else None
    return lookup
