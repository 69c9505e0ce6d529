"""Mappings: one YAML file per source saying how its fields become properties of the standard model.

A mapping is checked against the schema before anything runs; every problem is reported with the file,
the line and the key (all problems of a file at once). Format (see docs/ingestion.md for the whole)::

    source: hotel_stays
    label: {zh: 旅馆业治安管理系统, en: Hotel registration system}
    entity: HotelStay
    reader: {format: jsonl, path: "hotel/*.jsonl"}
    partition_by: [date]
    properties:
      guest_id_number: {column: zjhm}
      sex: {column: xb, map: {男: male, 女: female}}
      address: {columns: [sheng, shi, xiangzhi], separator: ""}
"""

from __future__ import annotations

import re
from collections.abc import Mapping as TMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policecloud.data.model import types as element_types
from policecloud.data.model.types import ElementType
from policecloud.data.model.yaml_lines import KeyPath, YamlDocument, key_text, read_yaml

READER_FORMATS = ("csv", "jsonl", "parquet", "sql")
FIELD_KINDS = ("column", "columns", "literal", "template")
_SOURCE_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
# Filled by ingestion on every record: where it came from. ``id`` may be mapped; if not, it is batch:row.
LINEAGE = ("source", "batch", "row")
AUTO_FILLED = (*LINEAGE, "id")

# A property's type may be narrowed by a mapping only in these ways (the value still fits the schema's type).
COMPATIBLE_TYPES = {("date", "past_date"), ("phone", "mobile"), ("string", "name"), ("string", "text")}


class MappingProblem(ValueError):
    """One problem of a mapping file: ``<file>:<line>: <key>: <problem>``."""

    def __init__(self, path: Path | str, line: int | None, key: str, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key + ': ' if key else ''}{problem}")
        self.path, self.line, self.key, self.problem = str(path), line, key, problem


def _problem(doc: YamlDocument, key: KeyPath, problem: str) -> MappingProblem:
    return MappingProblem(doc.path, doc.line(key), key_text(key), problem)


