"""Matching address mentions to the standard address registry: exact first, then fuzzy, else listed for review.

Work is done once per distinct text (addresses repeat a lot: a household's address appears in every register
its members are in), then joined back to the mentions in SQL.

1. **exact, verbatim**: the text is a spelling the registry was built from (``address_aliases``): no parsing.
2. **exact, normalized**: the text parses (:mod:`policecloud.data.model.address`) to the element key of a registry
   address — full-width digits, Chinese numerals, 3-2-501 shorthand, stray blanks and punctuation, the upper
   divisions' spelling (襄樊 / 襄阳市 / missing province) and a written floor that agrees with the room number
   (5层503室) do not matter; a floor that contradicts it (6层503室) sends the mention to review.
3. **fuzzy**: candidates are the registry addresses in the mention's county (its prefecture, or the province,
   when the county is not written) with the **same numbered elements** — door number, building, unit, room.
   A different room number is a different, real dwelling, and string similarity cannot tell a typo from a
   neighbour, so numbers must agree; what may differ is how the names are written. Each candidate is scored on
   the names: road (weight 3), named place / compound (2), community (1), township (1), each compared with
   rapidfuzz's normalized Indel similarity (``fuzz.ratio``) — places, communities and townships without their
   generic suffix (小区, 花园, 社区, 街道 …: 金色小区 and 金色花园 are the same compound written two ways; roads
   keep theirs, 光明路 and 光明街 are different streets). A name present on one side only scores
   :data:`ABSENT` (missing information, not a contradiction); absent on both sides it does not count.

   The best candidate is the match when it scores at least :data:`THRESHOLD` (0.80). Against 沿河路102号金色小区
   3栋2单元503室 in 东风街道: the mention without township and compound name scores 0.85, with a one-character
   slip in the road 0.83 (金邑小区 for 金色小区: 0.83; 金色花园: 1.0); a different compound at the same door and
   room number 0.67, another road 0.67, and a road slip with the compound name missing 0.73 are left unmatched.
   It is **ambiguous** when another candidate scores within :data:`MARGIN` (0.05) of the best (all of those are
   listed), and **unmatched** when no candidate reaches the threshold (or there is none: outside the registry,
   written only down to the road, unparseable).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import duckdb
import pyarrow as pa
from rapidfuzz import fuzz

from policecloud.data.model.address import AddressParser, ParsedAddress
from policecloud.data.resolve.addresses.registry import KEY_ELEMENTS, derived_floor, element_key, key_text
from policecloud.data.resolve.records import has_table

THRESHOLD = 0.80
MARGIN = 0.05
ABSENT = 0.7
WEIGHTS = {"road": 3.0, "poi": 2.0, "community": 1.0, "township": 1.0}
NUMBERED = ("number", "building", "unit", "room")
# Generic suffixes of place names, dropped before comparing (longest first).
_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "社区", "居委会", "村委会", "小区", "花园", "家园", "新村",
             "公寓", "大厦", "苑", "园", "村", "街道", "镇", "乡")  # fmt: skip
_GENERIC = re.compile(f"(?:{'|'.join(_SUFFIXES)})$")
_RESULT_SCHEMA = pa.schema(
    [
        ("raw", pa.string()),
        ("address_id", pa.string()),
        ("score", pa.float64()),
        ("method", pa.string()),
        ("candidates", pa.list_(pa.string())),
    ]
)


_MENTION_SCHEMA = pa.schema([("raw", pa.string()), ("element_key", pa.string()), ("searchable", pa.bool_()),
                             ("any_number", pa.bool_()), ("width", pa.int32()), ("area", pa.string()),
                             *((n, pa.string()) for n in NUMBERED)])  # fmt: skip
_QUERY = re.compile(r"\s*(?:\(|(?:select|with)\b)", re.IGNORECASE)  # a query rather than a table name
_AREA_WIDTHS = (6, 4, 2, 0)  # county, prefecture, province, anywhere: how much of the county code must agree


class Mention(NamedTuple):
    """What the fuzzy score reads of a parsed mention (a :class:`ParsedAddress` has the same attributes)."""

    township: str | None
    community: str | None
    road: str | None
    poi: str | None
    floor: str | None


@dataclass(frozen=True, slots=True)
class Match:
    address_id: str | None
    score: float | None
    method: str  # exact / fuzzy / ambiguous / unmatched
    candidates: tuple[str, ...] | None = None


def _stem(name: str) -> str:
    return _GENERIC.sub("", name) or name


def name_similarity(element: str, a: str | None, b: str | None) -> float | None:
    """Similarity of one name element in [0, 1]; None when both sides lack it."""
    if not a and not b:
        return None
    if not a or not b:
        return ABSENT
    if element != "road":
        a, b = _stem(a), _stem(b)
    return fuzz.ratio(a, b) / 100.0


def score(parsed: ParsedAddress | Mention, key: str) -> float | None:
    """Weighted name similarity of a mention and a registry address (by its element key); None when a floor
    written in the mention contradicts the address's room."""
    fields = dict(zip(("county", *KEY_ELEMENTS), (v or None for v in key.split("|")), strict=True))
    floor = derived_floor(fields["room"])
    if parsed.floor and floor and parsed.floor != floor:
        return None
    total = weights = 0.0
    for element, weight in WEIGHTS.items():
        s = name_similarity(element, getattr(parsed, element), fields[element])
        if s is not None:
            total += weight * s
            weights += weight
    return total / weights if weights else 0.0


