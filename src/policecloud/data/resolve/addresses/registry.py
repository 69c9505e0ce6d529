"""The standard address registry (标准地址库) built from the registers that hold standard addresses.

Sources: the house registry (``house.address``, the 标准地址 of every dwelling) and the organization registry
(``organization.address``, business premises, usually at door-number level). Each distinct text is parsed once
(:mod:`policecloud.data.model.address`), the only step done in Python; texts that do not reach a door number (or a
building in a named compound or village) inside a known county are not standard addresses and are left out.
Deduplication, the parents, the sources and the canonical text are computed in SQL.

Identity. An address is its **element key**: the county code and the elements below it, as parsed —
``county|township|community|road|number|poi|building|unit|room`` (empty for a missing element; the floor is left
out because it is written inconsistently and follows from the room). Two source rows with the same key are one
address; the key is the entity's anchor:

* ``address_id`` = ``'A'`` + the first 16 hex digits of SHA-256(key) (the master-data id scheme);
* ``code`` (地址编码) = the 6-digit county code + the same 16 hex digits in upper case: stable across runs and
  sources, unique with the id, and the county (jurisdiction) can be read off its first six characters.

Hierarchy. Every address below a door number also gives its parents, so that a mention written only down to
the door plate (a 110 call at 文化路184号) or the building has a standard address to match: the **building**
(the key without unit and room) and the **door plate** (门牌: without the named place, building, unit and room).
``parent_id`` points one level up; ``level`` says which level a row is (``room``, ``unit``, ``building``,
``poi``, ``door``).

Columns follow the master-data contract (``community`` holds the 社区/村 when written, else the named compound
such as 金色小区; ``poi`` keeps the compound name itself), plus ``element_key``, ``level``, ``parent_id``,
``county_name``, ``poi``, ``geocode_method`` (see :mod:`address_geocode`) and ``records`` (source rows naming
the address itself). ``text`` is the canonical text (elements in order, a repeated division named once).
The table ``address_aliases (text, address_id)`` lists every source spelling of a registry address, so that
matching can take the (very common) verbatim repeats without parsing them again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from policecloud.data.model.address import AddressParser, ParsedAddress
from policecloud.data.resolve.addresses.geocode import Geocoder
from policecloud.data.resolve.records import columns, entity_id_sql, has_table

# The elements of the key after the county code, in the order they are written.
KEY_ELEMENTS = ("township", "community", "road", "number", "poi", "building", "unit", "room")
# Where registry addresses come from: (warehouse table, column).
REGISTRY_SOURCES = (("house", "address"), ("organization", "address"))
_ROOM_FLOOR = re.compile(r"([0-9]{1,3})[0-9]{2}室")
_ELEMENT_COLUMNS = ("county", *KEY_ELEMENTS)
_UPPER_COLUMNS = ("province", "prefecture", "county_name")
_PARSED_SCHEMA = pa.schema([("text", pa.string()), *((n, pa.string()) for n in (*_ELEMENT_COLUMNS, *_UPPER_COLUMNS))])


def element_key(parsed: ParsedAddress) -> tuple[str | None, ...]:
    """(county code, township, community, road, number, poi, building, unit, room) of a parsed address."""
    return (parsed.county_code, *(getattr(parsed, name) for name in KEY_ELEMENTS))


def key_text(key: Sequence[str | None]) -> str:
    """The element key as one string (what the id hashes); ``_key_sql`` writes the same in SQL."""
    return "|".join(value or "" for value in key)


def is_registrable(parsed: ParsedAddress) -> bool:
    """A standard address needs a county and a door number (or a building inside a named village/compound)."""
    return bool(parsed.county_code and (parsed.number or (parsed.building and (parsed.poi or parsed.community))))


def derived_floor(room: str | None) -> str | None:
    """The floor a room number implies (503室 → 5层, 1204室 → 12层); None when it implies none.
    ``_FLOOR_SQL`` is the same rule in SQL."""
    m = _ROOM_FLOOR.fullmatch(room or "")
    return f"{int(m.group(1))}层" if m and int(m.group(1)) > 0 else None


_FLOOR_SQL = (
    "CASE WHEN regexp_full_match(room, '[0-9]{1,3}[0-9]{2}室') "
    "AND CAST(regexp_extract(room, '^([0-9]{1,3})[0-9]{2}室$', 1) AS INTEGER) > 0 "
    "THEN CAST(CAST(regexp_extract(room, '^([0-9]{1,3})[0-9]{2}室$', 1) AS INTEGER) AS VARCHAR) || '层' END"
)


def _key_sql(columns: Sequence[str]) -> str:
    return "concat_ws('|', " + ", ".join(f"coalesce({c}, '')" for c in columns) + ")"


def parse_registry_texts(texts: list[str], parser: AddressParser, chunk: int = 50_000) -> pa.Table:
    """(text, elements, upper division names) of every text that is a standard address, as an Arrow table
    built ``chunk`` texts at a time (only the elements stay in memory, not the parsed objects)."""
    batches = []
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        columns: dict[str, list] = {name: [] for name in _PARSED_SCHEMA.names}
        for text, p in zip(part, parser.parse_many(part), strict=True):
            if p.conflicts or not is_registrable(p):
                continue
            values = (text, *element_key(p), p.province, p.city, p.county)
            for name, value in zip(_PARSED_SCHEMA.names, values, strict=True):
                columns[name].append(value)
        batches.append(pa.table(columns, schema=_PARSED_SCHEMA))
    return pa.concat_tables(batches) if batches else _PARSED_SCHEMA.empty_table()


def checkpoint_centres(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[float, float]]:
    """county code → mean (lon, lat) of its road checkpoints (``checkpoint.location`` is 'lon,lat')."""
    if not has_table(con, "checkpoint") or not {"county", "location"} <= columns(con, "checkpoint"):
        return {}
    rows = con.execute(
        """SELECT county, avg(TRY_CAST(split_part(location, ',', 1) AS DOUBLE)),
                  avg(TRY_CAST(split_part(location, ',', 2) AS DOUBLE))
           FROM checkpoint WHERE county IS NOT NULL GROUP BY county"""
    ).fetchall()
    return {county: (lon, lat) for county, lon, lat in rows if lon is not None and lat is not None}


# The address itself, its building (without unit and room) and its door plate (without the named place and
# everything below), each only when it differs from the address; records count for the address itself only.
_NODES_SQL = """
SELECT {itself}, sources, records FROM _ar_rows
UNION ALL SELECT {building}, sources, 0 FROM _ar_rows
    WHERE building IS NOT NULL AND coalesce(unit, room) IS NOT NULL
