"""/docs in a real browser (headless Chromium): Swagger UI renders the API from vendored files alone, under the
page's Content-Security-Policy, and asks no host but the platform for anything."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from policecloud.apps.alerts.testing import ServerProcess


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path / "data")
    running.start()
    yield running
    running.close()


def test_swagger_ui_renders_offline_under_the_policy(server, browser):
    browser.send("Network.enable")
    browser.send("Runtime.enable")
    browser.send("Log.enable")  # Content-Security-Policy violations are reported here
    browser.send("Page.enable")
    browser.send("Page.navigate", url=f"{server.url}/docs")
    operations = browser.wait_for("document.querySelectorAll('.opblock').length", timeout=60)
    assert operations > 30  # every operation of the API, rendered by the vendored bundle
    assert browser.evaluate("document.querySelector('.info .title').textContent").startswith("policecloud API")
    hosts = {urlsplit(url).netloc for url in browser.requested_urls() if url.startswith("http")}
    assert hosts == {urlsplit(server.url).netloc}
    problems = [
        e["params"]
        for e in browser.events
        if e.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded")
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error")
    ]
    assert problems == []  # no script error, no Content-Security-Policy violation
