"""One audit writer per process: reads hand their entries over and wait until the batch holding them commits.

Appending in each request's own transaction made every request take the store's write lock (SQLite) or the head
row's lock (PostgreSQL) for as long as it ran: reads queued behind each other. Here a request that changed
nothing hands its entries to the writer and blocks until they are durable; the writer's thread takes everything
waiting, chains it in one transaction (:func:`policecloud.platform.access.audit.append_entries`, which locks the head
row per batch, so several processes still produce one exact chain) and commits — one lock and one fsync for
many requests (group commit). A request's entries stay together and in their order.

If a batch fails, each request's entries are tried again alone, so one bad entry fails only its own request;
a request whose entries could not be written gets :class:`AuditUnavailable` (503), never its answer.

The thread starts on the first hand-over and ends after a second with nothing to write.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from policecloud.platform.access.audit import PendingEntry, append_entries
from policecloud.platform.access.errors import AccessError

log = logging.getLogger(__name__)

IDLE_SECONDS = 1.0
MAX_BATCH = 500  # entries per transaction; more wait for the next one


class AuditUnavailable(AccessError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "audit_unavailable",
            "The audit log could not record this request, so it was not answered; try again.",
            "审计日志无法记录本次请求，因此未予答复，请重试。",
        )


@dataclass
class _Ticket:
    entries: Sequence[PendingEntry]
    done: threading.Event = field(default_factory=threading.Event)
    seqs: list[int] = field(default_factory=list)
    error: BaseException | None = None


class AuditWriter:
    """Group commit of audit entries through sessions from ``sessionmaker`` (which must open write transactions)."""

    def __init__(self, sessionmaker: Callable[[], Session]) -> None:
        self._sessionmaker = sessionmaker
        self._lock = threading.Lock()
        self._waiting: list[_Ticket] = []
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.batches = 0  # transactions committed (for tests and figures)

    def append(self, entries: Sequence[PendingEntry], timeout: float = 60.0) -> list[int]:
        """Block until ``entries`` are committed, consecutively and in order; their seqs. Raises AuditUnavailable."""
        if not entries:
            return []
        ticket = _Ticket(list(entries))
        with self._lock:
            self._waiting.append(ticket)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()
            else:
                self._wake.notify()
        if not ticket.done.wait(timeout):
            # Still queued or being written: the entries may yet commit, but this request cannot say so.
            raise AuditUnavailable()
        if ticket.error is not None:
            raise AuditUnavailable() from ticket.error
        return ticket.seqs

    def _take(self) -> list[_Ticket]:
        with self._lock:
            if not self._waiting:
                self._wake.wait(IDLE_SECONDS)
            if not self._waiting:
                self._thread = None  # the next hand-over starts a new thread
                return []
            batch, size = [], 0
            while self._waiting and (not batch or size + len(self._waiting[0].entries) <= MAX_BATCH):
                ticket = self._waiting.pop(0)
                batch.append(ticket)
                size += len(ticket.entries)
            return batch

    def _run(self) -> None:
        while batch := self._take():
            try:
                self._write(batch)
            except Exception as exc:  # the batch rolled back: try each request's entries alone
                log.warning("audit batch of %d requests failed (%s); writing them one by one", len(batch), exc)
                for ticket in batch:
                    try:
                        self._write([ticket])
                    except Exception as single:
                        log.exception("audit entries could not be written", exc_info=single)
                        ticket.error = single
                        ticket.done.set()

    def _write(self, batch: list[_Ticket]) -> None:
        entries = [entry for ticket in batch for entry in ticket.entries]
        with self._sessionmaker() as session:
            seqs = append_entries(session, entries)
            session.commit()
        self.batches += 1
        position = 0
        for ticket in batch:
            ticket.seqs = seqs[position : position + len(ticket.entries)]
            position += len(ticket.entries)
            ticket.done.set()
