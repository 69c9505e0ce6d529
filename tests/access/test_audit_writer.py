"""The audit writer (issue 13, finding 3): reads' entries committed in batches by one writer per process, chained
exactly, durable before the caller goes on; a failure fails the caller. On both engines."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access.audit_writer import AuditUnavailable, AuditWriter
from policecloud.platform.store.models import AuditEntry, AuditHead


def _entries(request: int, count: int = 2) -> list[audit.PendingEntry]:
    actor = audit.Actor(f"user{request}", "10.0.0.1")
    return [audit.prepare(ev.LoginFailed(f"user{request}", f"part{i}"), actor) for i in range(count)]


def _wait_for(writer: AuditWriter, condition) -> None:
    for _ in range(100_000):
        with writer._lock:
            if condition():
                return
        threading.Event().wait(0.001)
    raise AssertionError("the writer never reached the state waited for")


def test_concurrent_requests_are_committed_as_one_batch_with_no_gap(store_engine):
    writer = AuditWriter(sessionmaker(store_engine))
    with Session(store_engine) as session:  # an entry before: the batch continues the chain
        audit.append(session, ev.LoginFailed("first", "x"), audit.Actor("first"))
        session.commit()
    # Hold the head (another writer's transaction) so that the requests queue up behind the first batch.
    blocker = Session(store_engine)
    blocker.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
    results: dict[int, list[int]] = {}

    def request(n: int) -> None:
        results[n] = writer.append(_entries(n))

    threads = [threading.Thread(target=request, args=(n,)) for n in range(12)]
    threads[0].start()
    _wait_for(writer, lambda: writer._thread is not None and not writer._waiting)  # taken: waiting for the head
    for thread in threads[1:]:
        thread.start()
    _wait_for(writer, lambda: len(writer._waiting) == 11)  # the others queue behind it
    blocker.commit()
    blocker.close()
    for thread in threads:
        thread.join(timeout=60)
    assert writer.batches == 2  # the first request alone, then the eleven others in one transaction
    seqs = sorted(seq for got in results.values() for seq in got)
    assert seqs == list(range(2, 2 + 24))  # no gap, nothing twice
    for got in results.values():
        assert got[1] == got[0] + 1  # a request's entries stay together and in order
    with Session(store_engine) as session:
        report = audit.verify(session)
        assert report.ok and report.entries == 25, report.summary()
        rows = session.execute(select(AuditEntry.seq, AuditEntry.actor).order_by(AuditEntry.seq)).all()
        assert {actor for seq, actor in rows if seq in results[5]} == {"user5"}


def test_the_entries_are_committed_when_append_returns(store_engine):
    writer = AuditWriter(sessionmaker(store_engine))
    seqs = writer.append(_entries(1, count=3))
    with Session(store_engine) as session:  # another connection sees them
        assert session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq)).scalars().all() == seqs


def test_an_append_that_fails_fails_the_caller():
    unmigrated = create_engine("sqlite://")  # no audit tables: every write fails
    writer = AuditWriter(sessionmaker(unmigrated))
    with pytest.raises(AuditUnavailable) as raised:
        writer.append(_entries(1))
    assert raised.value.status == 503 and raised.value.zh


def test_a_read_session_hands_direct_appends_to_the_writer(store_engine):
    """Code that appends on an API read's session (a snapshot that must not write) still gets a committed entry."""
    from policecloud.platform.store.engine import make_sessionmaker, read_snapshot_engine

    writer = AuditWriter(sessionmaker(store_engine))
    with make_sessionmaker(read_snapshot_engine(store_engine))() as session:
        session.info[audit.WRITER_INFO_KEY] = writer
        seq = audit.append(session, ev.LoginFailed("zhang", "x"), audit.Actor("zhang"))
        session.rollback()  # the read's own transaction has nothing to do with it
    with Session(store_engine) as session:
        assert session.execute(select(AuditEntry.seq)).scalars().all() == [seq]
        assert audit.verify(session).ok


def test_writers_of_several_processes_keep_one_exact_chain(store_engine):
    """Each process has its own writer; the head row, locked per batch, keeps their batches in one chain."""
    writers = [AuditWriter(sessionmaker(store_engine)) for _ in range(3)]  # as three server processes would

    def requests(writer: AuditWriter, first: int) -> None:
        for n in range(first, first + 15):
            writer.append(_entries(n))

    threads = [threading.Thread(target=requests, args=(w, i * 100)) for i, w in enumerate(writers) for _ in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with Session(store_engine) as session:
        report = audit.verify(session)
        assert report.ok and report.entries == 6 * 15 * 2, report.summary()
