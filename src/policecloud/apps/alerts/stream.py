"""``WS /api/alerts/stream``: new and changed alerts pushed to the viewer as they happen.

The handshake is refused (close 4403 before accept, an HTTP 403) when a browser opens it from another origin
than the server's own or one listed in ``Settings.alert_stream_origins``: the session cookie would otherwise let
any web page a logged-in officer visits read the alerts. Clients that send no Origin (not browsers) are let
through; they authenticate with the hello like everyone else.

The first message from the client authenticates it: ``{"token": "...", "purpose": "..."}`` (the session
cookie works too, then only the purpose is needed). The viewer must hold ``alerts.read``; what it receives
is limited to its jurisdiction scope and masked as its roles require (see push.py). Opening the stream is
audited with its purpose, like any read of personal data.

A stream lives no longer than its session: before every batch of alerts is sent, and every
``alert_stream_recheck_seconds`` while idle, the session is checked again (logout, idle expiry, disabled
account, lost permission, purpose no longer valid) and the viewer's principal refreshed (roles and
jurisdictions may have changed). The check does not count as activity: an open map does not keep an idle
session alive. Each batch is audited (``alert.push``, the alert ids) before it is sent.

Close codes: 4400 a malformed hello (not JSON, not an object, too large, wrong types, no purpose), 4401 no
session or it ended, 4403 forbidden (no permission, account disabled, foreign origin). Each is preceded by an
``{"topic": "error", ...}`` message with English and Chinese text, and the close reason names the error.
WebSocket routes are not in the HTTP permission matrix; tests/alerts/test_alerts_push.py and
tests/alerts/test_alerts_stream_session.py cover this route's rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts.push import Viewer, shown_to
from policecloud.apps.alerts.routes import service_of
from policecloud.platform.access import audit
from policecloud.platform.access.auth import authenticate
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.errors import AccessError
from policecloud.platform.access.events import AuditEvent
from policecloud.platform.access.principal import Principal
from policecloud.platform.access.purpose import Purpose, parse_purpose
from policecloud.platform.api.policy import SESSION_COOKIE, audit_writer

router = APIRouter(tags=["alerts"])
HELLO_TIMEOUT_S = 10.0
MAX_TOKEN_CHARS = 512
MAX_BATCH = 200  # alerts sent (and audited) together at most
_NEVER_S = 10**9


def _bad_hello(en: str, zh: str) -> AccessError:
    return AccessError(400, "bad_hello", en, zh)


_CLOSE_CODES = {400: 4400, 401: 4401, 403: 4403}


def close_code(error: AccessError) -> int:
    """4400 / 4401 / 4403 for the client's errors; 1011 (server error) when the server cannot go on (the audit
    log could not record a batch: it is not sent)."""
    return 1011 if error.status >= 500 else _CLOSE_CODES.get(error.status, 4400)


def origin_allowed(websocket: WebSocket, allowed: tuple[str, ...]) -> bool:
    """The handshake's Origin is the server's own (same host and port) or listed; no Origin: not a browser."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    host = (websocket.headers.get("host") or "").lower()
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host


@dataclass(frozen=True)
class Hello:
    token: str | None
    purpose_text: str


def parse_hello(message: dict[str, Any], max_bytes: int) -> Hello:
    """The hello as sent, checked for shape only (authentication comes after); AccessError 400 if malformed."""
    text = message.get("text")
    if not isinstance(text, str):
        raise _bad_hello("The first message must be JSON text.", "首条消息须为JSON文本。")
    if len(text.encode("utf-8")) > max_bytes:
        raise _bad_hello(f"The first message is longer than {max_bytes} bytes.", f"首条消息超过{max_bytes}字节。")
    try:
        hello = json.loads(text)
    except ValueError:
        raise _bad_hello("The first message is not valid JSON.", "首条消息不是有效的JSON。") from None
    if not isinstance(hello, dict):
        raise _bad_hello(
            'The first message must be an object: {"token": "…", "purpose": "…"}.',
            '首条消息须为对象：{"token": "…", "purpose": "…"}。',
        )
    token, purpose = hello.get("token"), hello.get("purpose")
    if token is not None and (not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS):
        raise _bad_hello("'token' must be a session token (text).", "'token' 须为会话令牌（文本）。")
    if purpose is not None and not isinstance(purpose, str):
        raise _bad_hello("'purpose' must be text.", "'purpose' 须为文本。")
    parse_purpose(purpose)  # missing or invalid: 400 with what to give
    return Hello(token or None, purpose or "")


