"""``policecloud user grant|revoke|add --provisioned|reset-mfa``: the same rules as the API, clear messages and
exit codes (0 done, 2 refused), never a traceback (issue 13, findings 1 and 6)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from policecloud.platform.cli import app

PASSWORD = "correct horse 42\n"


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {
        "POLICECLOUD_DATA_DIR": str(tmp_path),
        "POLICECLOUD_ARGON2_TIME_COST": "1",
        "POLICECLOUD_ARGON2_MEMORY_KIB": "8",
        "POLICECLOUD_ARGON2_PARALLELISM": "1",
        "POLICECLOUD_DATABASE_URL": "",
    }

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin, env=env)

    invoke.db = tmp_path / "policecloud.db"
    return invoke


def _events(db, name):
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT payload FROM audit_log WHERE event = ? ORDER BY seq", (name,)).fetchall()
    return [json.loads(p) for (p,) in rows]


def test_grant_and_revoke(run):
    assert run("user", "add", "chen.jing", "-j", "420111", "-r", "analyst", "--password-stdin",
               stdin=PASSWORD).exit_code == 0  # fmt: skip
    granted = run("user", "grant", "chen.jing", "420502", "--reason", "宜昌联合专案跨区核查", "--days", "7")
    assert granted.exit_code == 0 and "until" in granted.output, granted.output
    assert "420502" in run("user", "list").output
    for days in ("0", "366"):
        refused = run("user", "grant", "chen.jing", "420503", "--reason", "宜昌联合专案跨区核查", "--days", days)
        assert refused.exit_code == 2 and "365" in refused.output and "Traceback" not in refused.output
    short = run("user", "grant", "chen.jing", "420503", "--reason", "short")
    assert short.exit_code == 2 and "10" in short.output
    revoked = run("user", "revoke", "chen.jing", "420502", "--reason", "专案已结束，收回授权")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert "420502" not in run("user", "list").output
    missing = run("user", "revoke", "chen.jing", "420502", "--reason", "专案已结束，收回授权")
    assert missing.exit_code == 2 and "420502" in missing.output and "Traceback" not in missing.output
    assert [e["code"] for e in _events(run.db, "permission.jurisdiction_revoke")] == ["420502"]
    assert _events(run.db, "permission.jurisdiction")[0]["valid_until"]


def test_the_cli_refuses_an_admin_with_a_personal_data_role(run):
    for pair in (("auditor", "investigator"), ("sysadmin", "analyst")):
        result = run("user", "add", "zhao", "-j", "420000", "-r", pair[0], "-r", pair[1], "--password-stdin",
                     stdin=PASSWORD)  # fmt: skip
        assert result.exit_code == 2 and "Separation of duties" in " ".join(result.output.split())


def test_provisioned_accounts_are_recorded_as_such(run):
    run("user", "add", "feed.gw", "-j", "420000", "-r", "feed", "--password-stdin", "--provisioned", stdin=PASSWORD)
    run("user", "add", "li.ming", "-j", "420111", "-r", "investigator", "--password-stdin", stdin=PASSWORD)
    assert [(e["username"], e["provisioned"]) for e in _events(run.db, "user.create")] == [
        ("feed.gw", True), ("li.ming", False),
    ]  # fmt: skip
    assert "first-login" in run("user", "list").output
