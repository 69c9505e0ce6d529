"""The early-warning service of one server process: the bus, the processing thread, the warehouse sink and
the push hub, started with the API (the alerts router's lifespan) and stopped with it.

On start the processor resumes after the offset recorded in the store (see processor.py), so a server
killed mid-stream loses no accepted event and repeats no alert when it comes back.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from policecloud.alerts.bus import LocalLogBus
from policecloud.alerts.processor import CONSUMER, AlertProcessor, resume_offset
from policecloud.alerts.push import PushHub
from policecloud.alerts.rules import RuleSet
from policecloud.alerts.sink import flush_sealed
from policecloud.config import Settings
from policecloud.warehouse import open_warehouse

log = logging.getLogger(__name__)
RULES_MAX_AGE_S = 30.0  # rules changed by another process (the CLI) are picked up within this time
SINK_EVERY_S = 5.0


class AlertService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.hub = PushHub()
        self.bus = LocalLogBus(settings.events_dir, settings.event_segment_events)
        self.processor = AlertProcessor(sessions, self.rules, settings.alert_dedup_seconds)
        self._rules: RuleSet | None = None
        self._rules_loaded = 0.0
        self._rules_lock = threading.Lock()
        self._stop = threading.Event()
        self._quarantine_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.processed = 0

    # --- rules ----------------------------------------------------------------------------------------
    def rules(self) -> RuleSet:
        with self._rules_lock:
            if self._rules is None or time.monotonic() - self._rules_loaded > RULES_MAX_AGE_S:
                with self.sessions() as session:
                    self._rules = RuleSet.load(session, self.settings.timezone)
                self._rules_loaded = time.monotonic()
            return self._rules

    def invalidate_rules(self) -> None:
        """Watchlists, geofences or places changed: the next batch matches against fresh rules."""
        with self._rules_lock:
            self._rules = None

    # --- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        with self.sessions() as session:
            done = resume_offset(session)
        self.bus.seek(CONSUMER, done + 1)
        for target, name in ((self._process_loop, "alerts-processor"), (self._sink_loop, "alerts-warehouse")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, events: Sequence[dict[str, Any]]) -> int:
        """Append accepted events durably (returns once they are on disk); processing follows."""
        return self.bus.publish(events)

    def quarantine(self, rejected: Sequence[dict[str, Any]]) -> None:
        """Keep refused events with their reasons (nothing received is silently dropped), fsynced."""
        line = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rejected)
        with self._quarantine_lock, open(self.settings.events_dir / "quarantine.jsonl", "a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    def _process_loop(self) -> None:
        resume = False
        while not self._stop.is_set():
            try:
                if resume:  # continue after what the store has: the failed batch was rolled back
                    self.bus.seek(CONSUMER, self._resume())
                    resume = False
                self.step(timeout=0.2)
            except Exception:  # keep the stream alive (e.g. the store was locked for too long) and retry
                log.exception("alert processing failed; retrying")
                resume = True
                self._stop.wait(1.0)

    def _resume(self) -> int:
        with self.sessions() as session:
            return resume_offset(session) + 1

    def step(self, timeout: float = 0.0, max_events: int = 2000) -> int:
        """Process what is waiting (one batch); returns the number of events processed."""
        deliveries = self.bus.read(CONSUMER, max_events, timeout)
        if not deliveries:
            return 0
        changed = self.processor.process(deliveries)
        self.hub.publish_alerts(changed)  # the alerts are committed in the store: push them at once
        self.bus.commit(CONSUMER, deliveries[-1].offset)
        self.processed += len(deliveries)
        return len(deliveries)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every published event has been processed (for tests and the replay's end)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sessions() as session:
                if resume_offset(session) + 1 >= self.bus.end():
                    return True
            time.sleep(0.05)
        return False

    def _sink_loop(self) -> None:
        while not self._stop.wait(SINK_EVERY_S):
            self.flush_warehouse(seal=False)

    def flush_warehouse(self, seal: bool = True) -> list[str]:
        if seal:
            self.bus.seal()
        try:
            return flush_sealed(self.bus, open_warehouse(self.settings.warehouse_dir))
        except Exception:
            log.exception("copying the event log to the warehouse failed; will retry")
            return []

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self.flush_warehouse(seal=True)
        self.bus.close()
