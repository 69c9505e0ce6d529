"""Audit event types of early warning (listed in the app; the audit log records them like the core's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from policecloud.platform.access.events import AuditEvent


@dataclass(frozen=True)
class WatchlistEntryAdded(AuditEvent):
    name: ClassVar[str] = "watchlist.add"
    entry_id: int
    kind: str
    value: str
    reason: str
    jurisdiction_code: str
    valid_from: str
    valid_until: str | None
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class WatchlistEntryRemoved(AuditEvent):
    name: ClassVar[str] = "watchlist.remove"
    entry_id: int
    kind: str
    value: str
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class GeofenceAdded(AuditEvent):
    name: ClassVar[str] = "geofence.add"
    geofence_id: int
    fence_name: str
    jurisdiction_code: str
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class GeofenceRemoved(AuditEvent):
    name: ClassVar[str] = "geofence.remove"
    geofence_id: int
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class AlertHandled(AuditEvent):
    """A lifecycle step: acknowledge, close, assign or note."""

    name: ClassVar[str] = "alert.handle"
    alert_id: int
    action: str
    status: str
    details: dict[str, Any]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class AlertStreamOpened(AuditEvent):
    name: ClassVar[str] = "alert.stream"
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
    scope: list[str]


@dataclass(frozen=True)
class AlertsPushed(AuditEvent):
    """Alerts sent over an open stream, written before they are sent: the stream's viewer saw these alerts."""

    name: ClassVar[str] = "alert.push"
    alert_ids: list[int]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class AlertStreamClosed(AuditEvent):
    """The server closed a stream because its session, account, permission or purpose no longer holds."""

    name: ClassVar[str] = "alert.stream_closed"
    reason: str
    code: int


@dataclass(frozen=True)
class DevicesLoaded(AuditEvent):
    name: ClassVar[str] = "map.devices"
    count: int
