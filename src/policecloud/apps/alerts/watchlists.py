"""Watchlists (布控名单): persons by ID number, vehicles by plate, phones by number; and geofences.

Values are normalized with the element type of their kind, so a plate typed in lower case or with
full-width characters still matches what the checkpoints report. Entries are never deleted: removing one
ends its validity (``active`` false), so past alerts keep pointing at what caused them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from policecloud.apps.alerts.geofence import parse_polygon
from policecloud.apps.alerts.models import WATCH_KINDS, Geofence, WatchlistEntry
from policecloud.data.model import types
from policecloud.platform.access.errors import invalid

TYPE_OF_KIND = {"person": "id_number", "vehicle": "plate", "phone": "phone"}


def normalize_value(kind: str, raw: str) -> str:
    if kind not in WATCH_KINDS:
        raise invalid("kind", f"Unknown watchlist kind {kind!r}.", f"未知的布控类型 {kind!r}。")
    checked = types.get(TYPE_OF_KIND[kind]).check(raw)
    if checked.reason or checked.value is None:
        code = f"{TYPE_OF_KIND[kind]}.{checked.reason or 'missing'}"
        raise invalid("value", f"Not a valid {kind} identifier ({code}).", f"布控对象标识无效（{code}）。")
    return str(checked.value)


def _check_period(valid_from: datetime, valid_until: datetime | None) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise invalid("validity", "valid_until must be after valid_from.", "有效期截止时间必须晚于开始时间。")


def add_entry(
    session: Session,
    *,
    kind: str,
    value: str,
    reason: str,
    owner: str,
    jurisdiction_code: str,
    valid_from: datetime,
    valid_until: datetime | None,
    now: datetime,
    reference: str = "",
) -> WatchlistEntry:
    _check_period(valid_from, valid_until)
    entry = WatchlistEntry(
        kind=kind,
        value=normalize_value(kind, value),
        reason=reason,
        reference=reference,
        owner=owner,
        jurisdiction_code=jurisdiction_code,
        valid_from=valid_from,
        valid_until=valid_until,
        active=True,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(session: Session, scope: ColumnElement[bool] | None, kind: str | None = None) -> list[WatchlistEntry]:
    stmt = select(WatchlistEntry).order_by(WatchlistEntry.id)
    if scope is not None:
        stmt = stmt.where(scope)
    if kind:
        stmt = stmt.where(WatchlistEntry.kind == kind)
    return list(session.execute(stmt).scalars())


def entry_dict(entry: WatchlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "value": entry.value,
        "reason": entry.reason,
        "reference": entry.reference,
        "owner": entry.owner,
        "jurisdiction_code": entry.jurisdiction_code,
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "active": entry.active,
    }


def add_geofence(
    session: Session,
    *,
    name: str,
    polygon: list[list[float]],
    start_minute: int,
    end_minute: int,
    watched_only: bool,
    reason: str,
    owner: str,
    jurisdiction_code: str,
    valid_from: datetime,
    valid_until: datetime | None,
    now: datetime,
) -> Geofence:
    _check_period(valid_from, valid_until)
    ring = parse_polygon(polygon)
    if not (0 <= start_minute <= 1440 and 0 <= end_minute <= 1440):
        raise invalid("window", "Time window minutes must be within 0–1440.", "时间窗口分钟数须在0–1440之间。")
    fence = Geofence(
        name=name,
        polygon=json.dumps([list(p) for p in ring]),
        start_minute=start_minute,
        end_minute=end_minute,
        watched_only=watched_only,
        reason=reason,
        owner=owner,
        jurisdiction_code=jurisdiction_code,
        valid_from=valid_from,
        valid_until=valid_until,
        active=True,
        created_at=now,
    )
    session.add(fence)
    session.flush()
    return fence


def geofence_dict(fence: Geofence) -> dict[str, Any]:
    return {
        "id": fence.id,
        "name": fence.name,
        "polygon": json.loads(fence.polygon),
        "start_minute": fence.start_minute,
        "end_minute": fence.end_minute,
        "watched_only": fence.watched_only,
        "reason": fence.reason,
        "owner": fence.owner,
        "jurisdiction_code": fence.jurisdiction_code,
        "valid_from": fence.valid_from.isoformat(),
        "valid_until": fence.valid_until.isoformat() if fence.valid_until else None,
        "active": fence.active,
    }
