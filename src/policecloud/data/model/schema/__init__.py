"""The standard data model, loaded from the YAML files in ``model/schema/`` (one file per entity or event type).

A file declares a type's labels, kind (entity, event or interval), parents, identifying properties, which
properties give its time and place, and its properties with their element types and GA/T 543 data element
identifiers. ``load_schema`` reads every file, checks it (:mod:`schema_rules`), resolves inheritance and
cross-references (:mod:`schema_resolve`), and returns a :class:`Schema`, or raises one :class:`SchemaError`
listing every problem found, each with its file, key path and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from policecloud.data.model.schema.rules import KINDS, Issue, parse_file
from policecloud.data.model.types import ElementType
from policecloud.data.model.types.simple_codes import EnumValue

SCHEMA_DIR = Path(__file__).resolve().parent

__all__ = ["SCHEMA_DIR", "EntityType", "Issue", "Property", "Schema", "SchemaError", "load_schema"]


class SchemaError(ValueError):
    """The schema files have problems; ``issues`` lists all of them."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=lambda i: (str(i.file), i.line or 0, i.key))
        count = len(self.issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the data model schema:\n{lines}")


@dataclass(frozen=True)
class Property:
    """One property of an entity or event type, as resolved (inherited definitions merged in)."""

    name: str
    type_name: str
    type: ElementType = field(repr=False, compare=False)
    label_zh: str
    label_en: str
    defined_in: str
    required: bool = False
    multiple: bool = False
    sensitive: bool = False
    gat543: str | None = None
    ref: str | None = None
    values: tuple[EnumValue, ...] = ()
    description: str = ""

    def label(self, language: str = "zh-CN") -> str:
        return self.label_zh if language.startswith("zh") else self.label_en


@dataclass(frozen=True)
class EntityType:
    """An entity, event or interval type (or an abstract base), with everything it inherits."""

    name: str
    label_zh: str
    label_en: str
    kind: str | None
    abstract: bool
    parents: tuple[str, ...]
    # This type and its ancestors, nearest first; a property defined nearer wins.
    lineage: tuple[str, ...]
    properties: Mapping[str, Property] = field(repr=False)
    identifiers: tuple[str, ...] = ()
    temporal: Mapping[str, str] = field(default_factory=dict)
    spatial: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    path: Path | None = field(default=None, compare=False)

    def is_a(self, base: str) -> bool:
        return base in self.lineage

    def label(self, language: str = "zh-CN") -> str:
        return self.label_zh if language.startswith("zh") else self.label_en

    @property
    def own_properties(self) -> tuple[str, ...]:
        """Properties this type declares or overrides itself."""
        return tuple(name for name, prop in self.properties.items() if prop.defined_in == self.name)

    @property
    def start(self) -> Property | None:
        return self.properties.get(self.temporal.get("start", ""))

    @property
    def end(self) -> Property | None:
        return self.properties.get(self.temporal.get("end", ""))


def _order(entity_type: EntityType) -> tuple[int, str]:
    group = 0 if entity_type.abstract else 1 + KINDS.index(entity_type.kind or KINDS[0])
    return group, entity_type.name


class Schema:
    """All entity and event types by name, iterated abstract bases first, then entities, events, intervals."""

    def __init__(self, types: Mapping[str, EntityType], directory: Path | None = None) -> None:
        # Read-only: the default schema is cached and shared by everyone who loads it.
        self.entities: Mapping[str, EntityType] = MappingProxyType(
            {t.name: t for t in sorted(types.values(), key=_order)}
        )
        self.directory = directory

    def get(self, name: str) -> EntityType:
        try:
            return self.entities[name]
        except KeyError:
            raise KeyError(f"unknown entity type {name!r}; known types: {', '.join(self.entities)}") from None

    def properties(self, name: str) -> Mapping[str, Property]:
        """All properties of a type, its own first, then inherited ones, nearest parent first."""
        return self.get(name).properties

    def identifiers(self, name: str) -> tuple[str, ...]:
        return self.get(name).identifiers

    def is_a(self, name: str, base: str) -> bool:
        return self.get(name).is_a(base)

    def subtypes(self, base: str) -> list[EntityType]:
        """The concrete types that are a ``base`` (itself included), e.g. Party → Organization, Person."""
        self.get(base)
        return [t for t in self if not t.abstract and t.is_a(base)]

    def of_kind(self, kind: str) -> list[EntityType]:
        return [t for t in self if not t.abstract and t.kind == kind]

    def __iter__(self) -> Iterator[EntityType]:
        return iter(self.entities.values())

    def __len__(self) -> int:
        return len(self.entities)

    def __contains__(self, name: object) -> bool:
        return name in self.entities

    def __repr__(self) -> str:
        return f"<Schema {len(self)} types from {self.directory}>"


def load_schema(path: Path | str | None = None) -> Schema:
    """Load the schema from a directory of YAML files (default: the package's own, cached).

    The result depends only on the files in the directory and the registered element types.
    """
    if path is None:
        return _default_schema()
    return _load(Path(path))


@cache
def _default_schema() -> Schema:
    return _load(SCHEMA_DIR)


def _load(directory: Path) -> Schema:
    from policecloud.data.model import types as element_types
    from policecloud.data.model.schema.resolve import resolve

    if not directory.is_dir():
        raise FileNotFoundError(f"schema directory {directory} does not exist")
    raws = [parse_file(path) for path in sorted(directory.glob("*.yaml"))]
    types = resolve(raws, element_types.registry())
    issues = [issue for raw in raws for issue in raw.issues]
    if issues:
        raise SchemaError(issues)
    return Schema(types, directory)
