"""The fields of the search index and how a :class:`SearchDoc` becomes a tantivy document.

Exact-match fields use tantivy's ``raw`` tokenizer (the value is one term); the full-text field holds the
tokens of :mod:`policecloud.apps.search.tokenize` and uses the ``whitespace`` tokenizer, both built into tantivy,
so an index opened later needs no tokenizer registered. Integer fields are signed (``add_integer_field``):
unsigned fields fed Python ints can kill the writer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import tantivy

from policecloud.apps.search.tokenize import index_text, normalize_name

# Bump when fields or their meaning change: an index of another version is rebuilt, never updated.
SCHEMA_VERSION = 1

ENTITY_TYPES = ("person", "vehicle", "organization", "phone", "house", "address")
TEXT_TYPES = ("call110", "criminal_case")
DOC_TYPES = ENTITY_TYPES + TEXT_TYPES


@dataclass
class SearchDoc:
    """One document: an entity of the master data, or one 110 call / criminal case text."""

    doc_id: str  # entity id, or '<table>:<record key>' for texts
    doc_type: str  # one of DOC_TYPES
    caption: str
    key: str | None = None  # the main identifier (ID number, plate, USCC, phone, address code, call number)
    identifiers: list[str] = field(default_factory=list)  # exact-match values (normalized)
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # other searchable text (narrative, category, brand …)
    county: str | None = None  # 6-digit division code
    first_seen: int | None = None  # epoch seconds
    last_seen: int | None = None
    records: int = 0
    entities: list[str] = field(default_factory=list)  # entities a text mentions (from the master links)
    record_key: str | None = None  # texts: 'batch:row'
    record_id: str | None = None  # texts: the warehouse row's id
    body: str | None = None  # texts: the narrative or summary shown as the snippet
    place: str | None = None  # texts: where it happened

    def payload(self) -> bytes:
        """What is stored for display (the index keeps only what it must search or filter on as fields)."""
        return json.dumps(self.__dict__, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def jurisdiction_terms(county: str | None, home_province: str | None) -> list[str]:
    """The prefixes a jurisdiction filter may name: province (2), prefecture (4) and county (6 digits).

    A document whose county is unknown is visible only to users of the whole home province (when known).
    """
    if county and len(county) == 6 and county.isdigit():
        return [county[:2], county[:4], county]
    return [home_province] if home_province else []


def weight(records: int) -> float:
    """A small importance weight (0–0.1) from the number of linked records: breaks ties, never tiers.

    tantivy's ``weight_by_field`` scales a score by log2(2 + weight), so this moves a score by at most ~7 %.
    """
    return min(0.1, 0.02 * math.log1p(max(records, 0)))


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("doc_type", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("key", tokenizer_name="raw", index_option="basic")
    b.add_text_field("identifiers", tokenizer_name="raw", index_option="basic")
    b.add_text_field("names", tokenizer_name="raw", index_option="basic")
    b.add_text_field("text", tokenizer_name="whitespace", index_option="position")
    b.add_text_field("county", fast=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("prefecture", fast=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("jurisdiction", tokenizer_name="raw", index_option="basic")
    b.add_text_field("entities", tokenizer_name="raw", index_option="basic")
    b.add_integer_field("first_seen", indexed=True, fast=True)
    b.add_integer_field("last_seen", indexed=True, fast=True)
    b.add_float_field("weight", fast=True)
    b.add_bytes_field("payload", stored=True)
    return b.build()


def to_document(doc: SearchDoc, home_province: str | None) -> tantivy.Document:
    d = tantivy.Document()
    d.add_text("doc_id", doc.doc_id)
    d.add_text("doc_type", doc.doc_type)
    if doc.key:
        d.add_text("key", doc.key)
    for value in sorted({*doc.identifiers, *([doc.key] if doc.key else [])}):
        d.add_text("identifiers", value)
    for name in sorted({normalize_name(n) for n in doc.names if n}):
        if name:
            d.add_text("names", name)
    searchable = [doc.caption, *doc.names, *doc.addresses, doc.body, *doc.texts, doc.place]
    d.add_text("text", index_text(dict.fromkeys(v for v in searchable if v)))
    if doc.county:
        d.add_text("county", doc.county)
        d.add_text("prefecture", doc.county[:4])
    for term in jurisdiction_terms(doc.county, home_province):
        d.add_text("jurisdiction", term)
    for entity_id in doc.entities:
        d.add_text("entities", entity_id)
    if doc.first_seen is not None:
        d.add_integer("first_seen", int(doc.first_seen))
    if doc.last_seen is not None:
        d.add_integer("last_seen", int(doc.last_seen))
    d.add_float("weight", weight(doc.records))
    d.add_bytes("payload", doc.payload())
    return d


def from_payload(raw: bytes) -> SearchDoc:
    return SearchDoc(**json.loads(raw.decode("utf-8")))
