"""Standardization at column speed: the SQL that turns ``src`` into records and quarantine, without a wide table.

For every mapped property a unit has the raw source text (column, several columns, literal, template, split,
value map), the element type's normalized value (NULL unless valid) and a reason (NULL unless the value is
quarantined). They are worked out in one of two ways:

* **per distinct value** (a property whose values repeat — checkpoint ids, lanes, colours, plates, times —
  and every type without a SQL form): the lookup ``pv_<p>(key, value, why, n)`` standardizes each distinct raw
  text once (``lookups.py``) and the records query gets the value back by a join, or, where the lookup proves
  that a plain expression (the raw text itself, a cast) gives the value of nearly every key, from that
  expression plus a join on the few exceptions only;
* **per row** (values that rarely repeat, such as ID numbers in a registry): ``work`` holds each row's
  normalized value and reason, computed once.

Most values are valid, so the quarantine is small: ``bad`` takes the rows with at least one invalid or
missing value (a semi-join on the few invalid keys of each lookup), ``qrows`` works out their reasons and
whether the row is rejected (a required property or a key missing or invalid), and the records query skips
the rejected rows with an anti-join. The counts of the reconciliation come from the lookups and ``qrows``,
not from another pass over the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from policecloud.data.ingest import lookups
from policecloud.data.ingest.mapping import FieldSpec, SourceMapping
from policecloud.platform.sql import ident as q
from policecloud.platform.sql import literal as lit

_TEMPLATE = re.compile(r"\{([^{}]+)\}")

# A property whose first SAMPLE_ROWS values hold at most this share of distinct values is standardized once
# per distinct value; below MIN_ROWS_TO_DEDUPLICATE rows everything is standardized per row.
DEDUP_MAX_DISTINCT_SHARE = 0.5
SAMPLE_ROWS = 250_000
MIN_ROWS_TO_DEDUPLICATE = 50_000


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


def raw_col(prop: str) -> str:
    return q(prop + ":raw")


def reader_joins(mapping: SourceMapping) -> str:
    joins = ""
    for name, join in (mapping.reader.joins or {}).items():
        on = " AND ".join(f"src.{q(local)} = j_{name}.{q(remote)}" for local, remote in join["on"].items())
        joins += f" LEFT JOIN join_{name} AS j_{name} ON {on}"
    return joins


@dataclass
class Prop:
    """How one property of the unit is standardized, as SQL over ``work AS w`` and its lookup joins."""

    field: FieldSpec
    blocking: bool  # missing or invalid rejects the row (required property or key)
    lookup: lookups.Lookup | None = None  # None: standardized per row, in ``work``

    @property
    def prop(self) -> str:
        return self.field.prop

    def value(self) -> str:
        """The valid value (NULL when missing or invalid) in the records query."""
        if self.lookup is None:
            return f"CASE WHEN w.{q(self.prop + ':why')} IS NULL THEN w.{q(self.prop + ':norm')} END"
        return self.lookup.value(f"w.{raw_col(self.prop)}")

    def day(self) -> str:
        if self.lookup is None:
            return f"CAST({self.value()} AS DATE)"
        return self.lookup.day(f"w.{raw_col(self.prop)}")

    def join(self) -> str:
        return "" if self.lookup is None else self.lookup.join(f"w.{raw_col(self.prop)}")


class Standardized:
    """A unit loaded into ``src`` and standardized: the queries of its records and quarantine, and its counts."""

    def __init__(self, con: duckdb.DuckDBPyConnection, mapping: SourceMapping, props: list[Prop]) -> None:
        self.con, self.mapping, self.props = con, mapping, props

    # --- the two queries that are written -------------------------------------------------------------
    def records_sql(self, batch_id: str, day_of: str | None) -> str:
        """Landed rows: lineage (source, batch, row), id, the valid value of every property, partition columns.

        ``id`` is the mapped one when the source has its own record ids, else NULL: the warehouse reads a
        missing id as ``<batch>:<row>`` (see ``policecloud.data.warehouse``), so it need not be stored.
        """
        by_prop = {p.prop: p for p in self.props}
        record_id = f"{by_prop['id'].value()} AS id" if "id" in by_prop else "NULL::VARCHAR AS id"
        values = "".join(f", {p.value()} AS {q(p.prop)}" for p in self.props if p.prop != "id")
        day = f", {self._day(by_prop[day_of])} AS day" if day_of else ""
        joins = "".join(p.join() for p in self.props)
        if self.rejected_rows:
            joins += " ANTI JOIN (SELECT _row FROM qrows WHERE _rejected) AS r ON r._row = w._row"
        return (
            f"SELECT {record_id}, {lit(self.mapping.source)} AS source, {_constant(batch_id)} AS batch, w._row AS row"
            f"{values}{day} FROM work AS w{joins}"
        )

    def _day(self, p: Prop) -> str:
        """The partition date of a record: a constant when every landed row has the same one (a daily file),
        which lets the warehouse write the records straight into that partition."""
        if p.lookup is not None and p.lookup.surrogate is None:
            sql = f"SELECT DISTINCT day, value IS NULL FROM {p.lookup.table}"
        else:
            sql = f"SELECT DISTINCT day, day IS NULL FROM (SELECT {p.day()} AS day FROM work AS w{p.join()})"
        found = self.con.execute(sql).fetchall()
        days = {d for d, _ in found if d is not None}
        undated = any(missing for _, missing in found)  # such rows land without a day unless they are rejected
        if len(days) == 1 and (p.blocking or not undated):
            return f"DATE {lit(days.pop().isoformat())}"
        return p.day()

    def quarantine_sql(self, batch_id: str) -> str:
        """One row per rejected value, plus the records that could not be parsed."""
        parts = [
            f"SELECT _row::BIGINT AS _row, {lit(p.prop)} AS field, {raw_col(p.prop)} AS raw, "
            f"{q(p.prop + ':why')} AS reason, _rejected AS row_rejected FROM qrows "
            f"WHERE {q(p.prop + ':why')} IS NOT NULL"
            for p in self.props
        ]
        parts.append("SELECT _row::BIGINT AS _row, NULL AS field, raw, reason, true AS row_rejected FROM src_rejects")
        return (
            f"SELECT {lit(self.mapping.source)} AS source, {lit(batch_id)} AS batch, _row AS row, field, raw, "
            f"reason, row_rejected FROM ({' UNION ALL '.join(parts)})"
        )

    # --- counts -------------------------------------------------------------------------------------------
    @property
    def parsed_rows(self) -> int:
        return self._scalar("SELECT count(*) FROM src")

    @property
    def rejected_rows(self) -> int:
        return self._rejected

    def filled(self) -> dict[str, int]:
        """Per property, how many landed rows have a valid value: every row's nulls (from the lookups' counts
        or one scan of ``work``) minus those of the rejected rows (from ``qrows``)."""
        landed = self.parsed_rows - self.rejected_rows
        per_row = [p for p in self.props if p.lookup is None]
        nulls: dict[str, int] = {}
        if per_row:
            counts = ", ".join(f"count(*) FILTER (WHERE ({p.value()}) IS NULL)" for p in per_row)
            row = self.con.execute(f"SELECT {counts} FROM work AS w").fetchall()[0]
            nulls |= {p.prop: int(n) for p, n in zip(per_row, row, strict=True)}
        for p in self.props:
            if p.lookup is not None:
                nulls[p.prop] = p.lookup.null_rows()
        if not self.props:
            return {}
        counts = ", ".join(f"count(*) FILTER (WHERE {q(p.prop + ':null')})" for p in self.props)
        rejected = self.con.execute(f"SELECT {counts} FROM qrows WHERE _rejected").fetchall()[0]
        return {p.prop: landed - (nulls[p.prop] - int(r)) for p, r in zip(self.props, rejected, strict=True)}

    def _columns(self, relation: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {relation}").fetchall()]

    def _scalar(self, sql: str) -> int:
        return int(self.con.execute(sql).fetchall()[0][0])

    # --- building -----------------------------------------------------------------------------------------
    def _find_bad_rows(self) -> None:
        """``bad``: the rows with at least one value to quarantine; ``qrows``: their reasons, one column per
        property, whether each value is missing, and whether the row is rejected."""
        conditions = []
        for p in self.props:
            if p.lookup is None:
                conditions.append(f"w.{q(p.prop + ':why')} IS NOT NULL")
            else:
                conditions.extend(p.lookup.bad_conditions(f"w.{raw_col(p.prop)}"))
        where = " OR ".join(conditions) or "false"
        # Two steps: the conditions read a few columns of every row, then the few bad rows are fetched whole
        # by a locator the scan can filter on (a rowid, or a stored _row), not by reading every column.
        locator = "_rid" if "_rid" in self._columns("work") else "_row"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE bad_rows AS SELECT {locator} FROM work AS w WHERE {where}")
        fetched = f"{locator} IN (SELECT {locator} FROM bad_rows)"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE bad AS SELECT * FROM work WHERE {fetched}")
        columns, joins = [], ""
        for i, p in enumerate(self.props):
            raw = f"w.{raw_col(p.prop)}"
            if p.lookup is None:
                why = f"w.{q(p.prop + ':why')}"
                missing = f"({p.value()}) IS NULL"
            else:
                alias = f"k{i}"
                joins += f" LEFT JOIN {p.lookup.table} AS {alias} ON {alias}.key = {raw}"
                on_null = "'required.missing'" if p.blocking else "NULL"
                why = f"CASE WHEN {raw} IS NULL THEN {on_null} ELSE {alias}.why END"
                missing = f"{alias}.value IS NULL"
            columns += [f"{raw} AS {raw_col(p.prop)}", f"{why} AS {q(p.prop + ':why')}"]
            columns.append(f"{missing} AS {q(p.prop + ':null')}")
        blocking = " OR ".join(f"{q(p.prop + ':why')} IS NOT NULL" for p in self.props if p.blocking) or "false"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE qrows AS SELECT *, ({blocking}) AS _rejected FROM "
            f"(SELECT w._row, {', '.join(columns)} FROM bad AS w{joins})"
        )
        self._rejected = self._scalar("SELECT count(*) FROM qrows WHERE _rejected")


def _constant(text: str) -> str:
    """A text constant of every row, typed as a one-value ENUM: the Parquet writer skips hashing it per row."""
    return f"CAST({lit(text)} AS ENUM({lit(text)}))"


def _per_row_columns(props: list[Prop]) -> str:
    """Select list adding, for the properties standardized per row, ``p:norm`` and ``p:why`` to ``work_raw``.

    Where the type has a cheap condition under which the raw text is already its valid value (a record id
    without blanks), ``p:same`` holds it and the normalization and checks run only on the other rows."""
    same = {p.prop: p.field.etype.sql_unchanged_valid(raw_col(p.prop)) for p in props}
    flags = "".join(f", {cond} AS {q(prop + ':same')}" for prop, cond in same.items() if cond)

    def unless_same(p: Prop, when_same: str, expr: str) -> str:
        return f"CASE WHEN {q(p.prop + ':same')} THEN {when_same} ELSE {expr} END" if same[p.prop] else expr

    norms = ", ".join(
        f"{unless_same(p, raw_col(p.prop), p.field.etype.sql_normalize(raw_col(p.prop)))} AS {q(p.prop + ':norm')}"
        for p in props
    )
    codes = ", ".join(
        f"{unless_same(p, 'NULL', p.field.etype.sql_reason(q(p.prop + ':norm'), raw_col(p.prop)))} "
        f"AS {q(p.prop + ':code')}"
        for p in props
    )
    whys = []
    for p in props:
        code = q(p.prop + ":code")
        why = f"CASE WHEN {code} IS NOT NULL THEN {lit(p.field.etype.name + '.')} || {code}"
        if p.blocking:
            why += f" WHEN {q(p.prop + ':norm')} IS NULL THEN 'required.missing'"
        whys.append(f"{why} END AS {q(p.prop + ':why')}")
    excluded = ", ".join([q(p.prop + ":code") for p in props] + [q(prop + ":same") for prop, c in same.items() if c])
    return (
        f"SELECT * EXCLUDE ({excluded}), {', '.join(whys)} FROM "
        f"(SELECT *, {codes} FROM (SELECT *, {norms} FROM (SELECT *{flags} FROM work_raw)))"
    )


def all_unchanged_valid(props: list[Prop]) -> bool:
    return all(p.field.etype.sql_unchanged_valid("x") for p in props)


def repetitive_fields(con: duckdb.DuckDBPyConnection, fields: list[FieldSpec], has_rid: bool) -> frozenset[str]:
    """Properties whose values repeat enough to standardize per distinct value.

    Judged on the first SAMPLE_ROWS rows (a HyperLogLog estimate over the whole unit costs a tenth of the
    ingest): a prefix holds a larger share of distinct values than the whole file, hence the lenient bar.
    """
    total = con.execute("SELECT count(*) FROM src").fetchall()[0][0]
    if total < MIN_ROWS_TO_DEDUPLICATE or not fields:
        return frozenset()
    sample = min(total, SAMPLE_ROWS)
    counts = ", ".join(f"approx_count_distinct({raw_col(f.prop)})" for f in fields)
    # A filter on the rowid reaches the table scan; LIMIT reads more than it keeps (three times slower).
    rows = f"work_raw WHERE _rid < {sample}" if has_rid else f"(SELECT * FROM work_raw LIMIT {sample})"
    estimates = con.execute(f"SELECT {counts} FROM {rows}").fetchall()[0]
    return frozenset(f.prop for f, n in zip(fields, estimates, strict=True) if n <= DEDUP_MAX_DISTINCT_SHARE * sample)


def standardize(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    day_of: str | None = None,
) -> Standardized:
    """Standardize the unit in ``src`` (and ``join_<name>``); ``day_of`` is the property whose date partitions
    the records. Creates ``work``, the lookups, ``bad`` and ``qrows`` in ``con``."""
    for f in mapping.fields:
        f.etype.sql_setup(con)
    raws = ", ".join(f"{raw_expr(f)} AS {raw_col(f.prop)}" for f in mapping.fields)
    has_rid = "_rid" in [r[0] for r in con.execute("DESCRIBE src").fetchall()]
    rid = "src._rid, " if has_rid else ""
    con.execute(f"CREATE OR REPLACE TEMP VIEW work_raw AS SELECT {rid}src._row, {raws} FROM src{reader_joins(mapping)}")
    in_python = {f.prop for f in mapping.fields if not f.etype.vectorized}
    candidates = [f for f in mapping.fields if f.prop not in in_python]
    repeated = repetitive_fields(con, candidates, has_rid)
    props = [Prop(f, f.required or f.prop in mapping.keys) for f in mapping.fields]
    per_row = [p for p in props if p.prop not in in_python | repeated]
    select = _per_row_columns(per_row) if per_row else "SELECT * FROM work_raw"
    # A table when the reader joins other tables (joined once) or a property is normalized per row at a cost
    # (computed once: copying the unit's columns costs less than computing such values again). A view when
    # every per-row value is, on nearly every row, its raw text under one cheap condition (record ids): then
    # checking it where it is used costs less than the copy (1.2 s for 5 M passes with ids).
    kind = "TABLE" if mapping.reader.joins or not all_unchanged_valid(per_row) else "VIEW"
    con.execute(f"CREATE OR REPLACE TEMP {kind} work AS {select}")
    for i, p in enumerate(props):
        if p.prop in in_python | repeated:
            p.lookup = lookups.build(con, p.field, i, raw_col(p.prop), p.blocking, p.prop == day_of)
    unit = Standardized(con, mapping, props)
    unit._find_bad_rows()
    return unit
