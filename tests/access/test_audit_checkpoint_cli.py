"""``policecloud audit keygen|checkpoint|verify``: the auditor's key signs checkpoints kept outside the store, verify
catches a rewrite the links miss, and every bad input (missing, loose, corrupt or foreign key; corrupt checkpoint;
no key to check with) answers a clear message and a non-zero exit, never a traceback. (Issue #13, finding 7.)"""

from __future__ import annotations

import json
import stat

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from policecloud.platform.cli import app

PASSWORD = "correct horse 42\n"


@pytest.fixture
def run(tmp_path, store_engine):
    """The CLI on a data dir of its own, against the store of ``store_engine`` (SQLite or PostgreSQL)."""
    runner = CliRunner()
    env = {
        "POLICECLOUD_DATA_DIR": str(tmp_path / "data"),
        "POLICECLOUD_ARGON2_TIME_COST": "1",
        "POLICECLOUD_ARGON2_MEMORY_KIB": "8",
        "POLICECLOUD_ARGON2_PARALLELISM": "1",
        "POLICECLOUD_DATABASE_URL": store_engine.url.render_as_string(hide_password=False),
        "POLICECLOUD_AUDIT_PUBLIC_KEYS": "",
    }

    def invoke(*args: str, stdin: str | None = None):
        result = runner.invoke(app, list(args), input=stdin, env=env)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    invoke.engine = store_engine
    invoke.checkpoints = tmp_path / "data" / "audit" / "checkpoints"
    return invoke


def _words(result) -> str:
    return " ".join(result.output.split())


def _users(run, *names: str) -> None:
    for name in names:
        added = run("user", "add", name, "-j", "420111", "-r", "citizen", "--password-stdin", stdin=PASSWORD)
        assert added.exit_code == 0, added.output


def _keygen(run, path) -> str:
    made = run("audit", "keygen", "--out", str(path))
    assert made.exit_code == 0, made.output
    return path.with_name(path.name + ".pub").read_text().strip()


def test_keygen_checkpoint_and_verify(run, tmp_path):
    _users(run, "a.one", "a.two")
    key = tmp_path / "auditor.key"
    public = _keygen(run, key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and public.startswith("ed25519:")
    signed = run("audit", "checkpoint", "--key", str(key))
    assert signed.exit_code == 0 and "checkpoint of entry" in _words(signed)
    ok = run("audit", "verify", "--public-key", public)
    assert ok.exit_code == 0, ok.output
    assert "1 of 1 verified" in _words(ok) and "intact" in _words(ok)
    # the .pub file works as well, and a second checkpoint verifies too
    assert run("audit", "checkpoint", "--key", str(key)).exit_code == 0
    assert "2 of 2 verified" in _words(run("audit", "verify", "--public-key", str(key) + ".pub"))


def test_verify_catches_a_rewrite_by_the_database_owner(run, tmp_path):
    _users(run, "a.one", "a.two", "a.three")
    key = tmp_path / "auditor.key"
    public = _keygen(run, key)
    signed = run("audit", "checkpoint", "--key", str(key))
    assert signed.exit_code == 0
    seq = int(_words(signed).split("checkpoint of entry ")[1].split()[0])
    engine = run.engine
    with engine.begin() as connection:  # the owner: guards off, entry 2 rewritten, every link and the head redone
        from policecloud.platform.access import audit

        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        else:
            names = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
            for name in [n for n in names if n.startswith("audit_")]:
                connection.execute(text(f"DROP TRIGGER {name}"))
        rows = [dict(r) for r in connection.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings()]
        prev = rows[0]["hash"]
        for row in rows[1:]:
            payload = row["payload"].replace("a.two", "x.two")
            digest = audit.entry_hash(row["seq"], row["at"], row["actor"], row["client"], row["event"], payload, prev)
            connection.execute(
                text("UPDATE audit_log SET payload = :p, prev_hash = :ph, hash = :h WHERE seq = :s"),
                {"p": payload, "ph": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})
    links_only = run("audit", "verify")  # without a key: refuses to pretend
    assert links_only.exit_code == 2 and "no public key" in _words(links_only)
    caught = run("audit", "verify", "--public-key", public)
    assert caught.exit_code == 1
    assert f"entry {seq} does not have the hash signed in it" in _words(caught)
    refused = run("audit", "checkpoint", "--key", str(key))
    assert refused.exit_code == 1 and "not signing" in _words(refused)


def test_bad_keys_answer_a_message_and_exit_2(run, tmp_path):
    _users(run, "a.one")
    key = tmp_path / "auditor.key"
    _keygen(run, key)
    again = run("audit", "keygen", "--out", str(key))
    assert again.exit_code == 2 and "not overwriting" in _words(again)
    missing = run("audit", "checkpoint", "--key", str(tmp_path / "nothing.key"))
    assert missing.exit_code == 2 and "no key file" in _words(missing)
    key.chmod(0o644)
    loose = run("audit", "checkpoint", "--key", str(key))
    assert loose.exit_code == 2 and "chmod 600" in _words(loose)
    corrupt = tmp_path / "corrupt.key"
    corrupt.write_text("ed25519-private:not base64!\n")
    corrupt.chmod(0o600)
    assert run("audit", "checkpoint", "--key", str(corrupt)).exit_code == 2
    for bad in ("ed25519:AAAA", "ed25519:%%%", str(tmp_path / "absent.pub")):
        answer = run("audit", "verify", "--public-key", bad)
        assert answer.exit_code == 2 and "public key" in _words(answer), bad
    absent_dir = run("audit", "verify", "--checkpoints", str(tmp_path / "nowhere"))
    assert absent_dir.exit_code == 2 and "no checkpoint directory" in _words(absent_dir)


def test_bad_checkpoints_are_reported_with_exit_1(run, tmp_path):
    _users(run, "a.one")
    key, other = tmp_path / "auditor.key", tmp_path / "other.key"
    public = _keygen(run, key)
    _keygen(run, other)
    assert run("audit", "checkpoint", "--key", str(other)).exit_code == 0  # someone else's key
    foreign = run("audit", "verify", "--public-key", public)
    assert foreign.exit_code == 1 and "which is not a trusted key" in _words(foreign)
    for path in run.checkpoints.iterdir():
        path.unlink()  # (the log remembers that checkpoint: reported as missing below)
    assert run("audit", "checkpoint", "--key", str(key)).exit_code == 0
    (path,) = run.checkpoints.iterdir()
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "seq": body["seq"] - 1}))
    altered = run("audit", "verify", "--public-key", public)
    assert altered.exit_code == 1 and "signature does not verify" in _words(altered)
    assert "is missing from" in _words(altered)
    path.write_text("{")
    corrupt = run("audit", "verify", "--public-key", public)
    assert corrupt.exit_code == 1 and "not JSON" in _words(corrupt)


def test_an_unreachable_store_is_one_line_not_a_traceback(tmp_path):
    env = {
        "POLICECLOUD_DATA_DIR": str(tmp_path),
        "POLICECLOUD_DATABASE_URL": "postgresql+psycopg://x:secret@127.0.0.1:1/x",
    }
    result = CliRunner().invoke(app, ["audit", "verify"], env=env)
    assert result.exit_code == 2 and "cannot open the store" in _words(result)
    assert "Traceback" not in result.output and "secret" not in result.output
