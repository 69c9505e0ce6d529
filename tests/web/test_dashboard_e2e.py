"""End to end in headless Chromium: open the one map, post an event for a watched plate, see the alert
appear on the map and in the live list. The screenshot is saved under test-artifacts/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from policecloud.apps.alerts import watchlists
from policecloud.apps.alerts.models import MapDevice
from policecloud.apps.alerts.replay import FeedClient
from policecloud.apps.alerts.testing import ServerProcess

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PLATE = "鄂A7E2K9"


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path / "data")
    now = datetime.now(UTC)
    with Session(running.engine) as session:
        watchlists.add_entry(
            session, kind="vehicle", value=PLATE, reason="被盗抢车辆", owner="test", jurisdiction_code="420000",
            valid_from=datetime(2026, 1, 1, tzinfo=UTC), valid_until=None, now=now,
        )  # fmt: skip
        session.add(MapDevice(code="4201110001", kind="checkpoint", name="珞喻路卡口", county_code="420111",
                              lon=114.40, lat=30.51))  # fmt: skip
        session.commit()
    running.start()
    yield running
    running.close()


def test_an_alert_appears_on_the_map_as_it_happens(server, browser):
    token = server.token("duty.officer", ["dispatcher"], "420000")
    session = {"pc_token": token, "pc_purpose": "值班指挥：一张图实时预警监控"}
    setup = "".join(f"sessionStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in session.items())
    browser.send("Network.enable")
    browser.send("Page.enable")
    browser.send("Page.addScriptToEvaluateOnNewDocument", source=setup)
    browser.send("Page.navigate", url=f"{server.url}/map")
    browser.wait_for("document.body && document.body.dataset.ready === 'true'")
    browser.wait_for("document.querySelector('#conn').classList.contains('on')")  # the stream is open
    assert browser.evaluate("document.querySelectorAll('.region-label').length") == 17  # Hubei's prefectures
    feed = FeedClient(server.url, server.token("gateway", ["feed"]))
    event = {"kind": "checkpoint_pass", "id": "E2E1", "time": "2026-10-05 08:00:00", "checkpoint": "4201110001",
             "plate": PLATE}  # fmt: skip
    assert feed.request("POST", "/api/events", {"events": [event]})["accepted"] == 1
    marker = f".alert-marker[data-subject='{PLATE}']"
    browser.wait_for(f'!!document.querySelector("{marker}")')
    listed = browser.wait_for(f"document.querySelector(\".alert-item[data-subject='{PLATE}']\")?.textContent")
    assert "珞喻路卡口" in listed and "被盗抢车辆" in listed
    browser.evaluate(f'document.querySelector("{marker}").click()')
    browser.wait_for("!document.querySelector('#detail').hidden")
    browser.wait_for("state.stats && state.stats.alerts_by_type.vehicle === 1")  # the charts caught up
    browser.screenshot(ARTIFACTS / "dashboard-alert.png")
    assert browser.evaluate("document.querySelector('h1').textContent") == "湖北省公安 · 一张图"  # Chinese first
    browser.evaluate("document.querySelector('#lang').click()")
    assert browser.evaluate("document.querySelector('h1').textContent") == "Hubei Public Security · One map"
    browser.evaluate("document.querySelector('#bigscreen').click()")
    assert browser.evaluate("document.body.classList.contains('bigscreen')")
    assert (ARTIFACTS / "dashboard-alert.png").stat().st_size > 10_000
    outside = [u for u in browser.requested_urls() if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []  # nothing fetched from outside the platform
