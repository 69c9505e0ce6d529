"""What the demo replays, and from when: a newcomer watching the one map should see an alert in the first
minute, not after hours of simulated traffic in which nothing planted happens.

The plan looks, from the sources only (the hotlists the demo imports as watchlists, and the days' events),
for the first event a watchlist entry matches at its time — a hotlisted car passing a checkpoint, a wanted
person checking into a hotel, a fugitive's car on the road — and starts the replay ``lead`` before it, on
that day; the days after it follow, one at a time. Values are compared as the intake and the watchlists
normalize them, so the event found is one the platform will alert on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from policecloud.apps.alerts import intake, sources, watchlists
from policecloud.apps.alerts.replay import event_time
from policecloud.platform.access.errors import AccessError

LEAD = timedelta(seconds=30)  # replayed before the first watched event: on the map within the first minute


@dataclass(frozen=True)
class ReplayPlan:
    days: tuple[date, ...]  # replayed in order
    start: datetime | None  # events of the first day before this are skipped (None: the whole day)
    first_hit: datetime | None  # the first event a watchlist entry matches (None: none found)


def watched_identifiers(province_sources: Path) -> dict[tuple[str, str], datetime]:
    """(kind, normalized value) → the earliest time from which an entry watches it."""
    watched: dict[tuple[str, str], datetime] = {}
    for entry in sources.hotlist_entries(province_sources):
        try:
            key = (entry["kind"], watchlists.normalize_value(entry["kind"], entry["value"]))
        except AccessError:  # a hotlist value the platform refuses: never watched
            continue
        watched[key] = min(watched.get(key, entry["valid_from"]), entry["valid_from"])
    return watched


def first_watched_event(events: list[dict[str, Any]], watched: dict[tuple[str, str], datetime]) -> datetime | None:
    """The time of the first of ``events`` (sorted by time) that a watchlist entry matches, or None; events
    the intake would refuse raise no alert and are passed over."""
    for event in intake.validate(events).accepted:
        when = datetime.fromisoformat(event["time"])
        for field, kind in (("plate", "vehicle"), ("id_number", "person")):
            value = event.get(field)
            since = watched.get((kind, value)) if value else None
            if since is not None and since <= when:
                return when
    return None


def plan_replay(province_sources: Path, day: date | None = None, lead: timedelta = LEAD) -> ReplayPlan:
    """Replay ``day`` whole when given; else from ``lead`` before the first watched event, on its day, and the
    days after (every day from the first when no event is watched at all)."""
    days = sources.days(province_sources)
    if day is not None:
        return ReplayPlan((day,), None, None)
    watched = watched_identifiers(province_sources)
    for i, candidate in enumerate(days):
        hit = first_watched_event(sources.day_events(province_sources, candidate), watched)
        if hit is not None:
            return ReplayPlan(tuple(days[i:]), hit - lead, hit)
    return ReplayPlan(tuple(days), None, None)


def planned_events(province_sources: Path, plan: ReplayPlan) -> Iterator[tuple[date, list[dict[str, Any]]]]:
    """Each planned day with its events (read one day at a time), the first day's from ``plan.start`` on."""
    for n, day in enumerate(plan.days):
        events = sources.day_events(province_sources, day)
        if n == 0 and plan.start is not None:
            start = plan.start.timestamp()
            events = [e for e in events if event_time(e) >= start]
        yield day, events
