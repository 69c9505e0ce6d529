"""Rules changed behind the server's back (by the CLI, another process) are reloaded off the processing path:
the background refresh swaps a fresh snapshot in, and never overrides an invalidation that came meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts_support import checkpoint_pass
from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.apps.alerts import watchlists
from policecloud.apps.alerts.models import Alert


def _watch_directly(engine, plate: str) -> None:
    """As the CLI would: straight into the store, the running service is not told."""
    with Session(engine) as session:
        watchlists.add_entry(
            session, kind="vehicle", value=plate, reason="被盗抢车辆", owner="cli", jurisdiction_code="420000",
            valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=None, now=datetime.now(UTC),
        )  # fmt: skip
        session.commit()


def _alerted(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(Alert.subject)).scalars())


def test_background_refresh_picks_up_rules_changed_elsewhere(platform):
    feed = platform.user("gateway", ["feed"], "420000")
    platform.post_events(feed, [checkpoint_pass(1, "鄂A00001")])
    platform.process()  # the processor now holds a snapshot of the (empty) rules
    _watch_directly(platform.engine, "鄂A12345")
    platform.post_events(feed, [checkpoint_pass(2, "鄂A12345")])
    platform.process()
    assert _alerted(platform.engine) == []  # not yet known: the snapshot is recent
    assert platform.service.refresh_rules(max_age=3600) is False  # young enough: left alone
    assert platform.service.refresh_rules(max_age=0) is True
    platform.post_events(feed, [checkpoint_pass(3, "鄂A12345")])
    platform.process()
    assert _alerted(platform.engine) == ["鄂A12345"]


def test_an_invalidation_during_a_background_load_wins(platform, monkeypatch):
    service = platform.service
    first = service.rules()
    load = service._load_rules
    raced = []

    def load_while_invalidated():
        stale = load()
        raced.append(stale)
        service.invalidate_rules()  # a watchlist change lands while the background load runs
        return stale

    monkeypatch.setattr(service, "_load_rules", load_while_invalidated)
    assert service.refresh_rules(max_age=0) is False
    monkeypatch.setattr(service, "_load_rules", load)
    fresh = service.rules()  # loaded afresh on demand, neither the old nor the racing load's snapshot
    assert fresh is not first
    assert fresh is not raced[0]
    assert service.rules() is fresh
