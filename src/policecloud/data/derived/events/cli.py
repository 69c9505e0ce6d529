"""``policecloud index events``: build (or extend) the event key index used by trajectories and dossiers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from policecloud.platform.clikit import INDEX_HELP, command_group, console, fail, rich_table, settings_of


def register(app: typer.Typer) -> None:
    command_group(app, "index", INDEX_HELP).command("events")(index_events)


def index_events(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild from scratch into a new version.")] = False,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only this event table (repeatable); default: all.")
    ] = None,
    memory_limit: Annotated[str, typer.Option(help="DuckDB memory limit while building.")] = "2GB",
    status: Annotated[bool, typer.Option("--status", help="Only show what the index holds.")] = False,
) -> None:
    """事件键索引 / Index event tables by key (plate, ID number, phone) for fast lookups.

    Copies checkpoint passes, hotel stays, internet sessions, violations, 110 calls and cell measurements
    sorted by key, so a plate's one-month trajectory reads one or two row groups. Incremental: only batches
    ingested since the last run are indexed. 按号牌、身份证号、电话号码排序复制事件表；增量更新，仅处理新批次。
    """
    from policecloud.data.derived.events.build import BuildOptions, EventIndexError, build_event_index
    from policecloud.data.derived.events.lookup import EventIndex
    from policecloud.data.derived.events.tables import default_index_dir

    settings = settings_of(ctx)
    index_dir = default_index_dir(settings.data_dir)
    if not status:
        options = BuildOptions(timezone=settings.timezone, memory_limit=memory_limit)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            tasks: dict[str, int] = {}

            def advance(what: str, done: int, total: int) -> None:
                if what not in tasks:
                    tasks[what] = progress.add_task(what, total=total)
                progress.update(tasks[what], completed=done, total=total)

            try:
                report = build_event_index(
                    settings.warehouse_dir, index_dir, table, rebuild=rebuild, options=options, progress=advance
                )
            except EventIndexError as exc:
                raise fail(str(exc)) from None
        verb = "重建 / rebuilt" if report.rebuilt else "更新 / updated"
        console.print(
            f"[green]{verb}[/] {index_dir / report.version}: {len(report.batches)} new batches, "
            f"{report.total_rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
            + (f", {report.compacted} files compacted" if report.compacted else "")
        )
    listing = rich_table(
        "Event key index / 事件键索引", ["table", "key", "rows", "files", "layout", "batches not indexed"]
    )
    from policecloud.data.derived.events.tables import EVENT_TABLES

    for name, info in EventIndex(index_dir, settings.warehouse_dir, settings.timezone).status().items():
        layout = f"{info['grain']}×{info['buckets']}" if info["indexed"] else "—"
        pending = "—" if info["pending_batches"] is None else str(info["pending_batches"])
        listing.add_row(name, EVENT_TABLES[name].key, f"{info['rows']:,}", str(info["files"]), layout, pending)
    console.print(listing)
