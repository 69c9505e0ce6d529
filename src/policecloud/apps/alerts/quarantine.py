"""The intake's quarantine (``<events_dir>/quarantine.jsonl``): refused events with their reasons, bounded.

Nothing received is silently dropped — but one client must not be able to fill the disk through it either
(5,000 events with 20 kB plates once added 98 MB in 2 s). So:

- each kept event is *clipped*: at most :data:`MAX_KEPT_FIELDS` fields, names and values cut to
  :data:`MAX_KEPT_CHARS` characters (a cut value says how long it was) — the reason is always kept whole;
- the file grows by at most ``bytes_per_minute`` per minute and never past ``max_bytes``; refused events
  beyond that are not written one by one but *counted*: one summary line per batch names how many were
  refused beyond the cap and for which reasons (and :attr:`Quarantine.dropped` keeps the running total).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policecloud.platform.durable import fsync_file

MAX_KEPT_CHARS = 200
MAX_KEPT_FIELDS = 16
BYTES_PER_MINUTE = 8 * 2**20
MAX_BYTES = 256 * 2**20


def clip(value: Any) -> Any:
    """A refused event as kept: small whatever was sent (values and field names cut, few fields)."""
    if isinstance(value, dict):
        items = list(value.items())
        out = {_clip_text(str(k)): _clip_scalar(v) for k, v in items[:MAX_KEPT_FIELDS]}
        if len(items) > MAX_KEPT_FIELDS:
            out["…"] = f"{len(items) - MAX_KEPT_FIELDS} more fields not kept"
        return out
    return _clip_scalar(value)


def _clip_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clip_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


def _clip_text(text: str) -> str:
    if len(text) <= MAX_KEPT_CHARS:
        return text
    return f"{text[:MAX_KEPT_CHARS]}…[{len(text)} chars]"


@dataclass
class Kept:
    written: int  # refused events written with their reasons
    dropped: int  # refused events beyond the cap (counted in the summary line only)


class Quarantine:
    """Appends refused events to one JSON-lines file, fsynced, within a rate and a size cap (thread-safe)."""

    def __init__(
        self,
        path: Path,
        *,
        bytes_per_minute: int = BYTES_PER_MINUTE,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.bytes_per_minute = bytes_per_minute
        self.max_bytes = max_bytes
        self.clock = clock
        self.dropped = 0
        self._lock = threading.Lock()
        self._window_start = -float("inf")
        self._window_bytes = 0

    def keep(self, rejected: Sequence[dict[str, Any]]) -> Kept:
        """Write each rejection (its ``event`` clipped) while the caps allow; count the rest by reason."""
        with self._lock:
            now = self.clock()
            if now - self._window_start >= 60.0:
                self._window_start, self._window_bytes = now, 0
            size = self.path.stat().st_size if self.path.exists() else 0
            lines: list[str] = []
            over = Counter[str]()
            for record in rejected:
                line = json.dumps({**record, "event": clip(record.get("event"))}, ensure_ascii=False, default=str)
                cost = len(line.encode("utf-8")) + 1
                within = self._window_bytes + cost <= self.bytes_per_minute and size + cost <= self.max_bytes
                if within and not over:  # once over, the rest of the batch is counted (order kept)
                    lines.append(line)
                    self._window_bytes += cost
                    size += cost
                else:
                    over[f"{record.get('field', '')}.{record.get('reason', '')}".lstrip(".")] += 1
            if over:
                dropped = sum(over.values())
                self.dropped += dropped
                first = rejected[len(lines)]
                summary = {"over_cap": True, "dropped": dropped, "reasons": dict(over.most_common(20)),
                           "received_at": first.get("received_at"), "by": first.get("by")}  # fmt: skip
                lines.append(json.dumps(summary, ensure_ascii=False, default=str))
            if lines:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write("".join(line + "\n" for line in lines))
                    fsync_file(out)
            return Kept(len(lines) - (1 if over else 0), sum(over.values()))
