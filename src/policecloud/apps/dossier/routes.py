"""HTTP routes of the dossiers (数据追踪 / 全息档案).

Every read needs a purpose, is limited to the caller's jurisdiction inside the query (an entity outside it does
not exist for the caller: 404), shows sensitive values masked unless the role is granted them, and is audited
with the entity id, the purpose and every entity the answer disclosed — refusals and misses included.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Path, Query

from policecloud.apps.dossier import events as dev
from policecloud.apps.dossier import profile as prof
from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier.disclosure import disclosed
from policecloud.apps.dossier.lookup import lookup as lookup_entities
from policecloud.apps.dossier.reader import DossierSource, Viewer
from policecloud.apps.dossier.timeline import timeline as entity_timeline
from policecloud.apps.dossier.trajectory import RangeError, vehicle_plates
from policecloud.apps.dossier.trajectory import trajectory as vehicle_trajectory
from policecloud.data.resolve.master import MasterMissing
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError, invalid, not_found
from policecloud.platform.api.policy import Access, requires

router = APIRouter(prefix="/api/dossier", tags=["dossier"])
READ = requires("dossier.read", personal_data=True, jurisdiction=True)
ANALYZE = requires("dossier.analyze", personal_data=True, jurisdiction=True)
EntityId = Annotated[str, Path(pattern=r"^[PVOTHA][0-9a-f]{16}$", description="Master entity id, e.g. V3f2a…")]
_lock = threading.Lock()


def source_of(app: FastAPI) -> DossierSource:
    """The app's dossier source over its data directory, opened on first need."""
    with _lock:
        source = getattr(app.state, "dossier", None)
        if source is None:
            settings = app.state.settings
            source = DossierSource(settings.data_dir, settings.warehouse_dir, timezone=settings.timezone)
            app.state.dossier = source
        return source


def viewer_of(access: Access) -> Viewer:
    return Viewer(access.user.scope.prefixes, access.user.unmasked)


def _local(access: Access, value: dt.datetime | None) -> dt.datetime | None:
    """A time from the query; one without offset is the province's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(access.settings.timezone))


def _run(access: Access, work: Callable[[DossierSource, Any, Viewer], Any]) -> Any:
    source = source_of(access.request.app)
    try:
        with source.cursor() as cur:
            return work(source, cur, viewer_of(access))
    except MasterMissing as missing:
        raise AccessError(
            503,
            "master_data_missing",
            "No master data has been published yet: run `policecloud resolve`.",
            "尚未生成主数据，请先运行 policecloud resolve。",
        ) from missing


def _entity(access: Access, cur, viewer: Viewer, entity_id: str, view: str, query: dict[str, Any]) -> dict:
    """The entity in the caller's jurisdiction, or a 404 (the miss is audited too)."""
    entity = prof.find_entity(cur, viewer, entity_id)
    if entity is None:
        access.audit(dev.DossierRead(view, entity_id, None, query, [], 0, "not_found"))
        access.commit()
        raise not_found("entity", "档案对象")
    return entity


def _disclose(access: Access, view: str, entity: dict, query: dict[str, Any], answer: Any) -> Any:
    viewer = viewer_of(access)
    ids, keys = _run(access, lambda _s, cur, viewer: disclosed(cur, viewer, answer))
    unmasked = viewer.unmasked_fields
    access.audit(dev.DossierRead(view, entity["entity_id"], entity["entity_type"], query, ids[: dev.MAX_LISTED],
                                 len(ids), "ok", unmasked, keys[: dev.MAX_LISTED],
                                 len(keys)))  # fmt: skip
    if unmasked:
        access.audit(ev.UnmaskedRead("dossier", unmasked, [entity["entity_id"]]))
    access.commit()
    return answer


