"""The row-level part of an event lookup: which row groups may hold a key, which rows match, and how index
row groups and warehouse query results (whose columns may differ a little) become one table."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from policecloud.data.derived.events.tables import EventTable

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def normalize_key(spec: EventTable, key: str) -> str:
    """The key as the warehouse stores it (a plate in upper case, an ID number with a capital X, …)."""
    if spec.key_type:
        from policecloud.data.model.types import get

        checked = get(spec.key_type).check(key)
        if checked.value is not None and checked.reason is None:
            return str(checked.value)
    return key.strip()


def instant(value: dt.datetime) -> pa.Scalar:
    # From an integer: a zone-aware datetime would make pyarrow import pandas (half a second, once).
    return pa.scalar(micros(value), pa.timestamp("us", tz="UTC"))


def micros(value: dt.datetime) -> int:
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def row_groups(meta: pq.FileMetaData, spec: EventTable, key: bytes, low: int, high: int, bounded: bool) -> list[int]:
    """Row groups whose statistics do not rule out the key (and, with a time range, the time)."""
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    k, t = names.index(spec.key), names.index(spec.time)
    out = []
    for i in range(meta.num_row_groups):
        group = meta.row_group(i)
        stats = group.column(k).statistics
        if stats is not None and stats.has_min_max and not (stats.min_raw <= key <= stats.max_raw):
            continue
        stats = group.column(t).statistics
        if bounded and stats is not None and stats.has_min_max and (stats.max_raw < low or stats.min_raw >= high):
            continue
        out.append(i)
    return out


def predicate(table: pa.Table, spec: EventTable, key: str, start, end) -> pa.ChunkedArray:
    keep = pc.equal(table[spec.key], pa.scalar(key, pa.string()))
    if end is not None:
        keep = pc.and_kleene(keep, pc.less(table[spec.time], instant(end)))
    if start is not None:
        until = pc.coalesce(table[spec.end], table[spec.time]) if spec.end else table[spec.time]
        keep = pc.and_kleene(keep, pc.greater_equal(until, instant(start)))
    return pc.fill_null(keep, False)


def concat(parts: list[pa.Table]) -> pa.Table:
    """One table from index row groups and warehouse query results, whose columns may differ a little
    (a column added by a later ingest; UTC or local time zone; nullability)."""
    parts = [_plain(p) for p in parts]
    schema = pa.unify_schemas([p.schema for p in parts], promote_options="permissive")
    conformed = [
        pa.Table.from_arrays(
            [p[f.name].cast(f.type) if f.name in p.column_names else pa.nulls(p.num_rows, f.type) for f in schema],
            schema=schema,
        )
        for p in parts
    ]
    return conformed[0] if len(conformed) == 1 else pa.concat_tables(conformed)


def _plain(table: pa.Table) -> pa.Table:
    fields = []
    for f in table.schema:
        kind = f.type
        if pa.types.is_timestamp(kind):
            kind = pa.timestamp("us", tz="UTC")
        elif pa.types.is_string_view(kind) or pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(f.name, kind, nullable=True))
    schema = pa.schema(fields)
    return table if table.schema.equals(schema) else table.cast(schema)


def empty(spec: EventTable) -> pa.Table:
    fields = {spec.key: pa.string(), **{c: pa.timestamp("us", tz="UTC") for c in spec.time_columns}}
    fields.update({"id": pa.string(), "source": pa.string(), "batch": pa.string(), "row": pa.int64()})
    return pa.table({n: pa.array([], t) for n, t in fields.items()})
