"""The demo's replay reaches a planted event in its first minute (issue 13, finding 13: the demo replayed the
first day from midnight, and the one map stayed without an alert)."""

from __future__ import annotations

from datetime import timedelta

from alerts_support import PURPOSE
from sqlalchemy.orm import Session

from policecloud.apps.alerts import sources
from policecloud.apps.alerts.cli import import_entries
from policecloud.apps.alerts.replay import event_time, replay
from policecloud.apps.alerts.replay_plan import (
    LEAD,
    first_watched_event,
    plan_replay,
    planned_events,
    watched_identifiers,
)
from policecloud.platform.access.context import RequestContext

MINUTE = timedelta(minutes=1).total_seconds()


class InProcessFeed:
    """The replay's client interface over the test client."""

    def __init__(self, platform, headers) -> None:
        self.platform, self.headers = platform, headers

    def request(self, method, path, body=None):
        response = self.platform.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code < 300, response.text
        return response.json()


def first_minute(events: list[dict]) -> list[dict]:
    """The events the replay sends in its first minute of simulated time."""
    return [e for e in events if event_time(e) < event_time(events[0]) + MINUTE]


def test_the_demo_replay_raises_an_alert_within_its_first_minute(platform, tiny):
    plan = plan_replay(tiny / "sources")
    assert plan.first_hit is not None and plan.first_hit - plan.start == LEAD
    day, events = next(planned_events(tiny / "sources", plan))
    assert day == plan.days[0] and event_time(events[0]) >= plan.start.timestamp()
    assert plan.days == tuple(d for d in sources.days(tiny / "sources") if d >= day)  # the days after follow

    with Session(platform.engine) as session:
        import_entries(
            session, sources.hotlist_entries(tiny / "sources"), RequestContext.console(None, login="test"), "420000"
        )
        session.commit()
    feed = InProcessFeed(platform, platform.user("gateway", ["feed"], "420000"))
    feed.request("PUT", "/api/map/devices", {"devices": sources.devices(tiny / "sources")})
    report = replay(feed, first_minute(events), speed=0)
    assert report.accepted > 0
    platform.process()
    viewer = platform.user("province.duty", ["investigator"], "420000")
    alerts = platform.client.get("/api/alerts", params={"purpose": PURPOSE}, headers=viewer).json()["alerts"]
    assert alerts, "no alert in the replay's first minute"


def test_the_first_minute_of_the_first_day_has_nothing_to_alert_on(tiny):
    """What the demo replayed before: the first day from its first event, where nothing is watched early."""
    watched_day = sources.day_events(tiny / "sources", sources.days(tiny / "sources")[0])
    assert first_watched_event(first_minute(watched_day), watched_identifiers(tiny / "sources")) is None


def test_a_chosen_day_is_replayed_whole(tiny):
    day = sources.days(tiny / "sources")[2]
    plan = plan_replay(tiny / "sources", day)
    assert plan.days == (day,) and plan.start is None
    (only_day, events), *rest = list(planned_events(tiny / "sources", plan))
    assert only_day == day and rest == [] and len(events) == len(sources.day_events(tiny / "sources", day))
