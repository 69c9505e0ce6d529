"""Intake under hostile input (issue 13, finding 10): device codes of ASCII digits, every field bounded, and a
quarantine that keeps every reason but cannot be used to fill the disk."""

from __future__ import annotations

import json

from alerts_support import checkpoint_pass

from policecloud.apps.alerts.intake import MAX_FIELD_CHARS, validate
from policecloud.apps.alerts.quarantine import MAX_KEPT_CHARS, Quarantine


def _rejections(events):
    return [(r.index, r.field, r.reason) for r in validate(events).rejected]


def test_full_width_digits_do_not_make_a_jurisdiction_of_their_own():
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "4201020001")  # ４２０１０２０００１
    (event,) = validate([checkpoint_pass(1, "鄂A12345", checkpoint=full_width)]).accepted
    assert (event["place"], event["county"]) == ("4201020001", "420102")
    camera = {"kind": "camera_detection", "id": "C1", "time": "2026-10-03 08:00:00", "object": "car",
              "camera": "٤" * 20}  # Arabic-Indic digits are digits to str.isdigit(), not a device code  # fmt: skip
    assert _rejections([camera]) == [(0, "camera", "format")]


def test_every_field_is_bounded_before_it_is_parsed():
    events = [
        checkpoint_pass(1, "鄂A" + "1" * 20_000),
        {**checkpoint_pass(2, "鄂A12345"), "plate_color": {"nested": "object"}},
        {**checkpoint_pass(3, "鄂A12345"), "speed": float("inf")},
        {"kind": ["checkpoint_pass"], "id": "P4"},
        {**checkpoint_pass(5, "鄂A12345"), "x" * 5_000: 1},
    ]
    assert _rejections(events) == [
        (0, "plate", "too_long"),
        (1, "plate_color", "not_a_value"),
        (2, "speed", "format"),
        (3, "kind", "unknown_kind"),
        (4, "x" * 64, "unknown_field"),
    ]
    assert MAX_FIELD_CHARS >= 100  # the longest real field (a hotel name) still fits


def test_the_api_keeps_big_refused_events_small(platform):
    feed = platform.user("gateway", ["feed"], "420000")
    quarantine = platform.settings.events_dir / "quarantine.jsonl"
    events = [checkpoint_pass(n, "鄂A" + "9" * 20_000) for n in range(200)]  # 4 MB of plates
    result = platform.post_events(feed, events)
    assert result["accepted"] == 0 and {r["reason"] for r in result["rejected"]} == {"too_long"}
    kept = [json.loads(line) for line in quarantine.read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 200 and all(k["reason"] == "too_long" and k["by"] == "gateway" for k in kept)
    assert kept[0]["event"]["plate"].endswith("…[20002 chars]")
    assert quarantine.stat().st_size < 200 * 1_000  # was 200 × 20 kB = 4 MB


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _refused(n: int, start: int = 0) -> list[dict]:
    return [{"index": i, "reason": "format", "field": "plate", "by": "gw", "received_at": 1.0,
             "event": {"kind": "checkpoint_pass", "plate": "x" * 1000}} for i in range(start, start + n)]  # fmt: skip


def test_the_quarantine_is_capped_per_minute_and_counts_what_it_refused(tmp_path):
    clock = _Clock()
    path = tmp_path / "quarantine.jsonl"
    quarantine = Quarantine(path, bytes_per_minute=10_000, max_bytes=10**9, clock=clock)
    first = quarantine.keep(_refused(100))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert 0 < first.written < 100 and first.written + first.dropped == 100
    assert len(lines) == first.written + 1 and path.stat().st_size <= 10_000 + 500
    assert all(len(line["event"]["plate"]) <= MAX_KEPT_CHARS + 20 for line in lines[:-1])
    assert lines[-1] == {"over_cap": True, "dropped": first.dropped, "reasons": {"plate.format": first.dropped},
                         "received_at": 1.0, "by": "gw"}  # fmt: skip
    assert quarantine.keep(_refused(5)).written == 0 and quarantine.dropped == first.dropped + 5
    clock.now += 60  # a new minute: written again
    assert quarantine.keep(_refused(5)).written == 5


def test_the_quarantine_never_grows_past_its_size(tmp_path):
    path = tmp_path / "quarantine.jsonl"
    quarantine = Quarantine(path, bytes_per_minute=10**9, max_bytes=20_000, clock=_Clock())
    for _ in range(20):
        quarantine.keep(_refused(50))
    # Only the one-line summaries of each refused batch come after the cap is reached.
    assert path.stat().st_size <= 20_000 + 20 * 200
    assert quarantine.dropped > 900


def test_control_characters_are_refused():
    # A NUL in a hotel name once accepted would be an event PostgreSQL cannot store: refused at the door.
    stay = {"kind": "hotel_stay", "id": "H1", "time": "2026-10-03 08:00:00", "hotel": "91420111MA4K12345H",
            "hotel_name": "东湖\x00宾馆", "id_number": "420111199001011237", "name": "张伟"}  # fmt: skip
    assert _rejections([stay, {**checkpoint_pass(2, "鄂A12345"), "plate_color": "\x1b"}]) == [
        (0, "hotel_name", "control_character"),
        (1, "plate_color", "control_character"),
    ]
