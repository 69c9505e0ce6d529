"""Commands: ``ingest`` (sources → warehouse), ``quarantine`` (what was rejected, why), ``freshness``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from policecloud.data.ingest import quality, readers
from policecloud.data.ingest.mapping import MappingError, load_mappings
from policecloud.data.ingest.run import UnitReport, ingest_unit
from policecloud.data.warehouse import WarehouseError, open_warehouse
from policecloud.platform.clikit import console, fail, rich_table, settings_of


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("quarantine")(quarantine)
    app.command("freshness")(freshness)


def _schema():
    from policecloud.data.model.schema import load_schema

    return load_schema()


def ingest(
    ctx: typer.Context,
    sources: Annotated[list[str] | None, typer.Argument(help="Source ids to ingest (default: all mapped).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    update_indexes: Annotated[
        bool, typer.Option("--update-indexes/--no-update-indexes", help="Update existing derived indexes after.")
    ] = True,
) -> None:
    """Ingest sources into the warehouse (数据整合): standardize, quarantine what is bad, reconcile the counts."""
    settings = settings_of(ctx)
    schema = _schema()
    try:
        mappings = load_mappings(settings.mappings_dir, schema)
    except MappingError as exc:
        raise fail(f"the mappings have problems:\n{exc}") from None
    chosen = sources or sorted(mappings)
    unknown = [s for s in chosen if s not in mappings]
    if unknown:
        raise fail(f"no mapping for {', '.join(unknown)}; mapped sources: {', '.join(sorted(mappings))}")
    warehouse = open_warehouse(settings.warehouse_dir)
    reports: list[UnitReport] = []
    failures: list[str] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        for source in chosen:
            mapping = mappings[source]
            try:
                units = readers.units(mapping, settings.sources_dir)
            except readers.ReadError as exc:
                failures.append(str(exc))
                continue
            task = progress.add_task(source, total=len(units), info="")
            rows = rejects = 0
            seconds = 1e-9
            for unit in units:
                try:
                    report = ingest_unit(warehouse, mapping, unit, settings.sources_dir, schema)
                except (readers.ReadError, WarehouseError) as exc:
                    failures.append(str(exc))
                    progress.advance(task)
                    continue
                reports.append(report)
                rows += report.rows_read
                rejects += report.rows_quarantined
                seconds += report.seconds
                info = "already ingested" if report.skipped else f"{rows:,} rows, {rows / seconds:,.0f} rows/s"
                progress.update(task, advance=1, info=f"{info}, {rejects:,} quarantined")
    console.print(_report_table(reports))
    for report in reports:
        if report.reasons:
            top = ", ".join(f"{r} ×{n}" for r, n in list(report.reasons.items())[:5])
            console.print(f"  [dim]{report.source} / {report.unit}:[/] {top}")
    if json_out:
        json_out.write_text(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"report written to {json_out}")
    if update_indexes and any(not r.skipped for r in reports):
        from policecloud.platform import hooks

        batches = [r.batch_id for r in reports if not r.skipped]
        updated = hooks.call("after_ingest", settings, batches, extra=settings.apps)
        for step in (s for found in updated for s in found):
            console.print(f"index updated: {step.name}: {step.note}")
    for failure in failures:
        console.print(f"[bold red]error:[/] {failure}")
    if failures or not all(r.reconciled for r in reports):
        raise typer.Exit(1)


def _report_table(reports: list[UnitReport]):
    table = rich_table(
        "Reconciliation (read = landed + quarantined)",
        ["source", "unit", "read", "landed", "quarantined", "values", "rows/s", "ok"],
    )
    for r in reports:
        rate = "" if r.skipped or not r.seconds else f"{r.rows_read / r.seconds:,.0f}"
        status = "skipped (same input)" if r.skipped else ("[green]✓[/]" if r.reconciled else "[red]✗[/]")
        if r.replaces:
            status += f" (replaces {len(r.replaces)} earlier batch{'es' if len(r.replaces) > 1 else ''})"
        table.add_row(
            r.source,
            r.unit,
            f"{r.rows_read:,}",
            f"{r.rows_landed:,}",
            f"{r.rows_quarantined:,}",
            f"{r.values_quarantined:,}",
            rate,
            status,
        )
    return table


def quarantine(
    ctx: typer.Context,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason code, e.g. id_number.check_digit.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to list.")] = 20,
    export: Annotated[Path | None, typer.Option(help="Export all matching rows to a .csv or .parquet file.")] = None,
) -> None:
    """List or export quarantined rows and values (隔离区), by source and reason."""
    warehouse = open_warehouse(settings_of(ctx).warehouse_dir)
    try:
        summary = quality.quarantine_summary(warehouse, source, reason)
        rows = quality.quarantine_rows(warehouse, source, reason, limit)
        if export:
            n = quality.export_quarantine(warehouse, export, source, reason)
            console.print(f"exported {n:,} quarantined rows to {export}")
    except (WarehouseError, ValueError) as exc:
        raise fail(str(exc)) from None
    table = rich_table("Quarantine by source and reason", ["source", "reason", "values", "rows rejected"])
    for row in summary:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    console.print(table)
    listing = rich_table(f"First {limit} quarantined values", ["source", "batch", "row", "field", "raw", "reason"])
    for row in rows:
        listing.add_row(*("" if v is None else str(v) for v in row))
    console.print(listing)


def freshness(ctx: typer.Context) -> None:
    """Per source: last batch time, rows, rejection rate and field fill rates (数据新鲜性和可用性)."""
    warehouse = open_warehouse(settings_of(ctx).warehouse_dir)
    try:
        rows = quality.freshness(warehouse)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    if not rows:
        console.print("尚未导入任何数据 / nothing has been ingested yet")
        return
    table = rich_table(
        "Freshness and quality per source",
        ["source", "last batch", "batches", "rows landed", "rejection rate", "lowest fill rates"],
    )
    for r in rows:
        low = ", ".join(f"{k} {v:.0%}" for k, v in sorted(r["fill_rates"].items(), key=lambda kv: kv[1])[:3])
        table.add_row(
            r["source"],
            r["last_batch_at"],
            str(r["batches"]),
            f"{r['rows_landed']:,}",
            f"{r['rejection_rate']:.2%}",
            low,
        )
    console.print(table)
