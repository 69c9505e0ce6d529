"""The auditor's view of the audit log: search and verify. Nobody can change it; attempts are logged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from policecloud.platform.access import audit
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import invalid
from policecloud.platform.api.ids import MAX_ROW_ID, RecordId
from policecloud.platform.api.policy import Access, requires

router = APIRouter(prefix="/api/audit", tags=["audit"])


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A time bound in UTC (one without offset is taken as UTC); 400 for one that has no UTC equivalent
    (e.g. 0001-01-01T00:00+01:00, which used to fail in the query with a 500)."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise invalid("time_range", f"{name} is out of range.", f"{name} 超出可用的时间范围。") from None


@router.get("", summary="Search the audit log (auditors only)")
def search(
    access: Annotated[Access, requires("audit.read", personal_data=True)],
    actor: Annotated[str | None, Query(max_length=64)] = None,
    event: Annotated[str | None, Query(max_length=64, description="Event name or prefix, e.g. 'data.'")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: Annotated[str | None, Query(max_length=100, description="Substring of the payload")] = None,
    after_seq: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, object]:
    since, until = _utc("since", since), _utc("until", until)
    query = audit.AuditQuery(actor, event, since, until, text, after_seq, limit)
    entries = audit.search(access.db, query)
    filters = {k: v for k, v in vars(query).items() if v not in (None, 0)}
    shown = [e.seq for e in entries]
    access.audit(ev.AuditSearched({k: str(v) for k, v in filters.items()}, len(entries), shown))
    access.commit()
    return {"entries": [audit.entry_dict(e) for e in entries]}


@router.get("/verify", summary="Check the hash chain; names the first broken entry")
def verify(access: Annotated[Access, requires("audit.read")]) -> dict[str, object]:
    report = audit.verify(access.db)
    access.audit(ev.AuditVerified(report.ok, report.entries, report.first_broken))
    access.commit()
    return {
        "ok": report.ok,
        "entries": report.entries,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "first_broken": report.first_broken,
        "problem": report.problem,
    }


@router.delete("/{seq}", summary="Refused: the audit log is append-only (the attempt is logged)")
def delete_entry(seq: RecordId, _access: Annotated[Access, requires(refuse_all=True)]) -> None:
    raise AssertionError("unreachable: the policy refuses every caller")


@router.patch("/{seq}", summary="Refused: the audit log is append-only (the attempt is logged)")
def change_entry(seq: RecordId, _access: Annotated[Access, requires(refuse_all=True)]) -> None:
    raise AssertionError("unreachable: the policy refuses every caller")
