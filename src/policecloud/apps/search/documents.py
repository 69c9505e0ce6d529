"""Search documents from the master data (entities, statements, links) and from texts in the warehouse.

One document per master entity (``entities`` with the values of ``statements``), one per 110 call and per
criminal case (narrative / summary, category, place, with the entities the master ``links`` attach to the
record). Rows are computed with DuckDB and written to a Parquet file first, each with a *fingerprint* of its
content, so an incremental update re-indexes exactly the documents whose content changed.

Views needed on the connection: ``entities`` and ``statements`` (entity documents), ``call110`` and / or
``criminal_case`` (texts); ``links``, ``case_involvement``, ``address_matches`` + ``address_registry`` are used
when present. :func:`connect_sources` makes such a connection from a master directory and a warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from policecloud.apps.search.fields import SearchDoc
from policecloud.platform.sql import literal as _q
from policecloud.platform.sql import literals as _in

# Statement properties by what the index does with them (others are not indexed).
# (owner_id: a vehicle is found by its owner's ID number too, ranked below the owner.)
IDENTIFIER_PROPERTIES = ("id_number", "plate", "phone", "number", "mobile", "uscc", "vin", "owner_id")
NAME_PROPERTIES = ("name", "former_name", "alias")
ADDRESS_PROPERTIES = ("address", "registered_address", "current_address", "text")
DESCRIPTIVE_PROPERTIES = (
    "brand",
    "color",
    "org_type",
    "plate_type",
    "model",
    "use",
    "owner_name",
    "legal_representative",
)
TEXT_TABLES = ("call110", "criminal_case")


def relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}


def resolve_master_dir(master_dir: Path) -> Path:
    """A run directory (holding ``entities.parquet``), given it or the master root (holding ``current.json``)."""
    from policecloud.data.resolve.master import MasterMissing, run_versions

    master_dir = Path(master_dir)
    if (master_dir / "entities.parquet").exists():
        return master_dir
    runs = run_versions(master_dir)  # the layout of policecloud.data.resolve.master: runs/<run>/, current.json
    run = runs.live_name(strict=True)
    if run is not None:
        return runs.home / run
    raise MasterMissing(master_dir.parent)


def connect_sources(master_dir: Path | None, warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the warehouse views and the master views of ``master_dir`` (if given)."""
    from policecloud.data.resolve.master import attach_views
    from policecloud.data.warehouse import open_warehouse

    con = open_warehouse(warehouse_dir).connect()
    if master_dir is not None:
        attach_views(con, resolve_master_dir(master_dir))
    return con


def entity_sql() -> str:
    """One row per entity: what its document needs, and a fingerprint of it."""
    return f"""
    WITH st AS (
        SELECT entity_id,
            list_sort(list_distinct(list(value) FILTER (WHERE property IN ({_in(IDENTIFIER_PROPERTIES)})))) AS ids,
            list_sort(list_distinct(list(value) FILTER (WHERE property IN ({_in(NAME_PROPERTIES)})))) AS names,
            list_sort(list_distinct(list(value) FILTER (WHERE property IN ({_in(ADDRESS_PROPERTIES)})))) AS addrs,
            list_sort(list_distinct(list(value) FILTER (WHERE property IN ({_in(DESCRIPTIVE_PROPERTIES)})))) AS descr
        FROM statements WHERE value IS NOT NULL AND value <> '' GROUP BY entity_id
    ), rows AS (
        SELECT e.entity_id AS doc_id, e.entity_type AS doc_type,
            coalesce(e.caption, e.key, e.entity_id) AS caption, e.key, e.county,
            coalesce(e.records, 0)::BIGINT AS records,
            epoch(e.first_seen)::BIGINT AS first_seen, epoch(e.last_seen)::BIGINT AS last_seen,
            coalesce(st.ids, []) AS identifiers, coalesce(st.names, []) AS names,
            coalesce(st.addrs, []) AS addresses, coalesce(st.descr, []) AS texts,
            []::VARCHAR[] AS entities, NULL::VARCHAR AS record_key, NULL::VARCHAR AS record_id,
            NULL::VARCHAR AS body, NULL::VARCHAR AS place
        FROM entities e LEFT JOIN st ON st.entity_id = e.entity_id
    )
    SELECT *, {_fingerprint()} AS fingerprint FROM rows
    """


