"""Every route that shows or changes personal data writes an audit entry naming what it disclosed (issue 13,
finding 8): the entities, records, alerts, entries or audit entries whose values the answer carried.

The routes are read from the application (every route whose policy says ``personal_data``), so a new one
without a case here fails the test. Each case makes its request as an investigator of 洪山区 (who may use them
all) over the dossier mini province (with persons of the next county linked, whose values are not shown and
so not disclosed), and checks that an entry written by that request names everything the answer showed.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # the API tests' helpers

from api_support import PURPOSE, Platform

from policecloud.apps.alerts.models import Alert
from policecloud.apps.dossier.reader import DossierSource
from policecloud.apps.dossier.testing import IDS, write_mini_province
from policecloud.apps.search.index import build_index
from policecloud.apps.search.testing import mini_province
from policecloud.platform.api.introspect import api_routes
from policecloud.platform.store.models import AuditEntry
from policecloud.platform.store.testing import clock, store_engine  # noqa: F401  (fixtures)

ME = "420111"


@pytest.fixture
def store_kind() -> str:
    return "sqlite"


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("disclosure")
    write_mini_province(data_dir, outside_links=True)
    return data_dir


@pytest.fixture(scope="module")
def search_world(tmp_path_factory):
    world = mini_province(tmp_path_factory.mktemp("disclosure-search"), crowd=5)
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    return world


def _linked_in_scope(province: Path, keys: set[str]) -> set[str]:
    """The entities of the county linked to these records (read from the master data itself)."""
    if not keys:
        return set()
    source = DossierSource(province)
    try:
        with source.cursor() as cur:
            rows = cur.execute(
                """SELECT DISTINCT l.entity_id FROM links l JOIN entities e USING (entity_id)
                   WHERE l.record_key IN (SELECT unnest(?::VARCHAR[])) AND starts_with(e.county, ?)""",
                [sorted(keys), ME],
            ).fetchall()
    finally:
        source.close()
    return {r[0] for r in rows}


def _walk(value: Any, key: str) -> set[Any]:
    found: set[Any] = set()
    if isinstance(value, dict):
        if value.get(key) is not None and not isinstance(value[key], dict | list):
            found.add(value[key])
        for item in value.values():
            found |= _walk(item, key)
    elif isinstance(value, list):
        for item in value:
            found |= _walk(item, key)
    return found


@dataclass
class World:
    platform: Platform
    search: Platform
    province: Path
    headers: dict[str, str]
    alert_id: int = 0
    person_id: int = 0
    entry_id: int = 0
    fence_id: int = 0


@dataclass(frozen=True)
class Case:
    """A request, what its answer showed, and the entry field that must name it."""

    request: Callable[[World], Any]
    shown: Callable[[World, Any], set[Any]]
    event: str
    named: Callable[[dict], set[Any]]


def _get(path: str, on: str = "platform", **params: Any) -> Callable[[World], Any]:
    def call(w: World) -> Any:
        client = getattr(w, on).client
        return client.get(path.format(**vars(w)), params={"purpose": PURPOSE, **params}, headers=w.headers)

    return call


def _send(method: str, path: str, body: dict | None = None) -> Callable[[World], Any]:
    def call(w: World) -> Any:
        return w.platform.client.request(method, path.format(**vars(w)), params={"purpose": PURPOSE}, json=body,
                                         headers=w.headers)  # fmt: skip

    return call


def _dossier_shown(w: World, body: Any) -> set[Any]:
    ids = {i for i in _walk(body, "entity_id") if isinstance(i, str)}
    return ids | _linked_in_scope(w.province, _walk(body, "record_key"))


def _dossier_named(entry: dict) -> set[Any]:
    return set(entry["disclosed"]) | set(entry.get("records", []))


def _ids(key: str, field: str = "id") -> Callable[[World, Any], set[Any]]:
    return lambda _w, body: {row[field] for row in body[key]}


def _one(field: str = "id") -> Callable[[World, Any], set[Any]]:
    return lambda _w, body: {body[field]}


def _result_ids(entry: dict) -> set[Any]:
    return set(entry["result_ids"])


DOSSIER = "/api/dossier/" + IDS["hotel"]
FENCE = {"name": "测试围栏", "polygon": [[114.3, 30.5], [114.4, 30.5], [114.4, 30.6]], "reason": "专项检查",
         "jurisdiction_code": ME}  # fmt: skip
ENTRY = {"kind": "vehicle", "value": "鄂A99999", "reason": "被盗抢车辆", "jurisdiction_code": ME}

CASES: dict[str, Case] = {
    "GET /api/dossier/{entity_id}": Case(_get(DOSSIER), _dossier_shown, "dossier.read", _dossier_named),
    "GET /api/dossier/{entity_id}/records": Case(
        _get(DOSSIER + "/records", table="hotel_stay", per_page=100), _dossier_shown, "dossier.read", _dossier_named
    ),
    "GET /api/dossier/{entity_id}/timeline": Case(
        _get(DOSSIER + "/timeline", per_page=200), _dossier_shown, "dossier.read", _dossier_named
    ),
    "GET /api/dossier/{entity_id}/relations": Case(
        _get(DOSSIER + "/relations", per_kind=200), _dossier_shown, "dossier.read", _dossier_named
    ),
    "GET /api/dossier/{entity_id}/trajectory": Case(
        _get(f"/api/dossier/{IDS['car']}/trajectory"), _dossier_shown, "dossier.read", _dossier_named
    ),
    "GET /api/dossier/lookup": Case(
        _get("/api/dossier/lookup", q="鄂A12345"), _ids("items", "entity_id"), "dossier.lookup", _result_ids
    ),
    "GET /api/dossier/path": Case(
        _get("/api/dossier/path", **{"from": IDS["car"], "to": IDS["wang"]}),
        lambda _w, body: {n["entity_id"] for n in body["nodes"] if n["entity_id"]},
        "dossier.path",
        lambda entry: set(entry["path"]),
    ),
    "GET /api/alerts": Case(_get("/api/alerts"), _ids("alerts"), "data.read", _result_ids),
    "GET /api/alerts/{alert_id}": Case(_get("/api/alerts/{alert_id}"), _one(), "data.read", _result_ids),
    "POST /api/alerts/{alert_id}/assign": Case(
        _send("POST", "/api/alerts/{alert_id}/assign", {"unit": "洪山刑侦"}),
        _one(),
        "alert.handle",
        lambda e: {e["alert_id"]},
    ),
    "POST /api/alerts/{alert_id}/notes": Case(
        _send("POST", "/api/alerts/{alert_id}/notes", {"note": "已核查"}),
        _one(),
        "alert.handle",
        lambda e: {e["alert_id"]},
    ),
    "POST /api/alerts/{alert_id}/acknowledge": Case(
        _send("POST", "/api/alerts/{alert_id}/acknowledge", {}), _one(), "alert.handle", lambda e: {e["alert_id"]}
    ),
    "POST /api/alerts/{alert_id}/close": Case(
        _send("POST", "/api/alerts/{alert_id}/close", {"note": "误报"}),
        _one(),
        "alert.handle",
        lambda e: {e["alert_id"]},
    ),
    "GET /api/watchlists": Case(_get("/api/watchlists"), _ids("entries"), "data.read", _result_ids),
    "POST /api/watchlists": Case(
        _send("POST", "/api/watchlists", ENTRY), _one(), "watchlist.add", lambda e: {e["entry_id"]}
    ),
    "DELETE /api/watchlists/{entry_id}": Case(
        _send("DELETE", "/api/watchlists/{entry_id}"), _one(), "watchlist.remove", lambda e: {e["entry_id"]}
    ),
    "GET /api/geofences": Case(_get("/api/geofences"), _ids("geofences"), "data.read", _result_ids),
    "POST /api/geofences": Case(
        _send("POST", "/api/geofences", FENCE), _one(), "geofence.add", lambda e: {e["geofence_id"]}
    ),
    "DELETE /api/geofences/{fence_id}": Case(
        _send("DELETE", "/api/geofences/{fence_id}"), _one(), "geofence.remove", lambda e: {e["geofence_id"]}
    ),
    "GET /api/persons": Case(_get("/api/persons", q="张伟"), _ids("items"), "data.read", _result_ids),
    "GET /api/persons/export": Case(
        _get("/api/persons/export", q="张伟"),
        lambda _w, text: {int(r["id"]) for r in csv.DictReader(io.StringIO(text))},
        "data.export",
        _result_ids,
    ),
    "GET /api/persons/{person_id}": Case(_get("/api/persons/{person_id}"), _one(), "data.read", _result_ids),
    "POST /api/persons": Case(
        _send(
            "POST",
            "/api/persons",
            {"name": "李四", "id_number": "420111199202022341", "sex": "2", "jurisdiction_code": "420111001"},
        ),
        _one(),
        "data.create",
        lambda e: {e["record_id"]},
    ),
    "PATCH /api/persons/{person_id}": Case(
        _send("PATCH", "/api/persons/{person_id}", {"phone": "13912345678"}),
        _one(),
        "data.change",
        lambda e: {e["record_id"]},
    ),
    "DELETE /api/persons/{person_id}": Case(
        _send("DELETE", "/api/persons/{person_id}"), _one("deleted"), "data.delete", lambda e: {e["record_id"]}
    ),
    "GET /api/audit": Case(
        _get("/api/audit", limit=50),
        lambda _w, body: {e["seq"] for e in body["entries"]},
        "audit.search",
        lambda e: set(e["result_seqs"]),
    ),
    "GET /api/search": Case(_get("/api/search", on="search", q="张伟"), _ids("hits"), "data.read", _result_ids),
}


def _entries_after(platform: Platform, seq: int) -> list[dict]:
    with platform.session() as session:
        rows = session.execute(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)).scalars()
        return [{"seq": e.seq, "event": e.event, "actor": e.actor, **json.loads(e.payload)} for e in rows]


def _last_seq(platform: Platform) -> int:
    with platform.session() as session:
        return session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).scalar() or 0


def _alert(platform: Platform) -> int:
    now = platform.clock()
    with platform.session() as session:
        alert = Alert(alert_type="vehicle", rule="watch:1", subject="鄂A12345", reason="被盗抢车辆",
                      place_code="4201110001", place_name="洪山卡口1", jurisdiction_code=ME, owner_jurisdiction=ME,
                      event_kind="checkpoint_pass", first_event="P1", first_seen=now, last_seen=now, created_at=now,
                      updated_at=now)  # fmt: skip
        session.add(alert)
        session.commit()
        return alert.id


@pytest.fixture
def world(store_engine, clock, province, search_world):  # noqa: F811
    platform = Platform(store_engine, clock, data_dir=province)
    search = Platform(store_engine, clock, data_dir=search_world.data_dir)
    platform.user("li.inv", ["investigator"], ME)
    platform.user("sun.aud", ["auditor"], ME)
    w = World(platform, search, province, platform.login("li.inv"))
    w.alert_id, w.person_id = _alert(platform), platform.person()
    add = {"purpose": PURPOSE}
    w.entry_id = platform.client.post("/api/watchlists", params=add, json={**ENTRY, "value": "鄂A00001"},
                                      headers=w.headers).json()["id"]  # fmt: skip
    w.fence_id = platform.client.post("/api/geofences", params=add, json=FENCE, headers=w.headers).json()["id"]
    yield w
    for running in (platform, search):
        source = getattr(running.app.state, "dossier", None)
        if source is not None:
            source.close()


def test_every_personal_data_route_has_a_case_here(world):
    routes = {r.key for r in api_routes(world.platform.app) if r.policy is not None and r.policy.personal_data}
    assert routes == set(CASES)


@pytest.mark.parametrize("route", sorted(CASES))
def test_the_audit_entry_names_everything_the_answer_showed(world, route):
    case = CASES[route]
    if route == "GET /api/audit":
        world.headers = world.platform.login("sun.aud")
    before = _last_seq(world.platform)
    response = case.request(world)
    assert response.status_code < 300, response.text
    body = response.text if route.endswith("/export") else response.json()
    shown = case.shown(world, body)
    assert shown, "the case must show something to check"
    written = [e for e in _entries_after(world.platform, before) if e["event"] == case.event]
    assert written, f"{route} wrote no {case.event} entry"
    named = set().union(*(case.named(e) for e in written))
    assert shown <= named, f"{route}: shown but not named in the audit entry: {sorted(shown - named, key=str)}"


def test_the_records_page_names_the_guests_it_shows(world):
    """The finding as reported: a hotel's records page showed guests' names and ID numbers, ``disclosed: []``."""
    response = CASES["GET /api/dossier/{entity_id}/records"].request(world)
    rows = response.json()["rows"]
    named_guests = {r["record_key"] for r in rows if r["name"]}
    (entry,) = [e for e in _entries_after(world.platform, 0) if e["event"] == "dossier.read"]
    guests = _linked_in_scope(world.province, named_guests) - {IDS["hotel"]}
    assert len(guests) == 32 and guests <= set(entry["disclosed"])
    assert named_guests <= set(entry["records"]) and entry["records_total"] == len(rows)
    assert IDS["zhao"] not in entry["disclosed"]  # her stay is shown blanked: nothing of hers was disclosed
