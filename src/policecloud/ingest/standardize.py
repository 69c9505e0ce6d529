"""Standardization at column speed: one DuckDB query turns ``src`` into standard properties.

For every mapped property the query computes, in three steps so that no expression is evaluated twice,
the raw source text (column, several columns, literal, template, split, value map), the element type's
normalized candidate, and the reason code (NULL when valid). The result, ``std``, keeps for every property
its value (NULL unless valid), its raw text and its reason; a row is rejected when a required property or
a key is missing or invalid. Records and quarantine are both projections of ``std``.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from policecloud.ingest.mapping import FieldSpec, SourceMapping

_TEMPLATE = re.compile(r"\{([^{}]+)\}")


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_expr(spec: FieldSpec) -> str:
    """The DuckDB expression giving a property's raw text from ``src`` (and joined tables)."""
    table = f"j_{spec.join}" if spec.join else "src"
    if spec.kind == "column":
        expr = f"{table}.{q(spec.column or '')}"
    elif spec.kind == "columns":
        parts = ", ".join(f"{table}.{q(c)}" for c in spec.columns)
        expr = f"nullif(concat_ws({lit(spec.separator)}, {parts}), '')"
    elif spec.kind == "literal":
        expr = lit(spec.literal or "")
    else:
        template = spec.template or ""
        pieces, last = [], 0
        for match in _TEMPLATE.finditer(template):
            if match.start() > last:
                pieces.append(lit(template[last : match.start()]))
            pieces.append(f"coalesce({table}.{q(match.group(1))}, '')")
            last = match.end()
        if last < len(template):
            pieces.append(lit(template[last:]))
        present = " OR ".join(f"{table}.{q(c)} IS NOT NULL" for c in _TEMPLATE.findall(template)) or "true"
        expr = f"CASE WHEN {present} THEN concat({', '.join(pieces)}) END"
    if spec.split is not None:
        expr = f"nullif(split_part({expr}, {lit(spec.split)}, {spec.index + 1}), '')"
    if spec.value_map:
        cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in spec.value_map.items())
        expr = f"CASE trim({expr}) {cases} ELSE {expr} END"
    return expr


# A property whose sample holds at most this share of distinct values is standardized once per distinct value
# and joined back: checkpoint ids, lanes, colours, plate types and most plates repeat a great deal.
DEDUP_MAX_DISTINCT_SHARE = 0.2
MIN_ROWS_TO_DEDUPLICATE = 50_000
_NULL_KEY = "\x00"


def std_sql(mapping: SourceMapping, deduplicated: frozenset[str] = frozenset()) -> str:
    """The query building ``std`` from ``src``: _row, then per property p: p, "p:raw", "p:why".

    Properties in ``deduplicated`` take their normalized value and reason from the lookup table ``lk_<p>``
    (built by :func:`build_lookup`) instead of computing them row by row.
    """
    joins = ""
    for name, join in (mapping.reader.joins or {}).items():
        on = " AND ".join(f"src.{q(local)} = j_{name}.{q(remote)}" for local, remote in join["on"].items())
        joins += f" LEFT JOIN join_{name} AS j_{name} ON {on}"
    raws = ", ".join(f"{raw_expr(f)} AS {q(f.prop + ':raw')}" for f in mapping.fields)
    step1 = f"SELECT src._row, {raws} FROM src{joins}"
    looked_up, lookups = [], ""
    for i, f in enumerate(mapping.fields):
        if f.prop in deduplicated:
            alias = f"lk{i}"
            looked_up.append(f"{alias}.norm AS {q(f.prop + ':norm')}, {alias}.code AS {q(f.prop + ':code')}")
            lookups += (
                f" LEFT JOIN {lookup_table(f.prop)} AS {alias} "
                f"ON {alias}.key = coalesce(s.{q(f.prop + ':raw')}, {lit(_NULL_KEY)})"
            )
    if looked_up:
        step1 = f"SELECT s.*, {', '.join(looked_up)} FROM ({step1}) AS s{lookups}"
    inline = [f for f in mapping.fields if f.prop not in deduplicated]
    norms = ", ".join(f"{f.etype.sql_normalize(q(f.prop + ':raw'))} AS {q(f.prop + ':norm')}" for f in inline)
    step2 = f"SELECT *, {norms} FROM ({step1})" if inline else step1
    whys = ", ".join(
        f"{f.etype.sql_reason(q(f.prop + ':norm'), q(f.prop + ':raw'))} AS {q(f.prop + ':code')}" for f in inline
    )
    step3 = f"SELECT *, {whys} FROM ({step2})" if inline else step2
    columns = ["_row"]
    for f in mapping.fields:
        code = q(f.prop + ":code")
        columns.append(f"CASE WHEN {code} IS NULL THEN {q(f.prop + ':norm')} END AS {q(f.prop)}")
        columns.append(q(f.prop + ":raw"))
        missing = f"{q(f.prop + ':norm')} IS NULL"
        why = f"CASE WHEN {code} IS NOT NULL THEN {lit(f.etype.name + '.')} || {code}"
        if f.required or f.prop in mapping.keys:
            why += f" WHEN {missing} THEN 'required.missing'"
        columns.append(f"{why} END AS {q(f.prop + ':why')}")
    blocking = [f for f in mapping.fields if f.required or f.prop in mapping.keys]
    rejected = " OR ".join(f"{q(f.prop + ':why')} IS NOT NULL" for f in blocking) or "false"
    return f"SELECT *, ({rejected}) AS _rejected FROM (SELECT {', '.join(columns)} FROM ({step3}))"


