"""Source readers: each loads one unit of a source (a file, or a SQL table) into DuckDB as text.

A reader creates, in the ingest connection,

* ``src``: one row per source record, every needed source field as VARCHAR plus ``_row`` (the record's
  position in the source: the line number for CSV and JSON lines, 1-based) and, where ``src`` is a view
  numbering a table by its rowid, ``_rid`` (that rowid), and
* ``src_rejects(_row, raw, reason)``: records that could not even be parsed (a truncated CSV line, a line
  that is not JSON), so that they reach quarantine instead of vanishing.

Readers are registered by format name; adding a format is adding a function to ``READERS``.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from policecloud.data.ingest import encoding as enc
from policecloud.data.ingest.mapping import ReaderSpec, SourceMapping
from policecloud.platform.sql import ident as _q
from policecloud.platform.sql import literal as _lit

JSON_ROOT = "$"


class ReadError(ValueError):
    """A source that cannot be read at all (missing file, unknown column, bad encoding), said clearly."""


@dataclass(frozen=True)
class Unit:
    """One batch worth of a source: a file of a (possibly daily) file source, or the whole SQL source."""

    source: str
    path: Path | None
    label: str


def units(mapping: SourceMapping, sources_dir: Path) -> list[Unit]:
    spec = mapping.reader
    if spec.format == "sql":
        return [Unit(mapping.source, None, spec.table or "query")]
    pattern = str(sources_dir / (spec.path or ""))
    paths = sorted(Path(p) for p in glob.glob(pattern))
    if not paths:
        raise ReadError(f"{mapping.source}: no file matches {spec.path!r} under {sources_dir}")
    return [Unit(mapping.source, p, p.name) for p in paths]


def _empty_rejects(con: duckdb.DuckDBPyConnection, target: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {target}_rejects (_row BIGINT, raw VARCHAR, reason VARCHAR)")


def _check_columns(unit: Unit, available: Sequence[str], needed: Sequence[str]) -> None:
    missing = [c for c in needed if c not in available]
    if missing:
        raise ReadError(
            f"{unit.source}: {unit.label} has no column {', '.join(map(repr, missing))}; "
            f"its columns are: {', '.join(available)}"
        )


def read_csv(con, unit: Unit, spec: ReaderSpec, needed: Sequence[str], workdir: Path, target: str) -> None:
    assert unit.path is not None
    path = unit.path
    if spec.encoding == "auto":
        encoding = enc.detect(path)
    else:
        encoding = enc.canonical(spec.encoding)
        enc.verify_sample(path, encoding)
    if encoding == "gb18030":  # transcoding checks every byte on the way
        utf8 = workdir / (path.name + ".utf8")
        enc.transcode_to_utf8(path, utf8, encoding)
        path = utf8
    options = (
        f"all_varchar = true, header = {str(spec.header).lower()}, delim = {_lit(spec.delimiter)}, "
        f"quote = {_lit(spec.quote)}, escape = {_lit(spec.quote)}, auto_detect = true, "
        f"store_rejects = true, rejects_table = '{target}_csv_rejects', rejects_scan = '{target}_csv_scans', "
        "ignore_errors = true"
    )
    header = con.execute(f"SELECT * FROM read_csv({_lit(path)}, {options}) LIMIT 0").description
    if header is None:
        raise ReadError(f"{unit.source}: {unit.label} is empty")
    columns = [d[0] for d in header]
    _check_columns(unit, columns, needed)
    selected = ", ".join(_q(c) for c in needed) or "NULL AS _nothing"
    first_line = 2 if spec.header else 1
    # A table created from a scan keeps the file's order (DuckDB preserves insertion order), so its rowid is the
    # record's position: free, where row_number() OVER () is a single-threaded window over the whole file.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target}_raw AS SELECT {selected} FROM read_csv({_lit(path)}, {options})"
    )
    # Rejected lines (one per line even if DuckDB reports several errors on it), in file order.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target}_rejects AS SELECT line AS _row, any_value(csv_line) AS raw, "
        "'csv.' || lower(replace(any_value(error_type), ' ', '_')) AS reason "
        f"FROM {target}_csv_rejects GROUP BY line"
    )
    # _row: the line number as if no line were rejected; corrected below when some were.
    numbered = f"(SELECT rowid + {first_line} AS _row, * FROM {target}_raw)"
    if not con.execute(f"SELECT count(*) FROM {target}_rejects").fetchall()[0][0]:
        # _rid (the rowid itself) lets a later filter on it reach the table scan: fetching a few rows by it
        # reads only those rows, where a filter on the computed _row reads every row.
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {target} AS "
            f"SELECT rowid AS _rid, rowid + {first_line} AS _row, * FROM {target}_raw"
        )
        return
    # A parsed record moves down by the number of rejected lines before it: an ASOF join on, for the j-th
    # rejected line, how many records were parsed before it.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {target} AS
        WITH r AS (SELECT _row - row_number() OVER (ORDER BY _row) AS parsed_before_line,
                          row_number() OVER (ORDER BY _row) AS j FROM {target}_rejects)
        SELECT s.* EXCLUDE (_row), s._row + coalesce(r.j, 0) AS _row
        FROM {numbered} s ASOF LEFT JOIN r ON s._row > r.parsed_before_line"""
    )


