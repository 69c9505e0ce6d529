"""Resolving the schema files together: names, inheritance, merged properties and cross-references.

Inheritance: a type's lineage is itself, then each parent's lineage in the order listed, a shared ancestor
kept only at its last place (so ``Organization: [Party, Located]`` gives Organization, Party, Entity, Thing,
Located). Properties are merged from the farthest ancestor to the type itself; a redefinition overrides the
inherited definition key by key, so a child can change only a label or make a property required. Changing
the type drops the inherited ``values`` and ``ref``, which belong to the old type.

Each problem is reported on the file that causes it, never again on every descendant.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from policecloud.data.model.schema import EntityType, Property
from policecloud.data.model.schema.rules import RawType
from policecloud.data.model.types import ElementType
from policecloud.data.model.types.simple_codes import EnumValue

TIME_SQL_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE")


def resolve(raws: list[RawType], element_types: Mapping[str, ElementType]) -> dict[str, EntityType]:
    """The entity types of the files that could be resolved; problems go to each file's ``issues``."""
    by_name: dict[str, RawType] = {}
    for raw in raws:
        if raw.name is None:
            continue
        if raw.name in by_name:
            first = by_name[raw.name]
            raw.report(("name",), f"type {raw.name} is defined twice: in {first.path.name} and here")
            first.report(("name",), f"type {raw.name} is defined twice: here and in {raw.path.name}")
        else:
            by_name[raw.name] = raw
    return _Resolver(by_name, element_types).run()


