"""The demo's live feed: hotlists imported, a feed session made, a day replayed into a real server."""

from __future__ import annotations

import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policecloud.apps.alerts.live import start_live_replay
from policecloud.apps.alerts.models import Alert, WatchlistEntry
from policecloud.apps.alerts.processor import resume_offset
from policecloud.apps.alerts.testing import ServerProcess


def test_the_live_replay_fills_a_running_server_with_alerts(tiny, tmp_path):
    server = ServerProcess(tmp_path / "data")
    try:
        server.start()
        thread = start_live_replay(server.settings, tiny, server.url, speed=0, day="2026-10-05")
        thread.join(timeout=120)
        assert not thread.is_alive()
        log = server.settings.events_dir / "log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the server has processed every logged event
            with Session(server.engine) as session:
                if resume_offset(session) + 1 >= sum(p.read_bytes().count(b"\n") for p in log.glob("*.jsonl")):
                    break
            time.sleep(0.1)
        server.stop()
        with Session(server.engine) as session:
            assert session.execute(select(func.count()).select_from(WatchlistEntry)).scalar_one() >= 5
            assert session.execute(select(func.count()).select_from(Alert)).scalar_one() > 0
    finally:
        server.close()