def _fingerprint() -> str:
    columns = (
        "doc_type",
        "caption",
        "key",
        "county",
        "records",
        "first_seen",
        "last_seen",
        "identifiers",
        "names",
        "addresses",
        "texts",
        "entities",
        "record_key",
        "record_id",
        "body",
        "place",
    )
    return "md5(concat_ws('\x1f', " + ", ".join(f"coalesce({c}::VARCHAR, '\x1e')" for c in columns) + "))"


def text_sql(con: duckdb.DuckDBPyConnection) -> str | None:
    """One row per 110 call and per criminal case, with the entities the master links attach to it."""
    have = relations(con)
    parts = []
    links = "links" in have
    linked = (
        f"""SELECT record_key, list_sort(list_distinct(list(entity_id))) AS entities FROM links
            WHERE table_name IN ({_in(TEXT_TABLES)}) AND entity_id IS NOT NULL GROUP BY record_key"""
        if links
        else "SELECT NULL::VARCHAR AS record_key, []::VARCHAR[] AS entities WHERE false"
    )
    involved = (
        """SELECT ci.case_id, list_sort(list_distinct(list(l.entity_id))) AS entities
           FROM case_involvement ci JOIN links l ON l.record_key = ci.batch || ':' || ci."row"
           WHERE l.table_name = 'case_involvement' AND l.entity_id IS NOT NULL GROUP BY ci.case_id"""
        if links and "case_involvement" in have
        else "SELECT NULL::VARCHAR AS case_id, []::VARCHAR[] AS entities WHERE false"
    )
    located = (
        f"""SELECT m.record_key, min(r.county) AS county FROM address_matches m
            JOIN address_registry r ON r.address_id = m.address_id
            WHERE m.table_name IN ({_in(TEXT_TABLES)}) AND m.field = 'place' GROUP BY m.record_key"""
        if {"address_matches", "address_registry"} <= have
        else "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS county WHERE false"
    )
    common = """l.entities, t.batch || ':' || t."row" AS record_key, t.id AS record_id, t.place,
        a.county, 0::BIGINT AS records, epoch(t.time)::BIGINT AS first_seen, epoch(t.time)::BIGINT AS last_seen"""
    if "call110" in have:
        parts.append(f"""
        SELECT 'call110:' || t.batch || ':' || t."row" AS doc_id, 'call110' AS doc_type,
            coalesce(t.call_number, t.id) AS caption, t.call_number AS key,
            list_sort(list_distinct([t.caller_phone])) AS identifiers, []::VARCHAR[] AS names,
            []::VARCHAR[] AS addresses, list_sort(list_distinct([t.category, t.caller_name])) AS texts,
            t.narrative AS body, {common}
        FROM call110 t LEFT JOIN linked l ON l.record_key = t.batch || ':' || t."row"
        LEFT JOIN located a ON a.record_key = t.batch || ':' || t."row" """)
    if "criminal_case" in have:
        parts.append("""
        SELECT 'criminal_case:' || t.batch || ':' || t."row" AS doc_id, 'criminal_case' AS doc_type,
            concat_ws(' ', coalesce(t.case_number, t.id), t.category) AS caption, t.case_number AS key,
            []::VARCHAR[] AS identifiers, []::VARCHAR[] AS names, []::VARCHAR[] AS addresses,
            list_sort(list_distinct([t.category, t.case_type])) AS texts, t.summary AS body,
            list_sort(list_distinct(list_concat(coalesce(l.entities, []), coalesce(i.entities, [])))) AS entities,
            t.batch || ':' || t."row" AS record_key, t.id AS record_id, t.place, a.county, 0::BIGINT AS records,
            epoch(t.time)::BIGINT AS first_seen, epoch(t.time)::BIGINT AS last_seen
        FROM criminal_case t LEFT JOIN linked l ON l.record_key = t.batch || ':' || t."row"
        LEFT JOIN involved i ON i.case_id = t.case_number
        LEFT JOIN located a ON a.record_key = t.batch || ':' || t."row" """)
    if not parts:
        return None
    columns = (
        "doc_id, doc_type, caption, key, county, records, first_seen, last_seen, identifiers, names, "
        "addresses, texts, coalesce(entities, []) AS entities, record_key, record_id, body, place"
    )
    union = " UNION ALL ".join(f"SELECT {columns} FROM ({p})" for p in parts)
    return f"""
    WITH linked AS ({linked}), involved AS ({involved}), located AS ({located}), rows AS ({union})
    SELECT *, {_fingerprint()} AS fingerprint FROM rows
    """


