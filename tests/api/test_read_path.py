"""Reads do not serialize on the store's write lock (issue 13, finding 3): a GET reads a snapshot, its audit
entries go through the process's audit writer (committed before the answer), and the session's last-seen time
is written at most every ``session_touch_seconds``."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from api_support import PURPOSE, Platform
from sqlalchemy import select

from policecloud.platform.access import audit
from policecloud.platform.store.models import AuthSession


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_read_does_not_wait_for_the_write_lock(store_engine, clock):
    platform = Platform(store_engine, clock)
    headers = platform.issue_token(platform.user("zhang", ["investigator"]), "tok-zhang")
    holder = sqlite3.connect(store_engine.url.database)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the store's write lock
    answers: list[int] = []
    reader = threading.Thread(
        target=lambda: answers.append(platform.client.get("/api/auth/me", headers=headers).status_code)
    )
    try:
        reader.start()
        reader.join(timeout=10)  # before: the request's BEGIN IMMEDIATE queued for up to 30 s
        assert answers == [200]
    finally:
        holder.rollback()
        holder.close()
        reader.join()


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_concurrent_audited_reads_make_one_entry_each_in_an_intact_chain(store_engine, clock):
    platform = Platform(store_engine, clock)
    headers = platform.issue_token(platform.user("zhang", ["investigator"]), "tok-zhang")
    platform.person()

    def read(_: int) -> int:
        return platform.client.get(
            "/api/persons", params={"q": "张伟", "purpose": PURPOSE}, headers=headers
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(read, range(40)))
    assert statuses == [200] * 40
    reads = [e for e in platform.events("data.read") if e["actor"] == "zhang"]
    assert len(reads) == 40  # every answered read is in the log (written before the answer)
    with platform.session() as session:
        assert audit.verify(session).ok


def test_a_read_touches_the_session_at_most_every_n_seconds(store_engine, clock):
    platform = Platform(store_engine, clock, session_touch_seconds=60)
    headers = platform.issue_token(platform.user("zhang", ["investigator"]), "tok-zhang")
    issued = clock()

    def last_seen():
        with platform.session() as session:
            return session.execute(select(AuthSession.last_seen_at)).scalar_one().replace(tzinfo=None)

    clock.advance(seconds=30)
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 200
    assert last_seen() == issued.replace(tzinfo=None)  # a read within the interval writes nothing
    clock.advance(seconds=31)
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 200
    assert last_seen() == clock().replace(tzinfo=None)
    clock.advance(minutes=29)  # still within the idle time of the last touch
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 200
