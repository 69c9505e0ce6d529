"""Replaying a day of the tiny synthetic province raises an alert for the planted stolen vehicle and for
every planted fugitive, and none for anything not on a watchlist. The watchlists come from the sources'
hotlists (as in production); only this test reads the truth, to know what should have been found."""

from __future__ import annotations

import json
from datetime import date

from alerts_support import PURPOSE
from province_truth import planted
from sqlalchemy.orm import Session

from policecloud.apps.alerts import sources
from policecloud.apps.alerts.cli import import_entries
from policecloud.apps.alerts.replay import replay
from policecloud.platform.access.context import RequestContext


class InProcessFeed:
    """The replay's client interface over the test client (the fault test uses real HTTP)."""

    def __init__(self, platform, headers) -> None:
        self.platform, self.headers = platform, headers

    def request(self, method, path, body=None):
        response = self.platform.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code < 300, response.text
        return response.json()


def test_replaying_a_day_alerts_the_stolen_vehicle_and_every_fugitive_and_nothing_else(platform, tiny):
    seen, day = planted(tiny)
    with Session(platform.engine) as session:
        assert import_entries(
            session, sources.hotlist_entries(tiny / "sources"), RequestContext.console(None, login="test"), "420000"
        )
        session.commit()
    client = InProcessFeed(platform, platform.user("gateway", ["feed"], "420000"))
    client.request("PUT", "/api/map/devices", {"devices": sources.devices(tiny / "sources")})
    events = sources.day_events(tiny / "sources", date.fromisoformat(day))
    report = replay(client, events, speed=0, batch_size=2000)
    assert report.sent == len(events) > 1000
    assert report.accepted + sum(report.rejected.values()) == report.sent
    platform.process()
    viewer = platform.user("province.duty", ["investigator"], "420000")
    alerts = platform.client.get("/api/alerts", params={"purpose": PURPOSE, "limit": 500}, headers=viewer).json()
    subjects = {a["subject"] for a in alerts["alerts"]}
    assert subjects == set().union(*seen.values())  # the stolen car, each fugitive (car / hotel), nothing else
    assert {a["subject"] for a in alerts["alerts"] if "被盗" in a["reason"]} == seen["stolen"]
    assert all(a["lon"] is not None for a in alerts["alerts"])  # every alert can be placed on the map


def test_importing_the_hotlists_twice_adds_nothing(platform, tiny):
    entries = sources.hotlist_entries(tiny / "sources")
    with Session(platform.engine) as session:
        assert import_entries(session, entries, RequestContext.console(None, login="test"), "420000") == len(entries)
        assert import_entries(session, entries, RequestContext.console(None, login="test"), "420000") == 0
        session.commit()
    assert len(platform.audit_events("watchlist.add")) == len(entries)


def test_a_wanted_persons_registered_vehicles_are_watched_once(tiny):
    import sqlite3

    entries = sources.hotlist_entries(tiny / "sources")
    plates = [e["value"] for e in entries if e["kind"] == "vehicle"]
    wanted = [e["value"] for e in entries if e["kind"] == "person"]
    with sqlite3.connect(tiny / "sources" / "traffic_vehicles.sqlite") as db:
        registered = {
            fzjg[:1] + hphm
            for idn in wanted
            for fzjg, hphm in db.execute("SELECT FZJG, HPHM FROM vehicle WHERE SFZMHM = ?", (idn,))
        }
    assert registered and registered <= set(plates)
    assert len(plates) == len(set(plates))  # a plate both hotlisted and registered is watched once


def test_the_hotlist_import_audits_through_its_context_each_entry_with_its_own_purpose(platform, tiny):
    from sqlalchemy import select

    from policecloud.platform.store.models import AuditEntry

    entries = sources.hotlist_entries(tiny / "sources")
    context = RequestContext.console(None, login="importer")
    with Session(platform.engine) as session:
        assert import_entries(session, entries, context, "420000") == len(entries)
        session.commit()
        rows = list(session.execute(select(AuditEntry).where(AuditEntry.event == "watchlist.add")).scalars())
    assert {(r.actor, r.client) for r in rows} == {("cli:importer", "local")}
    purposes = [json.loads(r.payload)["purpose"] for r in rows]
    assert purposes == [
        {"kind": "justification", "text": f"imported from the source hotlist ({e['reference']})"} for e in entries
    ]
