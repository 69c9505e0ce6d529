"""Cloud search through the API: purpose, jurisdiction inside the query, masking, audit, errors."""

from __future__ import annotations

import pytest
from api_support import PURPOSE, Platform

from policecloud.apps.search.index import build_index
from policecloud.apps.search.testing import mini_province


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = mini_province(tmp_path_factory.mktemp("api-search"), crowd=40)
    build_index(world.master_dir, world.warehouse_dir, world.search_root)
    return world


@pytest.fixture
def api(store_engine, clock, world) -> Platform:
    return Platform(store_engine, clock, data_dir=world.data_dir)


def _search(api, headers, **params):
    return api.client.get("/api/search", params={"purpose": PURPOSE, **params}, headers=headers)


def test_search_needs_a_purpose_and_is_audited_with_its_results(api, world):
    api.user("chen.jing", ["analyst"], "420111")
    headers = api.login("chen.jing")
    refused = api.client.get("/api/search", params={"q": "张伟"}, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"] == "purpose_required"
    assert api.events("data.read") == []
    response = _search(api, headers, q="张伟")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "name" and body["forced"] is False
    assert body["hits"][0]["id"] == world.persons["zhang_wei"]["entity_id"]
    (read,) = api.events("data.read")
    assert read["resource"] == "search" and read["query"]["q"] == "张伟" and read["query"]["mode"] == "name"
    assert read["result_ids"] == [h["id"] for h in body["hits"]] and read["purpose"]["kind"] == "case"
    assert read["actor"] == "chen.jing"


def test_outside_the_jurisdiction_nothing_is_returned_or_counted(api, world):
    api.user("inside.user", ["investigator"], "420111")
    api.user("outside.user", ["investigator"], "420502")
    api.user("province.user", ["investigator"], "420000")
    far = world.persons["zhang_wei_far"]["entity_id"]
    near = world.persons["zhang_wei"]["entity_id"]
    inside_headers = api.login("inside.user")
    inside = _search(api, inside_headers, q="张伟", per_page=100).json()
    outside = _search(api, api.login("outside.user"), q="张伟", per_page=100).json()
    province = _search(api, api.login("province.user"), q="张伟", per_page=100).json()
    assert near in [h["id"] for h in inside["hits"]] and far not in [h["id"] for h in inside["hits"]]
    assert far in [h["id"] for h in outside["hits"]] and near not in [h["id"] for h in outside["hits"]]
    assert {b["key"] for b in inside["facets"]["county"]} == {"420111"}
    assert {b["key"] for b in outside["facets"]["county"]} == {"420502"}
    assert province["total"] > inside["total"] + outside["total"] - 1
    # an exact identifier of an entity elsewhere: not found, and not counted
    number = world.persons["zhang_wei_far"]["id_number"]
    looked_up = _search(api, inside_headers, q=number).json()
    assert looked_up["mode"] == "identifier" and looked_up["total"] == 0 and looked_up["facets"]["type"] == []


def test_sensitive_fields_are_masked_unless_the_role_is_granted_them(api, world):
    api.user("analyst", ["analyst"], "420111")
    api.user("investigator", ["investigator"], "420111")
    number = world.others["phone"]["phone"]
    masked = _search(api, api.login("analyst"), q=number).json()["hits"][0]
    assert masked["caption"] == number[:3] + "****" + number[-4:] and masked["snippet"] == masked["caption"]
    assert masked["highlights"] == [] and "sensitive" not in masked
    assert api.events("data.unmasked") == []
    clear = _search(api, api.login("investigator"), q=number).json()["hits"][0]
    assert clear["caption"] == number and clear["highlights"] == [[0, 11]]
    (unmasked,) = api.events("data.unmasked")
    assert unmasked["resource"] == "search" and "phone" in unmasked["fields"]


def test_filters_modes_and_errors(api, world):
    api.user("chen.jing", ["analyst"], "420000")
    headers = api.login("chen.jing")
    calls = _search(api, headers, q="珞喻路", type="call110").json()
    assert [h["id"] for h in calls["hits"]] == [world.calls["near"]["doc_id"]]
    assert calls["notes"]  # the name mode found nobody and said it searched the text
    dated = _search(api, headers, q="报警人称", **{"from": "2026-10-02", "to": "2026-10-02"}).json()
    assert [h["id"] for h in dated["hits"]] == [world.calls["fraud"]["doc_id"]]
    forced = _search(api, headers, q="珞喻路", mode="name").json()
    assert forced["mode"] == "name" and forced["forced"] and forced["total"] == 0
    county = _search(api, headers, q="张伟", county="420502").json()
    assert {h["county"] for h in county["hits"]} == {"420502"}
    assert _search(api, headers, q="x", mode="guess").status_code == 422
    bad_type = _search(api, headers, q="x", type="cat")
    assert bad_type.status_code == 400 and bad_type.json()["error"] == "invalid_type"
    assert _search(api, headers, q="x", county="4201115").status_code == 422
    assert _search(api, headers, q="x", **{"from": "yesterday"}).json()["error"] == "invalid_time"


def test_without_an_index_the_search_says_so(store_engine, clock, tmp_path):
    api = Platform(store_engine, clock, data_dir=tmp_path)
    api.user("chen.jing", ["analyst"], "420111")
    response = _search(api, api.login("chen.jing"), q="张伟")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "search_unavailable" and "index search" in body["message"] and body["message_zh"]
