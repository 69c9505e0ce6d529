"""HTTP routes of early warning: event intake, alerts and their lifecycle, watchlists and geofences.

Reading alerts or watchlists is reading personal data (a purpose is required, rows are limited to the
caller's jurisdiction, reads are audited). Managing watchlists and geofences is a privileged, audited action.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import or_, select

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts import watchlists
from policecloud.apps.alerts.intake import validate
from policecloud.apps.alerts.models import Alert, AlertHit, AlertNote, Geofence, WatchlistEntry
from policecloud.apps.alerts.processor import alert_dict
from policecloud.apps.alerts.push import shown_to
from policecloud.apps.alerts.service import AlertService
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError, not_found
from policecloud.platform.api.ids import RecordId
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.priority import BackgroundPool

MAX_BATCH = 5000
_service_lock = threading.Lock()


def service_of(app: FastAPI) -> AlertService:
    """The app's early-warning service, started on first need (the lifespan starts it with the server)."""
    with _service_lock:
        service = getattr(app.state, "alerts", None)
        if service is None:
            service = AlertService(app.state.settings, app.state.sessionmaker)
            service.start()
            app.state.alerts = service
        return service


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    service_of(app)
    yield
    service = getattr(app.state, "alerts", None)
    if service is not None:
        service.close()
        app.state.alerts = None


router = APIRouter(tags=["alerts"], lifespan=lifespan)


def _rules_changed(access: Access) -> None:
    service = getattr(access.request.app.state, "alerts", None)
    if service is not None:  # a service not started yet loads the rules when it starts
        service.invalidate_rules()


# --- intake ---------------------------------------------------------------------------------------------
class EventBatch(BaseModel):
    events: list[dict[str, Any]] = Field(max_length=MAX_BATCH)


# The batch is read here and parsed, validated and logged on the intake's own low-priority threads: 1,000
# events cost tens of milliseconds of CPU, which neither the event loop (every other request waits on it) nor
# the searches and dossiers served alongside should pay (see policecloud.platform.priority).
INTAKE = BackgroundPool("intake", threads=2, niceness=5)
_BATCH_BODY = {"required": True, "content": {"application/json": {"schema": EventBatch.model_json_schema()}}}


@router.post(
    "/api/events",
    status_code=202,
    summary="Accept a batch of live events (durably logged first)",
    openapi_extra={"requestBody": _BATCH_BODY},
)
async def ingest(request: Request, access: Annotated[Access, requires("events.ingest")]) -> dict[str, object]:
    raw = await request.body()  # bounded by the body limit (policecloud.platform.api.body_limit)
    return await INTAKE.run_async(_accept_batch, raw, access)


def _accept_batch(raw: bytes, access: Access) -> dict[str, object]:
    try:
        body = EventBatch.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    access.commit()  # the session check (last seen) is all this request writes to the store
    result = validate(body.events)
    first = service_of(access.request.app).submit(result.accepted) if result.accepted else None
    if result.rejected:
        received = time.time()
        service_of(access.request.app).quarantine(
            [{**r.as_dict(), "received_at": received, "by": access.user.username, "event": body.events[r.index]}
             for r in result.rejected]
        )  # fmt: skip
    return {
        "accepted": len(result.accepted),
        "first_offset": first,
        "rejected": [r.as_dict() for r in result.rejected],
    }


# --- alerts ---------------------------------------------------------------------------------------------
def _scoped(access: Access):
    scope = access.user.scope
    return or_(scope.clause(Alert.jurisdiction_code), scope.clause(Alert.owner_jurisdiction))


def _read_audit(access: Access, ids: list[int], query: dict[str, Any], resource: str = "alerts") -> None:
    unmasked = sorted(access.user.unmasked & {"id_number", "phone"})
    access.audit(ev.PersonalDataRead(resource, query, ids, "ok" if ids else "not_found", unmasked))


