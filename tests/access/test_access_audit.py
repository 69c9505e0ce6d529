"""The hash-chained audit log: appends in the caller's transaction, and verify names the first broken entry
whether an entry was edited, deleted or inserted — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev

ACTOR = audit.Actor("alice", "10.0.0.1")


def _fill(engine: Engine, n: int = 6) -> None:
    with Session(engine) as session:
        for i in range(n):
            audit.append(session, ev.LoginFailed(f"user{i}", "password"), ACTOR)
        session.commit()


def _verify(engine: Engine) -> audit.VerifyReport:
    with Session(engine) as session:
        return audit.verify(session)


def _drop_append_only_guard(engine: Engine) -> None:
    """What an attacker with database access does first."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            triggers = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_head')"
                )
            ).scalars()
            for name in list(triggers):
                connection.execute(text(f"DROP TRIGGER {name}"))


def _row(engine: Engine, seq: int) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT * FROM audit_log WHERE seq = :s"), {"s": seq}).mappings().one())


def _insert(engine: Engine, row: dict) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, client, event, payload, prev_hash, hash) "
                "VALUES (:seq, :at, :actor, :client, :event, :payload, :prev_hash, :hash)"
            ),
            row,
        )


def test_intact_chain_verifies(store_engine):
    _fill(store_engine)
    report = _verify(store_engine)
    assert report.ok and report.entries == 6 and report.head_seq == 6
    assert report.first_broken is None


def test_entries_link_to_the_previous_hash(store_engine):
    _fill(store_engine, 3)
    rows = [_row(store_engine, s) for s in (1, 2, 3)]
    assert rows[0]["prev_hash"] == audit.GENESIS_HASH
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[2]["prev_hash"] == rows[1]["hash"]
    assert json.loads(rows[0]["payload"]) == {"username": "user0", "reason": "password"}
    assert rows[0]["event"] == "auth.login_failed" and rows[0]["actor"] == "alice"


def test_edited_entry_is_named(store_engine):
    _fill(store_engine)
    _drop_append_only_guard(store_engine)
    with store_engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 3
    assert "edited" in report.problem


def test_edited_entry_with_recomputed_hash_is_named(store_engine):
    _fill(store_engine)
    _drop_append_only_guard(store_engine)
    row = _row(store_engine, 3)
    forged = audit.entry_hash(3, row["at"], "mallory", row["client"], row["event"], row["payload"], row["prev_hash"])
    with store_engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory', hash = :h WHERE seq = 3"), {"h": forged})
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 3
    assert "rewritten" in report.problem


def test_deleted_entry_is_named(store_engine):
    _fill(store_engine)
    _drop_append_only_guard(store_engine)
    with store_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 4
    assert "missing" in report.problem


def test_deleted_last_entry_is_named(store_engine):
    _fill(store_engine)
    _drop_append_only_guard(store_engine)
    with store_engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 6


def test_inserted_entry_is_named(store_engine):
    """A forged entry slipped in after entry 2, with a correct hash, later entries renumbered."""
    _fill(store_engine)
    _drop_append_only_guard(store_engine)
    with store_engine.begin() as connection:
        for seq in range(6, 2, -1):
            connection.execute(text("UPDATE audit_log SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
    prev = _row(store_engine, 2)
    payload = audit.canonical_json({"username": "mallory", "kind": "web", "mfa": True})
    at = prev["at"]
    digest = audit.entry_hash(3, at, "mallory", "", "auth.login", payload, prev["hash"])
    _insert(store_engine, dict(seq=3, at=at, actor="mallory", client="", event="auth.login", payload=payload,
                               prev_hash=prev["hash"], hash=digest))  # fmt: skip
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 3
    assert "inserted" in report.problem


def test_entry_appended_behind_the_head_is_named(store_engine):
    _fill(store_engine)
    last = _row(store_engine, 6)
    payload = audit.canonical_json({"username": "mallory"})
    digest = audit.entry_hash(7, last["at"], "mallory", "", "user.disable", payload, last["hash"])
    _insert(store_engine, dict(seq=7, at=last["at"], actor="mallory", client="", event="user.disable",
                               payload=payload, prev_hash=last["hash"], hash=digest))  # fmt: skip
    report = _verify(store_engine)
    assert not report.ok and report.first_broken == 7
    assert "inserted" in report.problem


def test_a_consistently_rewritten_chain_is_caught_by_an_anchor(store_engine):
    _fill(store_engine)
    with Session(store_engine) as session:
        anchor = audit.verify(session).anchor  # "6:<hash>", kept outside the database
    _drop_append_only_guard(store_engine)
    prev = _row(store_engine, 2)["hash"]
    rows = {seq: _row(store_engine, seq) for seq in range(3, 7)}
    with store_engine.begin() as connection:  # rewrite entries 3..6 and the head, every link recomputed
        for seq, row in rows.items():
            actor = "mallory" if seq == 3 else row["actor"]
            digest = audit.entry_hash(seq, row["at"], actor, row["client"], row["event"], row["payload"], prev)
            connection.execute(
                text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s"),
                {"a": actor, "p": prev, "h": digest, "s": seq},
            )
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    assert _verify(store_engine).ok  # links alone cannot see it: documented in docs/security.md
    seq, digest = anchor.split(":")
    with Session(store_engine) as session:
        report = audit.verify(session, {int(seq): digest})
    assert not report.ok and report.first_broken == 6 and "anchor" in report.problem


def test_an_anchor_beyond_the_end_reveals_deleted_entries(store_engine):
    _fill(store_engine)
    with Session(store_engine) as session:
        assert not audit.verify(session, {9: "f" * 64}).ok


def test_append_is_part_of_the_callers_transaction(store_engine):
    _fill(store_engine, 2)
    with Session(store_engine) as session:
        audit.append(session, ev.UserDisabled("bob"), ACTOR)
        session.rollback()
    report = _verify(store_engine)
    assert report.ok and report.entries == 2


def test_search_filters_by_event_actor_and_text(store_engine):
    _fill(store_engine, 3)
    with Session(store_engine) as session:
        audit.append(session, ev.UserDisabled("bob"), audit.Actor("carol"))
        session.commit()
        assert [e.seq for e in audit.search(session, audit.AuditQuery(event="user."))] == [4]
        assert [e.seq for e in audit.search(session, audit.AuditQuery(actor="alice"))] == [1, 2, 3]
        assert [e.seq for e in audit.search(session, audit.AuditQuery(text="user1"))] == [2]
        assert [e.seq for e in audit.search(session, audit.AuditQuery(after_seq=2, limit=1))] == [3]


def test_every_event_type_has_a_unique_dotted_name():
    names = list(ev.event_types())
    assert len(names) == len(set(names))
    assert all("." in n for n in names)
    with pytest.raises(ValueError, match="already used"):

        class Impostor(ev.AuditEvent):
            name = "auth.login"


def test_concurrent_appends_keep_one_linear_chain(store_engine):
    from concurrent.futures import ThreadPoolExecutor

    def writer(i: int) -> None:
        for j in range(5):
            with Session(store_engine) as session:
                audit.append(session, ev.LoginFailed(f"w{i}-{j}", "password"), ACTOR)
                session.commit()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(writer, range(4)))
    report = _verify(store_engine)
    assert report.ok and report.entries == 20 and report.head_seq == 20
