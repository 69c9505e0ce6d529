"""The dossier API over the mini province: purpose, jurisdiction, masking, audit of every disclosure, errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))  # the API tests' helpers

from api_support import PURPOSE, Platform

from policecloud.apps.dossier.reader import DossierSource
from policecloud.apps.dossier.testing import IDS, write_mini_province
from policecloud.platform.store.testing import clock, store_engine  # noqa: F401  (fixtures)

MATRIX = Path(__file__).resolve().parents[1] / "api" / "permission_matrix.yaml"


@pytest.fixture
def store_kind() -> str:
    """On SQLite, like the API tests (the store only holds users, sessions and the audit log here)."""
    return "sqlite"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("mini-api")
    numbers = write_mini_province(data_dir)["id_numbers"]
    return data_dir, numbers


@pytest.fixture
def platform(store_engine, clock, province):  # noqa: F811
    running = Platform(store_engine, clock, data_dir=province[0])
    yield running
    source = getattr(running.app.state, "dossier", None)
    if source is not None:
        source.close()


def _get(platform, path, headers, **params):
    return platform.client.get(path, params={"purpose": PURPOSE, **params}, headers=headers)


def test_a_dossier_read_is_audited_with_the_entity_purpose_and_what_it_disclosed(platform, province):
    platform.user("chen.jing", ["analyst"], "420111")
    headers = platform.login("chen.jing")
    response = _get(platform, f"/api/dossier/{IDS['car']}", headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sections"]["inspection"]["status"] == "expired"  # the platform's clock says 2026-11-25
    assert body["sections"]["owner"]["resolved"][0]["caption"] == "张伟"
    (read,) = platform.events("dossier.read")
    assert read["entity_id"] == IDS["car"] and read["view"] == "profile" and read["outcome"] == "ok"
    assert read["purpose"] == {"kind": "case", "text": "A4201112026110001"} and read["actor"] == "chen.jing"
    assert {IDS["car"], IDS["zhang"], IDS["clone"]} <= set(read["disclosed"])
    assert read["disclosed_total"] == len(read["disclosed"]) and read["unmasked_fields"] == []
    assert platform.events("data.unmasked") == []
    assert province[1]["zhang"] not in response.text  # the analyst sees ID numbers masked


def test_a_role_granted_the_fields_sees_them_and_that_is_audited(platform, province):
    platform.user("li.xing", ["investigator"], "420111")
    body = _get(platform, f"/api/dossier/{IDS['zhang']}", platform.login("li.xing")).json()
    assert body["entity"]["key"] == province[1]["zhang"]
    (unmasked,) = platform.events("data.unmasked")
    assert unmasked["resource"] == "dossier" and unmasked["fields"] == ["address", "id_number", "phone"]
    assert unmasked["result_ids"] == [IDS["zhang"]]


def test_a_purpose_is_required(platform):
    platform.user("chen.jing", ["analyst"], "420111")
    response = platform.client.get(f"/api/dossier/{IDS['car']}", headers=platform.login("chen.jing"))
    assert response.status_code == 400 and response.json()["error"] == "purpose_required"
    assert platform.events("dossier.read") == []


def test_outside_the_jurisdiction_an_entity_does_not_exist_and_the_attempt_is_audited(platform):
    platform.user("yichang", ["analyst"], "420502")
    headers = platform.login("yichang")
    for path in ("", "/timeline", "/relations", "/trajectory", "/records?table=vehicle"):
        url = f"/api/dossier/{IDS['car']}{path.split('?')[0]}"
        params = dict(p.split("=") for p in path.split("?")[1:])
        response = _get(platform, url, headers, **params)
        assert response.status_code == 404 and response.json()["error"] == "not_found", path
    views = [(e["view"], e["outcome"], e["entity_id"]) for e in platform.events("dossier.read")]
    assert views == [
        (v, "not_found", IDS["car"]) for v in ("profile", "timeline", "relations", "trajectory", "records")
    ]
    assert _get(platform, f"/api/dossier/{IDS['zhao']}", headers).status_code == 200  # 赵敏 lives in 420502
    assert _get(platform, "/api/dossier/lookup", headers, q="鄂A12345").json()["items"] == []


def test_roles_without_the_permission_are_refused(platform):
    platform.agreement("省交通运输厅", "XY-1", {"persons": ["name"]})
    platform.user("partner.a", ["partner"], "420111", agency="省交通运输厅")
    platform.user("patrol.a", ["patrol"], "420111")
    assert _get(platform, f"/api/dossier/{IDS['car']}", platform.login("partner.a")).status_code == 403
    patrol = platform.login("patrol.a")
    assert _get(platform, f"/api/dossier/{IDS['car']}", patrol).status_code == 200
    path = _get(platform, "/api/dossier/path", patrol, **{"from": IDS["car"], "to": IDS["wang"]})
    assert path.status_code == 403  # finding chains of relations is for analysts and investigators


def test_timeline_relations_records_and_trajectory_through_the_api(platform):
    platform.user("chen.jing", ["analyst"], "420111")
    headers = platform.login("chen.jing")
    timeline = _get(platform, f"/api/dossier/{IDS['car']}/timeline", headers, per_page=3, page=2).json()
    assert timeline["total"] == 7 and len(timeline["items"]) == 3 and timeline["page"] == 2
    naive = _get(platform, f"/api/dossier/{IDS['car']}/timeline", headers, start="2026-10-02T00:00:00").json()
    assert naive["total"] == 3  # a time without offset is the province's local time
    kinds = _get(platform, f"/api/dossier/{IDS['hotel']}/relations", headers, kind="guest", per_kind=5).json()["kinds"]
    assert kinds[0]["total"] == 32 and len(kinds[0]["items"]) == 5 and kinds[0]["more"] == 27
    records = _get(platform, f"/api/dossier/{IDS['hotel']}/records", headers, table="hotel_stay", page=2).json()
    assert records["total"] == 32 and len(records["rows"]) == 12
    track = _get(platform, f"/api/dossier/{IDS['car']}/trajectory", headers).json()
    assert track["total"] == 5 and track["entity_id"] == IDS["car"]
    bad = _get(platform, f"/api/dossier/{IDS['car']}/trajectory", headers, start="2026-10-05", end="2026-10-01")
    assert bad.status_code == 400 and bad.json()["error"] == "range"
    person = _get(platform, f"/api/dossier/{IDS['zhang']}/trajectory", headers)
    assert person.status_code == 400 and person.json()["error"] == "not_a_vehicle"
    assert _get(platform, "/api/dossier/not-an-id", headers).status_code == 422
    views = [e["view"] for e in platform.events("dossier.read")]
    assert views == ["timeline", "timeline", "relations", "records", "trajectory"]  # refusals before reading: none


def test_path_and_lookup_are_audited(platform):
    platform.user("chen.jing", ["analyst"], "420111")
    headers = platform.login("chen.jing")
    found = _get(platform, "/api/dossier/path", headers, **{"from": IDS["car"], "to": IDS["wang"]}).json()
    assert found["found"] and [n["entity_id"] for n in found["nodes"]] == [IDS["car"], IDS["zhang"], IDS["wang"]]
    (event,) = platform.events("dossier.path")
    assert event["path"] == [IDS["car"], IDS["zhang"], IDS["wang"]] and event["found"] is True
    outside = _get(platform, "/api/dossier/path", headers, **{"from": IDS["car"], "to": IDS["zhao"]})
    assert outside.status_code == 404  # 赵敏 is outside 420111: no path to her is searched
    assert platform.events("dossier.path")[-1]["outcome"] == "not_found"
    lookup = _get(platform, "/api/dossier/lookup", headers, q="鄂A12345").json()
    assert lookup["mode"] == "identifier:plate" and lookup["count"] == 2
    (looked,) = platform.events("dossier.lookup")
    assert looked["query"] == "鄂A12345" and set(looked["result_ids"]) == {IDS["car"], IDS["clone"]}


def test_without_master_data_the_api_says_what_to_do(store_engine, clock, tmp_path):  # noqa: F811
    platform = Platform(store_engine, clock, data_dir=tmp_path)
    platform.user("chen.jing", ["analyst"], "420111")
    response = _get(platform, f"/api/dossier/{IDS['car']}", platform.login("chen.jing"))
    assert response.status_code == 503 and response.json()["error"] == "master_data_missing"
    assert "resolve" in response.json()["message_zh"]


def test_pages_are_served_with_a_strict_content_security_policy(platform):
    for path in ("/search", f"/dossier/{IDS['car']}"):
        response = platform.client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "http" not in policy
        assert IDS["car"] not in response.text  # the page holds no data, not even the id
    for asset in ("common.js", "search.js", "dossier-i18n.js", "dossier.js", "dossier.css"):
        assert platform.client.get(f"/dossier-assets/{asset}").status_code == 200
    html = platform.client.get("/search").text
    assert 'src="http' not in html and 'href="http' not in html


def test_the_menu_opens_the_dossiers_for_roles_that_may_read_them(platform):
    platform.user("chen.jing", ["analyst"], "420111")
    platform.user("aud", ["auditor"], "420111")
    entries = platform.client.get("/api/menu", headers=platform.login("chen.jing")).json()["entries"]
    assert {"app": "dossier", "app_zh": "数据追踪", "app_en": "Dossiers", "key": "dossier", "zh": "云搜索 · 全息档案",
            "en": "Search & dossiers", "path": "/search", "page": True} in entries  # fmt: skip
    assert "dossier" not in {
        e["key"] for e in platform.client.get("/api/menu", headers=platform.login("aud")).json()["entries"]
    }


def test_the_permission_matrix_names_the_mini_provinces_ids(tmp_path):
    spec = yaml.safe_load(MATRIX.read_text(encoding="utf-8"))["routes"]["GET /api/dossier/path"]["request"]["query"]
    assert (spec["from"], spec["to"]) == (IDS["car"], IDS["wang"])
    ids = write_mini_province(tmp_path)
    source = DossierSource(tmp_path)
    with source.cursor() as cur:
        found = {r[0] for r in cur.execute("SELECT entity_id FROM entities").fetchall()}
    source.close()
    assert {v for k, v in ids.items() if k != "id_numbers"} <= found