@router.get("/lookup", summary="Find entities by plate, ID number, phone, credit code, VIN or exact name")
def lookup(
    access: Annotated[Access, READ],
    q: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> dict[str, object]:
    answer = _run(access, lambda _s, cur, viewer: lookup_entities(cur, viewer, q, limit))
    ids = [i["entity_id"] for i in answer["items"]]
    access.audit(dev.DossierLookup(q, answer["mode"], ids))
    access.commit()
    return answer


@router.get("/path", summary="The shortest chain of relations between two entities (关系路径)")
def path(
    access: Annotated[Access, ANALYZE],
    from_id: Annotated[str, Query(alias="from", pattern=r"^[PVOTHA][0-9a-f]{16}$")],
    to_id: Annotated[str, Query(alias="to", pattern=r"^[PVOTHA][0-9a-f]{16}$")],
    max_depth: Annotated[int, Query(ge=1, le=rel.MAX_DEPTH)] = 4,
) -> dict[str, object]:
    def work(source, cur, viewer):
        ends = [prof.find_entity(cur, viewer, e) for e in (from_id, to_id)]
        if None in ends:
            return None
        return rel.shortest_path(cur, source.tables(), viewer, from_id, to_id, max_depth=max_depth)

    answer = _run(access, work)
    found = answer is not None and answer["found"]
    nodes = answer.pop("chain") if found else []  # every node's id, those withheld from the answer included
    explored = answer["explored"] if answer else 0
    outcome = "ok" if answer is not None else "not_found"
    access.audit(dev.DossierPathSearched(from_id, to_id, max_depth, found, nodes, explored, outcome))
    access.commit()
    if answer is None:
        raise not_found("entity", "档案对象")
    return answer


@router.get("/{entity_id}", summary="The dossier of an entity: values with their sources, records, type sections")
def dossier(
    entity_id: EntityId,
    access: Annotated[Access, READ],
    per_table: Annotated[int, Query(ge=1, le=100)] = 10,
    radius: Annotated[float, Query(ge=10, le=5000, description="Incidents within this many metres")] = 500.0,
) -> dict[str, object]:
    query = {"per_table": per_table, "radius": radius}
    today = access.now.astimezone(ZoneInfo(access.settings.timezone)).date()

    def work(source, cur, viewer):
        entity = _entity(access, cur, viewer, entity_id, "profile", query)
        return entity, prof.profile(source, cur, viewer, entity, today=today, per_table=per_table, radius_m=radius)

    entity, answer = _run(access, work)
    return _disclose(access, "profile", entity, query, answer)


@router.get("/{entity_id}/records", summary="One page of the entity's records in one warehouse table")
def records(
    entity_id: EntityId,
    access: Annotated[Access, READ],
    table: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{0,62}$")],
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, object]:
    query = {"table": table, "page": page, "per_page": per_page}

    def work(source, cur, viewer):
        entity = _entity(access, cur, viewer, entity_id, "records", query)
        return entity, prof.records(cur, source.tables(), viewer, entity_id, table, page=page, per_page=per_page)

    entity, answer = _run(access, work)
    return _disclose(access, "records", entity, query, answer)


@router.get("/{entity_id}/timeline", summary="The entity's events, newest first (passes summarized per day)")
def timeline(
    entity_id: EntityId,
    access: Annotated[Access, READ],
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    order: Literal["newest", "oldest"] = "newest",
) -> dict[str, object]:
    start, end = _local(access, start), _local(access, end)
    query = {"start": start and start.isoformat(), "end": end and end.isoformat(), "page": page, "order": order}

    def work(source, cur, viewer):
        entity = _entity(access, cur, viewer, entity_id, "timeline", query)
        found = entity_timeline(source, cur, viewer, entity, start=start, end=end, page=page, per_page=per_page,
                                newest_first=order == "newest")  # fmt: skip
        return entity, found

    entity, answer = _run(access, work)
    return _disclose(access, "timeline", entity, query, answer)


@router.get("/{entity_id}/relations", summary="Related entities by kind, capped per kind with the totals")
def relations(
    entity_id: EntityId,
    access: Annotated[Access, READ],
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{2,40}$")] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    per_kind: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, object]:
    query = {"kind": kind, "page": page, "per_kind": per_kind}

    def work(source, cur, viewer):
        entity = _entity(access, cur, viewer, entity_id, "relations", query)
        found = rel.relations(cur, source.tables(), viewer, entity_id, kind=kind, page=page, per_kind=per_kind)
        return entity, {**found, "entity": {**viewer.entity(entity), "in_scope": True}}

    entity, answer = _run(access, work)
    return _disclose(access, "relations", entity, query, answer)


@router.get("/{entity_id}/trajectory", summary="A vehicle's checkpoint passes in a time range, for the map")
def trajectory(
    entity_id: EntityId,
    access: Annotated[Access, READ],
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> dict[str, object]:
    start, end = _local(access, start), _local(access, end)
    query = {"start": start and start.isoformat(), "end": end and end.isoformat()}

    def work(source, cur, viewer):
        entity = _entity(access, cur, viewer, entity_id, "trajectory", query)
        if entity["entity_type"] != "vehicle":
            raise invalid("not_a_vehicle", "Only vehicles have a checkpoint trajectory.", "只有车辆有卡口轨迹。")
        try:
            return entity, vehicle_trajectory(source, vehicle_plates(cur, entity_id), start, end)
        except RangeError as error:
            raise invalid("range", str(error), "时间范围无效（结束须晚于开始，且不超过366天）。") from error

    entity, answer = _run(access, work)
    return _disclose(access, "trajectory", entity, query, {"entity_id": entity_id, **answer})
