"""``WS /api/alerts/stream``: new and changed alerts pushed to the viewer as they happen.

The first message from the client authenticates it: ``{"token": "...", "purpose": "..."}`` (the session
cookie works too, then only the purpose is needed). The viewer must hold ``alerts.read``; what it receives
is limited to its jurisdiction scope and masked as its roles require (see push.py). Opening the stream is
audited with its purpose, like any read of personal data. WebSocket routes are not in the HTTP permission
matrix; tests/alerts/test_alerts_push.py covers this route's rules.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from policecloud.access import audit
from policecloud.access.auth import authenticate
from policecloud.access.errors import AccessError
from policecloud.access.purpose import parse_purpose
from policecloud.alerts import events as aev
from policecloud.alerts.routes import service_of
from policecloud.api.policy import SESSION_COOKIE

router = APIRouter(tags=["alerts"])
HELLO_TIMEOUT_S = 10.0


def _open(websocket: WebSocket, hello: dict) -> object:
    """Authenticate, authorize and audit; returns the principal or raises AccessError."""
    state = websocket.app.state
    token = hello.get("token") or websocket.cookies.get(SESSION_COOKIE)
    with state.sessionmaker() as db:
        now = state.clock()
        principal = authenticate(db, state.settings, now, token)
        if not principal.can("alerts.read"):
            raise AccessError(403, "forbidden", "You may not view alerts.", "您无权查看预警。")
        purpose = parse_purpose(hello.get("purpose"))
        client = websocket.client.host if websocket.client else ""
        audit.append(db, aev.AlertStreamOpened(purpose.as_dict(), list(principal.scope.prefixes)),
                     audit.Actor(principal.username, client), now)  # fmt: skip
        db.commit()
    return principal


@router.websocket("/api/alerts/stream")
async def alert_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        hello = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S))
        principal = await asyncio.to_thread(_open, websocket, hello if isinstance(hello, dict) else {})
    except AccessError as error:
        await websocket.send_json({"topic": "error", **error.body()})
        await websocket.close(code=4403 if error.status == 403 else 4401)
        return
    except (TimeoutError, ValueError, WebSocketDisconnect):
        await websocket.close(code=4400)
        return
    hub = service_of(websocket.app).hub
    viewer = hub.subscribe(principal, asyncio.get_running_loop())
    try:
        await websocket.send_json({"topic": "ready", "user": principal.username})
        receiver = asyncio.create_task(websocket.receive_text())
        while True:
            sender = asyncio.create_task(viewer.queue.get())
            done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:  # the client spoke or went away; it has nothing to say
                sender.cancel()
                receiver.result()
                receiver = asyncio.create_task(websocket.receive_text())
                continue
            await websocket.send_json(sender.result())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(viewer)
