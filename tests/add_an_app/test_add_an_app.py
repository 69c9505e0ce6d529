"""docs/ARCHITECTURE.md, "How to add an app", done by a test: the tiny app of ``tiny_app/`` (a route, a page, a
command, an audit event, a hook) is plugged in through ``Settings.apps`` alone: no core file names it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from api_support import Platform
from typer.testing import CliRunner

from policecloud.platform.access import events as ev
from policecloud.platform.cli import app as builtin_cli
from policecloud.platform.cli import build_cli
from policecloud.platform.registry import discover_apps

ROOT = Path(__file__).resolve().parents[2]


def test_the_tiny_app_is_mounted_audited_listed_and_started(store_engine, clock):
    from tiny_app.app import STARTED

    platform = Platform(store_engine, clock, apps=("tiny_app",))
    assert "tiny" in [a.name for a in platform.app.state.apps]
    assert STARTED and STARTED[-1] == platform.app.title  # the on_startup hook ran when the API was assembled
    platform.user("wang.li", ["analyst"])
    headers = platform.login("wang.li")

    # Its route answers behind the platform's policy, and writes its own audit event with the caller as actor.
    assert platform.client.get("/api/tiny/ping?echo=hi").status_code == 401
    response = platform.client.get("/api/tiny/ping?echo=hi", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"pong": "hi", "user": "wang.li"}
    (entry,) = platform.events("tiny.pinged")
    assert entry["actor"] == "wang.li" and entry["client"] and entry["echo"] == "hi"
    assert "tiny.pinged" in ev.event_types()

    # Its page is served with the shell's Content-Security-Policy; its script is a public asset.
    page = platform.client.get("/tiny")
    assert page.status_code == 200 and "小应用" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert platform.client.get("/tiny-assets/tiny.js").status_code == 200

    # The home screen's menu lists it, with its page.
    entries = platform.client.get("/api/menu", headers=headers).json()["entries"]
    assert {"app": "tiny", "key": "tiny", "path": "/tiny", "page": True}.items() <= next(
        e for e in entries if e["key"] == "tiny"
    ).items()


def test_the_built_in_platform_does_not_see_the_tiny_app(store_engine, clock):
    assert "tiny" not in [a.name for a in discover_apps()]
    platform = Platform(store_engine, clock)
    assert platform.client.get("/tiny").status_code == 404


def test_the_tiny_app_adds_its_command(tmp_path):
    result = CliRunner().invoke(build_cli(("tiny_app",)), ["--data-dir", str(tmp_path), "tiny", "ping"])
    assert result.exit_code == 0, result.output
    assert f"pong from {tmp_path}" in result.output.replace("\n", "")
    assert CliRunner().invoke(builtin_cli, ["tiny", "ping"]).exit_code != 0  # not without POLICECLOUD_APPS


def test_no_core_file_names_the_tiny_app():
    found = subprocess.run(
        ["git", "grep", "-l", "tiny_app", "--", "src", "pyproject.toml", "Makefile"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert found.stdout == ""
