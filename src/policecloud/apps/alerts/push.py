"""The push hub: new and changed alerts (and, later, incidents) to every WebSocket viewer allowed to see them.

A viewer subscribes with its principal; a message reaches it only when the viewer holds the message's
permission and its jurisdiction scope covers one of the message's jurisdictions (where it happened, or the
jurisdiction owning the rule). Identifiers are masked as the viewer's roles require. Publishing is called
from the processing thread; delivery happens on the server's event loop through each viewer's queue.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from policecloud.platform.access.masking import MASKERS
from policecloud.platform.access.principal import Principal

QUEUE_LIMIT = 1000  # a viewer that falls this far behind loses the oldest messages, not the server


@dataclass(eq=False)
class Viewer:
    principal: Principal
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    dropped: int = 0

    def offer(self, message: dict[str, Any]) -> None:
        """Runs on the viewer's loop."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(message)


MASKED_SUBJECT = {"person": "id_number", "phone": "phone"}


def shown_to(principal: Principal, alert: dict[str, Any]) -> dict[str, Any]:
    """The alert as this viewer may see it: ID numbers and phones masked unless the role is granted them."""
    masked_field = MASKED_SUBJECT.get(alert.get("type", ""))
    if alert.get("type") == "geofence" and alert.get("event_kind") == "hotel_stay":
        masked_field = "id_number"
    if masked_field and masked_field not in principal.unmasked:
        return {**alert, "subject": MASKERS[masked_field](alert["subject"])}
    return alert


class PushHub:
    def __init__(self) -> None:
        self._viewers: set[Viewer] = set()
        self._lock = threading.Lock()

    def subscribe(self, principal: Principal, loop: asyncio.AbstractEventLoop) -> Viewer:
        viewer = Viewer(principal, loop)
        with self._lock:
            self._viewers.add(viewer)
        return viewer

    def unsubscribe(self, viewer: Viewer) -> None:
        with self._lock:
            self._viewers.discard(viewer)

    def viewers(self) -> int:
        with self._lock:
            return len(self._viewers)

    def publish(self, topic: str, permission: str, jurisdictions: Sequence[str], payload: dict[str, Any]) -> int:
        """Send ``payload`` under ``topic`` to every viewer allowed; returns how many it was sent to."""
        with self._lock:
            viewers = list(self._viewers)
        sent = 0
        for viewer in viewers:
            who = viewer.principal
            if not who.can(permission) or not any(who.scope.covers(code) for code in jurisdictions):
                continue
            body = shown_to(who, payload) if topic == "alert" else payload
            try:
                viewer.loop.call_soon_threadsafe(viewer.offer, {"topic": topic, **body})
            except RuntimeError:  # the viewer's loop is closed: it is going away
                continue
            sent += 1
        return sent

    def publish_alerts(self, alerts: Sequence[dict[str, Any]]) -> None:
        for alert in alerts:
            self.publish("alert", "alerts.read", [alert["jurisdiction_code"], alert["owner_jurisdiction"]], alert)
