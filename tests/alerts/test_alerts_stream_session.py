"""WS /api/alerts/stream lives no longer than its session, refuses malformed hellos with a 44xx close (never a
server error) and refuses browsers of other origins."""

from __future__ import annotations

import logging
import threading

import pytest
from alerts_support import PURPOSE, Platform, checkpoint_pass
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from policecloud.platform.store.models import User, UserRole


@pytest.fixture
def platform(store_engine, clock, tmp_path):
    """The stream re-checks every 0.05 s while idle (every push is checked anyway)."""
    with Platform(store_engine, clock, tmp_path / "data", alert_stream_recheck_seconds=0.05) as running:
        yield running


@pytest.fixture
def watched(platform):
    """鄂A12345 is on the Hongshan watchlist; returns a function that posts a pass of it (an alert)."""
    investigator = platform.user("li.inv", ["investigator"], "420000")
    body = {"kind": "vehicle", "value": "鄂A12345", "reason": "被盗抢车辆", "jurisdiction_code": "420111",
            "valid_from": "2026-10-01T00:00:00+08:00"}  # fmt: skip
    assert platform.client.post("/api/watchlists", params={"purpose": PURPOSE}, json=body,
                                headers=investigator).status_code == 201  # fmt: skip
    passes = iter(range(1, 1000))

    def alert() -> None:
        feed = platform.user(f"gateway{next(passes)}", ["feed"], "420000")  # a fresh session, whatever the clock
        platform.post_events(feed, [checkpoint_pass(next(passes), "鄂A12345", time="2026-10-03 08:00:00")])

    return alert


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _open(platform, ws, headers):
    ws.send_json({"token": _token(headers), "purpose": PURPOSE})
    assert ws.receive_json()["topic"] == "ready"


def _closed_with(ws) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code


