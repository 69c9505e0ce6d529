"""The audit log's database guards (migration 0005), on SQLite and on PostgreSQL: an entry may only be appended
at the end, never replaced; the head only advances onto appended entries. Every correct append order still works.
(Issue #13, finding 7: ``INSERT OR REPLACE`` plus ``UPDATE audit_head`` rewrote history and verify said intact.)"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev

ACTOR = audit.Actor("alice", "10.0.0.1")
INSERT = (
    "INSERT INTO audit_log (seq, at, actor, client, event, payload, prev_hash, hash) "
    "VALUES (:seq, :at, :actor, :client, :event, :payload, :prev_hash, :hash)"
)


def _fill(engine: Engine, n: int = 6) -> None:
    with Session(engine) as session:
        for i in range(n):
            audit.append(session, ev.LoginFailed(f"user{i}", "password"), ACTOR)
        session.commit()


def _row(engine: Engine, seq: int) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT * FROM audit_log WHERE seq = :s"), {"s": seq}).mappings().one())


def _head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as connection:
        return tuple(connection.execute(text("SELECT seq, hash FROM audit_head")).one())


def _entry(seq: int, prev_hash: str, actor: str = "alice") -> dict:
    payload = audit.canonical_json({"username": actor, "reason": "password"})
    at = f"2026-12-07T10:00:{seq:02d}.000000+00:00"
    digest = audit.entry_hash(seq, at, actor, "", "auth.login_failed", payload, prev_hash)
    return dict(seq=seq, at=at, actor=actor, client="", event="auth.login_failed", payload=payload,
                prev_hash=prev_hash, hash=digest)  # fmt: skip


def _refused(engine: Engine, *statements: tuple[str, dict]) -> None:
    with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
        for sql, params in statements:
            connection.execute(text(sql), params)
    assert "append-only" in str(caught.value) or "audit_head" in str(caught.value)


def _replace(engine: Engine) -> str:
    """The statement that overwrites an existing row in place of an UPDATE on each engine."""
    if engine.dialect.name == "postgresql":
        return INSERT + (
            " ON CONFLICT (seq) DO UPDATE SET actor = excluded.actor, payload = excluded.payload, "
            "prev_hash = excluded.prev_hash, hash = excluded.hash, at = excluded.at"
        )
    return INSERT.replace("INSERT INTO", "INSERT OR REPLACE INTO")


def test_replacing_an_entry_is_refused(store_engine):
    _fill(store_engine)
    before = _row(store_engine, 3)
    forged = _entry(3, before["prev_hash"], actor="mallory")
    _refused(store_engine, (_replace(store_engine), forged))
    assert _row(store_engine, 3) == before
    with pytest.raises(DBAPIError), store_engine.begin() as connection:
        connection.execute(text(INSERT), _entry(3, before["prev_hash"], actor="mallory"))


def test_the_rewrite_of_issue_13_is_refused(store_engine):
    """REPLACE entries 3..6 with every link recomputed, then move the head onto the forged last hash."""
    _fill(store_engine)
    head = _head(store_engine)
    prev = _row(store_engine, 2)["hash"]
    statements = []
    for seq in range(3, 7):
        forged = _entry(seq, prev, actor="mallory" if seq == 3 else "alice")
        statements.append((_replace(store_engine), forged))
        prev = forged["hash"]
    statements.append(("UPDATE audit_head SET hash = :h", {"h": prev}))
    _refused(store_engine, *statements)
    assert _head(store_engine) == head
    with Session(store_engine) as session:
        assert audit.verify(session).ok
    assert _row(store_engine, 3)["actor"] == "alice"


def test_entries_only_go_at_the_end_and_link_to_the_last(store_engine):
    _fill(store_engine, 3)
    last = _row(store_engine, 3)["hash"]
    _refused(store_engine, (INSERT, _entry(5, last)))  # a gap
    _refused(store_engine, (INSERT, _entry(4, "f" * 64)))  # does not link to entry 3
    with store_engine.begin() as connection:  # the next one, linked: allowed (the head follows in an append)
        connection.execute(text(INSERT), _entry(4, last))


def test_the_first_entry_links_to_genesis(store_engine):
    _refused(store_engine, (INSERT, _entry(1, "f" * 64)))
    with store_engine.begin() as connection:
        connection.execute(text(INSERT), _entry(1, audit.GENESIS_HASH))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_head SET seq = seq - 1",  # back
        "UPDATE audit_head SET seq = 3, hash = :h3",  # back onto a real entry
        "UPDATE audit_head SET hash = :forged",  # a hash no entry has
        "UPDATE audit_head SET seq = seq + 1, hash = :forged",  # ahead, with a made-up hash
        "UPDATE audit_head SET id = 2",
        "DELETE FROM audit_head",
    ],
)
def test_the_head_refuses_anything_but_an_advance(store_engine, statement):
    _fill(store_engine)
    head = _head(store_engine)
    params = {"h3": _row(store_engine, 3)["hash"], "forged": "f" * 64}
    _refused(store_engine, (statement, {k: v for k, v in params.items() if f":{k}" in statement}))
    assert _head(store_engine) == head


def test_the_head_cannot_be_replaced_or_truncated(store_engine):
    _fill(store_engine, 2)
    head = _head(store_engine)
    if store_engine.dialect.name == "postgresql":
        replace = "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :g) ON CONFLICT (id) DO UPDATE SET seq = 0"
        _refused(store_engine, ("TRUNCATE audit_head", {}))
    else:
        replace = "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 0, :g)"
    _refused(store_engine, (replace, {"g": audit.GENESIS_HASH}))
    _refused(store_engine, ("INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, :g)", {"g": audit.GENESIS_HASH}))
    assert _head(store_engine) == head


def test_a_reserved_head_cannot_be_reserved_again(store_engine):
    """Reserving seqs ahead of the entries is one step of an append; a second reservation before the entries
    exist (the head not pointing at its own entry) is refused."""
    _fill(store_engine, 2)
    with pytest.raises(DBAPIError), store_engine.begin() as connection:
        connection.execute(text("UPDATE audit_head SET seq = seq + 1"))
        connection.execute(text("UPDATE audit_head SET seq = seq + 1"))


@pytest.mark.parametrize("order", ["head_first", "entries_first", "batch_then_head", "reserve_batch"])
def test_every_correct_append_order_is_accepted(store_engine, order):
    """The triggers check each statement against the chain, not one writer's order of statements."""
    _fill(store_engine, 2)
    seq, prev = _head(store_engine)
    batch = []
    for s in range(seq + 1, seq + 4):
        batch.append(_entry(s, prev))
        prev = batch[-1]["hash"]
    with store_engine.begin() as connection:
        run = connection.execute
        if order == "head_first":  # today's append(): seq + 1, insert, then the hash — one entry at a time
            for entry in batch:
                run(text("UPDATE audit_head SET seq = seq + 1"))
                run(text(INSERT), entry)
                run(text("UPDATE audit_head SET hash = :h"), {"h": entry["hash"]})
        elif order == "entries_first":  # insert, then move the head onto it
            for entry in batch:
                run(text(INSERT), entry)
                run(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": entry["seq"], "h": entry["hash"]})
        elif order == "batch_then_head":  # a group commit: several entries, the head moved once
            run(text(INSERT), batch)
            run(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": batch[-1]["seq"], "h": batch[-1]["hash"]})
        else:  # reserve the seqs first, insert them, then set the hash
            run(text("UPDATE audit_head SET seq = seq + :n"), {"n": len(batch)})
            run(text(INSERT), batch)
            run(text("UPDATE audit_head SET hash = :h"), {"h": batch[-1]["hash"]})
    with Session(store_engine) as session:
        report = audit.verify(session)
    assert report.ok and report.head_seq == 5, report.summary()
