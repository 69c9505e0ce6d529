"""Kill the server (SIGKILL) in the middle of a replay, restart it, let the gateway resend what was not
acknowledged: no acknowledged event is lost and no alert is duplicated — the alerts are exactly those of
an uninterrupted run over the same events."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

from province_truth import planted
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from policecloud.apps.alerts import sources
from policecloud.apps.alerts.bus import Delivery, LocalLogBus
from policecloud.apps.alerts.cli import import_entries
from policecloud.apps.alerts.intake import validate
from policecloud.apps.alerts.models import Alert, MapDevice
from policecloud.apps.alerts.processor import AlertProcessor, resume_offset
from policecloud.apps.alerts.replay import FeedClient, FeedError
from policecloud.apps.alerts.rules import RuleSet
from policecloud.apps.alerts.testing import ServerProcess
from policecloud.platform.access.context import RequestContext
from policecloud.platform.store import make_engine, upgrade

BATCH = 250


def _log_lines(events_dir: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in (events_dir / "log").glob("segment-*.jsonl"))


def _processed(engine) -> int:
    with Session(engine) as session:  # a short transaction: SQLite lets one writer in at a time
        return resume_offset(session) + 1


def _prepare(engine, province: Path) -> None:
    with Session(engine) as session:
        import_entries(
            session, sources.hotlist_entries(province / "sources"), RequestContext.console(None, login="test"), "420000"
        )
        for device in sources.devices(province / "sources"):
            session.merge(MapDevice(**device))
        session.commit()


def _alerts(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.execute(select(Alert).order_by(Alert.first_seen, Alert.subject, Alert.place_code)).scalars()
        return [(a.rule, a.subject, a.place_code, a.first_seen, a.last_seen, a.hits) for a in rows]


def _reference(tmp_path: Path, province: Path, events: list[dict], dedup_seconds: int) -> list[tuple]:
    """The same events through the processor without any crash."""
    engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade(engine)
    _prepare(engine, province)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session:
        rules = RuleSet.load(session)
    processor = AlertProcessor(sessions, lambda: rules, dedup_seconds)
    accepted = validate(events).accepted
    processor.process([Delivery(i, e) for i, e in enumerate(accepted)])
    result = _alerts(engine)
    engine.dispose()
    return result


def test_sigkill_during_replay_loses_no_accepted_event_and_duplicates_no_alert(tiny, tmp_path):
    _, day = planted(tiny)
    events = sources.day_events(tiny / "sources", date.fromisoformat(day))[:4000]  # the morning is enough
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    server = ServerProcess(tmp_path / "data")
    _prepare(server.engine, tiny)
    events_dir = server.settings.events_dir
    try:
        server.start()
        feed = FeedClient(server.url, server.token("gateway", ["feed"]))

        def killer() -> None:  # kill while batches are in flight, once a good part of the day is logged
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and _log_lines(events_dir) < len(events) * 0.4:
                time.sleep(0.005)
            server.kill()

        thread = threading.Thread(target=killer)
        thread.start()
        acknowledged: set[str] = set()
        next_batch = 0
        try:
            for next_batch, batch in enumerate(batches):  # noqa: B007  (the failed batch is resent)
                reply = feed.request("POST", "/api/events", {"events": batch})
                rejected = {r["index"] for r in reply["rejected"]}
                acknowledged |= {f"{e['kind']}:{e['id']}" for i, e in enumerate(batch) if i not in rejected}
            next_batch = len(batches)
        except (FeedError, OSError):
            pass
        thread.join()
        assert 0 < next_batch < len(batches), "the kill should interrupt the replay"
        logged_before_restart = _log_lines(events_dir)
        server.start()  # the same data directory: the log, the offsets and the store survive
        feed.close()
        for batch in batches[next_batch:]:  # the gateway resends everything not acknowledged
            reply = feed.request("POST", "/api/events", {"events": batch})
            rejected = {r["index"] for r in reply["rejected"]}
            acknowledged |= {f"{e['kind']}:{e['id']}" for i, e in enumerate(batch) if i not in rejected}
        deadline = time.monotonic() + 60
        while _processed(server.engine) < _log_lines(events_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processed(server.engine) == _log_lines(events_dir), "the restarted server processed everything"
        server.stop()
        assert logged_before_restart >= len(acknowledged) - sum(len(b) for b in batches[next_batch:])
        bus = LocalLogBus(events_dir)
        logged = {e["id"] for start in bus.segments() for e in bus.read_segment(start)}
        bus.close()
        assert acknowledged <= logged  # no acknowledged event lost
        got = _alerts(server.engine)
        assert got == _reference(tmp_path, tiny, events, server.settings.alert_dedup_seconds)  # none duplicated
        assert len(got) > 0
    finally:
        server.close()
