"""Signed checkpoints, the audit chain's external anchor, on SQLite and on PostgreSQL: a database owner who drops
the triggers and rewrites entries and head consistently passes the link check, but not a checkpoint signed with a
key they do not hold; bad, foreign-key, corrupt and deleted checkpoint files are reported. (Issue #13, finding 7.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nacl.signing import SigningKey
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from policecloud.platform.access import audit
from policecloud.platform.access import audit_checkpoint as ac
from policecloud.platform.access import events as ev

ACTOR = audit.Actor("alice", "10.0.0.1")
AUDITOR = audit.Actor("cli:auditor", "local")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _fill(engine: Engine, n: int) -> None:
    with Session(engine) as session:
        for i in range(n):
            audit.append(session, ev.LoginFailed(f"user{i}", "password"), ACTOR)
        session.commit()


def _checkpoint(engine: Engine, key: SigningKey, directory: Path) -> ac.Checkpoint:
    with Session(engine) as session:
        report = ac.check(session, directory, [key.verify_key], full=False)
        session.rollback()
        made = ac.take(session, key, directory, report.chain, AUDITOR, NOW)
        session.commit()
    return made


def _check(engine: Engine, directory: Path, *keys: SigningKey) -> ac.CheckReport:
    with Session(engine) as session:
        return ac.check(session, directory, [k.verify_key for k in keys])


def _owner_rewrites(engine: Engine, first: int, actor: str = "mallory") -> None:
    """What the database owner can do: drop the guards, rewrite entries ``first``.. with every link and the head
    recomputed (REPLACE on SQLite, UPDATE on PostgreSQL) — the link check then passes."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            names = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
            ).scalars()
            for name in list(names):
                connection.execute(text(f"DROP TRIGGER {name}"))
        rows = connection.execute(text("SELECT * FROM audit_log WHERE seq >= :f ORDER BY seq"), {"f": first})
        rows = [dict(r) for r in rows.mappings()]
        prev = rows[0]["prev_hash"]
        for row in rows:
            who = actor if row["seq"] == first else row["actor"]
            digest = audit.entry_hash(row["seq"], row["at"], who, row["client"], row["event"], row["payload"], prev)
            row.update(actor=who, prev_hash=prev, hash=digest)
            if engine.dialect.name == "postgresql":
                connection.execute(
                    text("UPDATE audit_log SET actor = :actor, prev_hash = :prev_hash, hash = :hash WHERE seq = :seq"),
                    row,
                )
            else:
                connection.execute(
                    text(
                        "INSERT OR REPLACE INTO audit_log (seq, at, actor, client, event, payload, prev_hash, hash) "
                        "VALUES (:seq, :at, :actor, :client, :event, :payload, :prev_hash, :hash)"
                    ),
                    row,
                )
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})


@pytest.fixture
def auditor_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def cp_dir(tmp_path: Path) -> Path:
    """The checkpoint directory (outside the database; the SQLite store lives in tmp_path itself)."""
    return tmp_path / "checkpoints"


def test_a_checkpoint_verifies_and_is_itself_audited(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 3)
    made = _checkpoint(store_engine, auditor_key, cp_dir)
    assert made.seq == 3 and made.path is not None and made.path.parent == cp_dir
    report = _check(store_engine, cp_dir, auditor_key)
    assert report.ok, report.lines() + report.problems
    assert [c.seq for c in report.valid] == [3] and report.chain.entries == 4
    with Session(store_engine) as session:
        entry = audit.search(session, audit.AuditQuery(event="audit.checkpoint"))[0]
    assert entry.seq == 4 and entry.actor == "cli:auditor"
    assert json.loads(entry.payload) == {"seq": 3, "hash": made.hash, "key_id": made.key_id, "file": made.path.name}


def test_a_consistent_rewrite_by_the_database_owner_is_caught_by_a_checkpoint(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 4)
    first = _checkpoint(store_engine, auditor_key, cp_dir)  # entry 4, recorded as entry 5
    _fill(store_engine, 3)  # 6..8
    second = _checkpoint(store_engine, auditor_key, cp_dir)  # entry 8, recorded as entry 9
    _fill(store_engine, 2)  # 10, 11
    _owner_rewrites(store_engine, 6)
    with Session(store_engine) as session:
        assert audit.verify(session).ok  # the links alone cannot see it
    report = _check(store_engine, cp_dir, auditor_key)
    assert not report.ok and report.problems == []
    (problem,) = report.chain_problems
    assert problem.startswith("entry 8 does not have the hash signed in it")
    assert second.path.name in problem and f"after entry 4 (checkpoint {first.path.name} still matches)" in problem


def test_a_rewrite_before_the_first_checkpoint_is_named(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 4)
    _checkpoint(store_engine, auditor_key, cp_dir)
    _owner_rewrites(store_engine, 2)
    (problem,) = _check(store_engine, cp_dir, auditor_key).chain_problems
    assert "entry 4 does not have the hash signed in it" in problem and "anywhere up to it" in problem


