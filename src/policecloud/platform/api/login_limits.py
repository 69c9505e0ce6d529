"""Login rate limits: per client address and per account name, in memory, answered with 429 before Argon2 runs.

A loop of logins for unknown users made the server spend an Argon2 verification on each (0.1–0.2 s of CPU);
the lockout only ever counted attempts on existing accounts. Here each ``POST /api/auth/login`` first counts
against its client address, then against the account name in its body; past ``login_limit_per_client`` or
``login_limit_per_account`` attempts in the current window (``login_limit_window_seconds``) it is answered
429 with ``Retry-After`` (the seconds left in the window) and never reaches the login. An attempt counts from
the moment it arrives (so concurrent ones count too) and is given back when it succeeds: many officers behind
one address who log in correctly never use up its budget. Counters are fixed
windows kept per process, at most ``MAX_KEYS`` keys per kind (the oldest forgotten first), so memory stays
bounded whatever names and addresses a flood uses. Several server processes each count on their own.

A refusal is answered after ``login_refusal_delay_seconds`` (1 s; an asynchronous wait, no thread or CPU held):
a client that waits for each answer — every browser, most scripts — then sends at most one attempt per second
per connection, instead of hundreds of cheap refusals a second that would still cost the server its CPU.

Refusals are audited without letting the audit log flood in turn: one ``auth.login_failed`` entry (reason
``rate_limited_client`` / ``rate_limited_account``) for the first refusal of a key in a window, none for the
rest of that window.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import FastAPI

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError
from policecloud.platform.api.body_limit import Message, Receive, Scope, Send
from policecloud.platform.config import Settings

LOGIN_PATH = "/api/auth/login"
MAX_KEYS = 10_000


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(LoginRateLimit, settings=settings)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds to the end of the window, when refused
    first_refusal: bool = False  # the first refusal of this key in this window: the one that is audited


class WindowLimiter:
    """At most ``limit`` hits per key in each fixed window of ``window_seconds``; ``now`` is passed in."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._counts: OrderedDict[str, list[int]] = OrderedDict()  # key -> [window number, hits, refusals]

    def __len__(self) -> int:
        return len(self._counts)

    def give_back(self, key: str, now: float) -> None:
        """Uncount one hit of ``key`` in the current window (an attempt that succeeded)."""
        state = self._counts.get(key)
        if state is not None and state[0] == math.floor(now / self.window) and state[1] > 0:
            state[1] -= 1

    def hit(self, key: str, now: float) -> Verdict:
        window = math.floor(now / self.window)
        state = self._counts.get(key)
        if state is None or state[0] != window:
            state = [window, 0, 0]
        self._counts[key] = state
        self._counts.move_to_end(key)
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        if state[1] < self.limit:
            state[1] += 1
            return Verdict(True)
        state[2] += 1
        retry_after = max(1, math.ceil((window + 1) * self.window - now))
        return Verdict(False, retry_after, first_refusal=state[2] == 1)


def too_many(retry_after: int) -> AccessError:
    return AccessError(
        429,
        "too_many_logins",
        f"Too many login attempts; try again in {retry_after} second(s).",
        f"登录尝试过于频繁，请{retry_after}秒后再试。",
    )


class LoginRateLimit:
    """ASGI middleware applying both limits to ``POST /api/auth/login``; everything else passes untouched."""

    def __init__(self, app: Any, settings: Settings, clock: Callable[[], float] | None = None) -> None:
        self.app = app
        self._clock = clock  # seconds; by default the application's clock (app.state.clock), so tests move it
        self.delay = settings.login_refusal_delay_seconds
        window = settings.login_limit_window_seconds
        self.by_client = WindowLimiter(settings.login_limit_per_client, window)
        self.by_account = WindowLimiter(settings.login_limit_per_account, window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        clock = self._clock or _app_seconds(scope)
        client = scope["client"][0] if scope.get("client") else ""
        verdict = self.by_client.hit(client, clock())
        if not verdict.allowed:
            await self._refuse(scope, send, verdict, client, "", "rate_limited_client")
            return
        body, receive = await _read_body(receive)
        username = _username(body)
        account = username.casefold() if username is not None else None
        if account is not None:
            verdict = self.by_account.hit(account, clock())
            if not verdict.allowed:
                self.by_client.give_back(client, clock())  # refused here, not an attempt at a password
                await self._refuse(scope, send, verdict, client, username or "", "rate_limited_account")
                return
        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        if status == 200:  # logged in: the attempt is given back
            self.by_client.give_back(client, clock())
            if account is not None:
                self.by_account.give_back(account, clock())

    async def _refuse(self, scope: Scope, send: Send, verdict: Verdict, client: str, username: str, why: str) -> None:
        error = too_many(verdict.retry_after)
        if self.delay > 0:
            await anyio.sleep(self.delay)
        if verdict.first_refusal:
            try:
                await anyio.to_thread.run_sync(_record, scope["app"].state, username, client, why)
            except AccessError as failed:  # the refusal could not be recorded: say so instead
                error = failed
        body = json.dumps({**error.body(), "retry_after_seconds": verdict.retry_after}, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if error.status == 429:
            headers.append((b"retry-after", str(verdict.retry_after).encode()))
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _app_seconds(scope: Scope) -> Callable[[], float]:
    state = scope["app"].state if "app" in scope else None
    app_clock = getattr(state, "clock", None)
    if app_clock is None:
        return time.time
    return lambda: app_clock().timestamp()


def _record(state: Any, username: str, client: str, why: str) -> None:
    from policecloud.platform.api.policy import audit_writer

    now = state.clock() if getattr(state, "clock", None) else datetime.now(UTC)
    entry = audit.prepare(ev.LoginFailed(username, why), audit.Actor(username or "anonymous", client), now)
    audit_writer(state).append([entry])


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (its size is bounded by policecloud.platform.api.body_limit, outside) and a receive replaying
    it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replayed


def _username(body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # the login route answers 422
    name = value.get("username") if isinstance(value, dict) else None
    return name if isinstance(name, str) else None
