"""Replay: stream a day of the synthetic province's events into the intake, paced at N× real time, so the
demo is alive. It is an ordinary HTTP client of the platform (a feed account), like a field gateway."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo


class FeedError(RuntimeError):
    pass


class FeedClient:
    """A keep-alive JSON client of one platform server."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FeedError(f"not a server URL: {url!r}")
        self.parts = parts
        self.timeout = timeout
        self.token = token
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.parts.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.parts.hostname, self.parts.port, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        for attempt in (1, 2):  # a keep-alive connection closed by the server is reopened once
            try:
                conn = self._connection()
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        if response.status >= 400:
            raise FeedError(f"{method} {path}: {response.status} {data[:300].decode(errors='replace')}")
        return json.loads(data) if data else None

    def login(self, username: str, password: str) -> None:
        reply = self.request("POST", "/api/auth/login", {"username": username, "password": password, "client": "api"})
        self.token = reply["token"]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class ReplayReport:
    sent: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


_SOURCE_ZONE = ZoneInfo("Asia/Shanghai")  # sources without an offset give the province's local time


def event_time(raw: dict[str, Any]) -> float:
    """A raw event's time as a POSIX timestamp (local province time when the source gives no offset)."""
    if not raw.get("time"):
        return 0.0
    when = datetime.fromisoformat(str(raw["time"]))
    return (when if when.tzinfo else when.replace(tzinfo=_SOURCE_ZONE)).timestamp()


def replay(
    client: FeedClient,
    events: Sequence[dict[str, Any]],
    speed: float,
    batch_size: int = 500,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[ReplayReport], None] | None = None,
) -> ReplayReport:
    """Post ``events`` (sorted by time) so that event time advances ``speed`` times faster than the wall
    clock (``speed`` 0: as fast as the server takes them), in batches of at most ``batch_size``."""
    report = ReplayReport()
    if not events:
        return report
    started = clock()
    first = event_time(events[0])
    i = 0
    while i < len(events):
        if speed > 0:
            due = started + (event_time(events[i]) - first) / speed
            wait = due - clock()
            if wait > 0:
                sleep(min(wait, 1.0))
                continue
            horizon = first + (clock() - started) * speed
            j = i
            while j < len(events) and j - i < batch_size and event_time(events[j]) <= horizon:
                j += 1
            j = max(j, i + 1)
        else:
            j = min(len(events), i + batch_size)
        reply = client.request("POST", "/api/events", {"events": list(events[i:j])})
        report.sent += j - i
        report.accepted += reply["accepted"]
        for rejection in reply["rejected"]:
            report.rejected[rejection["reason"]] = report.rejected.get(rejection["reason"], 0) + 1
        i = j
        if progress is not None:
            progress(report)
    report.seconds = clock() - started
    return report