class MappingError(ValueError):
    """One or more problems in mapping files; the message lists each with file, line and key."""

    def __init__(self, problems: list[MappingProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ReaderSpec:
    format: str
    path: str | None = None  # relative to the sources directory; a glob reads a directory of daily files
    encoding: str = "auto"
    delimiter: str = ","
    header: bool = True
    quote: str = '"'
    url: str | None = None  # SQLAlchemy URL for format sql; {sources} is replaced by the sources directory
    table: str | None = None
    query: str | None = None
    joins: TMapping[str, TMapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    prop: str
    kind: str
    etype: ElementType  # the schema's type (enums bound to their values) or a narrower one from the mapping
    column: str | None = None
    columns: tuple[str, ...] = ()
    separator: str = " "
    literal: str | None = None
    template: str | None = None
    join: str | None = None
    split: str | None = None
    index: int = 0
    value_map: TMapping[str, str] | None = None
    required: bool = False
    line: int | None = None

    def source_columns(self) -> tuple[str, ...]:
        if self.kind == "column":
            return (self.column or "",)
        if self.kind == "columns":
            return self.columns
        if self.kind == "template":
            return tuple(_TEMPLATE_FIELD.findall(self.template or ""))
        return ()


@dataclass(frozen=True)
class SourceMapping:
    source: str
    label_zh: str
    label_en: str
    entity: str
    table: str
    reader: ReaderSpec
    fields: tuple[FieldSpec, ...]
    keys: tuple[str, ...]
    partition_by: tuple[str, ...]
    path: Path
    text: str  # the mapping file's text, part of every batch fingerprint

    def field(self, prop: str) -> FieldSpec:
        return next(f for f in self.fields if f.prop == prop)


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def load_mapping(path: Path, schema: Any) -> SourceMapping:
    """Read and check one mapping against ``schema``; raises MappingError listing every problem."""
    doc = read_yaml(path)
    if doc.problems:
        raise MappingError([MappingProblem(path, line, key_text(key), text) for key, line, text in doc.problems])
    problems: list[MappingProblem] = []
    data = doc.data
    if not isinstance(data, dict):
        raise MappingError([_problem(doc, (), "a mapping must be a YAML mapping of keys")])

    def need(key: str, kind: type, where: tuple = ()) -> Any:
        container = data
        for k in where:
            container = container.get(k, {}) if isinstance(container, dict) else {}
        value = container.get(key) if isinstance(container, dict) else None
        if value is None:
            problems.append(_problem(doc, (*where, key), "missing required key"))
        elif not isinstance(value, kind):
            problems.append(_problem(doc, (*where, key), f"must be a {kind.__name__}, not {type(value).__name__}"))
            return None
        return value

    allowed = {
        "source",
        "label",
        "entity",
        "table",
        "reader",
        "properties",
        "keys",
        "partition_by",
        "description",
    }
    for key in data:
        if key not in allowed:
            problems.append(_problem(doc, (key,), f"unknown key; allowed: {', '.join(sorted(allowed))}"))
    source = need("source", str)
    if source and not _SOURCE_ID.match(source):
        problems.append(_problem(doc, ("source",), "must be lower-case letters, digits and _ (e.g. hotel_stays)"))
    label = need("label", dict) or {}
    entity_name = need("entity", str)
    entity = None
    if entity_name:
        try:
            entity = schema.get(entity_name)
        except KeyError:
            problems.append(_problem(doc, ("entity",), f"unknown entity or event type {entity_name!r}"))
    reader = _reader(doc, need("reader", dict) or {}, problems)
    fields = _fields(doc, need("properties", dict) or {}, entity, schema, reader, problems)
    mapped = {f.prop for f in fields}
    keys = tuple(data.get("keys") or ())
    for i, key in enumerate(keys):
        if key not in mapped:
            problems.append(_problem(doc, ("keys", i), f"key {key!r} is not a mapped property"))
    partition_by = tuple(data.get("partition_by") or ())
    for i, part in enumerate(partition_by):
        if part != "date" and part not in mapped:
            problems.append(_problem(doc, ("partition_by", i), f"{part!r} is neither 'date' nor a mapped property"))
    if "date" in partition_by and entity is not None and not _temporal_start(entity):
        problems.append(_problem(doc, ("partition_by",), f"{entity_name} has no start time to partition by date"))
    if entity is not None:
        for prop_name in _required_properties(entity):
            if prop_name not in mapped:
                problems.append(_problem(doc, ("properties",), f"required property {prop_name!r} is not mapped"))
    if problems:
        raise MappingError(problems)
    return SourceMapping(
        source=source,
        label_zh=str(label.get("zh", source)),
        label_en=str(label.get("en", source)),
        entity=entity_name,
        table=str(data.get("table") or snake_case(entity_name)),
        reader=reader,
        fields=tuple(fields),
        keys=keys,
        partition_by=partition_by,
        path=path,
        text=path.read_text(encoding="utf-8"),
    )


def _reader(doc: YamlDocument, spec: dict, problems: list) -> ReaderSpec:
    fmt = spec.get("format")
    if fmt not in READER_FORMATS:
        problems.append(_problem(doc, ("reader", "format"), f"must be one of {', '.join(READER_FORMATS)}"))
        return ReaderSpec(format="csv")
    allowed = {"format", "path", "encoding", "delimiter", "header", "quote", "url", "table", "query", "joins"}
    for key in spec:
        if key not in allowed:
            problems.append(_problem(doc, ("reader", key), "unknown reader option"))
    if fmt == "sql":
        if not spec.get("url"):
            problems.append(_problem(doc, ("reader",), "missing required key url (a SQLAlchemy URL)"))
        if not (spec.get("table") or spec.get("query")):
            problems.append(_problem(doc, ("reader",), "a sql reader needs table or query"))
    elif not spec.get("path"):
        problems.append(_problem(doc, ("reader",), "missing required key path"))
    joins = spec.get("joins") or {}
    for join in joins.values():
        # YAML 1.1 reads a bare `on` key as the boolean true: accept it as written.
        if isinstance(join, dict) and True in join:
            join["on"] = join.pop(True)
    for name, join in joins.items():
        if not isinstance(join, dict) or "on" not in join or not (join.get("table") or join.get("path")):
            problems.append(
                _problem(doc, ("reader", "joins", name), "a join needs on: {local: remote} and table or path")
            )
    known = {k: spec[k] for k in allowed if k in spec}
    return ReaderSpec(**known)


def _fields(doc, props: dict, entity, schema, reader: ReaderSpec, problems: list) -> list[FieldSpec]:
    fields = []
    schema_props = entity.properties if entity is not None else {}
    for name, spec in props.items():
        where = ("properties", name)
        if not isinstance(spec, dict):
            spec = {"column": spec} if isinstance(spec, str) else {}
            if not spec:
                problems.append(_problem(doc, where, "must be a mapping such as {column: 姓名}"))
                continue
        if name in LINEAGE:
            problems.append(_problem(doc, where, "lineage (source, batch, row) is filled by ingestion, not mapped"))
            continue
        prop = schema_props.get(name)
        if entity is None:
            continue
        if prop is None:
            problems.append(_problem(doc, where, f"unknown property of {entity.name}"))
            continue
        kinds = [k for k in FIELD_KINDS if k in spec]
        if len(kinds) != 1:
            problems.append(_problem(doc, where, f"give exactly one of {', '.join(FIELD_KINDS)}"))
            continue
        etype: ElementType = prop.type
        override = spec.get("type")
        if override is not None and override != etype.name:
            if override not in element_types.registry():
                problems.append(_problem(doc, (*where, "type"), f"unknown element type {override!r}"))
                continue
            if (etype.name, override) not in COMPATIBLE_TYPES:
                problems.append(
                    _problem(doc, (*where, "type"), f"{override!r} does not fit the schema's type {etype.name!r}")
                )
                continue
            etype = element_types.get(override)
        if spec.get("join") and spec["join"] not in (reader.joins or {}):
            problems.append(_problem(doc, (*where, "join"), f"no join named {spec['join']!r} in reader.joins"))
        value_map = spec.get("map")
        if value_map is not None and not isinstance(value_map, dict):
            problems.append(_problem(doc, (*where, "map"), "must be a mapping of source value → standard value"))
            value_map = None
        fields.append(
            FieldSpec(
                prop=name,
                kind=kinds[0],
                etype=etype,
                column=spec.get("column"),
                columns=tuple(spec.get("columns") or ()),
                separator=str(spec.get("separator", " ")),
                literal=None if spec.get("literal") is None else str(spec["literal"]),
                template=spec.get("template"),
                join=spec.get("join"),
                split=spec.get("split"),
                index=int(spec.get("index", 0)),
                value_map={str(k): str(v) for k, v in value_map.items()} if value_map else None,
                required=bool(getattr(prop, "required", False)) or bool(spec.get("required", False)),
                line=doc.line(where),
            )
        )
    return fields


def _required_properties(entity) -> list[str]:
    return [name for name, prop in entity.properties.items() if prop.required and name not in AUTO_FILLED]


def _temporal_start(entity) -> str | None:
    return entity.temporal.get("start")


def load_mappings(directory: Path, schema: Any) -> dict[str, SourceMapping]:
    """Every ``*.yaml`` mapping in ``directory`` by source id; all problems of all files at once."""
    found: dict[str, SourceMapping] = {}
    problems: list[MappingProblem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            mapping = load_mapping(path, schema)
        except MappingError as exc:
            problems.extend(exc.problems)
        else:
            if mapping.source in found:
                problems.append(MappingProblem(path, None, "source", f"{mapping.source!r} is mapped twice"))
            found[mapping.source] = mapping
    if problems:
        raise MappingError(problems)
    return found