def read_jsonl(con, unit: Unit, spec: ReaderSpec, needed: Sequence[str], workdir: Path, target: str) -> None:
    assert unit.path is not None
    encoding = enc.detect(unit.path)
    path = unit.path
    if encoding == "gb18030":
        path = workdir / (unit.path.name + ".utf8")
        enc.transcode_to_utf8(unit.path, path, encoding)
    # Read lines verbatim: a line that is not a JSON object is quarantined, never skipped.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target}_lines_raw AS SELECT line FROM read_csv("
        f"{_lit(path)}, columns = {{'line': 'VARCHAR'}}, header = false, delim = '\x1f', quote = '', "
        "escape = '', auto_detect = false, strict_mode = false)"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {target}_lines AS SELECT rowid + 1 AS _row, line FROM {target}_lines_raw")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target}_rejects AS SELECT _row, line AS raw, "
        f"'jsonl.invalid_json' AS reason FROM {target}_lines "
        "WHERE NOT coalesce(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' END, false)"
    )
    fields = ", ".join(f"json_extract_string(line, {_lit(_json_path(c))}) AS {_q(c)}" for c in needed)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT _row{', ' + fields if fields else ''} "
        f"FROM {target}_lines WHERE _row NOT IN (SELECT _row FROM {target}_rejects)"
    )


def _json_path(column: str) -> str:
    # Dotted names reach into nested objects: guest.id_no → $."guest"."id_no"
    return JSON_ROOT + "".join(f'."{part}"' for part in column.split("."))


def read_parquet(con, unit: Unit, spec: ReaderSpec, needed: Sequence[str], workdir: Path, target: str) -> None:
    assert unit.path is not None
    try:
        columns = [d[0] for d in con.execute(f"SELECT * FROM read_parquet({_lit(unit.path)}) LIMIT 0").description]
    except duckdb.Error as exc:
        raise ReadError(f"{unit.source}: {unit.label} is not a readable Parquet file: {exc}") from None
    _check_columns(unit, columns, needed)
    selected = ", ".join(f"CAST({_q(c)} AS VARCHAR) AS {_q(c)}" for c in needed)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT file_row_number + 1 AS _row"
        f"{', ' + selected if selected else ''} FROM read_parquet({_lit(unit.path)}, file_row_number = true)"
    )
    _empty_rejects(con, target)


def read_sql(
    con, unit: Unit, spec: ReaderSpec, needed: Sequence[str], workdir: Path, target: str, sources_dir: Path
) -> None:
    import sqlalchemy as sa

    url = (spec.url or "").replace("{sources}", str(sources_dir))
    query = spec.query or f"SELECT * FROM {_q(spec.table or '')}"
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(sa.text(query))
            columns = list(result.keys())
            _check_columns(unit, columns, needed)
            index = [columns.index(c) for c in needed]
            _load_rows(con, f"{target}_raw", needed, ([r[i] for i in index] for r in result))
    except sa.exc.SQLAlchemyError as exc:
        raise ReadError(f"{unit.source}: cannot read {url}: {exc.__class__.__name__}: {exc}") from None
    con.execute(f"CREATE OR REPLACE TEMP VIEW {target} AS SELECT * FROM {target}_raw")
    _empty_rejects(con, target)


def _load_rows(con, table: str, columns: Sequence[str], rows, chunk: int = 100_000) -> None:
    """Append rows (as text) into a DuckDB table in Arrow chunks; ``_row`` numbers them from 1."""
    schema = pa.schema([("_row", pa.int64())] + [(c, pa.string()) for c in columns])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM (SELECT 1) WHERE false")
    first, buffer = True, []

    def flush() -> None:
        nonlocal first
        cols = list(zip(*buffer, strict=True)) if buffer else [[] for _ in range(len(columns) + 1)]
        batch = pa.table([pa.array(c, t.type) for c, t in zip(cols, schema, strict=True)], schema=schema)
        con.register("_chunk", batch)
        if first:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _chunk")
            first = False
        else:
            con.execute(f"INSERT INTO {table} SELECT * FROM _chunk")
        con.unregister("_chunk")
        buffer.clear()

    for n, row in enumerate(rows, start=1):
        buffer.append((n, *(None if v is None else str(v) for v in row)))
        if len(buffer) >= chunk:
            flush()
    if buffer or first:
        flush()


Reader = Callable[..., None]
READERS: dict[str, Reader] = {
    "csv": read_csv,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "sql": read_sql,
}


def open_unit(
    con: duckdb.DuckDBPyConnection,
    mapping: SourceMapping,
    unit: Unit,
    needed: Sequence[str],
    workdir: Path,
    sources_dir: Path,
    target: str = "src",
) -> None:
    """Load ``unit`` into ``target`` and ``<target>_rejects``; a failure becomes a ReadError, said clearly."""
    reader = READERS[mapping.reader.format]
    try:
        if mapping.reader.format == "sql":
            read_sql(con, unit, mapping.reader, needed, workdir, target, sources_dir)
        else:
            reader(con, unit, mapping.reader, needed, workdir, target)
    except enc.EncodingError as exc:
        raise ReadError(f"{unit.source}: {exc}") from None
    except OSError as exc:
        raise ReadError(f"{unit.source}: cannot read {unit.label}: {exc.strerror or exc}") from None
    except duckdb.Error as exc:
        raise ReadError(f"{unit.source}: cannot read {unit.label}: {str(exc).splitlines()[0]}") from None