def lookup_table(prop: str) -> str:
    return q(f"lk_{prop}")


def build_lookup(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, f: FieldSpec) -> None:
    """Standardize each distinct raw value of ``f`` once: (key, norm, code)."""
    joins = ""
    if f.join:
        join = mapping.reader.joins[f.join]
        on = " AND ".join(f"src.{q(a)} = j_{f.join}.{q(b)}" for a, b in join["on"].items())
        joins = f" LEFT JOIN join_{f.join} AS j_{f.join} ON {on}"
    distinct = f"SELECT DISTINCT {raw_expr(f)} AS raw FROM src{joins}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {lookup_table(f.prop)} AS "
        f"SELECT coalesce(raw, {lit(_NULL_KEY)}) AS key, norm, {f.etype.sql_reason('norm', 'raw')} AS code "
        f"FROM (SELECT raw, {f.etype.sql_normalize('raw')} AS norm FROM ({distinct}))"
    )


def build_python_lookup(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, f: FieldSpec) -> None:
    """Like :func:`build_lookup` for a type without an SQL form (the address parser): each distinct raw
    value is checked once in Python (``check_many`` when the type has it) and joined back."""
    joins = ""
    if f.join:
        join = mapping.reader.joins[f.join]
        on = " AND ".join(f"src.{q(a)} = j_{f.join}.{q(b)}" for a, b in join["on"].items())
        joins = f" LEFT JOIN join_{f.join} AS j_{f.join} ON {on}"
    raws = [r[0] for r in con.execute(f"SELECT DISTINCT {raw_expr(f)} FROM src{joins}").fetchall()]
    check_many = getattr(f.etype, "check_many", None)
    checked = check_many(raws) if check_many else [f.etype.check(r) for r in raws]
    table = pa.table(
        {
            "key": [_NULL_KEY if r is None else r for r in raws],
            "norm": [None if c.value is None else str(c.value) for c in checked],
            "code": [c.reason for c in checked],
        },
        schema=pa.schema([("key", pa.string()), ("norm", pa.string()), ("code", pa.string())]),
    )
    con.register("_python_lookup", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {lookup_table(f.prop)} AS SELECT * FROM _python_lookup")
    finally:
        con.unregister("_python_lookup")


def repetitive_fields(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> frozenset[str]:
    """Properties whose values repeat enough to standardize per distinct value (HyperLogLog estimate)."""
    total = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
    candidates = [f for f in mapping.fields if f.kind != "literal" and not f.join]
    if total < MIN_ROWS_TO_DEDUPLICATE or not candidates:
        return frozenset()
    counts = ", ".join(f"approx_count_distinct({raw_expr(f)})" for f in candidates)
    estimates = con.execute(f"SELECT {counts} FROM src").fetchall()[0]
    return frozenset(
        f.prop for f, n in zip(candidates, estimates, strict=True) if n <= DEDUP_MAX_DISTINCT_SHARE * total
    )


def build_std(con: duckdb.DuckDBPyConnection, mapping: SourceMapping) -> frozenset[str]:
    """Materialize ``std``; returns the properties standardized per distinct value."""
    for f in mapping.fields:
        f.etype.sql_setup(con)
    in_python = frozenset(f.prop for f in mapping.fields if not f.etype.vectorized)
    deduplicated = repetitive_fields(con, mapping) | in_python
    for f in mapping.fields:
        if f.prop in in_python:
            build_python_lookup(con, mapping, f)
        elif f.prop in deduplicated:
            build_lookup(con, mapping, f)
    con.execute(f"CREATE OR REPLACE TEMP TABLE std AS {std_sql(mapping, deduplicated)}")
    return deduplicated


def records_sql(mapping: SourceMapping, batch_id: str, day_of: str | None) -> str:
    """Landed rows: lineage (source, batch, row), id, partition columns and the valid values of every property.

    ``id`` is the mapped one when the source has its own record ids, else ``<batch>:<row>``.
    """
    mapped = {f.prop for f in mapping.fields}
    props = ", ".join(q(f.prop) for f in mapping.fields if f.prop != "id")
    record_id = 'coalesce("id", ' if "id" in mapped else "("
    record_id += f"{lit(batch_id + ':')} || _row) AS id"
    day = f", CAST({q(day_of)} AS DATE) AS day" if day_of else ""
    return (
        f"SELECT {record_id}, {lit(mapping.source)} AS source, {lit(batch_id)} AS batch, _row AS row"
        f"{', ' + props if props else ''}{day} FROM std WHERE NOT _rejected"
    )


def quarantine_sql(mapping: SourceMapping, batch_id: str) -> str:
    """Quarantined values and rows: one row per rejected value, plus the records that could not be parsed."""
    parts = []
    for f in mapping.fields:
        parts.append(
            f"SELECT _row::BIGINT AS _row, {lit(f.prop)} AS field, {q(f.prop + ':raw')} AS raw, "
            f"{q(f.prop + ':why')} AS reason, _rejected AS row_rejected FROM std WHERE {q(f.prop + ':why')} IS NOT NULL"
        )
    parts.append("SELECT _row::BIGINT AS _row, NULL AS field, raw, reason, true AS row_rejected FROM src_rejects")
    union = " UNION ALL ".join(parts)
    return (
        f"SELECT {lit(mapping.source)} AS source, {lit(batch_id)} AS batch, _row AS row, field, raw, reason, "
        f"row_rejected FROM ({union})"
    )
