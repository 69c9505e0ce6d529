"""End to end in headless Chromium: the home page (一屏功能展示) at ``/`` asks for a login, then shows a tile for
each app the user's permissions open (and none other), in Chinese first and in English on the button; a
tile opens its app, already logged in. The screenshot is saved under test-artifacts/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cdp import Browser
from sqlalchemy.orm import Session

from policecloud.apps.alerts.testing import ServerProcess
from policecloud.platform.access import accounts, audit
from policecloud.platform.access.credentials import totp_now

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse 42"
PURPOSE = "case:A4201112026110001"
TILES = "[...document.querySelectorAll('#tiles .tile')]"


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path / "data")
    with Session(running.engine) as session:
        _, enrollment = accounts.create_user(
            session, running.settings, audit.Actor("cli:test", "local"), username="wang.jing", password=PASSWORD,
            jurisdiction="420100", roles=["investigator"], provisioned=True,
        )  # fmt: skip
        session.commit()
    running.secret = enrollment.secret if enrollment else None
    running.start()
    yield running
    running.close()


def _fill(browser: Browser, selector: str, value: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")


def test_the_home_page_shows_the_users_apps_and_opens_one(server, browser):
    browser.send("Network.enable")
    browser.send("Page.enable")
    browser.send("Page.navigate", url=f"{server.url}/")
    browser.wait_for("document.querySelector('#login') && !document.querySelector('#login').hidden")
    assert browser.evaluate("document.querySelector('.brand').textContent") == "警务云 · 一屏功能展示"
    _fill(browser, "#login-form [name=username]", "wang.jing")
    _fill(browser, "#login-form [name=password]", PASSWORD)
    if server.secret:
        _fill(browser, "#login-form [name=totp]", totp_now(server.secret, datetime.now(UTC)))
    _fill(browser, "#login-form [name=purpose]", PURPOSE)
    browser.evaluate("document.querySelector('#login-form').requestSubmit()")
    browser.wait_for("document.querySelector('#login').hidden && document.body.dataset.ready === 'true'")

    keys = set(browser.evaluate(f"{TILES}.map((t) => t.dataset.key)"))
    assert {"dossier", "map", "alerts"} <= keys  # what an investigator opens ...
    assert not keys & {"users", "agreements", "audit"}  # ... and nothing an administrator or auditor does
    labels = browser.evaluate(f"{TILES}.map((t) => t.querySelector('.label').textContent)")
    assert "云搜索 · 全息档案" in labels and "一张图" in labels  # Chinese first
    assert "wang.jing" in browser.evaluate("document.querySelector('#who').textContent")
    browser.screenshot(ARTIFACTS / "home.png")
    assert (ARTIFACTS / "home.png").stat().st_size > 10_000

    browser.evaluate("document.querySelector('#lang').click()")
    labels = browser.evaluate(f"{TILES}.map((t) => t.querySelector('.label').textContent)")
    assert "Search & dossiers" in labels and "One map" in labels
    assert browser.evaluate("document.querySelector('.brand').textContent") == "Police cloud · Apps"

    browser.evaluate("document.querySelector(\"#tiles .tile[data-key='dossier'] a\").click()")
    browser.wait_for("location.pathname === '/search' && document.readyState === 'complete'")
    assert browser.evaluate("document.querySelector('#login').hidden")  # the app opens with the same session
    outside = [u for u in browser.requested_urls() if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []  # nothing fetched from outside the platform
