"""``policecloud resolve`` (run or resume the master-data stages), its report, and manual judgements."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from policecloud.platform.access.cli import cli_context, cli_store
from policecloud.platform.clikit import console, fail, rich_table, settings_of
from policecloud.platform.config import Settings

resolve_app = typer.Typer(
    help="主数据与实体解析 / Master data (一标三实) and entity resolution: run, report, judgements.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(resolve_app, name="resolve")


def run_resolution(settings: Settings, *, restart: bool = False, force: bool = False, quiet: bool = False):
    """Run or resume resolution for ``settings`` (used by the command and by the demo)."""
    from policecloud.data.resolve.jobs import run_stages
    from policecloud.data.resolve.judgements import active_judgements
    from policecloud.data.resolve.stages import STAGES

    with cli_store(settings) as session:
        judgements = active_judgements(session)
    started = {}

    def on_stage(stage, event: str) -> None:
        if quiet:
            return
        if event == "start":
            started[stage.name] = time.perf_counter()
            console.print(f"… {stage.label}")
        elif event == "resumed":
            console.print(f"[dim]✓ {stage.label} (finished before this run was interrupted; resumed after it)[/]")
        else:
            console.print(f"[green]✓[/] {stage.label} in {time.perf_counter() - started[stage.name]:.1f} s")

    return run_stages(
        settings.data_dir,
        STAGES,
        warehouse_dir=settings.warehouse_dir,
        province_dir=settings.province_dir if settings.province_dir.exists() else None,
        judgements=judgements,
        restart=restart,
        force=force,
        on_stage=on_stage,
    )


@resolve_app.callback()
def resolve(
    ctx: typer.Context,
    restart: Annotated[bool, typer.Option(help="Discard an interrupted run instead of resuming it.")] = False,
    force: Annotated[bool, typer.Option(help="Run again even when nothing changed since the last run.")] = False,
) -> None:
    """Resolve the warehouse into master data, stage by stage; resumes an interrupted run (可断点续跑)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_of(ctx)
    if not settings.warehouse_dir.exists():
        raise fail(f"no warehouse in {settings.warehouse_dir}: run `policecloud ingest` first / 请先运行 ingest")
    report = run_resolution(settings, restart=restart, force=force)
    if not report.up_to_date:
        from policecloud.platform import hooks

        updated = hooks.call("after_resolve", settings, report.run_id, extra=settings.apps)
        for step in (s for found in updated for s in found):
            console.print(f"index updated: {step.name}: {step.note}")
    if report.up_to_date:
        console.print(f"master data {report.run_id} is up to date (nothing ingested or judged since) / 主数据已是最新")
    table = rich_table(f"resolution run {report.run_id}", ["stage", "seconds", "result"])
    for r in report.results:
        summary = ", ".join(f"{k}={v}" for k, v in r.stats.items() if not isinstance(v, dict))
        table.add_row(r.name + (" (resumed)" if r.resumed else ""), f"{r.seconds:.1f}", summary)
    console.print(table)


@resolve_app.command("report")
def report(
    ctx: typer.Context,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON here.")] = None,
    review: Annotated[bool, typer.Option(help="List conflicts and unmatched addresses to review.")] = False,
) -> None:
    """质量报告 / Quality report of the current master data, per source and overall."""
    from policecloud.data.resolve.master import MasterMissing, open_master
    from policecloud.data.resolve.quality import review_lists

    settings = settings_of(ctx)
    try:
        master = open_master(settings.data_dir, settings.warehouse_dir)
    except MasterMissing as exc:
        raise fail(str(exc)) from None
    con = master.connect()
    rows = con.execute("SELECT scope, entity_type, metric, value FROM quality ORDER BY ALL").fetchall()
    table = rich_table(f"master data {master.run_id}", ["scope", "entity", "metric", "value"])
    for scope, kind, metric, value in rows:
        table.add_row(scope, kind, metric, f"{value:,}")
    console.print(table)
    lists = review_lists(con) if review else {}
    for name, items in lists.items():
        listing = rich_table(f"to review: {name}", ["item"])
        for item in items:
            listing.add_row(" | ".join(str(x) for x in item))
        console.print(listing)
    if json_out:
        payload = {
            "run": master.run_id,
            "quality": [dict(zip(("scope", "entity_type", "metric", "value"), r, strict=True)) for r in rows],
            "review": {k: [list(map(str, i)) for i in v] for k, v in lists.items()},
        }
        json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


@resolve_app.command("judge")
def judge(
    ctx: typer.Context,
    left: Annotated[str, typer.Argument(help="Record key (batch:row) of one record.")],
    right: Annotated[str, typer.Argument(help="Record key (batch:row) of the other record.")],
    verdict: Annotated[str, typer.Argument(help="same | not_same | unsure")],
    reason: Annotated[str, typer.Option(help="Why (kept with the judgement and audited).")] = "",
) -> None:
    """人工判定 / Judge whether two records are the same person; applied by every later run."""
    from policecloud.data.resolve.judgements import JudgementError
    from policecloud.data.resolve.judgements import judge as record

    with cli_store(settings_of(ctx)) as session:
        try:
            judgement = record(session, cli_context().actor, left, right, verdict, reason)
        except JudgementError as exc:
            raise fail(str(exc)) from None
        console.print(f"judgement {judgement.id} recorded; run `policecloud resolve` to apply it")


@resolve_app.command("undo")
def undo(ctx: typer.Context, judgement_id: Annotated[int, typer.Argument(help="Judgement number.")]) -> None:
    """撤销判定 / Retract a judgement; the next run gives the model's clusters back."""
    from policecloud.data.resolve.judgements import JudgementError, retract

    with cli_store(settings_of(ctx)) as session:
        try:
            retract(session, cli_context().actor, judgement_id)
        except JudgementError as exc:
            raise fail(str(exc)) from None
        console.print(f"judgement {judgement_id} retracted; run `policecloud resolve` to apply it")


@resolve_app.command("judgements")
def judgements(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include retracted judgements.")] = False,
) -> None:
    """List manual judgements."""
    from policecloud.data.resolve.judgements import list_judgements

    with cli_store(settings_of(ctx)) as session:
        table = rich_table("judgements", ["id", "left", "right", "verdict", "by", "at", "retracted", "reason"])
        for j in list_judgements(session, include_retracted=all_):
            retracted = f"{j.retracted_at:%Y-%m-%d %H:%M} {j.retracted_by}" if j.retracted_at else ""
            table.add_row(
                str(j.id),
                j.left_key,
                j.right_key,
                j.verdict,
                j.author,
                f"{j.created_at:%Y-%m-%d %H:%M}",
                retracted,
                j.reason,
            )
        console.print(table)