class _Resolver:
    def __init__(self, by_name: dict[str, RawType], element_types: Mapping[str, ElementType]) -> None:
        self.raws = by_name
        self.element_types = element_types
        self.parents: dict[str, list[str]] = {}
        self.lineages: dict[str, tuple[str, ...]] = {}

    def run(self) -> dict[str, EntityType]:
        for name, raw in self.raws.items():
            self.parents[name] = []
            for i, parent in enumerate(raw.extends):
                if parent in self.raws:
                    self.parents[name].append(parent)
                else:
                    raw.report(("extends", i), f"unknown parent type {parent!r}{_hint(parent, self.raws)}")
        self.break_cycles()
        return {name: t for name in self.raws if (t := self.build(name)) is not None}

    def break_cycles(self) -> None:
        """Report every inheritance cycle once, on each of its files, and cut it so resolution can go on."""
        state: dict[str, str] = {}

        def visit(name: str, path: list[str]) -> None:
            state[name] = "visiting"
            for parent in list(self.parents[name]):
                if state.get(parent) == "visiting":
                    cycle = [*path[path.index(parent) :], parent]
                    for member in cycle[:-1]:
                        self.raws[member].report(("extends",), f"inheritance cycle: {' → '.join(cycle)}")
                    self.parents[name].remove(parent)
                elif parent not in state:
                    visit(parent, [*path, parent])
            state[name] = "done"

        for name in self.raws:
            if name not in state:
                visit(name, [name])

    def lineage(self, name: str) -> tuple[str, ...]:
        if name not in self.lineages:
            sequence = [name] + [a for parent in self.parents[name] for a in self.lineage(parent)]
            last = {ancestor: i for i, ancestor in enumerate(sequence)}
            self.lineages[name] = tuple(a for i, a in enumerate(sequence) if last[a] == i)
        return self.lineages[name]

    def inherited(self, name: str, attribute: str) -> Any:
        """The nearest non-empty value of a type-level attribute along the lineage."""
        for ancestor in self.lineage(name):
            value = getattr(self.raws[ancestor], attribute)
            if value is not None:
                return value
        return None

    def merged_specs(self, name: str) -> dict[str, dict[str, Any]]:
        """property → merged definition (with '_defined_in'), most specific first."""
        merged: dict[str, dict[str, Any]] = {}
        for ancestor in reversed(self.lineage(name)):
            for prop, spec in self.raws[ancestor].properties.items():
                base = merged.get(prop, {})
                if "type" in spec and spec["type"] != base.get("type"):
                    base = {k: v for k, v in base.items() if k not in ("values", "ref")}
                merged[prop] = {**base, **spec, "_defined_in": ancestor}
        # Each property under the type that defines it, nearest type first, in the order of its file.
        return {
            prop: merged[prop]
            for ancestor in self.lineage(name)
            for prop in self.raws[ancestor].properties
            if merged[prop]["_defined_in"] == ancestor
        }

    def build(self, name: str) -> EntityType | None:
        raw = self.raws[name]
        kind = self.kind(name)
        specs = self.merged_specs(name)
        properties: dict[str, Property] = {}
        for prop, spec in specs.items():
            own = spec["_defined_in"] == name
            built = self.property(raw, prop, spec, report=own)
            if built is not None:
                properties[prop] = built
        identifiers = self.inherited(name, "identifiers") or []
        temporal = {k: v for a in reversed(self.lineage(name)) for k, v in (self.raws[a].temporal or {}).items()}
        spatial = {k: v for a in reversed(self.lineage(name)) for k, v in (self.raws[a].spatial or {}).items()}
        self.check_roles(raw, specs, properties, identifiers, temporal, spatial)
        if not raw.abstract and kind in ("event", "interval") and "start" not in temporal:
            raw.report(("temporal",), f"an {kind} type needs temporal.start (the property giving its time)")
        if raw.label is None:
            return None
        return EntityType(
            name=name,
            label_zh=raw.label[0],
            label_en=raw.label[1],
            kind=kind,
            abstract=raw.abstract,
            parents=tuple(self.parents[name]),
            lineage=self.lineage(name),
            properties=MappingProxyType(properties),
            identifiers=tuple(identifiers),
            temporal=MappingProxyType(temporal),
            spatial=MappingProxyType(spatial),
            description=raw.description,
            path=raw.path,
        )

    def kind(self, name: str) -> str | None:
        raw = self.raws[name]
        inherited = {a: self.raws[a].kind for a in self.lineage(name)[1:] if self.raws[a].kind}
        kinds = set(inherited.values())
        if len(kinds) > 1:
            listed = ", ".join(f"{a} ({k})" for a, k in inherited.items())
            raw.report(("extends",), f"parents have different kinds: {listed}")
        elif raw.kind and kinds and raw.kind not in kinds:
            raw.report(("kind",), f"kind {raw.kind} contradicts the inherited kind {kinds.pop()}")
        kind = raw.kind or next(iter(inherited.values()), None)
        if kind is None and not raw.abstract:
            raw.report(("kind",), "missing: a concrete type is an entity, event or interval (or extends one)")
        return kind

    def property(self, raw: RawType, name: str, spec: dict[str, Any], report: bool) -> Property | None:
        """The resolved property, or None; problems are reported only by the file that defines it."""
        key = ("properties", name)
        problems: list[tuple[tuple[str, ...], str]] = []
        etype = self.element_types.get(spec.get("type", ""))
        if "type" not in spec:
            problems.append(((*key, "type"), "missing (every property has an element type)"))
        elif etype is None:
            problems.append(
                ((*key, "type"), f"unknown element type {spec['type']!r}{_hint(spec['type'], self.element_types)}")
            )
        if "label" not in spec:
            problems.append(((*key, "label"), "missing label (give {zh: …, en: …})"))
        values = tuple(EnumValue(*v) for v in spec.get("values", ()))
        if etype is not None:
            if getattr(etype, "needs_values", False):
                if not values:
                    problems.append(((*key, "values"), f"missing: a property of type {etype.name} lists its values"))
                else:
                    try:
                        etype = etype.bind(values)
                    except ValueError as exc:
                        problems.append(((*key, "values"), f"ambiguous values: {exc}"))
            elif "values" in spec:
                problems.append(((*key, "values"), f"only enum properties list values, not {etype.name}"))
            if etype.name == "entity" and "ref" not in spec:
                problems.append(((*key, "ref"), "missing: an entity reference names the type it points to"))
            elif "ref" in spec and etype.name != "entity":
                problems.append(((*key, "ref"), f"only properties of type entity have a ref, not {etype.name}"))
        if "ref" in spec and spec["ref"] not in self.raws:
            problems.append(((*key, "ref"), f"unknown entity type {spec['ref']!r}{_hint(spec['ref'], self.raws)}"))
        if report:
            refused = spec.get("_invalid", frozenset())
            for where, problem in problems:
                if not (problem.startswith("missing") and where[-1] in refused):
                    raw.report(where, problem)
        if problems or etype is None:
            return None
        return Property(
            name=name,
            type_name=spec["type"],
            type=etype,
            label_zh=spec["label"][0],
            label_en=spec["label"][1],
            defined_in=spec["_defined_in"],
            required=spec.get("required", False),
            multiple=spec.get("multiple", False),
            sensitive=spec.get("sensitive", False),
            gat543=spec.get("gat543"),
            ref=spec.get("ref"),
            values=values,
            description=spec.get("description", ""),
        )

    def check_roles(
        self,
        raw: RawType,
        specs: dict[str, dict[str, Any]],
        properties: dict[str, Property],
        identifiers: list[str],
        temporal: dict[str, str],
        spatial: dict[str, str],
    ) -> None:
        """identifiers, temporal and spatial must name suitable properties; checked where they are declared
        or where a property they name is redefined."""

        def concerns(own: object, prop: str) -> bool:
            return own is not None or specs.get(prop, {}).get("_defined_in") == raw.name

        for i, prop in enumerate(identifiers):
            if concerns(raw.identifiers, prop) and prop not in specs:
                raw.report(("identifiers", i), f"{prop!r} is not a property of {raw.name}{_hint(prop, specs)}")
        for section, roles in (("temporal", temporal), ("spatial", spatial)):
            for role, prop in roles.items():
                if not concerns(getattr(raw, section), prop):
                    continue
                if prop not in specs:
                    raw.report((section, role), f"{prop!r} is not a property of {raw.name}{_hint(prop, specs)}")
                elif prop in properties and (problem := _role_problem(section, role, properties[prop])):
                    raw.report((section, role), problem)


def _role_problem(section: str, role: str, prop: Property) -> str | None:
    if section == "temporal" and prop.type.sql_type not in TIME_SQL_TYPES:
        return f"{prop.name} is of type {prop.type_name}, not a date or time"
    if section == "spatial" and role == "point" and prop.type_name != "geo_point":
        return f"{prop.name} is of type {prop.type_name}, not geo_point"
    if section == "spatial" and role == "address" and prop.type_name not in ("address", "entity"):
        return f"{prop.name} is of type {prop.type_name}, not address"
    return None


def _hint(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