UNION ALL SELECT {door}, sources, 0 FROM _ar_rows
    WHERE number IS NOT NULL AND coalesce(poi, building, unit, room) IS NOT NULL
"""
_BELOW_BUILDING = ("unit", "room")
_BELOW_DOOR = ("poi", "building", "unit", "room")


def _without(dropped: Sequence[str], alias: bool = True) -> list[str]:
    """The element columns with the ``dropped`` ones NULL (keeping the column name when ``alias``)."""
    return [(f"NULL AS {c}" if alias else "NULL") if c in dropped else c for c in _ELEMENT_COLUMNS]


def _nodes_sql() -> str:
    upper = ", ".join(_UPPER_COLUMNS)
    return _NODES_SQL.format(
        itself=", ".join([*_ELEMENT_COLUMNS, upper]),
        building=", ".join([*_without(_BELOW_BUILDING), upper]),
        door=", ".join([*_without(_BELOW_DOOR), upper]),
    )


REFERENCE_FILES = {"roads": "roads.geojson", "counties": "boundaries_counties.geojson",
                   "prefectures": "boundaries_prefectures.geojson"}  # fmt: skip


def reference_files(directory: Path | None) -> dict[str, Path]:
    """The reference files found in a province directory (``<dir>/reference/``) or a reference directory."""
    if directory is None:
        return {}
    for base in (Path(directory) / "reference", Path(directory)):
        found = {key: base / name for key, name in REFERENCE_FILES.items() if (base / name).is_file()}
        if found:
            return found
    return {}


def build_address_registry(
    con: duckdb.DuckDBPyConnection,
    reference: Path | None = None,
    *,
    roads: Path | None = None,
    counties: Path | None = None,
    prefectures: Path | None = None,
    parser: AddressParser | None = None,
    table: str = "address_registry",
    aliases_table: str = "address_aliases",
) -> dict[str, int]:
    """Create ``table`` (the registry) and ``aliases_table`` in ``con`` from the warehouse views.

    Coordinates (:mod:`address_geocode`) come from the reference road network and boundaries (GeoJSON): the
    files of :data:`REFERENCE_FILES` in ``reference`` (a province directory or its ``reference/``), or the
    paths given as ``roads`` / ``counties`` / ``prefectures``, which take precedence. Without them the
    registry has no coordinates (``geocode_method`` 'none'). Returns counts of addresses, aliases and
    addresses by level.
    """
    found = reference_files(reference)
    roads, counties, prefectures = (
        given or found.get(key)
        for key, given in (("roads", roads), ("counties", counties), ("prefectures", prefectures))
    )
    parser = parser or AddressParser(cache_size=0)  # the texts are distinct: a cache would only fill up
    selects = [
        f"SELECT {column} AS text, source FROM {name} WHERE nullif(trim({column}), '') IS NOT NULL"
        for name, column in REGISTRY_SOURCES
        if has_table(con, name)
    ] or ["SELECT NULL::VARCHAR AS text, NULL::VARCHAR AS source WHERE false"]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ar_texts AS
            SELECT text, list(DISTINCT source ORDER BY source) AS sources, count(*)::INTEGER AS records
            FROM ({" UNION ALL ".join(selects)}) GROUP BY text"""
    )
    texts = [row[0] for row in con.execute("SELECT text FROM _ar_texts ORDER BY text").fetchall()]
    con.register("_ar_parsed", parse_registry_texts(texts, parser))
    del texts
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ar_rows AS SELECT *, {_key_sql(_ELEMENT_COLUMNS)} AS element_key
                FROM _ar_parsed p JOIN _ar_texts t USING (text)"""
        )
    finally:
        con.unregister("_ar_parsed")
    elements = ", ".join(_ELEMENT_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ar_nodes AS
            SELECT {_key_sql(_ELEMENT_COLUMNS)} AS element_key, {elements},
                   any_value(province) AS province, any_value(prefecture) AS prefecture,
                   any_value(county_name) AS county_name,
                   list_sort(list_distinct(flatten(list(sources)))) AS sources, sum(records)::INTEGER AS records
            FROM ({_nodes_sql()}) GROUP BY ALL"""
    )
    _geocode(con, Geocoder.from_files(roads, counties, prefectures, checkpoint_centres(con)))
    _write_registry(con, table)
    con.execute(
        f"""CREATE OR REPLACE TABLE {aliases_table} AS
            SELECT a.text, r.address_id FROM _ar_rows a JOIN {table} r USING (element_key)"""
    )
    counts = {"addresses": con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]}
    counts["aliases"] = con.execute(f"SELECT count(*) FROM {aliases_table}").fetchall()[0][0]
    counts |= dict(con.execute(f"SELECT level, count(*) FROM {table} GROUP BY level ORDER BY level").fetchall())
    for temp in ("_ar_texts", "_ar_rows", "_ar_nodes", "_ar_places"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return counts


def _geocode(con: duckdb.DuckDBPyConnection, geocoder: Geocoder) -> None:
    """Table ``_ar_places``: coordinates per (county, road, number) — all a position depends on."""
    doors = con.execute("SELECT DISTINCT county, road, number FROM _ar_nodes ORDER BY ALL").fetchall()
    places = geocoder.locate_many(doors)
    columns = list(zip(*[(*door, *place) for door, place in zip(doors, places, strict=True)], strict=True))
    names = ("county", "road", "number", "lon", "lat", "geocode_method")
    types = (pa.string(), pa.string(), pa.string(), pa.float64(), pa.float64(), pa.string())
    schema = pa.schema(list(zip(names, types, strict=True)))
    arrays = [pa.array(list(c), type=t) for c, t in zip(columns, types, strict=True)] if doors else None
    con.register("_ar_places_rows", pa.Table.from_arrays(arrays, schema=schema) if arrays else schema.empty_table())
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _ar_places AS SELECT * FROM _ar_places_rows")
    finally:
        con.unregister("_ar_places_rows")


def _write_registry(con: duckdb.DuckDBPyConnection, table: str) -> None:
    # One level up: the building when the address is below it, else the door plate when below that.
    parent_key = f"""CASE WHEN building IS NOT NULL AND coalesce(unit, room) IS NOT NULL
                            THEN {_key_sql(_without(_BELOW_BUILDING, alias=False))}
                          WHEN number IS NOT NULL AND coalesce(poi, building, unit, room) IS NOT NULL
                            THEN {_key_sql(_without(_BELOW_DOOR, alias=False))} END"""
    text = " || ".join(
        f"coalesce({c}, '')"
        for c in ("province", "CASE WHEN prefecture IN (province, county_name) THEN NULL ELSE prefecture END",
                  "county_name", *KEY_ELEMENTS)
    )  # fmt: skip
    level = """CASE WHEN room IS NOT NULL THEN 'room' WHEN unit IS NOT NULL THEN 'unit'
                    WHEN building IS NOT NULL THEN 'building' WHEN poi IS NOT NULL THEN 'poi' ELSE 'door' END"""
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
            WITH n AS (SELECT *, {parent_key} AS parent_key, {text} AS text, {_FLOOR_SQL} AS floor,
                              {level} AS level FROM _ar_nodes)
            SELECT {entity_id_sql("address", "n.element_key")} AS address_id,
                   n.county || upper(substr(sha256(n.element_key), 1, 16)) AS code,
                   n.text, n.province, n.prefecture, n.county, n.township,
                   coalesce(n.community, n.poi) AS community, n.road, n.number, n.building, n.unit,
                   n.floor, n.room, p.lon, p.lat, n.sources, n.level,
                   {entity_id_sql("address", "n.parent_key")} AS parent_id, n.county_name, n.poi,
                   coalesce(p.geocode_method, 'none') AS geocode_method, n.records, n.element_key
            FROM n LEFT JOIN _ar_places p
              ON p.county = n.county AND p.road IS NOT DISTINCT FROM n.road AND p.number IS NOT DISTINCT FROM n.number
            ORDER BY n.element_key"""
    )
    duplicates = con.execute(f"SELECT count(*) - count(DISTINCT address_id) FROM {table}").fetchall()[0][0]
    if duplicates:  # 64 bits of SHA-256: a collision means a bug, not bad luck
        raise RuntimeError(f"address id collision in {table}: {duplicates}")
