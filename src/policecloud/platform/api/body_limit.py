"""Request bodies are bounded before anything parses them: 413 past the limit, counted as the bytes arrive.

Without this, FastAPI read and parsed any body before a route's checks ran: a 210 MB body to ``POST
/api/events`` without credentials took the server from 260 MiB to 3.5 GiB before answering 401. This ASGI
middleware sits outside the application: it refuses a declared ``Content-Length`` over the limit at once, and
otherwise receives the body itself, counting bytes (chunked bodies too, which declare no length), and answers
413 as soon as the count passes the limit; the application then gets the body it has read, replayed.
The default limit is ``settings.max_body_bytes``; a route that needs more is named with its own limit.

FastAPI 0.165 / Starlette 1.10 also offer ``max_body_size`` (app, router or route): it counts inside the
application's middleware stack, so it would not bound what an outer middleware reads first (the login rate
limiter reads the login body), and its 413 says "Content Too Large" in English only. This one sits outside
them all, keeps the limits in the settings in one table, and answers in the platform's JSON with a Chinese
message.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI

from policecloud.platform.config import Settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def install(app: FastAPI, settings: Settings) -> None:
    """Bound every request body; the event intake and the device registry load take large batches."""
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        routes={
            ("POST", "/api/events"): settings.max_event_batch_bytes,  # up to 5,000 events
            ("PUT", "/api/map/devices"): settings.max_device_load_bytes,  # up to 50,000 devices
        },
    )


class BodyLimit:
    def __init__(self, app: Any, default: int, routes: Mapping[tuple[str, str], int] | None = None) -> None:
        self.app = app
        self.default = default
        self.routes = dict(routes or {})

    def limit_for(self, scope: Scope) -> int:
        return self.routes.get((scope["method"], scope["path"].rstrip("/") or "/"), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # not a number: counted as it arrives like a body without a length
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as the server's own receive would

    return replayed


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": "body_too_large",
            "message": f"The request body is larger than this route accepts ({limit:,} bytes).",
            "message_zh": f"请求体超过该接口允许的大小（{limit:,} 字节）。",
            "limit_bytes": limit,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