def _set_user(platform, username: str, **values) -> None:
    with Session(platform.engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        for name, value in values.items():
            setattr(user, name, value)
        session.commit()


def test_alerts_reach_the_viewer_and_each_batch_is_audited_before_it_is_sent(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        watched()
        alert = ws.receive_json()
    assert alert["topic"] == "alert"
    pushed = platform.audit_events("alert.push")
    assert [(e["actor"], e["alert_ids"]) for e in pushed] == [("wang.disp", [alert["id"]])]
    assert pushed[0]["purpose"]["kind"] == "incident"


def test_after_logout_the_stream_closes_instead_of_pushing(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        assert platform.client.post("/api/auth/logout", headers=viewer).status_code == 200
        watched()
        message = ws.receive_json()
        assert (message["topic"], message["error"]) == ("error", "session_expired"), message
        assert _closed_with(ws) == 4401
    assert platform.audit_events("alert.push") == []
    (closed,) = platform.audit_events("alert.stream_closed")
    assert (closed["actor"], closed["reason"], closed["code"]) == ("wang.disp", "session_expired", 4401)


def test_a_disabled_account_loses_its_stream(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        _set_user(platform, "wang.disp", disabled=True)
        watched()
        message = ws.receive_json()
        assert (message["topic"], message["error"]) == ("error", "account_disabled"), message
        assert _closed_with(ws) == 4403


def test_idle_expiry_ends_the_stream_the_stream_itself_is_no_activity(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        platform.clock.advance(minutes=platform.settings.session_idle_minutes + 1)
        watched()
        message = ws.receive_json()
        assert (message["topic"], message["error"]) == ("error", "session_expired"), message
        assert _closed_with(ws) == 4401


def test_watching_the_stream_keeps_no_session_alive(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    idle = platform.settings.session_idle_minutes
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        platform.clock.advance(minutes=idle - 5)
        watched()  # checked at idle - 5 minutes: still valid, and not a sign of the user's activity
        assert ws.receive_json()["topic"] == "alert"
        platform.clock.advance(minutes=10)
        watched()
        message = ws.receive_json()
        assert (message["topic"], message["error"]) == ("error", "session_expired"), message
        assert _closed_with(ws) == 4401


def test_losing_the_permission_closes_the_stream(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        with Session(platform.engine) as session:
            user = session.execute(select(User).where(User.username == "wang.disp")).scalar_one()
            user.roles = [UserRole(role="feed")]
            session.commit()
        watched()
        message = ws.receive_json()
        assert (message["topic"], message["error"]) == ("error", "forbidden"), message
        assert _closed_with(ws) == 4403


def test_an_idle_stream_is_closed_by_the_timer_without_any_push(platform, watched):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        _open(platform, ws, viewer)
        assert platform.client.post("/api/auth/logout", headers=viewer).status_code == 200
        # Should the timer not close the stream, an alert arrives after a while and the assertion says so
        # (instead of the test waiting forever).
        fallback = threading.Timer(10.0, watched)
        fallback.start()
        try:
            message = ws.receive_json()
        finally:
            fallback.cancel()
        assert (message["topic"], message["error"]) == ("error", "session_expired"), message
        assert _closed_with(ws) == 4401


MALFORMED = [
    pytest.param('{"token": 123, "purpose": "incident:J4201112026000123"}', "bad_hello", id="token-not-text"),
    pytest.param('{"token": ["a"], "purpose": "incident:J4201112026000123"}', "bad_hello", id="token-list"),
    pytest.param('{"token": "x", "purpose": 5}', "bad_hello", id="purpose-not-text"),
    pytest.param("hello", "bad_hello", id="not-json"),
    pytest.param("[1, 2]", "bad_hello", id="not-an-object"),
    pytest.param("null", "bad_hello", id="null"),
    pytest.param('{"token": "' + "x" * 10_000 + '"}', "bad_hello", id="oversized"),
    pytest.param('{"token": "' + "x" * 600 + '", "purpose": "' + PURPOSE + '"}', "bad_hello", id="long-token"),
    pytest.param("{}", "purpose_required", id="no-purpose"),
]


@pytest.mark.parametrize(("hello", "error"), MALFORMED)
def test_a_malformed_hello_closes_with_4400_and_no_server_error(platform, hello, error, caplog):
    with caplog.at_level(logging.WARNING), platform.client.websocket_connect("/api/alerts/stream") as ws:
        ws.send_text(hello)
        reply = ws.receive_json()
        assert (reply["topic"], reply["error"]) == ("error", error) and reply["message_zh"] and reply["message"]
        assert _closed_with(ws) == 4400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_binary_hello_and_a_missing_purpose_with_a_valid_token_are_refused_too(platform):
    viewer = platform.user("wang.disp", ["dispatcher"], "420111")
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        ws.send_bytes(b'{"token": "x"}')
        assert ws.receive_json()["error"] == "bad_hello"
        assert _closed_with(ws) == 4400
    with platform.client.websocket_connect("/api/alerts/stream") as ws:
        ws.send_json({"token": _token(viewer)})
        assert ws.receive_json()["error"] == "purpose_required"
        assert _closed_with(ws) == 4400
    assert platform.audit_events("alert.stream") == []


def test_browsers_of_other_origins_are_refused_at_the_handshake(store_engine, clock, tmp_path):
    listed = "https://map.police.example"
    with Platform(store_engine, clock, tmp_path / "data", alert_stream_origins=(listed,)) as platform:
        viewer = platform.user("wang.disp", ["dispatcher"], "420111")
        for origin in ("https://evil.example", "null", "https://testserver.evil.example"):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                platform.client.websocket_connect("/api/alerts/stream", headers={"origin": origin}),
            ):
                pass
            assert refused.value.code == 4403, origin
        for origin in ("https://testserver", listed):
            with platform.client.websocket_connect("/api/alerts/stream", headers={"origin": origin}) as ws:
                _open(platform, ws, viewer)