@router.get("/api/alerts", summary="Alerts in your jurisdiction, newest first")
def list_alerts(
    access: Annotated[Access, requires("alerts.read", personal_data=True, jurisdiction=True)],
    status: Annotated[Literal["new", "acknowledged", "closed", "open"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, object]:
    stmt = select(Alert).where(_scoped(access)).order_by(Alert.id.desc()).limit(limit)
    if status == "open":
        stmt = stmt.where(Alert.status != "closed")
    elif status:
        stmt = stmt.where(Alert.status == status)
    rows = list(access.db.execute(stmt).scalars())
    _read_audit(access, [a.id for a in rows], {"status": status, "limit": limit})
    access.commit()
    return {"alerts": [shown_to(access.user, alert_dict(a)) for a in rows]}


def _alert(access: Access, alert_id: int) -> Alert:
    alert = access.db.execute(select(Alert).where(Alert.id == alert_id, _scoped(access))).scalar_one_or_none()
    if alert is None:
        raise not_found("alert", "预警")
    return alert


def _notes(access: Access, alert_id: int) -> list[dict[str, Any]]:
    rows = access.db.execute(select(AlertNote).where(AlertNote.alert_id == alert_id).order_by(AlertNote.id))
    return [{"at": n.at.isoformat(), "author": n.author, "action": n.action, "text": n.text} for n in rows.scalars()]


@router.get("/api/alerts/{alert_id}", summary="One alert with its hits and lifecycle notes")
def get_alert(
    alert_id: RecordId, access: Annotated[Access, requires("alerts.read", personal_data=True, jurisdiction=True)]
) -> dict[str, object]:
    alert = _alert(access, alert_id)
    hits = access.db.execute(select(AlertHit).where(AlertHit.alert_id == alert_id).order_by(AlertHit.at))
    body = shown_to(access.user, alert_dict(alert))
    body["hit_events"] = [{"event_id": h.event_id, "at": h.at.isoformat()} for h in hits.scalars()]
    body["notes"] = _notes(access, alert_id)
    _read_audit(access, [alert_id], {"id": alert_id})
    access.commit()
    return body


class Handling(BaseModel):
    note: str = Field(default="", max_length=2000)


class Assignment(Handling):
    unit: str | None = Field(default=None, max_length=24)
    officer: str | None = Field(default=None, max_length=64)


_CONFLICT = AccessError(
    409, "alert_state", "The alert is not in a state that allows this.", "预警当前状态不允许此操作。"
)
# action → (statuses it may start from, status it leads to; None keeps the status)
_TRANSITIONS = {
    "acknowledge": (("new",), "acknowledged"),
    "close": (("new", "acknowledged"), "closed"),
    "assign": (("new", "acknowledged"), None),
    "note": (("new", "acknowledged", "closed"), None),
}


def _handle(access: Access, alert_id: int, action: str, body: Handling) -> dict[str, object]:
    alert = _alert(access, alert_id)
    allowed_from, to = _TRANSITIONS[action]
    if alert.status not in allowed_from:
        raise _CONFLICT
    if action == "close" and not body.note.strip():
        raise AccessError(400, "note_required", "Closing an alert needs a note.", "关闭预警须填写处置说明。")
    details: dict[str, Any] = {}
    if isinstance(body, Assignment):
        if not (body.unit or body.officer):
            raise AccessError(400, "assignee_required", "Name a unit or an officer.", "请指定处置单位或民警。")
        alert.assigned_unit, alert.assigned_officer = body.unit, body.officer
        details = {"unit": body.unit, "officer": body.officer}
    if to:
        alert.status = to
    alert.updated_at = access.now
    access.db.add(
        AlertNote(alert_id=alert.id, at=access.now, author=access.user.username, action=action, text=body.note)
    )
    access.audit(aev.AlertHandled(alert.id, action, alert.status, details))
    access.commit()
    result = shown_to(access.user, alert_dict(alert))
    service = getattr(access.request.app.state, "alerts", None)
    if service is not None:
        service.hub.publish_alerts([{**alert_dict(alert), "new": False, "accepted_at": None}])
    return {**result, "notes": _notes(access, alert.id)}


_HANDLE = requires("alerts.handle", personal_data=True, jurisdiction=True)


@router.post("/api/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert (new → acknowledged)")
def acknowledge(alert_id: RecordId, body: Handling, access: Annotated[Access, _HANDLE]) -> dict[str, object]:
    return _handle(access, alert_id, "acknowledge", body)


@router.post("/api/alerts/{alert_id}/close", summary="Close an alert with a note (→ closed)")
def close(alert_id: RecordId, body: Handling, access: Annotated[Access, _HANDLE]) -> dict[str, object]:
    return _handle(access, alert_id, "close", body)


@router.post("/api/alerts/{alert_id}/assign", summary="Assign an alert to a unit or an officer")
def assign(alert_id: RecordId, body: Assignment, access: Annotated[Access, _HANDLE]) -> dict[str, object]:
    return _handle(access, alert_id, "assign", body)


@router.post("/api/alerts/{alert_id}/notes", summary="Add a note to an alert")
def add_note(alert_id: RecordId, body: Handling, access: Annotated[Access, _HANDLE]) -> dict[str, object]:
    return _handle(access, alert_id, "note", body)


# --- watchlists and geofences -------------------------------------------------------------------------------
class EntryIn(BaseModel):
    kind: Literal["person", "vehicle", "phone"]
    value: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=2, max_length=200)
    reference: str = Field(default="", max_length=64)
    jurisdiction_code: str = Field(min_length=6, max_length=12)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def _check_code(access: Access, code: str) -> None:
    if not access.user.scope.covers(code):
        raise access.refuse(
            AccessError(
                403,
                "outside_jurisdiction",
                f"Jurisdiction {code} is outside yours.",
                f"辖区 {code} 不在您的管辖范围内。",
            )
        )


def _aware(value: datetime | None, default: datetime | None) -> datetime | None:
    if value is None:
        return default
    if value.tzinfo is None:
        raise AccessError(400, "timezone_required", "Give times with a UTC offset.", "时间须带时区偏移。")
    return value


_MANAGE = requires("watchlists.manage", personal_data=True, jurisdiction=True)
_READ_LISTS = requires("watchlists.read", personal_data=True, jurisdiction=True)


@router.get("/api/watchlists", summary="Watchlist entries of your jurisdiction")
def list_watchlist(
    access: Annotated[Access, _READ_LISTS],
    kind: Annotated[Literal["person", "vehicle", "phone"] | None, Query()] = None,
) -> dict[str, object]:
    rows = watchlists.list_entries(access.db, access.user.scope.clause(WatchlistEntry.jurisdiction_code), kind)
    _read_audit(access, [r.id for r in rows], {"resource": "watchlist", "kind": kind})
    access.commit()
    return {"entries": [watchlists.entry_dict(r) for r in rows]}


@router.post("/api/watchlists", status_code=201, summary="Put a person, vehicle or phone on the watchlist")
def add_watchlist_entry(body: EntryIn, access: Annotated[Access, _MANAGE]) -> dict[str, object]:
    _check_code(access, body.jurisdiction_code)
    entry = watchlists.add_entry(
        access.db, kind=body.kind, value=body.value, reason=body.reason, reference=body.reference,
        owner=access.user.username, jurisdiction_code=body.jurisdiction_code,
        valid_from=_aware(body.valid_from, access.now), valid_until=_aware(body.valid_until, None), now=access.now,
    )  # fmt: skip
    data = watchlists.entry_dict(entry)
    access.audit(
        aev.WatchlistEntryAdded(
            entry.id,
            entry.kind,
            entry.value,
            entry.reason,
            entry.jurisdiction_code,
            data["valid_from"],
            data["valid_until"],
        )
    )
    access.commit()
    _rules_changed(access)
    return data


@router.delete("/api/watchlists/{entry_id}", summary="End a watchlist entry (kept for the record)")
def remove_watchlist_entry(entry_id: RecordId, access: Annotated[Access, _MANAGE]) -> dict[str, object]:
    scope = access.user.scope.clause(WatchlistEntry.jurisdiction_code)
    entry = access.db.execute(select(WatchlistEntry).where(WatchlistEntry.id == entry_id, scope)).scalar_one_or_none()
    if entry is None:
        raise not_found("watchlist entry", "布控条目")
    entry.active = False
    access.audit(aev.WatchlistEntryRemoved(entry.id, entry.kind, entry.value))
    access.commit()
    _rules_changed(access)
    return watchlists.entry_dict(entry)


class GeofenceIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    polygon: list[list[float]] = Field(min_length=3, max_length=2000)
    start_minute: int = Field(default=0, ge=0, le=1440)
    end_minute: int = Field(default=1440, ge=0, le=1440)
    watched_only: bool = True
    reason: str = Field(min_length=2, max_length=200)
    jurisdiction_code: str = Field(min_length=6, max_length=12)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@router.get("/api/geofences", summary="Geofences of your jurisdiction")
def list_geofences(access: Annotated[Access, _READ_LISTS]) -> dict[str, object]:
    stmt = select(Geofence).where(access.user.scope.clause(Geofence.jurisdiction_code)).order_by(Geofence.id)
    rows = list(access.db.execute(stmt).scalars())
    _read_audit(access, [f.id for f in rows], {}, "geofences")  # a purpose-bound read: audited like any other
    access.commit()
    return {"geofences": [watchlists.geofence_dict(f) for f in rows]}


@router.post("/api/geofences", status_code=201, summary="Draw a geofence with a daily time window")
def add_geofence(body: GeofenceIn, access: Annotated[Access, _MANAGE]) -> dict[str, object]:
    _check_code(access, body.jurisdiction_code)
    fence = watchlists.add_geofence(
        access.db, name=body.name, polygon=body.polygon, start_minute=body.start_minute, end_minute=body.end_minute,
        watched_only=body.watched_only, reason=body.reason, owner=access.user.username,
        jurisdiction_code=body.jurisdiction_code, valid_from=_aware(body.valid_from, access.now),
        valid_until=_aware(body.valid_until, None), now=access.now,
    )  # fmt: skip
    access.audit(aev.GeofenceAdded(fence.id, fence.name, fence.jurisdiction_code))
    access.commit()
    _rules_changed(access)
    return watchlists.geofence_dict(fence)


@router.delete("/api/geofences/{fence_id}", summary="End a geofence (kept for the record)")
def remove_geofence(fence_id: RecordId, access: Annotated[Access, _MANAGE]) -> dict[str, object]:
    scope = access.user.scope.clause(Geofence.jurisdiction_code)
    fence = access.db.execute(select(Geofence).where(Geofence.id == fence_id, scope)).scalar_one_or_none()
    if fence is None:
        raise not_found("geofence", "电子围栏")
    fence.active = False
    access.audit(aev.GeofenceRemoved(fence.id))
    access.commit()
    _rules_changed(access)
    return watchlists.geofence_dict(fence)
