"""``policecloud warehouse repair``: move committed files that an older writer laid out under other partition
keys than their table's (every read of such a table fails) to the table's layout, and say what moved."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from policecloud.platform.clikit import command_group, console, fail, settings_of

HELP = "数据仓库 / The warehouse: maintenance."


def register(app: typer.Typer) -> None:
    command_group(app, "warehouse", HELP).command("repair")(repair)


def repair(
    ctx: typer.Context,
    warehouse: Annotated[
        Path | None, typer.Option(help="The warehouse root (default: DATA_DIR/warehouse).", show_default=False)
    ] = None,
) -> None:
    """修复分区布局 / Repair the partition layout: idempotent, each batch's record rewritten atomically."""
    from policecloud.data.warehouse import DuckDBWarehouse

    root = warehouse or settings_of(ctx).warehouse_dir
    if not (root / "_batches").is_dir():
        raise fail(f"no warehouse in {root} / 此处没有数据仓库")
    engine = DuckDBWarehouse(root)
    report = engine.repair()  # the engine, not open_warehouse: that would repair silently
    from policecloud.platform import hooks  # apps upgrade their own batches (the live sink's former column names)

    for note in (n for notes in hooks.call("warehouse_repaired", engine, extra=settings_of(ctx).apps) for n in notes):
        console.print(note)
    for old, new in report.moved:
        console.print(f"moved {old} → {', '.join(new) or '(no rows)'}")
    for problem in report.unrepairable:
        console.print(f"[red]cannot move[/red] {problem}")
    if not report.moved and not report.unrepairable:
        console.print("nothing to repair: every table has one partition layout / 分区布局一致，无需修复")
    else:
        console.print(
            f"{len(report.moved)} file(s) moved, {len(report.unrepairable)} left / 已移动 {len(report.moved)} 个文件"
        )
    if report.unrepairable:
        raise typer.Exit(1)
