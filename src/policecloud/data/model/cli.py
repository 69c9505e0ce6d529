"""Commands about the standard data model's element types: list them, check values with them."""

from __future__ import annotations

from typing import Annotated

import typer

from policecloud.data.model import types as element_types
from policecloud.data.model.schema import cli as cli_schema
from policecloud.platform.clikit import console, fail, rich_table


def register(app: typer.Typer) -> None:
    app.command("types")(list_types)
    app.command("check")(check_values)
    cli_schema.register(app)


def list_types() -> None:
    """List the element types (数据元类型) that validate and normalize values."""
    table = rich_table("Element types", ["name", "中文", "English", "vectorized"])
    for name, etype in sorted(element_types.registry().items()):
        table.add_row(name, etype.label_zh, etype.label_en, "yes" if etype.vectorized else "no")
    console.print(table)


def check_values(
    type_name: Annotated[str, typer.Argument(metavar="TYPE", help="Element type, e.g. id_number, plate.")],
    values: Annotated[list[str], typer.Argument(help="Values to check.")],
    language: Annotated[str, typer.Option("--lang", help="zh-CN or en for the reasons.")] = "zh-CN",
) -> None:
    """Validate and normalize VALUES with an element type; exit 1 if any is invalid.

    Example: policecloud check id_number 11010519491231002X
    """
    try:
        etype = element_types.get(type_name)
    except KeyError as exc:
        raise fail(str(exc.args[0])) from None
    table = rich_table(f"{etype.label_zh} / {etype.label_en}", ["input", "normalized", "result", "details"])
    invalid = 0
    for raw in values:
        result = etype.check(raw)
        if result.ok:
            verdict = "[green]valid[/]" if not result.missing else "[yellow]missing[/]"
        else:
            invalid += 1
            verdict = f"[red]{result.reason}[/]: {etype.message(result.reason or '', language)}"
        details = ", ".join(f"{k}={v}" for k, v in result.details.items())
        table.add_row(raw, "" if result.value is None else str(result.value), verdict, details)
    console.print(table)
    if invalid:
        raise typer.Exit(1)
