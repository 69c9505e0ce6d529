"""The tiny app's audit event: declared like the core's, listed in its App."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from policecloud.platform.access.events import AuditEvent


@dataclass(frozen=True)
class TinyPinged(AuditEvent):
    name: ClassVar[str] = "tiny.pinged"
    echo: str