def decide(
    parsed: ParsedAddress | Mention,
    candidates: list[tuple[str, str]],
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
) -> Match:
    """The fuzzy verdict over (address_id, element_key) candidates that share the mention's numbered elements."""
    scored = sorted(((s, aid) for aid, key in candidates if (s := score(parsed, key)) is not None), reverse=True)
    if not scored or scored[0][0] < threshold:
        return Match(None, round(scored[0][0], 4) if scored else None, "unmatched")
    best = scored[0][0]
    close = sorted({aid for s, aid in scored if best - s < margin})
    if len(close) > 1:
        return Match(None, round(best, 4), "ambiguous", tuple(close))
    return Match(scored[0][1], round(best, 4), "fuzzy")


def area_of(parsed: ParsedAddress) -> tuple[int, str]:
    """(width, prefix): the part of a registry county code a candidate must share with the mention."""
    if parsed.county_code:
        return 6, parsed.county_code
    if parsed.city_code:
        return 4, parsed.city_code[:4]
    if parsed.province_code:
        return 2, parsed.province_code[:2]
    return 0, ""


def _parse_mentions(texts: list[str], parser: AddressParser, chunk: int = 50_000) -> tuple[pa.Table, dict]:
    """The mention table for the SQL steps, and what the fuzzy score needs of each searchable mention."""
    rows: dict[str, list] = {name: [] for name in _MENTION_SCHEMA.names}
    named: dict[str, Mention] = {}
    for start in range(0, len(texts), chunk):
        part = texts[start : start + chunk]
        for raw, p in zip(part, parser.parse_many(part), strict=True):
            usable = not p.conflicts and not p.empty
            width, area = area_of(p)
            floor_ok = not (p.floor and derived_floor(p.room) and p.floor != derived_floor(p.room))
            searchable = usable and any(getattr(p, n) for n in NUMBERED)
            rows["raw"].append(raw)
            rows["element_key"].append(key_text(element_key(p)) if usable and floor_ok and p.county_code else None)
            rows["searchable"].append(searchable)
            rows["any_number"].append(not p.number and bool(p.poi or p.community))
            rows["width"].append(width)
            rows["area"].append(area)
            for name in NUMBERED:
                rows[name].append(getattr(p, name) or "")
            if searchable:
                named[raw] = Mention(p.township, p.community, p.road, p.poi, p.floor)
    return pa.table(rows, schema=_MENTION_SCHEMA), named


