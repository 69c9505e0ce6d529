"""Intake → alert → lifecycle through the API, with jurisdiction, masking and audit."""

from __future__ import annotations

import json

import pytest
from alerts_support import PURPOSE, checkpoint_pass

WATCH = {"purpose": "case:A4201112026110001"}


@pytest.fixture
def people(platform):
    return {
        "feed": platform.user("gateway", ["feed"], "420000"),
        "investigator": platform.user("li.inv", ["investigator"], "420111"),
        "dispatcher": platform.user("wang.disp", ["dispatcher"], "420111"),
        "outside": platform.user("zhao.out", ["dispatcher"], "420502"),
    }


def _watch(platform, headers, kind="vehicle", value="鄂A12345", **extra):
    body = {
        "kind": kind,
        "value": value,
        "reason": "被盗抢车辆",
        "jurisdiction_code": "420111",
        "valid_from": "2026-10-01T00:00:00+08:00",
        **extra,
    }
    return platform.client.post("/api/watchlists", params=WATCH, json=body, headers=headers)


def _alerts(platform, headers, **params):
    response = platform.client.get("/api/alerts", params={"purpose": PURPOSE, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["alerts"]


def test_watched_plate_raises_one_alert_visible_inside_the_jurisdiction_only(platform, people):
    created = _watch(platform, people["investigator"], value="鄂ａ１２３４５")  # full-width, lower case
    assert created.status_code == 201, created.text
    assert created.json()["value"] == "鄂A12345"
    result = platform.post_events(
        people["feed"],
        [
            checkpoint_pass(1, "鄂A12345"),
            checkpoint_pass(2, "鄂A54321"),
            checkpoint_pass(3, "鄂A12345", time="2026-10-03 08:03:00"),
        ],
    )
    assert result["accepted"] == 3 and result["rejected"] == []
    platform.process()
    alerts = _alerts(platform, people["dispatcher"])
    assert [(a["subject"], a["hits"], a["status"], a["place_code"]) for a in alerts] == [
        ("鄂A12345", 2, "new", "4201110001")
    ]
    assert _alerts(platform, people["outside"]) == []
    assert platform.client.get(f"/api/alerts/{alerts[0]['id']}", params={"purpose": PURPOSE},
                               headers=people["outside"]).status_code == 404  # fmt: skip
    detail = platform.client.get(f"/api/alerts/{alerts[0]['id']}", params={"purpose": PURPOSE},
                                 headers=people["dispatcher"]).json()  # fmt: skip
    assert [h["event_id"] for h in detail["hit_events"]] == ["checkpoint_pass:P1", "checkpoint_pass:P3"]
    reads = platform.audit_events("data.read")
    assert reads[-1]["resource"] == "alerts" and reads[-1]["result_ids"] == [alerts[0]["id"]]


def test_invalid_events_are_rejected_with_reasons_and_not_logged(platform, people):
    events = [
        checkpoint_pass(1, "鄂A12345"),
        {"kind": "checkpoint_pass", "id": "P2", "time": "2026-10-03 08:00:00", "checkpoint": "42011", "plate": "x"},
        {"kind": "camera_detection", "id": "C1", "time": "2026-10-03 08:00:00", "camera": "4" * 20, "object": "face"},
        {**checkpoint_pass(3, "鄂A12345"), "face_image": "base64..."},
    ]
    result = platform.post_events(people["feed"], events)
    assert result["accepted"] == 1
    assert [(r["index"], r["field"], r["reason"]) for r in result["rejected"]] == [
        (1, "checkpoint", "format"),
        (2, "object", "unknown_object"),
        (3, "face_image", "unknown_field"),
    ]
    assert platform.service.bus.end() == 1
    kept = (platform.settings.events_dir / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    quarantined = [json.loads(line) for line in kept]
    assert [(q["reason"], q["event"]["id"], q["by"]) for q in quarantined] == [
        ("format", "P2", "gateway"), ("unknown_object", "C1", "gateway"), ("unknown_field", "P3", "gateway")
    ]  # fmt: skip


def test_alert_lifecycle_with_notes_assignment_and_audit(platform, people):
    _watch(platform, people["investigator"])
    platform.post_events(people["feed"], [checkpoint_pass(1, "鄂A12345")])
    platform.process()
    (alert,) = _alerts(platform, people["dispatcher"])
    url = f"/api/alerts/{alert['id']}"
    post = lambda action, body: platform.client.post(  # noqa: E731
        f"{url}/{action}", params={"purpose": PURPOSE}, json=body, headers=people["dispatcher"]
    )
    assert post("acknowledge", {"note": "已收到"}).json()["status"] == "acknowledged"
    assigned = post("assign", {"unit": "420111010001", "note": "派巡逻1组"}).json()
    assert assigned["assigned_unit"] == "420111010001"
    assert post("close", {}).status_code == 400  # closing needs a note
    closed = post("close", {"note": "已拦截，车辆追回"}).json()
    assert closed["status"] == "closed"
    assert [n["action"] for n in closed["notes"]] == ["acknowledge", "assign", "close"]
    assert post("acknowledge", {}).status_code == 409
    assert [e["action"] for e in platform.audit_events("alert.handle")] == ["acknowledge", "assign", "close"]
    # a closed alert is not extended by a new sighting: the next one is a new alert
    platform.post_events(people["feed"], [checkpoint_pass(2, "鄂A12345", time="2026-10-03 08:01:00")])
    platform.process()
    assert [a["status"] for a in _alerts(platform, people["dispatcher"])] == ["new", "closed"]


def test_watchlist_management_is_privileged_validated_and_audited(platform, people):
    assert _watch(platform, people["dispatcher"]).status_code == 403
    assert _watch(platform, people["investigator"], value="not a plate").status_code == 400
    assert _watch(platform, people["investigator"], jurisdiction_code="420502").status_code == 403
    entry = _watch(platform, people["investigator"], kind="person", value="421024196508216628").json()
    (added,) = platform.audit_events("watchlist.add")
    assert (added["entry_id"], added["actor"], added["purpose"]["kind"]) == (entry["id"], "li.inv", "case")
    removed = platform.client.delete(f"/api/watchlists/{entry['id']}", params=WATCH, headers=people["investigator"])
    assert removed.json()["active"] is False
    assert platform.audit_events("watchlist.remove")[0]["entry_id"] == entry["id"]


def test_person_alert_from_a_hotel_check_in_is_masked_for_roles_without_id_numbers(platform, people):
    _watch(platform, people["investigator"], kind="person", value="421024196508216628")
    stay = {"kind": "hotel_stay", "id": "LG1", "time": "2026-10-03 21:00:00", "hotel": "91420107MA2NW7P71H",
            "hotel_name": "兴隆旅馆", "id_number": "421024196508216628", "name": "王佳红", "room": "301"}  # fmt: skip
    platform.post_events(people["feed"], [stay])
    platform.process()
    (seen_by_dispatcher,) = _alerts(platform, people["dispatcher"] | {})  # owner jurisdiction 420111 covers it
    assert seen_by_dispatcher["subject"] == "4210**********6628"
    (seen_by_investigator,) = _alerts(platform, people["investigator"])
    assert seen_by_investigator["subject"] == "421024196508216628"
    assert seen_by_investigator["jurisdiction_code"] == "420107"  # where the hotel is


def test_statistics_count_events_and_alerts(platform, people):
    _watch(platform, people["investigator"])
    platform.post_events(
        people["feed"], [checkpoint_pass(i, "鄂A12345" if i == 0 else f"鄂A5432{i}") for i in range(5)]
    )
    platform.process()
    stats = platform.client.get("/api/map/stats", headers=people["dispatcher"]).json()
    assert sum(h["count"] for h in stats["events_per_hour"]) == 5
    assert stats["alerts_by_type"] == {"vehicle": 1}
    assert stats["alerts_by_prefecture"] == {"420100": 1}


def test_processing_survives_a_failed_batch_and_retries_it(platform, people, monkeypatch):
    _watch(platform, people["investigator"])
    processor = platform.service.processor
    real, calls = processor.process, []

    def flaky(deliveries):
        calls.append(len(deliveries))
        if len(calls) == 1:
            raise RuntimeError("database is locked")  # what a long foreign write transaction causes
        return real(deliveries)

    monkeypatch.setattr(processor, "process", flaky)
    platform.post_events(people["feed"], [checkpoint_pass(1, "鄂A12345"), checkpoint_pass(2, "鄂A54321")])
    platform.process()
    assert len(calls) >= 2 and [a["hits"] for a in _alerts(platform, people["dispatcher"])] == [1]
