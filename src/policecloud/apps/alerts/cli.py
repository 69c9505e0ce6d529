"""``policecloud replay`` (stream a synthetic day into a running server) and ``policecloud watchlist import``
(load the sources' hotlists into the watchlists, directly in the store, audited through the CLI's request
context: ``cli:<login>`` at ``local``)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts import sources, watchlists
from policecloud.apps.alerts.models import WatchlistEntry
from policecloud.apps.alerts.replay import FeedClient, FeedError, replay
from policecloud.platform.access.cli import cli_context
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.purpose import Purpose
from policecloud.platform.clikit import console, fail, settings_of

watchlist_app = typer.Typer(help="Watchlists (布控名单): import the hotlists of a source directory.")
PASSWORD_VARIABLE = "POLICECLOUD_FEED_PASSWORD"


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
    app.add_typer(watchlist_app, name="watchlist")


def _sources(province: Path) -> Path:
    found = province / "sources" if (province / "sources").is_dir() else province
    if not (found / "checkpoint_registry.csv").exists():
        raise fail(f"{province} holds no synthetic province sources (run `policecloud synth` first)")
    return found


def replay_command(
    province: Annotated[Path, typer.Option("--province", "-p", help="Output directory of `policecloud synth`.")],
    speed: Annotated[float, typer.Option("--speed", help="Event time runs N× faster than real time; 0: flat out.")],
    day: Annotated[str | None, typer.Option(help="The day to replay, YYYY-MM-DD (default: the first).")] = None,
    url: Annotated[str, typer.Option(help="The platform server.")] = "http://127.0.0.1:8000",
    user: Annotated[str | None, typer.Option(help=f"Feed account (password from ${PASSWORD_VARIABLE}).")] = None,
    token: Annotated[str | None, typer.Option(envvar="POLICECLOUD_FEED_TOKEN", help="A session token.")] = None,
    batch: Annotated[int, typer.Option(help="Events per request (at most).")] = 500,
    devices: Annotated[bool, typer.Option(help="Load the device registries first.")] = True,
) -> None:
    """Stream one day of checkpoint passes and hotel check-ins into the intake (回放).

    从合成省份的数据源回放一天的过车和旅馆入住记录到事件接入接口。"""
    source_dir = _sources(province)
    days = sources.days(source_dir)
    chosen = date.fromisoformat(day) if day else (days[0] if days else None)
    if chosen is None or chosen not in days:
        raise fail(f"no events for day {day or '?'}; days available: {', '.join(map(str, days))}")
    client = FeedClient(url, token)
    try:
        if not client.token:
            if not user:
                raise fail("give --user (password in $POLICECLOUD_FEED_PASSWORD) or --token")
            client.login(user, os.environ.get(PASSWORD_VARIABLE) or typer.prompt("Password / 密码", hide_input=True))
        if devices:
            loaded = client.request("PUT", "/api/map/devices", {"devices": sources.devices(source_dir)})
            console.print(f"设备 / devices loaded: {loaded['loaded']}")
        events = sources.day_events(source_dir, chosen)
        console.print(f"回放 / replaying {len(events)} events of {chosen} at {speed:g}× to {url}")

        def progress(report) -> None:
            if report.sent % 20000 < batch:
                console.print(f"  {report.sent}/{len(events)} sent, {report.accepted} accepted")

        report = replay(client, events, speed, batch_size=batch, progress=progress)
    except (FeedError, OSError) as exc:
        raise fail(str(exc)) from None
    finally:
        client.close()
    console.print(
        f"完成 / done: {report.sent} sent, {report.accepted} accepted, rejected {report.rejected or 'none'} "
        f"in {report.seconds:.1f} s"
    )


@watchlist_app.command("import")
def import_command(
    ctx: typer.Context,
    province: Annotated[Path, typer.Option("--province", "-p", help="Output directory of `policecloud synth`.")],
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", "-j", help="Owning jurisdiction.")] = "420000",
) -> None:
    """Import vehicle_hotlist.csv and wanted_persons.csv as watchlist entries (idempotent, audited)."""
    from policecloud.platform.store import make_engine, make_sessionmaker, upgrade

    settings = settings_of(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.operational_database_url)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        added = import_entries(session, sources.hotlist_entries(_sources(province)), cli_context(), jurisdiction)
        session.commit()
    engine.dispose()
    console.print(f"布控条目 / watchlist entries added: {added}")


def import_entries(session, entries: list[dict], context: RequestContext, jurisdiction: str) -> int:
    """Add the entries not yet present (same kind, value and reference); returns how many were added.

    Each entry's audit event is written through ``context`` (its actor and client) for that entry's own purpose,
    ``context.with_purpose(...)``: the import is one command, but every entry has its source reference."""
    now = datetime.now(UTC)
    added = 0
    for item in entries:
        value = watchlists.normalize_value(item["kind"], item["value"])
        exists = session.execute(
            select(WatchlistEntry.id).where(
                WatchlistEntry.kind == item["kind"],
                WatchlistEntry.value == value,
                WatchlistEntry.reference == item["reference"],
                WatchlistEntry.active.is_(True),
            )
        ).first()
        if exists:
            continue
        entry = watchlists.add_entry(
            session,
            kind=item["kind"],
            value=value,
            reason=item["reason"][:200],
            reference=item["reference"],
            owner=context.user,
            jurisdiction_code=jurisdiction,
            valid_from=item["valid_from"],
            valid_until=None,
            now=now,
        )
        purpose = Purpose("justification", f"imported from the source hotlist ({item['reference']})")
        context.with_purpose(purpose).record(
            session,
            aev.WatchlistEntryAdded(
                entry.id,
                entry.kind,
                entry.value,
                entry.reason,
                jurisdiction,
                entry.valid_from.isoformat(),
                None,
            ),
            now,
        )
        added += 1
    return added