def test_entries_deleted_past_a_checkpoint_are_named(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 5)
    _checkpoint(store_engine, auditor_key, cp_dir)  # entry 5, recorded as 6
    with store_engine.begin() as connection:  # the owner drops the guards and cuts the log back to entry 3
        if store_engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            for name in ("audit_log_no_delete", "audit_head_advance"):
                connection.execute(text(f"DROP TRIGGER {name}"))
        connection.execute(text("DELETE FROM audit_log WHERE seq > 3"))
        connection.execute(text("UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)"))
    report = _check(store_engine, cp_dir, auditor_key)
    assert report.chain.ok  # a shorter chain links fine
    assert report.chain_problems and report.chain_problems[0].startswith("entry 5 is missing (deleted)")


def test_bad_foreign_and_corrupt_checkpoints_are_reported(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 2)
    good = _checkpoint(store_engine, auditor_key, cp_dir)
    body = json.loads(good.path.read_text())
    # the hash changed after signing
    (cp_dir / "altered.json").write_text(json.dumps({**body, "hash": "f" * 64}))
    # signed by a key nobody registered
    stranger = SigningKey.generate()
    ac.write(cp_dir, ac.sign(stranger, 2, body["hash"], NOW), stranger.verify_key)
    # claims the auditor's key id, signed by another key
    forged = ac.sign(stranger, 2, body["hash"], NOW)
    (cp_dir / "impostor.json").write_text(json.dumps({**body, "signature": forged.signature}))
    (cp_dir / "garbage.json").write_text("{not json")
    (cp_dir / "partial.json").write_text(json.dumps({"format": ac.FORMAT, "seq": "2"}))
    report = _check(store_engine, cp_dir, auditor_key)
    assert not report.ok and report.chain.ok and not report.chain_problems
    assert [c.path.name for c in report.valid] == [good.path.name] and report.files == 6
    problems = "\n".join(report.problems)
    assert "altered.json: its signature does not verify" in problems
    assert "impostor.json: its signature does not verify" in problems
    assert f"signed by key {ac.key_id(stranger.verify_key)}, which is not a trusted key" in problems
    assert "garbage.json is unreadable or not JSON" in problems
    assert "partial.json lacks a field" in problems
    # trusting the stranger's key as well makes its checkpoint valid (it matches the chain)
    assert len(_check(store_engine, cp_dir, auditor_key, stranger).valid) == 2


def test_a_deleted_checkpoint_file_is_reported(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 2)
    made = _checkpoint(store_engine, auditor_key, cp_dir)
    made.path.unlink()
    report = _check(store_engine, cp_dir, auditor_key)
    assert not report.ok
    assert report.problems == [f"checkpoint {made.path.name}, recorded by audit entry 3, is missing from {cp_dir}"]


def test_the_periodic_check_walks_only_after_the_newest_checkpoint(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 5)
    _checkpoint(store_engine, auditor_key, cp_dir)  # entry 5, recorded as 6
    _fill(store_engine, 2)  # 7, 8
    with Session(store_engine) as session:
        quick = ac.check(session, cp_dir, [auditor_key.verify_key], full=False)
    assert quick.ok and quick.chain.entries == 3 and quick.chain.head_seq == 8


def test_verify_since_a_trusted_point_names_a_changed_start(store_engine):
    _fill(store_engine, 4)
    with Session(store_engine) as session:
        h2 = session.execute(text("SELECT hash FROM audit_log WHERE seq = 2")).scalar_one()
        assert audit.verify(session, since=(2, h2)).ok
        report = audit.verify(session, since=(2, "f" * 64))
    assert not report.ok and report.first_broken == 2 and "rewritten at or before" in report.problem


def test_a_chain_that_does_not_verify_is_not_signed(store_engine, cp_dir, auditor_key):
    _fill(store_engine, 2)
    broken = audit.VerifyReport(False, 2, 2, "f" * 64, 2, "edited")
    with Session(store_engine) as session, pytest.raises(ValueError):
        ac.take(session, auditor_key, cp_dir, broken, AUDITOR, NOW)
    assert not cp_dir.exists()


def test_verify_reads_one_snapshot_without_holding_up_appends(store_engine):
    """The commands check a snapshot: appends committed meanwhile neither wait for the walk (SQLite's write lock)
    nor appear in it (PostgreSQL's READ COMMITTED would show entries beyond the head read first)."""
    _fill(store_engine, 3)
    with Session(store_engine) as reader:
        ac.snapshot(reader)
        assert audit.verify(reader).head_seq == 3
        _fill(store_engine, 2)  # another connection appends and commits while the reader's transaction is open
        report = audit.verify(reader)
        assert report.ok and report.head_seq == 3 and report.entries == 3
        reader.rollback()
        assert audit.verify(reader).head_seq == 5
