"""WS /api/alerts/stream: alerts reach the viewers whose jurisdiction and role allow them, masked as needed."""

from __future__ import annotations

import pytest
from alerts_support import PURPOSE, checkpoint_pass
from starlette.websockets import WebSocketDisconnect


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def setup(platform):
    feed = platform.user("gateway", ["feed"], "420000")
    investigator = platform.user("li.inv", ["investigator"], "420000")
    for plate, code in (("鄂A12345", "420111"), ("鄂E54321", "420502")):
        body = {"kind": "vehicle", "value": plate, "reason": "被盗抢车辆", "jurisdiction_code": code,
                "valid_from": "2026-10-01T00:00:00+08:00"}  # fmt: skip
        response = platform.client.post("/api/watchlists", params={"purpose": PURPOSE}, json=body, headers=investigator)
        assert response.status_code == 201, response.text
    return feed


def _hello(ws, headers, purpose=PURPOSE):
    ws.send_json({"token": _token(headers), "purpose": purpose})
    return ws.receive_json()


def test_viewers_get_alerts_of_their_jurisdiction_only(platform, setup):
    inside = platform.user("wang.disp", ["dispatcher"], "420111")
    outside = platform.user("zhao.disp", ["dispatcher"], "420502")
    with (
        platform.client.websocket_connect("/api/alerts/stream") as ws_in,
        platform.client.websocket_connect("/api/alerts/stream") as ws_out,
    ):
        assert _hello(ws_in, inside)["topic"] == "ready"
        assert _hello(ws_out, outside)["topic"] == "ready"
        platform.post_events(setup, [checkpoint_pass(1, "鄂A12345")])  # 洪山区 checkpoint
        platform.post_events(setup, [checkpoint_pass(2, "鄂E54321", checkpoint="4205020001")])  # 西陵区
        first_in = ws_in.receive_json()
        first_out = ws_out.receive_json()  # the Hongshan alert never reached the Xiling viewer
    assert (first_in["topic"], first_in["subject"], first_in["new"]) == ("alert", "鄂A12345", True)
    assert first_in["accepted_at"] > 0
    assert (first_out["subject"], first_out["jurisdiction_code"]) == ("鄂E54321", "420502")
    opened = platform.audit_events("alert.stream")
    assert [e["actor"] for e in opened] == ["wang.disp", "zhao.disp"] and opened[0]["purpose"]["kind"] == "incident"


def test_lifecycle_changes_are_pushed_too(platform, setup):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _hello(ws, viewer)
        platform.post_events(setup, [checkpoint_pass(1, "鄂A12345")])
        alert = ws.receive_json()
        platform.client.post(f"/api/alerts/{alert['id']}/acknowledge", params={"purpose": PURPOSE}, json={},
                             headers=viewer)  # fmt: skip
        changed = ws.receive_json()
    assert (changed["id"], changed["status"], changed["new"]) == (alert["id"], "acknowledged", False)


@pytest.mark.parametrize(
    ("roles", "purpose", "error"),
    [(["feed"], PURPOSE, "forbidden"), (["citizen"], PURPOSE, "forbidden"), (["dispatcher"], "", "purpose_required")],
)
def test_the_stream_refuses_roles_without_alerts_and_missing_purposes(platform, roles, purpose, error):
    headers = platform.user("someone", roles, "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        reply = _hello(ws, headers, purpose)
        assert reply["topic"] == "error" and reply["error"] == error and reply["message_zh"]
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_the_stream_needs_a_valid_session(platform):
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        ws.send_json({"token": "nonsense", "purpose": PURPOSE})
        assert ws.receive_json()["topic"] == "error"
