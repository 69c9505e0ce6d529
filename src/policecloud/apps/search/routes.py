"""Cloud search (云搜索): one search box over master entities, 110 calls and criminal cases.

A search is a read of personal data: it needs a purpose, sees only the caller's jurisdiction (applied inside
the index query, so totals and facets never count what lies outside), masks sensitive fields the role is not
granted, and is audited with the query and the ids of the results shown.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Query

from policecloud.apps.search.fields import DOC_TYPES
from policecloud.apps.search.index import IndexHandle
from policecloud.apps.search.query import MAX_PER_PAGE, Hit, QueryError, search
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError, invalid
from policecloud.platform.access.masking import MASKERS
from policecloud.platform.api.policy import Access, requires

RESOURCE = "search"
router = APIRouter(tags=["search"])
_handle_lock = threading.Lock()


def index_of(app: FastAPI) -> IndexHandle:
    """The application's handle on the current search index (``<data_dir>/search``), made on first use."""
    with _handle_lock:
        handle = getattr(app.state, "search_index", None)
        if handle is None:
            handle = IndexHandle(app.state.settings.data_dir / "search")
            app.state.search_index = handle
        return handle


def _bound(value: str | None, tz: str, end: bool) -> datetime | None:
    """An ISO date or date-time; a date means the whole day (from its start / to its end), and either without
    an offset is in the platform's time zone."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), time.min, ZoneInfo(tz))
            return day + timedelta(days=1, microseconds=-1) if end else day
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(
            "invalid_time", f"{value!r} is not an ISO date or date-time.", f"{value!r} 不是有效的日期或时间。"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


def _shown(hit: Hit, unmasked: frozenset[str]) -> tuple[dict, set[str]]:
    """The hit as the caller may see it, and the sensitive fields shown in clear."""
    row = {k: v for k, v in hit.__dict__.items() if k != "sensitive"}
    clear = set()
    for name, rule in hit.sensitive.items():
        value = row.get(name)
        if not isinstance(value, str) or not value:
            continue
        if rule in unmasked:
            clear.add(rule)
        else:
            row[name] = MASKERS[rule](value)
            if name == "snippet":
                row["highlights"] = []
    row["highlights"] = [list(span) for span in row["highlights"]]
    return row, clear


@router.get("/api/search", summary="Search entities, 110 calls and cases (ID / plate / phone / name / text)")
def search_route(
    access: Annotated[Access, requires("search.read", personal_data=True, jurisdiction=True)],
    q: Annotated[str, Query(min_length=1, max_length=200, description="What to look for.")],
    mode: Annotated[Literal["identifier", "name", "text"] | None, Query(description="Force a mode.")] = None,
    doc_type: Annotated[list[str] | None, Query(alias="type", description=f"Only these types: {DOC_TYPES}.")] = None,
    county: Annotated[
        str | None, Query(pattern=r"^(\d{2}|\d{4}|\d{6})$", description="Only within this division prefix.")
    ] = None,
    time_from: Annotated[str | None, Query(alias="from", max_length=40, description="Seen on or after (ISO).")] = None,
    time_to: Annotated[str | None, Query(alias="to", max_length=40, description="Seen on or before (ISO).")] = None,
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> dict[str, object]:
    index = index_of(access.request.app).get()
    if index is None:
        raise AccessError(
            503,
            "search_unavailable",
            "The search index has not been built yet (policecloud index search).",
            "搜索索引尚未建立（请运行 policecloud index search）。",
        )
    user = access.user
    tz = access.settings.timezone
    start, end = _bound(time_from, tz, False), _bound(time_to, tz, True)
    try:
        result = search(
            index,
            q,
            mode=mode,
            types=doc_type or (),
            county_prefixes=user.scope.index_terms(),
            county=county,
            time_from=start,
            time_to=end,
            page=page,
            per_page=per_page,
        )
    except QueryError as exc:
        raise invalid(exc.code, exc.en, exc.zh) from None
    notes = list(result.notes)
    if any(len(p) > 6 for p in user.scope.prefixes):
        notes.append(
            {
                "en": "Search documents are located by county: a police-station jurisdiction sees none of them.",
                "zh": "搜索文档按区县定位：派出所级辖区无法查看。",
            }
        )
    rows, clear = [], set()
    for hit in result.hits:
        row, shown_clear = _shown(hit, user.unmasked)
        rows.append(row)
        clear |= shown_clear
    ids = [h.id for h in result.hits]
    asked = {
        "q": q,
        "mode": result.mode,
        "forced": result.forced,
        "types": doc_type or [],
        "county": county,
        "from": time_from,
        "to": time_to,
        "page": page,
    }
    access.audit(ev.PersonalDataRead(RESOURCE, asked, ids, "ok" if ids else "not_found", sorted(clear)))
    if clear:
        access.audit(ev.UnmaskedRead(RESOURCE, sorted(clear), ids))
    access.commit()
    return {
        "query": result.query,
        "mode": result.mode,
        "forced": result.forced,
        "normalized": result.normalized,
        "identifier_types": result.identifier_types,
        "notes": notes,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "hits": rows,
        "facets": result.facets,
        "facet_method": result.facet_method,
        "index_version": result.index_version,
    }