def _candidate_sql(registry: str) -> str:
    """Pairs (raw, address_id, element_key) of unresolved mentions and registry addresses in their blocks."""
    same = " AND ".join(f"coalesce(r.{n}, '') = m.{n}" for n in NUMBERED[1:])
    parts = []
    for width in _AREA_WIDTHS:
        on = f"m.width = {width} AND substr(r.county, 1, {width}) = m.area AND {same}"
        parts.append(f"SELECT m.raw, r.address_id, r.element_key FROM _am_open m JOIN {registry} r "
                     f"ON {on} AND coalesce(r.number, '') = m.number")  # fmt: skip
        parts.append(f"SELECT m.raw, r.address_id, r.element_key FROM _am_open m JOIN {registry} r "
                     f"ON {on} AND m.any_number AND r.number IS NOT NULL")  # fmt: skip
    return " UNION ALL ".join(parts)


def match_addresses(
    con: duckdb.DuckDBPyConnection,
    inputs: str,
    *,
    registry: str = "address_registry",
    aliases: str = "address_aliases",
    table: str = "address_matches",
    parser: AddressParser | None = None,
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
) -> dict[str, int]:
    """Create ``table`` (record_key, table_name, field, raw, address_id, score, method, candidates).

    ``inputs``: a table, view or SELECT with (record_key, table_name, field, raw); blank ``raw`` is skipped.
    Returns the number of mentions by method.
    """
    parser = parser or AddressParser(cache_size=0)  # the texts are distinct: a cache would only fill up
    source = f"({inputs})" if _QUERY.match(inputs) else inputs
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _am_texts AS
            SELECT raw FROM {source} WHERE nullif(trim(raw), '') IS NOT NULL GROUP BY raw"""
    )
    verbatim = f"SELECT t.raw, a.address_id FROM _am_texts t JOIN {aliases} a ON a.text = t.raw"
    if not has_table(con, aliases):
        verbatim = "SELECT NULL::VARCHAR AS raw, NULL::VARCHAR AS address_id WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _am_verbatim AS {verbatim}")
    pending = [r[0] for r in con.execute("SELECT raw FROM _am_texts ANTI JOIN _am_verbatim USING (raw)").fetchall()]
    mentions, named = _parse_mentions(pending, parser)
    con.register("_am_mentions", mentions)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _am_keyed AS
                SELECT m.raw, r.address_id FROM _am_mentions m JOIN {registry} r USING (element_key)"""
        )
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _am_open AS
               SELECT * FROM _am_mentions m WHERE m.searchable AND m.raw NOT IN (SELECT raw FROM _am_keyed)"""
        )
        pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for raw, address_id, key in con.execute(_candidate_sql(registry)).fetchall():
            pairs[raw].append((address_id, key))
        keyed = dict(con.execute("SELECT raw, address_id FROM _am_keyed").fetchall())
    finally:
        con.unregister("_am_mentions")
    results: dict[str, list] = {name: [] for name in _RESULT_SCHEMA.names}
    for raw in pending:
        if raw in keyed:
            m = Match(keyed[raw], 1.0, "exact")
        elif raw in named:
            m = decide(named[raw], pairs.get(raw, []), threshold, margin)
        else:
            m = Match(None, None, "unmatched")
        for name, value in zip(_RESULT_SCHEMA.names, (raw, m.address_id, m.score, m.method, m.candidates), strict=True):
            results[name].append(list(value) if name == "candidates" and value else value)
    con.register("_am_parsed", pa.table(results, schema=_RESULT_SCHEMA))
    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE {table} AS
                WITH matched AS (
                    SELECT raw, address_id, 1.0::DOUBLE AS score, 'exact' AS method, NULL::VARCHAR[] AS candidates
                    FROM _am_verbatim
                    UNION ALL SELECT * FROM _am_parsed)
                SELECT i.record_key, i.table_name, i.field, i.raw, m.address_id, m.score, m.method, m.candidates
                FROM {source} i JOIN matched m ON m.raw = i.raw"""
        )
    finally:
        con.unregister("_am_parsed")
        for temp in ("_am_texts", "_am_verbatim", "_am_keyed", "_am_open"):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    rows = con.execute(f"SELECT method, count(*) FROM {table} GROUP BY method").fetchall()
    return {method: int(n) for method, n in rows}
