"""The live part of ``policecloud demo``: the province's hotlists become watchlists, a feed account gets a
session, and once the server answers, the province's events are replayed into it (in a thread), starting just
before the first one a watchlist matches."""

from __future__ import annotations

import logging
import secrets
import threading
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

from policecloud.apps.alerts import sources
from policecloud.apps.alerts.cli import import_entries
from policecloud.apps.alerts.replay import FeedClient, replay
from policecloud.apps.alerts.replay_plan import plan_replay, planned_events
from policecloud.platform.access import accounts
from policecloud.platform.access.auth import token_digest
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.credentials import random_password
from policecloud.platform.config import Settings

log = logging.getLogger(__name__)
FEED_USER = "demo.feed"


def prepare(settings: Settings, province: Path) -> str:
    """Import the hotlists (idempotent) and return a fresh session token of the demo feed account."""
    from policecloud.platform.store import make_engine, make_sessionmaker, upgrade
    from policecloud.platform.store.models import AuthSession

    engine = make_engine(settings.operational_database_url)
    upgrade(engine)
    context = RequestContext.console(None, login="demo")  # cli:demo at local
    actor = context.actor
    try:
        with make_sessionmaker(engine)() as session:
            import_entries(session, sources.hotlist_entries(province / "sources"), context, "420000")
            user = accounts.find_user(session, FEED_USER)
            if user is None:  # a machine account: it signs in with session tokens, never with this password
                user, _ = accounts.create_user(
                    session, settings, actor, username=FEED_USER, password=random_password(),
                    jurisdiction="420000", roles=["feed"], provisioned=True,
                )  # fmt: skip
            token = secrets.token_urlsafe(24)
            now = datetime.now(UTC)
            session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, created_at=now, last_seen_at=now))
            session.commit()
    finally:
        engine.dispose()
    return token


def start_live_replay(
    settings: Settings, province: Path, url: str, speed: float = 60.0, day: str | None = None
) -> threading.Thread:
    """Prepare now; replay in a daemon thread as soon as ``url`` answers (give up after two minutes).

    Without ``day``, the replay starts just before the first event a watchlist matches (see replay_plan.py:
    an alert on the map in the first minute) and goes on through the days after it; ``day`` replays that day.
    """
    token = prepare(settings, province)
    plan = plan_replay(province / "sources", date.fromisoformat(day) if day else None)

    def run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/api/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        client = FeedClient(url, token)
        try:
            client.request("PUT", "/api/map/devices", {"devices": sources.devices(province / "sources")})
            if plan.first_hit is not None:
                log.warning("the first watched event is at %s: the replay starts %s", plan.first_hit, plan.start)
            for chosen, events in planned_events(province / "sources", plan):
                log.warning("replaying %d events of %s at %g× into %s", len(events), chosen, speed, url)
                replay(client, events, speed)
        except Exception:
            log.exception("the live replay stopped")
        finally:
            client.close()

    thread = threading.Thread(target=run, name="demo-replay", daemon=True)
    thread.start()
    return thread
