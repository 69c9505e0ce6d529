"""End to end in headless Chromium over the tiny province with its master data: log in with password and
one-time code, search a plate, open the vehicle's dossier, see its trajectory on the map and move the time
slider. The screenshot is saved under test-artifacts/."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cdp import Browser
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dossier"))  # the dossier tests' province

from dossier_support import copy_province, tiny_master  # noqa: F401  (fixture)

from policecloud.apps.alerts.testing import ServerProcess
from policecloud.data.derived.events.build import build_event_index
from policecloud.data.derived.links import build_link_index
from policecloud.platform.access import accounts, audit
from policecloud.platform.access.credentials import totp_now

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse 42"
PURPOSE = "case:A4201112026110001"
FRAMES = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"
# moves the time slider (in a function: a top-level const would clash with the next evaluation's)
SLIDE = "(s => {{ s.value = {to}; s.dispatchEvent(new Event('input')); }})(document.querySelector('#slider'))"


@pytest.fixture
def server(tiny_master, tmp_path):  # noqa: F811
    data_dir = copy_province(tiny_master, tmp_path / "data")
    build_event_index(data_dir / "warehouse", data_dir / "event_index")
    build_link_index(data_dir)
    try:  # the search index, when cloud search is installed; the page falls back to exact lookup otherwise
        from policecloud.apps.search.index import build_index

        build_index(data_dir / "master", data_dir / "warehouse", data_dir / "search")
    except ImportError:
        pass
    running = ServerProcess(data_dir)
    with Session(running.engine) as session:
        _, enrollment = accounts.create_user(
            session, running.settings, audit.Actor("cli:test", "local"), username="wang.jing", password=PASSWORD,
            jurisdiction="420000", roles=["investigator"], provisioned=True,
        )  # fmt: skip
        session.commit()
    running.secret = enrollment.secret
    running.start()
    yield running
    running.close()


def _busiest_plate(tiny_master) -> str:  # noqa: F811
    source = tiny_master.source()
    with source.cursor() as cur:
        (plate,) = cur.execute(
            """SELECT e.key FROM entities e JOIN checkpoint_pass p ON p.plate = e.key
               WHERE e.entity_type = 'vehicle' AND e.county IS NOT NULL
               GROUP BY e.key HAVING count(DISTINCT e.entity_id) = 1 ORDER BY count(*) DESC LIMIT 1"""
        ).fetchone()
    source.close()
    return plate


def _fill(browser: Browser, selector: str, value: str) -> None:
    browser.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")


def test_search_a_plate_and_follow_it_on_the_map(server, browser, tiny_master):  # noqa: F811
    plate = _busiest_plate(tiny_master)
    browser.send("Network.enable")
    browser.send("Page.enable")
    browser.send("Page.navigate", url=f"{server.url}/search")
    browser.wait_for("document.querySelector('#login') && !document.querySelector('#login').hidden")
    assert browser.evaluate("document.querySelector('.brand').textContent") == "警务云 · 数据追踪"  # Chinese first
    _fill(browser, "#login-form [name=username]", "wang.jing")
    _fill(browser, "#login-form [name=password]", PASSWORD)
    _fill(browser, "#login-form [name=totp]", totp_now(server.secret, datetime.now(UTC)))
    _fill(browser, "#login-form [name=purpose]", PURPOSE)
    browser.evaluate("document.querySelector('#login-form').requestSubmit()")
    browser.wait_for("document.querySelector('#login').hidden")
    _fill(browser, "#q", plate.lower())  # typed the way officers type it
    browser.evaluate("document.querySelector('#search-form').requestSubmit()")
    hit = "document.querySelector('.hit.vehicle a.entity')"
    browser.wait_for(f"!!{hit}")
    assert browser.evaluate(f"{hit}.textContent") == plate
    browser.evaluate(f"{hit}.click()")
    browser.wait_for("location.pathname.startsWith('/dossier/') && document.body.dataset.ready === 'true'")
    assert browser.evaluate("document.querySelector('#caption').textContent") == plate
    passes = int(browser.wait_for("document.body.dataset.trajectory", timeout=60))
    assert passes > 10
    drawn = "dossierState.map.queryRenderedFeatures({layers: ['passes']}).length"
    assert browser.wait_for(f"{drawn} > 0 && {drawn}")  # the passes are on the map
    assert browser.evaluate("dossierState.shown") == passes
    browser.evaluate(SLIDE.format(to="0"))
    assert browser.evaluate("dossierState.shown") == 1  # the slider shows the trajectory up to the chosen pass
    assert browser.wait_for(f"{drawn} === 1")
    browser.evaluate(SLIDE.format(to="s.max"))
    assert browser.wait_for(f"{drawn} === {passes}")
    assert browser.wait_for("!!document.querySelector('#timeline .event')")  # the timeline is there too
    assert browser.wait_for("Number(document.body.dataset.graph) >= 1")  # and the relations graph
    browser.evaluate("document.querySelector('#map-card').scrollIntoView()")
    browser.evaluate(FRAMES)  # the map and the graph have painted
    browser.screenshot(ARTIFACTS / "dossier-vehicle.png")
    assert (ARTIFACTS / "dossier-vehicle.png").stat().st_size > 10_000
    assert browser.evaluate("document.querySelector('#inspection .status-badge').textContent") in (
        "有效",
        "已过期",
        "未知",
    )
    browser.evaluate("document.querySelector('#lang').click()")
    assert browser.evaluate("document.querySelector('.brand').textContent") == "Police cloud · Tracking"
    outside = [u for u in browser.requested_urls() if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []  # nothing fetched from outside the platform