class StreamSession:
    """One stream's session: checked when opened, before each batch and on the idle timer."""

    def __init__(self, websocket: WebSocket, hello: Hello) -> None:
        self.state = websocket.app.state
        # authenticate() writes the last-seen time once it is older than session_touch_seconds; a stream is no
        # activity of the user, so its checks run with a touch interval longer than any session lives.
        self.settings = self.state.settings.with_(session_touch_seconds=_NEVER_S)
        self.token = hello.token or websocket.cookies.get(SESSION_COOKIE)
        self.purpose_text = hello.purpose_text
        self.client = websocket.client.host if websocket.client else ""
        self.principal: Principal | None = None
        self.purpose: Purpose | None = None
        self.context: RequestContext | None = None  # the same context an HTTP route gets, rebuilt at each check

    def check(self) -> Principal:
        """The principal as the store says now; AccessError if the session, account or permission no longer
        holds. The session's last-seen time is left as it was: watching the stream keeps no session alive."""
        with self.state.sessionmaker() as db:
            try:
                principal = authenticate(db, self.settings, self.state.clock(), self.token)
            finally:
                db.rollback()
        if not principal.can("alerts.read"):
            raise AccessError(403, "forbidden", "You may not view alerts.", "您无权查看预警。")
        self.purpose = parse_purpose(self.purpose_text)
        self.principal = principal
        self.context = RequestContext.of(principal, self.purpose, self.client, "websocket")
        return principal

    def _append(self, event: AuditEvent) -> None:
        """Through the process's audit writer (group commit with the reads); durable when it returns."""
        assert self.context is not None
        entry = audit.prepare(self.context.stamp(event), self.context.actor, self.state.clock())
        audit_writer(self.state).append([entry])

    def open(self) -> Principal:
        principal = self.check()
        self._append(aev.AlertStreamOpened(list(principal.scope.prefixes)))
        return principal

    def before_sending(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Check the session, keep what the principal as it is now may see (masked as its roles say now), and
        record which alerts the viewer is about to see."""
        principal = self.check()
        shown = [_as_shown(principal, m) for m in batch if _still_allowed(principal, m)]
        ids = [m["id"] for m in shown if m.get("topic") == "alert" and "id" in m]
        if ids:
            self._append(aev.AlertsPushed(ids))
        return shown

    def closed_by_server(self, error: AccessError) -> None:
        if self.principal is None or error.status >= 500:  # the audit log itself failed: nothing more to record
            return
        with contextlib.suppress(AccessError):  # the audit log failed meanwhile: the stream closes all the same
            self._append(aev.AlertStreamClosed(error.code, close_code(error)))


async def _refuse(websocket: WebSocket, error: AccessError) -> None:
    try:
        await websocket.send_json({"topic": "error", **error.body()})
        await websocket.close(code=close_code(error), reason=error.code)
    except (WebSocketDisconnect, RuntimeError, OSError):  # the client went away meanwhile
        pass


async def _until_client_leaves(websocket: WebSocket) -> None:
    """Read and ignore whatever the client sends after the hello; return when it disconnects."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError, OSError):  # the connection is gone however it went
        return


@router.websocket("/api/alerts/stream")
async def alert_stream(websocket: WebSocket) -> None:
    settings = websocket.app.state.settings
    if not origin_allowed(websocket, settings.alert_stream_origins):
        await websocket.close(code=4403, reason="origin_not_allowed")  # before accept: the handshake fails
        return
    await websocket.accept()
    try:
        message = await asyncio.wait_for(websocket.receive(), HELLO_TIMEOUT_S)
        if message["type"] == "websocket.disconnect":
            return
        session = StreamSession(websocket, parse_hello(message, settings.alert_stream_hello_max_bytes))
        principal = await asyncio.to_thread(session.open)
    except AccessError as error:
        await _refuse(websocket, error)
        return
    except TimeoutError:
        await _refuse(websocket, _bad_hello("No hello came in time.", "未及时收到首条消息。"))
        return
    hub = service_of(websocket.app).hub
    viewer = hub.subscribe(principal, asyncio.get_running_loop())
    client = asyncio.create_task(_until_client_leaves(websocket))
    try:
        await websocket.send_json({"topic": "ready", "user": principal.username})
        await _serve(websocket, session, viewer, client, max(0.05, settings.alert_stream_recheck_seconds))
    except AccessError as error:
        await asyncio.to_thread(session.closed_by_server, error)
        await _refuse(websocket, error)
    except (WebSocketDisconnect, RuntimeError, OSError):  # sending to a client that is gone
        pass
    finally:
        hub.unsubscribe(viewer)
        client.cancel()


async def _serve(
    websocket: WebSocket, session: StreamSession, viewer: Viewer, client: asyncio.Task, recheck_s: float
) -> None:
    """Send what the hub queues for this viewer, each batch after a session check, until the client leaves;
    re-check on the timer while nothing comes. Raises AccessError when the session no longer holds."""
    while True:
        getter = asyncio.create_task(viewer.queue.get())
        done, _ = await asyncio.wait({getter, client}, timeout=recheck_s, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if client in done:
                return
            viewer.principal = await asyncio.to_thread(session.check)
            continue
        batch = [getter.result()]
        while len(batch) < MAX_BATCH and not viewer.queue.empty():
            batch.append(viewer.queue.get_nowait())
        shown = await asyncio.to_thread(session.before_sending, batch)
        viewer.principal = session.principal or viewer.principal
        for message in shown:
            await websocket.send_json(message)


def _still_allowed(principal: Principal, message: dict[str, Any]) -> bool:
    """A queued alert is sent only if the refreshed principal still may see it (its scope may have shrunk)."""
    if message.get("topic") != "alert":
        return True
    codes = (message.get("jurisdiction_code"), message.get("owner_jurisdiction"))
    return principal.can("alerts.read") and any(c and principal.scope.covers(c) for c in codes)


def _as_shown(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
    return shown_to(principal, message) if message.get("topic") == "alert" else message
