"""``POST /api/events``: the caller is checked before the body is read, and the batch is parsed and validated
on the intake's own low-priority threads, never on the event loop every other request waits on."""

from __future__ import annotations

import threading

from alerts_support import checkpoint_pass

from policecloud.apps.alerts import routes
from policecloud.apps.alerts.routes import INTAKE, MAX_BATCH


def test_a_batch_is_validated_on_the_intake_threads(platform, monkeypatch):
    feed = platform.user("gateway", ["feed"], "420000")
    threads: list[str] = []
    real = routes.validate

    def watched(events):
        threads.append(threading.current_thread().name)
        return real(events)

    monkeypatch.setattr(routes, "validate", watched)
    result = platform.post_events(feed, [checkpoint_pass(1, "鄂A12345"), checkpoint_pass(2, "not a plate")])
    assert result["accepted"] == 1 and [r["field"] for r in result["rejected"]] == ["plate"]
    assert len(threads) == 1 and threads[0].startswith(INTAKE.name)


def test_a_body_that_is_not_a_batch_gets_a_clear_422(platform):
    feed = platform.user("gateway", ["feed"], "420000")
    post = platform.client.post
    for body in (b"{not json", b"[1, 2]", b'{"events": "none"}', b'{"events": [1]}', b""):
        response = post("/api/events", content=body, headers={**feed, "content-type": "application/json"})
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == "invalid_request"
    too_many = {"events": [checkpoint_pass(n, "鄂A12345") for n in range(MAX_BATCH + 1)]}
    response = post("/api/events", json=too_many, headers=feed)
    assert response.status_code == 422 and "events" in response.json()["message"]


def test_the_caller_is_refused_before_the_body_is_parsed(platform, monkeypatch):
    parsed: list[bytes] = []
    real = routes._accept_batch
    monkeypatch.setattr(routes, "_accept_batch", lambda raw, access: parsed.append(raw) or real(raw, access))
    analyst = platform.user("analyst", ["analyst"], "420111")
    for headers in ({}, analyst):
        response = platform.client.post("/api/events", content=b"{not json", headers=headers)
        assert response.status_code in (401, 403), response.text
    assert parsed == []
