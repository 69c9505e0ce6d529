"""``policecloud demo``: the platform on a generated province, served on localhost."""

from __future__ import annotations

from typing import Annotated

import typer

from policecloud.platform.clikit import console, fail, rich_table, settings_of


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help="Size of the generated province: tiny | small | medium.")] = "small",
    seed: Annotated[int, typer.Option(help="Seed of the generated province.")] = 1,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web platform at the end.")] = True,
    replay_speed: Annotated[float, typer.Option(help="Speed of the live replay of the province's events.")] = 60.0,
) -> None:
    """演示 / Demo: generate the province (once), ingest it, create demo users, serve the platform."""
    from policecloud.data.ingest.mapping import MappingError
    from policecloud.demo import steps

    settings = settings_of(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.rule("1 · 合成省份 / the synthetic province")
    province = steps.generate_province(settings, scale, seed)
    console.print(f"province in {province}")
    console.rule("2 · 数据整合 / ingestion")
    try:
        reports = steps.ingest_province(settings)
    except MappingError as exc:
        raise fail(f"the mappings have problems:\n{exc}") from None
    table = rich_table("ingested", ["source", "unit", "read", "landed", "quarantined"])
    for r in reports:
        note = " (already)" if r.skipped else ""
        table.add_row(r.source, r.unit + note, f"{r.rows_read:,}", f"{r.rows_landed:,}", f"{r.rows_quarantined:,}")
    console.print(table)
    console.rule("3 · 主数据与索引 / master data (一标三实) and indexes")
    from policecloud.data.resolve.cli import run_resolution

    resolution = run_resolution(settings)
    console.print(f"master data run {resolution.run_id}" + (" (up to date)" if resolution.up_to_date else ""))
    from policecloud.data.derived.refresh import refresh

    for step in refresh(settings):
        console.print(f"index {step.name}: {step.note} ({step.seconds:.1f} s)")
    console.rule("4 · 演示账户 / demo accounts")
    users = steps.ensure_demo_users(settings)
    accounts = rich_table(f"password for all: {steps.DEMO_PASSWORD}", ["user", "roles", "jurisdiction", "TOTP now"])
    for user in users:
        accounts.add_row(user.username, ", ".join(user.roles), user.jurisdiction, steps.current_code(user.totp_secret))
    console.print(accounts)
    console.print(f"TOTP secrets are in {settings.data_dir / 'demo-users.json'} (synthetic demo only).")
    if serve:
        console.rule("5 · 平台 / the platform")
        from policecloud.apps.alerts.live import start_live_replay
        from policecloud.platform.api.cli import serve as serve_command

        base = f"http://{settings.host}:{settings.port}"
        start_live_replay(settings, province, base, speed=replay_speed)
        console.print(f"首页 / home: {base}/   ·   一张图 / the one map: {base}/map")
        console.print(f"云搜索 / search: {base}/search   ·   API: {base}/docs")
        console.print(
            f"the province's events are replayed at {replay_speed:g}× into the platform, from just before the first"
            " event a watchlist matches (an alert on the map within the first minute)"
        )
        # The replay posts events continuously: a request log would bury the addresses above.
        serve_command(ctx, host=None, port=None, access_log=False)
