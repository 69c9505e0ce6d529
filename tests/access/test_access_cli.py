"""The operator's commands: user add|list|disable|reset-mfa, audit verify|tail, db upgrade|status."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from policecloud.platform.cli import app
from policecloud.platform.store.migrate import head_revision

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


def test_user_lifecycle(run):
    added = run("user", "add", "li.ming", "-j", "420111", "-r", "investigator", "--password-stdin", stdin=PASSWORD)
    assert added.exit_code == 0, added.output
    assert "otpauth" not in added.output and "first login" in added.output  # the user enrols, not the operator
    service = run("user", "add", "feed.one", "-j", "420111", "-r", "investigator", "--password-stdin", "--provisioned",
                  stdin=PASSWORD)  # fmt: skip
    assert service.exit_code == 0 and "otpauth://totp/policecloud:feed.one" in service.output
    citizen = run("user", "add", "wang.fang", "-j", "420111", "-r", "citizen", "--password-stdin", stdin=PASSWORD)
    assert citizen.exit_code == 0 and "otpauth" not in citizen.output
    listed = run("user", "list")
    assert "li.ming" in listed.output and "investigator" in listed.output and "active" in listed.output
    assert run("user", "disable", "wang.fang").exit_code == 0
    assert "disabled" in run("user", "list").output
    reset = run("user", "reset-mfa", "feed.one")
    assert reset.exit_code == 0 and "otpauth://" not in reset.output and "cleared" in reset.output
    assert run("user", "disable", "nobody").exit_code == 2


def test_user_add_refuses_two_admin_duties(run):
    result = run("user", "add", "zhao", "-j", "420000", "-r", "sysadmin", "-r", "auditor", "--password-stdin",
                 stdin=PASSWORD)  # fmt: skip
    assert result.exit_code == 2
    assert "Separation of duties" in " ".join(result.output.split()) and "Traceback" not in result.output


def test_audit_verify_reports_the_first_broken_entry(run):
    for name in ("a.one", "a.two", "a.three"):
        run("user", "add", name, "-j", "420111", "-r", "citizen", "--password-stdin", stdin=PASSWORD)
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and "intact: 3 entries" in ok.output
    anchor = "".join(ok.output.split()).split("anchor)")[1]
    assert anchor.startswith("3:") and len(anchor) == 66
    assert run("audit", "verify", "--anchor", anchor).exit_code == 0
    assert run("audit", "verify", "--anchor", "3:" + "0" * 64).exit_code == 1
    assert run("audit", "verify", "--anchor", "nonsense").exit_code == 2
    with sqlite3.connect(run.db) as con:
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute("UPDATE audit_log SET payload = replace(payload, 'a.two', 'x.two') WHERE seq = 2")
    broken = run("audit", "verify")
    assert broken.exit_code == 1 and "BROKEN at entry 2" in broken.output and "edited" in broken.output
    assert "a.three" in run("audit", "tail", "-n", "5").output


def test_db_upgrade_and_status(run):
    assert run("db", "status").exit_code == 0
    upgraded = run("db", "upgrade")
    assert upgraded.exit_code == 0 and f"revision {head_revision()}" in upgraded.output
    assert "up to date" in run("db", "status").output


def test_security_settings_come_from_the_environment():
    from policecloud.platform.config import Settings

    settings = Settings.from_env(
        {
            "POLICECLOUD_SESSION_IDLE_MINUTES": "15",
            "POLICECLOUD_LOCKOUT_FAILURES": "3",
            "POLICECLOUD_COOKIE_SECURE": "0",
        }
    )
    assert (settings.session_idle_minutes, settings.lockout_failures, settings.cookie_secure) == (15, 3, False)
    assert (Settings().lockout_failures, Settings().lockout_minutes, Settings().session_idle_minutes) == (5, 10, 30)


def test_serve_is_a_command():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "/docs" in result.output


def test_every_audited_user_and_audit_command_takes_its_actor_and_client_from_the_cli_context(run, monkeypatch):
    monkeypatch.setattr("policecloud.platform.access.context._login", lambda: "operator7")
    assert run("user", "add", "li.ming", "-j", "420111", "-r", "investigator", "--password-stdin",
               stdin=PASSWORD).exit_code == 0  # fmt: skip
    assert run("user", "grant", "li.ming", "420112", "--reason", "case A4201112026110001 needs it").exit_code == 0
    assert run("user", "revoke", "li.ming", "420112", "--reason", "the case is closed now").exit_code == 0
    assert run("user", "reset-mfa", "li.ming").exit_code == 0
    assert run("user", "disable", "li.ming").exit_code == 0
    assert run("audit", "verify").exit_code == 0
    with sqlite3.connect(run.db) as con:
        rows = con.execute("SELECT event, actor, client FROM audit_log ORDER BY seq").fetchall()
    assert len(rows) >= 6
    assert {(actor, client) for _, actor, client in rows} == {("cli:operator7", "local")}
    assert rows[-1][0] == "audit.verify"
