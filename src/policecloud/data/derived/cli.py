"""``policecloud index all``: bring the event index, the dossier link copies and the search index up to date."""

from __future__ import annotations

import typer

from policecloud.platform.clikit import INDEX_HELP, command_group, console, rich_table, settings_of


def register(app: typer.Typer) -> None:
    from policecloud.data.derived.events import cli as events_cli

    command_group(app, "index", INDEX_HELP).command("all")(index_all)
    events_cli.register(app)


def index_all(ctx: typer.Context) -> None:
    """全部更新 / Update every derived index incrementally (after ingest or resolve)."""
    from policecloud.data.derived.refresh import refresh

    settings = settings_of(ctx)
    reports = refresh(settings, on_step=lambda r: console.print(f"✓ {r.name}: {r.note} ({r.seconds:.1f} s)"))
    if not reports:
        console.print(f"no warehouse in {settings.warehouse_dir}: nothing to index / 尚无数据")
        return
    table = rich_table("derived indexes", ["index", "seconds", "result"])
    for r in reports:
        table.add_row(r.name, f"{r.seconds:.1f}", r.note)
    console.print(table)
