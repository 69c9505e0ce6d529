"""Renders the data model reference page (docs/data-model.md) from the loaded schema.

The page is generated, never edited by hand: ``policecloud docs data-model --write`` rewrites it and a test
fails when it differs from what the schema files say.
"""

from __future__ import annotations

from collections import defaultdict

from policecloud.data.model.schema import EntityType, Property, Schema

DOC_PATH = "docs/data-model.md"

GROUPS = (
    ("Abstract bases", "抽象基类", lambda t: t.abstract),
    ("Entities", "实体", lambda t: not t.abstract and t.kind == "entity"),
    ("Events", "事件", lambda t: not t.abstract and t.kind == "event"),
    ("Intervals", "时段", lambda t: not t.abstract and t.kind == "interval"),
)

INTRO = """\
# Data model (数据模型)

<!-- Generated from src/policecloud/data/model/schema/*.yaml by `policecloud docs data-model --write`.
     Do not edit by hand: edit the YAML files and regenerate; a test fails when this page is out of date. -->

Every source is mapped onto this standard model. It is declared as data: one YAML file per type in
`src/policecloud/data/model/schema/`, loaded by `policecloud.data.model.schema.load_schema()`.

- **Kinds.** An *entity* is something the platform keeps master data about (a person, a vehicle, an
  address); an *event* happened at one moment (a checkpoint pass, a 110 call); an *interval* lasts from a
  start to an optional end (a hotel stay, a residence). Abstract bases are never instantiated; they give
  their properties to the types that extend them.
- **Inheritance.** A type extends one or more parents and sees all their properties; a redefinition
  overrides the inherited one key by key (e.g. a type relabels `start` as 入住时间 / check-in).
- **Lineage.** Every record carries `source`, `batch` and `row` (from `Thing`), so every value can be
  traced back to the source row it came from.
- **Types.** Each property has an element type that validates and normalizes its values
  (`policecloud types` lists them); *sensitive* properties are masked unless a role needs them.
- **Identifiers** are the properties that each identify an entity on their own; **time** and **place** name
  the properties timelines and maps use.

## GA/T 543 data element identifiers

The GA/T 543 column gives the public-security data element identifier (数据元标识, e.g. `GMSFHM` for the
citizen ID number) where the project is confident of it; it is left empty where the standard has no
identifier or where we are not sure of it — identifiers are never invented. Corrections are welcome.

Deliberately absent: ethnicity (民族, `MZ`), religion (宗教信仰, `ZJXY`) and any face or other biometric
attribute. The project does not record them (DESIGN.md §2), and the schema loader rejects a property that
tries to add them by name, label or identifier.
"""


def render_data_model(schema: Schema) -> str:
    """The Markdown reference page of the whole schema."""
    parts = [INTRO, _identifier_index(schema), _contents(schema)]
    for title, title_zh, member in GROUPS:
        types = [t for t in schema if member(t)]
        if types:
            parts.append(f"## {title} ({title_zh})\n")
            parts.extend(_section(t, schema) for t in types)
    return "\n".join(parts).rstrip("\n") + "\n"


def _identifier_index(schema: Schema) -> str:
    uses: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for entity_type in schema:
        for prop in entity_type.properties.values():
            if prop.gat543 and prop.defined_in == entity_type.name:
                uses[prop.gat543].add(f"`{entity_type.name}.{prop.name}`")
                labels.setdefault(prop.gat543, prop.label_zh)
    rows = [f"| `{code}` | {labels[code]} | {', '.join(sorted(uses[code]))} |" for code in sorted(uses)]
    return "\n".join(["| identifier | 数据元 | used by |", "|---|---|---|", *rows, ""])


def _contents(schema: Schema) -> str:
    lines = ["## Contents\n"]
    for title, title_zh, member in GROUPS:
        links = [f"[{t.name}](#{t.name.lower()}) {t.label_zh}" for t in schema if member(t)]
        if links:
            lines.append(f"- **{title}** ({title_zh}): " + " · ".join(links))
    return "\n".join(lines) + "\n"


def _section(entity_type: EntityType, schema: Schema) -> str:
    lines = [f"### {entity_type.name}\n", f"**{entity_type.label_zh}** / {entity_type.label_en}\n"]
    if entity_type.description:
        lines.append(entity_type.description.strip() + "\n")
    facts = [f"kind: {entity_type.kind or '—'}" + (" (abstract)" if entity_type.abstract else "")]
    if entity_type.parents:
        facts.append("extends: " + ", ".join(_link(p) for p in entity_type.parents))
    if entity_type.identifiers:
        facts.append("identifiers: " + ", ".join(f"`{p}`" for p in entity_type.identifiers))
    if entity_type.temporal:
        facts.append("time: " + ", ".join(f"{role} `{p}`" for role, p in entity_type.temporal.items()))
    if entity_type.spatial:
        facts.append("place: " + ", ".join(f"{role} `{p}`" for role, p in entity_type.spatial.items()))
    subtypes = [t.name for t in schema.subtypes(entity_type.name) if t.name != entity_type.name]
    if entity_type.abstract and subtypes:
        facts.append("concrete types: " + ", ".join(_link(t) for t in subtypes))
    lines.append("- " + "\n- ".join(facts) + "\n")
    if entity_type.properties:
        lines.append("| property | 中文 | English | type | required | sensitive | GA/T 543 | ref | defined in |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        lines.extend(_row(prop, entity_type) for prop in entity_type.properties.values())
        lines.append("")
    enums = [p for p in entity_type.properties.values() if p.values and p.defined_in == entity_type.name]
    for prop in enums:
        values = ", ".join(f"`{v.code}` {v.label_zh}" for v in prop.values)
        lines.append(f"- `{prop.name}` values: {values}")
    if enums:
        lines.append("")
    return "\n".join(lines)


def _row(prop: Property, entity_type: EntityType) -> str:
    type_text = f"`{prop.type_name}`" + (" (multiple)" if prop.multiple else "")
    cells = [
        f"`{prop.name}`",
        _cell(prop.label_zh),
        _cell(prop.label_en),
        type_text,
        "yes" if prop.required else "",
        "yes" if prop.sensitive else "",
        f"`{prop.gat543}`" if prop.gat543 else "",
        _link(prop.ref) if prop.ref else "",
        "" if prop.defined_in == entity_type.name else _link(prop.defined_in),
    ]
    return "| " + " | ".join(cells) + " |"


def _link(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
