"""Commands about the data model: ``policecloud schema [TYPE]`` and ``policecloud docs data-model``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from policecloud.data.model.schema import Schema, SchemaError, load_schema
from policecloud.data.model.schema.doc import DOC_PATH, render_data_model
from policecloud.platform.clikit import console, err_console, fail, rich_table


def register(app: typer.Typer) -> None:
    app.command("schema")(show_schema)
    _docs_group(app).command("data-model")(data_model_doc)


def _docs_group(app: typer.Typer) -> typer.Typer:
    """The ``docs`` command group, shared with other packages that generate documentation."""
    for group in app.registered_groups:
        if group.name == "docs" and group.typer_instance is not None:
            return group.typer_instance
    docs = typer.Typer(help="Generate the reference documentation (生成参考文档).", no_args_is_help=True)
    app.add_typer(docs, name="docs")
    return docs


def _schema() -> Schema:
    try:
        return load_schema()
    except SchemaError as exc:
        err_console.print(escape(str(exc)))
        raise fail("the data model schema does not load (数据模型定义有误)") from None


def show_schema(
    name: Annotated[str | None, typer.Argument(metavar="[TYPE]", help="An entity or event type, e.g. Person.")] = None,
) -> None:
    """List the entity and event types of the data model (数据模型), or show one type's properties."""
    schema = _schema()
    if name is None:
        table = rich_table("Data model types / 数据模型", ["type", "中文", "English", "kind", "extends", "properties"])
        table.columns[0].no_wrap = True
        for entity_type in schema:
            kind = (entity_type.kind or "—") + (" (abstract)" if entity_type.abstract else "")
            table.add_row(
                entity_type.name,
                entity_type.label_zh,
                entity_type.label_en,
                kind,
                ", ".join(entity_type.parents),
                str(len(entity_type.properties)),
            )
        console.print(table)
        return
    try:
        entity_type = schema.get(name)
    except KeyError as exc:
        raise fail(escape(str(exc.args[0]))) from None
    title = f"{entity_type.name} — {entity_type.label_zh} / {entity_type.label_en} ({entity_type.kind or 'abstract'})"
    columns = ["property", "中文", "English", "type", "required", "GA/T 543", "ref", "defined in"]
    table = rich_table(escape(title), columns)
    table.columns[0].no_wrap = True
    for prop in entity_type.properties.values():
        type_text = prop.type_name + ("[]" if prop.multiple else "") + (" (sensitive)" if prop.sensitive else "")
        if prop.values:
            type_text += ": " + ", ".join(v.code for v in prop.values)
        table.add_row(
            prop.name,
            prop.label_zh,
            prop.label_en,
            escape(type_text),
            "yes" if prop.required else "",
            prop.gat543 or "",
            prop.ref or "",
            "" if prop.defined_in == entity_type.name else prop.defined_in,
        )
    console.print(table)
    facts = {
        "extends": ", ".join(entity_type.parents),
        "identifiers": ", ".join(entity_type.identifiers),
        "time": ", ".join(f"{k}={v}" for k, v in entity_type.temporal.items()),
        "place": ", ".join(f"{k}={v}" for k, v in entity_type.spatial.items()),
    }
    for label, text in facts.items():
        if text:
            console.print(f"{label}: {escape(text)}")


def data_model_doc(
    write: Annotated[bool, typer.Option("--write", help="Write the page instead of printing it.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when the page is out of date.")] = False,
    output: Annotated[Path, typer.Option("--output", help="Where the page lives.")] = Path(DOC_PATH),
) -> None:
    """Render the data model reference page (docs/data-model.md) from the schema files."""
    if write and check:
        raise fail("--write and --check exclude each other")
    text = render_data_model(_schema())
    if check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != text:
            err_console.print(
                f"{output} is out of date (文档已过期); run: policecloud docs data-model --write"
                if current is not None
                else f"{output} does not exist (文档不存在); run: policecloud docs data-model --write"
            )
            raise typer.Exit(1)
        console.print(f"{output} is up to date (文档是最新的)")
    elif write:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output} (已写入)")
    else:
        typer.echo(text, nl=False)
