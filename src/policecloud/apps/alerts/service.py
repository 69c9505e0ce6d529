"""The early-warning service of one server process: the bus, the processing thread, the warehouse sink and
the push hub, started with the API (the alerts router's lifespan) and stopped with it.

On start the processor resumes after the offset recorded in the store (see processor.py), so a server
killed mid-stream loses no accepted event and repeats no alert when it comes back.

Alert latency (docs/alerts.md): the processing thread does nothing slow that could wait — the periodic
reload of the rules happens on the background thread and is swapped in, and at start the objects that live
as long as the process are frozen out of the garbage collector, whose full collections otherwise walked
them all (50–80 ms pauses of every thread).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from policecloud.apps.alerts.bus import LocalLogBus
from policecloud.apps.alerts.processor import CONSUMER, AlertProcessor, resume_offset
from policecloud.apps.alerts.push import PushHub
from policecloud.apps.alerts.quarantine import Kept, Quarantine
from policecloud.apps.alerts.rules import RuleSet
from policecloud.apps.alerts.sink import flush_sealed
from policecloud.data.warehouse import open_warehouse
from policecloud.platform.config import Settings

log = logging.getLogger(__name__)
# Rules changed by another process (the CLI) are picked up this long after the last load, plus at most one
# period of the background loop (SINK_EVERY_S) and the copy it may be busy with.
RULES_MAX_AGE_S = 30.0
SINK_EVERY_S = 5.0
BACKGROUND_NICE = 10  # the warehouse copy and rule reloads yield the CPU to intake, processing and push
_gc_frozen = False  # once per process: what exists when the first service starts lives as long as the process


def _lower_priority_of_this_thread() -> None:
    """Background work in this thread may wait; on Linux a thread has its own nice value."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def _freeze_startup_objects() -> None:
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.collect()
        gc.freeze()


class AlertService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self.hub = PushHub()
        self.bus = LocalLogBus(settings.events_dir, settings.event_segment_events)
        self.processor = AlertProcessor(sessions, self.rules, settings.alert_dedup_seconds)
        self._rules: RuleSet | None = None
        self._rules_loaded = 0.0
        self._rules_version = 0  # bumped by invalidate_rules, so a slower background load never wins over it
        self._rules_lock = threading.Lock()
        self._stop = threading.Event()
        self._quarantine = Quarantine(settings.events_dir / "quarantine.jsonl")
        self._threads: list[threading.Thread] = []
        self.processed = 0

    # --- rules ----------------------------------------------------------------------------------------
    def rules(self) -> RuleSet:
        """The current snapshot. Loaded here only when there is none (or the background refresh is not
        running and it has grown old); the periodic reload is :meth:`refresh_rules`, off the processing path."""
        with self._rules_lock:
            stale = time.monotonic() - self._rules_loaded > RULES_MAX_AGE_S + 2 * SINK_EVERY_S
            if self._rules is None or stale:
                self._rules = self._load_rules()
                self._rules_loaded = time.monotonic()
            return self._rules

    def _load_rules(self) -> RuleSet:
        with self.sessions() as session:
            return RuleSet.load(session, self.settings.timezone)

    def refresh_rules(self, max_age: float = RULES_MAX_AGE_S) -> bool:
        """Reload rules older than ``max_age`` (changed by another process, e.g. the CLI) and swap them in."""
        with self._rules_lock:
            if self._rules is None or time.monotonic() - self._rules_loaded <= max_age:
                return False
            version = self._rules_version
        fresh = self._load_rules()  # without the lock: the processor keeps matching meanwhile
        with self._rules_lock:
            if self._rules_version != version:  # invalidated while loading: the next batch loads afresh
                return False
            self._rules = fresh
            self._rules_loaded = time.monotonic()
            return True

    def invalidate_rules(self) -> None:
        """Watchlists, geofences or places changed: the next batch matches against fresh rules."""
        with self._rules_lock:
            self._rules = None
            self._rules_version += 1

    # --- lifecycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._threads:
            return
        with self.sessions() as session:
            done = resume_offset(session)
        self.bus.seek(CONSUMER, done + 1)
        _freeze_startup_objects()
        for target, name in ((self._process_loop, "alerts-processor"), (self._sink_loop, "alerts-warehouse")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def submit(self, events: Sequence[dict[str, Any]]) -> int:
        """Append accepted events durably (returns once they are on disk); processing follows."""
        return self.bus.publish(events)

    def quarantine(self, rejected: Sequence[dict[str, Any]]) -> Kept:
        """Keep refused events with their reasons, fsynced, clipped and within a cap (alerts/quarantine.py)."""
        return self._quarantine.keep(rejected)

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
        _lower_priority_of_this_thread()
        while not self._stop.wait(SINK_EVERY_S):
            try:
                self.refresh_rules()
            except Exception:
                log.exception("reloading the alert rules failed; keeping the current ones")
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
