"""Searching the index: labelled modes, filters inside the query, pagination, facets, snippets.

Modes (the result always says which one answered, and why):

* ``identifier`` — the query is a valid ID number (15/18), VIN, USCC, plate or phone number according to the
  project's element types; it is normalized and looked up as an exact term. The entity whose main key it is
  ranks first, then everything else carrying it (a person with that phone, the 110 calls made from it).
* ``name`` — 2 to 4 Han characters: exact name matches first, then names that differ by a substitution seen in
  the master data (resolution linked 刘伟 and 柳伟 to one person), then any name at edit distance 1. When no
  name matches at all, the text search runs instead and the result says so (only when the mode was not forced).
* ``text`` — every blank-separated part of the query must occur as written (exact phrase over the bigrams).

Jurisdiction, type, county and time filters are MUST clauses of the one query tantivy runs, so what lies
outside them is neither returned nor counted in totals or facets.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import tantivy
from tantivy import Occur, Query

from policecloud.apps.search.fields import DOC_TYPES, SearchDoc, from_payload
from policecloud.apps.search.highlight import Snippet, best_snippet, value_snippet
from policecloud.apps.search.index import SearchIndex
from policecloud.apps.search.tokenize import han_only, normalize_name, query_phrases

MODES = ("identifier", "name", "text")
IDENTIFIER_TYPES = ("id_number", "vin", "uscc", "plate", "phone")
MAX_PER_PAGE = 100
MAX_WINDOW = 10_000  # deepest result reachable by paging
# Tiers of the name search (constant scores, far enough apart that the record-count weight never reorders them).
EXACT, SIMILAR, FUZZY, KEY = 100.0, 10.0, 1.0, 10.0
# Which masking rule applies to a hit field, by document type (see policecloud.platform.access.masking).
_CAPTION_MASK = {"phone": "phone", "house": "address", "address": "address"}
_KEY_MASK = {"person": "id_number", "phone": "phone"}


class QueryError(ValueError):
    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code, self.en, self.zh = code, en, zh


@dataclass
class Hit:
    id: str
    type: str
    caption: str
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    snippet_source: str
    matched: str  # key, identifier, name, name_similar, name_fuzzy, text
    key: str | None = None
    county: str | None = None
    records: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    entities: list[str] = field(default_factory=list)
    record_id: str | None = None
    place: str | None = None
    # hit field → masking rule (id_number, phone, address) applied for roles not granted that field
    sensitive: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResult:
    query: str
    mode: str
    forced: bool
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[dict]]
    normalized: str | None = None  # identifier mode: the normalized value(s) looked up
    identifier_types: list[str] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)  # {'en':…, 'zh':…}
    facet_method: str = "tantivy terms aggregation over every matching document (exact counts)"
    index_version: str = ""


def recognise_identifier(q: str) -> list[tuple[str, str]]:
    """[(element type, normalized value)] for every identifier type ``q`` is a valid value of."""
    from policecloud.data.model.types import get

    found = []
    for name in IDENTIFIER_TYPES:
        checked = get(name).check(q)
        if checked.value is not None and checked.reason is None:
            found.append((name, str(checked.value)))
    return found


def _near_miss(q: str) -> tuple[str, str] | None:
    """An identifier type ``q`` is shaped like but fails (wrong check digit …), to tell the user."""
    from policecloud.data.model.types import get

    compact = "".join(q.split())
    if not compact.isascii() or not compact.isalnum() or len(compact) not in (15, 17, 18):
        return None
    for name in ("id_number", "vin", "uscc"):
        checked = get(name).check(compact)
        if checked.reason and checked.reason != "format":
            return name, checked.reason
    return None


def choose_mode(q: str) -> str:
    if recognise_identifier(q):
        return "identifier"
    name = normalize_name(q)
    if 2 <= len(name) <= 4 and han_only(name):
        return "name"
    return "text"


def _const(query: Query, score: float) -> Query:
    return Query.const_score_query(query, score)


def _filters(
    schema, county_prefixes, county, types, time_from: datetime | None, time_to: datetime | None
) -> list[Query]:
    out = []
    if county_prefixes is not None:
        out.append(Query.term_set_query(schema, "jurisdiction", sorted(set(county_prefixes))))
    if county:
        out.append(Query.term_query(schema, "jurisdiction", county))
    if types:
        out.append(Query.term_set_query(schema, "doc_type", sorted(set(types))))
    if time_from is not None:  # documents whose time span overlaps [from, to]
        lower = int(time_from.timestamp())
        out.append(Query.range_query(schema, "last_seen", tantivy.FieldType.Integer, lower, None))
    if time_to is not None:
        upper = int(time_to.timestamp())
        out.append(Query.range_query(schema, "first_seen", tantivy.FieldType.Integer, None, upper))
    return [_const(f, 0.0) for f in out]


def _text_query(schema, phrases) -> Query:
    parts = []
    for p in phrases:
        if len(p.terms) == 1:
            q = Query.regex_query(schema, "text", f"{p.terms[0]}.?") if p.last_is_prefix else None
            q = q or Query.term_query(schema, "text", p.terms[0])
        elif p.last_is_prefix:  # every term but the last is a literal (letters, digits, Han): safe as a regex
            q = Query.regex_phrase_query(schema, "text", [*p.terms[:-1], f"{p.terms[-1]}.?"])
        else:
            q = Query.phrase_query(schema, "text", list(p.terms))
        parts.append((Occur.Must, q))
    return Query.boolean_query(parts)


def similar_variants(name: str, similar: dict[str, dict[str, int]], limit: int = 40) -> dict[str, int]:
    """Names one observed substitution away from ``name``, with how often that substitution was seen."""
    out: dict[str, int] = {}
    for i, ch in enumerate(name):
        for other, count in similar.get(ch, {}).items():
            variant = name[:i] + other + name[i + 1 :]
            if variant != name:
                out[variant] = max(out.get(variant, 0), count)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def _name_query(schema, name: str, variants: dict[str, int]) -> Query:
    parts = [
        (Occur.Should, _const(Query.term_query(schema, "names", name), EXACT)),
        (Occur.Should, _const(Query.fuzzy_term_query(schema, "names", name, 1, True, False), FUZZY)),
    ]
    for variant, count in variants.items():
        boost = SIMILAR * (1 + min(count, 9) / 10)
        parts.append((Occur.Should, _const(Query.term_query(schema, "names", variant), boost)))
    return Query.boolean_query(parts)


def _identifier_query(schema, values: list[str]) -> Query:
    return Query.boolean_query(
        [
            (Occur.Must, _const(Query.term_set_query(schema, "identifiers", values), 1.0)),
            (Occur.Should, _const(Query.term_set_query(schema, "key", values), KEY)),
        ]
    )


def _iso(epoch: int | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch is not None else None


def _snippet(doc: SearchDoc, mode: str, phrases, matched_values: set[str]) -> tuple[Snippet, str]:
    names = [normalize_name(n) for n in doc.names]
    if mode == "identifier":
        values = sorted({*doc.identifiers, *([doc.key] if doc.key else [])})
        how = "key" if doc.key in matched_values else "identifier"
        return value_snippet([v for v in values if v in matched_values], matched_values, "identifier"), how
    if mode == "name":
        exact, variants = matched_values
        shown = sorted(set(names), key=lambda n: (n not in exact and n not in variants, n))
        hit = {n for n in shown if n in exact}
        how = "name" if hit else "name_similar" if any(n in variants for n in shown) else "name_fuzzy"
        marked = hit or {n for n in shown if n in variants} or set(shown[:1])
        return value_snippet(shown, marked, "name"), how
    candidates = [("body", doc.body), ("caption", doc.caption)]
    candidates += [("name", n) for n in doc.names] + [("address", a) for a in doc.addresses]
    candidates += [("text", t) for t in doc.texts] + [("place", doc.place)]
    return best_snippet(candidates, phrases), "text"


def _sensitive(doc: SearchDoc, snippet: Snippet, identifier_types: list[str]) -> dict[str, str]:
    out = {}
    if rule := _CAPTION_MASK.get(doc.doc_type):
        out["caption"] = rule
    if rule := _KEY_MASK.get(doc.doc_type):
        out["key"] = rule
    if doc.place:
        out["place"] = "address"
    if snippet.source in ("address", "place") or (snippet.source == "caption" and "caption" in out):
        out["snippet"] = "address" if snippet.source != "caption" else out["caption"]
    elif snippet.source == "identifier":
        rule = next((t for t in identifier_types if t in ("id_number", "phone")), None)
        if rule:
            out["snippet"] = rule
    return out


def search(
    index: SearchIndex,
    q: str,
    *,
    mode: str | None = None,
    types: Sequence[str] = (),
    county_prefixes: Sequence[str] | None = (),
    county: str | None = None,
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchResult:
    """Search ``index``. ``county_prefixes`` are the jurisdiction prefixes the caller may see (2/4/6 digits):
    an empty sequence sees nothing, ``None`` is unrestricted (operators' tools only)."""
    q = " ".join((q or "").split())
    if not q:
        raise QueryError("empty_query", "The query is empty.", "查询内容为空。")
    if mode is not None and mode not in MODES:
        raise QueryError("invalid_mode", f"Unknown mode {mode!r}; use one of {MODES}.", f"未知的查询方式 {mode!r}。")
    unknown = [t for t in types if t not in DOC_TYPES]
    if unknown:
        raise QueryError("invalid_type", f"Unknown type(s) {unknown}; known: {DOC_TYPES}.", f"未知的类型 {unknown}。")
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    if (page - 1) * per_page >= MAX_WINDOW:
        raise QueryError(
            "page_too_deep",
            "Refine the query: paging stops at 10,000 results.",
            "请缩小查询范围：最多翻到第10000条结果。",
        )
    forced = mode is not None
    chosen = mode or choose_mode(q)
    schema = index.schema
    filters = _filters(schema, county_prefixes, county, types, time_from, time_to)
    notes: list[dict[str, str]] = []
    result = _run(index, q, chosen, filters, page, per_page, notes)
    if result is None:
        raise QueryError("no_terms", "The query has nothing to search for.", "查询中没有可检索的内容。")
    if not forced and chosen == "name" and result.total == 0:
        notes.append(
            {"en": "No name matched; the text was searched instead.", "zh": "未找到匹配的姓名，已改为全文检索。"}
        )
        result = _run(index, q, "text", filters, page, per_page, notes) or result
    if chosen == "text" and (miss := _near_miss(q)):
        notes.append(
            {
                "en": f"Looks like {miss[0]} but fails its check ({miss[1]}): searched as text.",
                "zh": f"形似{miss[0]}但校验未通过（{miss[1]}），已按全文检索。",
            }
        )
    result.forced = forced
    result.notes = notes
    return result


def _run(index: SearchIndex, q: str, mode: str, filters, page: int, per_page: int, notes) -> SearchResult | None:
    schema = index.schema
    phrases, matched, identifier_types, normalized = [], set(), [], None
    if mode == "identifier":
        found = recognise_identifier(q) or [("raw", "".join(q.split()).upper())]
        identifier_types = [t for t, _ in found]
        values = sorted({v for _, v in found})
        normalized = ",".join(values)
        main = _identifier_query(schema, values)
        matched = set(values)
    elif mode == "name":
        name = normalize_name(q)
        variants = similar_variants(name, index.similar)
        main = _name_query(schema, name, variants)
        matched = ({name}, set(variants))
    else:
        phrases = query_phrases(q)
        if not phrases:
            return None
        main = _text_query(schema, phrases)
    query = Query.boolean_query([(Occur.Must, main), *((Occur.Must, f) for f in filters)])
    searcher = index.searcher()
    # The exact facet counts evaluate the query a second time; tantivy releases the GIL, so that pass runs on
    # another core while this thread collects the hits (half the latency of a name query on `medium`).
    facet_counts = _facet_pool().submit(facets, searcher, query)
    found = searcher.search(query, per_page, count=True, offset=(page - 1) * per_page, weight_by_field="weight")
    hits = []
    for score, address in found.hits:
        doc = from_payload(searcher.doc(address).get_first("payload"))
        snippet, how = _snippet(doc, mode, phrases, matched)
        hits.append(
            Hit(
                id=doc.doc_id,
                type=doc.doc_type,
                caption=doc.caption,
                score=round(float(score), 4),
                snippet=snippet.text,
                highlights=snippet.highlights,
                snippet_source=snippet.source,
                matched=how,
                key=doc.key,
                county=doc.county,
                records=doc.records,
                first_seen=_iso(doc.first_seen),
                last_seen=_iso(doc.last_seen),
                entities=doc.entities,
                record_id=doc.record_id,
                place=doc.place,
                sensitive=_sensitive(doc, snippet, identifier_types),
            )
        )
    return SearchResult(
        query=q,
        mode=mode,
        forced=False,
        total=found.count,
        page=page,
        per_page=per_page,
        hits=hits,
        facets=facet_counts.result(),
        normalized=normalized,
        identifier_types=identifier_types,
        notes=notes,
        index_version=index.version,
    )


@functools.cache
def _facet_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-facets")


def facets(searcher: tantivy.Searcher, query: Query) -> dict[str, list[dict]]:
    """Counts by type, prefecture and county over every document the query (with its filters) matches."""
    spec = {
        "type": {"terms": {"field": "doc_type", "size": 50}},
        "prefecture": {"terms": {"field": "prefecture", "size": 100}},
        "county": {"terms": {"field": "county", "size": 500}},
    }
    raw = searcher.aggregate(query, spec)
    out = {}
    for name in spec:
        body = raw.get(name, {})
        out[name] = [{"key": b["key"], "count": int(b["doc_count"])} for b in body.get("buckets", [])]
        if body.get("sum_other_doc_count"):
            out[name].append({"key": "(other)", "count": int(body["sum_other_doc_count"])})
    return out
