"""Intake validation: element types normalize, anything unknown (a face, a person detection) is refused."""

from __future__ import annotations

import pytest

from policecloud.apps.alerts.intake import normalize, validate


def test_checkpoint_pass_is_normalized_with_the_element_types():
    event = normalize(
        {"kind": "checkpoint_pass", "id": "202610010000000001", "time": "2026-10-01 00:48:40",
         "checkpoint": "4201060015", "plate": "鄂ａv５３２６", "plate_color": "1", "direction": 3, "speed": "41"}
    )  # fmt: skip
    assert event == {
        "id": "checkpoint_pass:202610010000000001", "kind": "checkpoint_pass", "time": "2026-10-01T00:48:40+08:00",
        "place": "4201060015", "county": "420106", "plate": "鄂AV5326", "plate_color": "1", "direction": 3,
        "speed": 41,
    }  # fmt: skip


def test_unread_plate_is_kept_as_a_pass_without_plate():
    event = normalize({"kind": "checkpoint_pass", "id": "1", "time": "2026-10-01T08:00:00+08:00",
                       "checkpoint": "4201060015", "plate": None})  # fmt: skip
    assert event["plate"] is None


def test_hotel_stay_takes_its_county_from_the_hotel_credit_code():
    event = normalize(
        {"kind": "hotel_stay", "id": "LG000000001", "time": "2026-10-01 16:32:24", "hotel": "91420107MA2NW7P71H",
         "id_number": "420607195701130691", "name": "黄斌强", "room": "301"}
    )  # fmt: skip
    assert (event["county"], event["id_number"], event["phone"]) == ("420107", "420607195701130691", None)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"plate": "鄂A1234"}, "plate", "plate.format"),
        ({"time": "yesterday"}, "time", "datetime.format"),
        ({"time": None}, "time", "missing"),
        ({"checkpoint": "12345"}, "checkpoint", "format"),
        ({"kind": "face_capture"}, "kind", "unknown_kind"),
        ({"face_feature": "AAAA"}, "face_feature", "unknown_field"),
        ({"id": "bad id with spaces"}, "id", "format"),
        ({"speed": 9999}, "speed", "range"),
    ],
)
def test_invalid_events_get_a_field_and_reason(change, field, reason):
    raw = {"kind": "checkpoint_pass", "id": "1", "time": "2026-10-01 08:00:00", "checkpoint": "4201060015",
           "plate": "鄂A12345", **change}  # fmt: skip
    result = validate([raw])
    assert result.accepted == []
    assert [(r.index, r.field, r.reason) for r in result.rejected] == [(0, field, reason)]


def test_camera_detections_cover_vehicles_and_objects_but_not_people():
    base = {"kind": "camera_detection", "id": "D1", "time": "2026-10-01 08:00:00", "camera": "42010200001321000001"}
    ok = validate([{**base, "object": "car", "plate": "鄂A12345"}, {**base, "id": "D2", "object": "bag"}])
    assert [e["object"] for e in ok.accepted] == ["car", "bag"] and ok.accepted[0]["county"] == "420102"
    refused = validate([{**base, "object": "person"}, {**base, "object": "face"}])
    assert [r.reason for r in refused.rejected] == ["unknown_object", "unknown_object"]