def write_rows(con: duckdb.DuckDBPyConnection, out: Path, with_master: bool = True) -> dict[str, Path]:
    """Compute the document rows into Parquet files under ``out``; returns {'entities'|'texts': path}."""
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    have = relations(con)
    queries = {}
    if with_master and {"entities", "statements"} <= have:
        queries["entities"] = entity_sql()
    if (texts := text_sql(con)) is not None:
        queries["texts"] = texts
    for name, sql in queries.items():
        path = out / f"{name}.parquet"
        con.execute(f"COPY ({sql}) TO {_q(path)} (FORMAT parquet, COMPRESSION zstd)")
        written[name] = path
    return written


def iter_docs(
    con: duckdb.DuckDBPyConnection, rows_sql: str, batch_rows: int = 20_000
) -> Iterator[tuple[SearchDoc, str]]:
    """Documents (with their fingerprint) from a query over written rows; places without a county are parsed."""
    from policecloud.data.model.address import parse_many

    counties: dict[str, str | None] = {}
    reader = con.cursor().sql(rows_sql).to_arrow_reader(batch_rows)
    for batch in reader:
        rows = batch.to_pylist()
        unknown = sorted({r["place"] for r in rows if not r["county"] and r["place"] and r["place"] not in counties})
        for place, parsed in zip(unknown, parse_many(unknown), strict=True):
            counties[place] = parsed.county_code
        for r in rows:
            fingerprint = r.pop("fingerprint")
            if not r["county"] and r["place"]:
                r["county"] = counties.get(r["place"])
            yield SearchDoc(**r), fingerprint


def similar_name_pairs(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Character substitutions observed in the data: names of one entity differing in exactly one character.

    Resolution links records with typed names (刘伟 / 柳伟) to one person; those pairs tell the name search
    which substitutions really happen, so a query with such a typo ranks the right person first.
    """
    if "statements" not in relations(con):
        return {}
    rows = con.execute(
        f"""WITH n AS (SELECT DISTINCT entity_id, value FROM statements
                       WHERE property IN ({_in(NAME_PROPERTIES)}) AND length(value) BETWEEN 2 AND 4)
            SELECT a.value, b.value FROM n a JOIN n b
            ON a.entity_id = b.entity_id AND a.value < b.value AND length(a.value) = length(b.value)"""
    ).fetchall()
    pairs: dict[str, dict[str, int]] = {}
    for left, right in rows:
        diff = [(x, y) for x, y in zip(left, right, strict=True) if x != y]
        if len(diff) == 1:
            x, y = diff[0]
            pairs.setdefault(x, {}).setdefault(y, 0)
            pairs.setdefault(y, {}).setdefault(x, 0)
            pairs[x][y] += 1
            pairs[y][x] += 1
    return pairs
