"""Request bodies are bounded before they are parsed (issue 13, finding 2): 413 as soon as the count passes the
limit, for a declared length and for a streamed body without one; the application never sees such a body."""

from __future__ import annotations

import asyncio

from api_support import Platform

from policecloud.platform.api.body_limit import BodyLimit


class _Recorder:
    """An ASGI app that records whether it was called, and a client streaming chunks that counts what was read."""

    def __init__(self, chunks: int, chunk_bytes: int, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.called = False
        self.pulled = 0
        self.chunks = chunks
        self.chunk = b"x" * chunk_bytes
        self.sent: list[dict] = []
        self.scope = {"type": "http", "method": "POST", "path": "/api/events", "headers": headers or []}

    async def app(self, scope, receive, send) -> None:
        self.called = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive(self) -> dict:
        self.pulled += 1
        return {"type": "http.request", "body": self.chunk, "more_body": self.pulled < self.chunks}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def run(self, limit: int, routes=None) -> int:
        asyncio.run(BodyLimit(self.app, default=limit, routes=routes)(self.scope, self.receive, self.send))
        return self.sent[0]["status"]


def test_a_streamed_body_without_length_is_refused_when_the_count_passes_the_limit():
    client = _Recorder(chunks=1000, chunk_bytes=1024)  # 1 MB offered, no Content-Length
    assert client.run(limit=10 * 1024) == 413
    assert not client.called  # nothing parsed it
    assert client.pulled == 11  # read no further than the limit
    assert b"body_too_large" in client.sent[1]["body"]


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    client = _Recorder(chunks=1, chunk_bytes=10, headers=[(b"content-length", b"999999999")])
    assert client.run(limit=1024) == 413
    assert client.pulled == 0 and not client.called


def test_a_body_within_the_limit_reaches_the_app_whole():
    client = _Recorder(chunks=4, chunk_bytes=1000)
    assert client.run(limit=1024, routes={("POST", "/api/events"): 8000}) == 202  # the route's own limit
    assert client.called


def test_the_api_answers_413_in_json_before_authentication(store_engine, clock):
    platform = Platform(store_engine, clock, max_body_bytes=4096, max_event_batch_bytes=64 * 1024)

    def stream():  # a generator body: sent chunked, without Content-Length
        for _ in range(200):
            yield b'{"events": [' + b"1," * 500

    response = platform.client.post("/api/events", content=stream(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "body_too_large" and body["message_zh"]
    small = platform.client.post("/api/auth/login", content=b"x" * 5000, headers={"content-type": "application/json"})
    assert small.status_code == 413  # the default limit elsewhere
    within = platform.client.post("/api/events", json={"events": []})
    assert within.status_code == 401  # under the intake's limit: the route's own checks answer
    devices = [{"code": f"D{i:05d}", "kind": "camera", "name": "摄像头", "county_code": "420111"} for i in range(200)]
    loaded = platform.client.put("/api/map/devices", json={"devices": devices})  # ~16 kB: over the default
    assert loaded.status_code == 401  # the device registry load has its own, larger limit
