"""The sections of a profile that depend on the entity's type.

- vehicle (车辆全息): registration, owner, inspection validity relative to today, violations, plates shared with
  other vehicles (possible cloned plate); the trajectory is read separately (``trajectory``).
- person: identity, household, registered and current addresses, phones, vehicles, organizations, cases.
- organization: legal representative, vehicles; for a hotel its stays, for an internet café its sessions, each
  with the guest's person dossier.
- phone: who uses it (resolved persons and organizations, and the names the records give) and its 110 calls.
- house / address: who is registered and who lives there, organizations at it, the owner, and 110 incidents at
  the same door plate or within ``radius_m`` metres (coordinates from the address registry, else from the
  calls made from that address).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import duckdb

from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier.outside import blank_rows, outside_persons
from policecloud.apps.dossier.reader import DossierSource, Viewer, fetch_dicts, linked_keys, plain, rows_where

LIST_CAP = 20
EARTH_RADIUS_M = 6_371_000.0


@dataclass
class Context:
    source: DossierSource
    cur: duckdb.DuckDBPyConnection
    tables: dict[str, set[str]]
    viewer: Viewer
    entity: dict[str, Any]
    best: dict[str, str]  # the most attested value of each property (unmasked; mask before showing)
    today: dt.date
    radius_m: float = 500.0

    @property
    def entity_id(self) -> str:
        return self.entity["entity_id"]

    def has(self, table: str, *columns: str) -> bool:
        return table in self.tables and set(columns) <= self.tables[table]


def _key(alias: str) -> str:
    return f"({alias}.batch || ':' || CAST({alias}.row AS VARCHAR))"


def _keys(ctx: Context, table: str, role: str | None = None) -> list[str]:
    """The record keys of the entity's records in ``table`` (in ``role`` when given)."""
    rows = ctx.cur.execute(
        "SELECT DISTINCT record_key FROM links_e WHERE entity_id = ? AND table_name = ? AND (? IS NULL OR role = ?)",
        [ctx.entity_id, table, role, role],
    )
    return [r[0] for r in rows.fetchall()]


def _groups(ctx: Context, cap: int = LIST_CAP) -> dict[str, dict[str, Any]]:
    found = rel.relations(ctx.cur, ctx.tables, ctx.viewer, ctx.entity_id, per_kind=cap)
    return {g["kind"]: g for g in found["kinds"]}


def _pick(groups: dict[str, dict[str, Any]], *kinds: str) -> dict[str, Any]:
    return {k: groups[k] for k in kinds if k in groups}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def inspection(valid_until: str | None, today: dt.date) -> dict[str, Any]:
    """Inspection validity (检验有效期) relative to ``today``: valid, expired or unknown."""
    until = _date(valid_until)
    if until is None:
        return {"valid_until": None, "status": "unknown", "days_left": None}
    days = (until - today).days
    return {"valid_until": until.isoformat(), "status": "valid" if days >= 0 else "expired", "days_left": days}


def _records_with(ctx: Context, table: str, role: str, types: tuple[str, ...], limit: int) -> dict[str, Any]:
    """The latest records of ``table`` linking this entity in ``role``, each with the other entities it names."""
    from policecloud.apps.dossier.records import records

    page = records(ctx.cur, ctx.tables, ctx.viewer, ctx.entity_id, table, per_page=limit,
                   keys=linked_keys(ctx.cur, ctx.entity_id).get(table, []))  # fmt: skip
    keys = [r["record_key"] for r in page["rows"] if role in (r.get("roles") or [])]
    if keys:
        others = ctx.cur.execute(
            """SELECT record_key, entity_id, role FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[]))
               AND entity_type IN (SELECT unnest(?::VARCHAR[])) AND entity_id <> ?""",
            [keys, list(types), ctx.entity_id],
        ).fetchall()
        refs = rel.entity_refs(ctx.cur, ctx.viewer, [o[1] for o in others])
        named: dict[str, list[dict[str, Any]]] = {}
        for key, other, other_role in others:
            if other in refs:
                named.setdefault(key, []).append({**refs[other], "role": other_role})
        for r in page["rows"]:
            r["related"] = named.get(r["record_key"], [])
    return page


def vehicle(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    b, cur = ctx.best, ctx.cur
    groups = _groups(ctx)
    registration = {k: b.get(k) for k in ("plate", "plate_type", "vin", "brand", "color", "registration_date")}
    plates = [r[0] for r in cur.execute(
        "SELECT DISTINCT value FROM statements_e WHERE entity_id = ? AND property = 'plate' ORDER BY 1", [ctx.entity_id]
    ).fetchall()]  # fmt: skip
    shared = cur.execute(
        """SELECT DISTINCT entity_id FROM statements_v WHERE property = 'plate'
           AND value IN (SELECT unnest(?::VARCHAR[])) AND entity_id <> ? AND entity_type = 'vehicle'""",
        [plates, ctx.entity_id],
    ).fetchall()
    owner: dict[str, Any] = {"resolved": groups.get("owner", {}).get("items", [])}
    owner["withheld"] = groups.get("owner", {}).get("withheld", 0)
    if not owner["resolved"]:
        owner["stated"] = {"name": b.get("owner_name"), "id": ctx.viewer.mask("id_number", b.get("owner_id"))}
    violations: dict[str, Any] = {"total": 0, "fines": 0.0, "points": 0, "latest": []}
    if ctx.has("traffic_violation", "fine", "points"):
        from policecloud.apps.dossier.records import records

        page = records(cur, ctx.tables, ctx.viewer, ctx.entity_id, "traffic_violation", per_page=LIST_CAP)
        fines, points = cur.execute(
            f"""SELECT coalesce(sum(t.fine), 0), coalesce(sum(t.points), 0) FROM traffic_violation t
                WHERE {rows_where(_keys(ctx, "traffic_violation"), "t")}"""
        ).fetchone()
        violations = {"total": page["total"], "fines": float(fines), "points": int(points), "latest": page["rows"]}
    section = {
        "registration": registration,
        "inspection": inspection(b.get("inspection_valid_until"), ctx.today),
        "owner": owner,
        "violations": violations,
        "plates": plates,
        **_shared_plate(ctx, [r[0] for r in shared]),
    }
    return section, []


def _shared_plate(ctx: Context, ids: list[str]) -> dict[str, Any]:
    """Other vehicles with the same plate: those in the jurisdiction listed, the others counted."""
    refs = rel.entity_refs(ctx.cur, ctx.viewer, ids)
    return {"plate_shared_with": list(refs.values()), "plate_shared_withheld": len(set(ids) - refs.keys())}


def person(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    b, v, cur = ctx.best, ctx.viewer, ctx.cur
    groups = _groups(ctx, cap=50)
    identity = {
        "name": b.get("name"),
        "id_number": v.mask("id_number", b.get("id_number")),
        "sex": b.get("sex"),
        "birth_date": b.get("birth_date"),
    }
    notes = []
    addresses: list[dict[str, Any]] = []
    household: dict[str, Any] = {"numbers": [], "members": groups.get("household")}
    if ctx.has("person", "registered_address", "current_address"):
        hh = "p.household_number" if ctx.has("person", "household_number") else "NULL"
        rows = fetch_dicts(
            cur,
            f"""SELECT p.registered_address, p.current_address, {hh} AS household_number, p.source
                FROM person p WHERE {rows_where(_keys(ctx, "person", "subject"), "p")}""",
        )
        seen: dict[tuple[str, str], set[str]] = {}
        for r in rows:
            for kind in ("registered_address", "current_address"):
                if r[kind]:
                    seen.setdefault((kind, r[kind]), set()).add(r["source"])
        addresses = [{"kind": k, "text": v.mask("address", t), "sources": sorted(s)} for (k, t), s in seen.items()]
        household["numbers"] = sorted({r["household_number"] for r in rows if r["household_number"]})
        if not ctx.has("person", "household_number"):
            notes.append("household_unavailable")
    cases: list[dict[str, Any]] = []
    keys = _keys(ctx, "case_involvement") if ctx.has("case_involvement", "case_id", "role", "time") else []
    if keys:
        cases = fetch_dicts(
            cur,
            f"""SELECT i.case_id, i.role, i.time FROM case_involvement i WHERE {rows_where(keys, "i")}
                ORDER BY i.time DESC""",
        )
        details = [c for c in ("case_type", "category", "status", "summary") if ctx.has("criminal_case", c)]
        if details and ctx.has("criminal_case", "case_number"):
            found = {r.pop("case_number"): r for r in fetch_dicts(
                cur,
                f"SELECT case_number, {', '.join(details)} FROM criminal_case WHERE case_number IN "
                "(SELECT unnest(?::VARCHAR[]))", [[c["case_id"] for c in cases]],
            )}  # fmt: skip
            cases = [{**c, **found.get(c["case_id"], {})} for c in cases]
    section = {
        "identity": identity,
        "household": household,
        "addresses": addresses,
        "related": _pick(groups, "phone", "vehicle", "house", "organization", "lives_at", "registered_at"),
        "cases": cases,
    }
    return section, notes


def organization(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    b = ctx.best
    groups = _groups(ctx)
    section: dict[str, Any] = {
        "org_type": b.get("org_type"),
        "legal_representative": {
            "resolved": groups.get("legal_representative", {}).get("items", []),
            "withheld": groups.get("legal_representative", {}).get("withheld", 0),
            "stated": b.get("legal_representative"),  # not in ``best`` when it names a person outside
        },
        "related": _pick(groups, "vehicle", "phone", "located_at"),
    }
    roles = dict(ctx.cur.execute(
        "SELECT role, count(DISTINCT record_key) FROM links_e WHERE entity_id = ? GROUP BY role", [ctx.entity_id]
    ).fetchall())  # fmt: skip
    if roles.get("hotel"):
        section["stays"] = _records_with(ctx, "hotel_stay", "hotel", ("person",), LIST_CAP)
        section["guests"] = groups.get("guest")
    if roles.get("cafe"):
        section["sessions"] = _records_with(ctx, "internet_session", "cafe", ("person",), LIST_CAP)
        section["users"] = groups.get("cafe_user")
    return section, []


def phone(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    groups = _groups(ctx)
    names = []
    for table, column in (("person", "name"), ("organization", "name"), ("call110", "caller_name")):
        if ctx.has(table, column):
            keys = _keys(ctx, table)
            outside = outside_persons(ctx.cur, ctx.viewer, keys, ctx.entity_id)  # names of persons outside: not
            shown = [k for k in keys if k not in outside]
            names += fetch_dicts(  # with the entities those records name (the audit entry lists them)
                ctx.cur,
                f"""SELECT '{table}' AS table_name, t.{column} AS name, list(DISTINCT t.source) AS sources,
                           count(DISTINCT {_key("t")})::INTEGER AS records,
                           list(DISTINCT l.entity_id ORDER BY l.entity_id) FILTER (WHERE l.entity_id IS NOT NULL)
                             AS entity_ids
                    FROM {table} t LEFT JOIN (
                        SELECT record_key, entity_id FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[]))
                        AND role IN ('subject', 'caller') AND entity_type IN ('person', 'organization')
                    ) l ON l.record_key = {_key("t")}
                    WHERE {rows_where(shown, "t")} AND t.{column} IS NOT NULL
                    GROUP BY ALL ORDER BY records DESC""",
                [shown],
            )
    section: dict[str, Any] = {"users": groups.get("user"), "named_in_records": names}
    if ctx.has("call110"):
        section["calls"] = _records_with(ctx, "call110", "caller", ("person",), LIST_CAP)
    return section, []


def _places(ctx: Context) -> tuple[list[str], list[str]]:
    """The standard address ids of this house / address, and its address texts as written."""
    if ctx.entity["entity_type"] == "address":
        ids = [ctx.entity_id]
    else:
        keys = _keys(ctx, "house")
        ids = [r[0] for r in ctx.cur.execute(
            "SELECT DISTINCT entity_id FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[])) "
            "AND entity_type = 'address'", [keys]
        ).fetchall()]  # fmt: skip
    texts = [r[0] for r in ctx.cur.execute(
        "SELECT DISTINCT value FROM statements_e WHERE entity_id = ? AND property IN ('address', 'text')",
        [ctx.entity_id],
    ).fetchall()]  # fmt: skip
    return ids, texts


def _people_at(ctx: Context, ids: list[str], texts: list[str], cap: int = 200) -> dict[str, Any]:
    """Persons whose registered / current address is this place: the records matched to its standard address,
    and those writing exactly its address text."""
    out: dict[str, Any] = {}
    for column in ("registered_address", "current_address"):
        if not ctx.has("person", column):
            continue
        keys = [r[0] for r in ctx.cur.execute(
            "SELECT record_key FROM links_e WHERE entity_id IN (SELECT unnest(?::VARCHAR[])) AND role = ? "
            "AND table_name = 'person'", [ids, column]
        ).fetchall()]  # fmt: skip
        keys += [r[0] for r in ctx.cur.execute(
            f"SELECT {_key('p')} FROM person p WHERE p.{column} IN (SELECT unnest(?::VARCHAR[]))", [texts]
        ).fetchall()]  # fmt: skip
        keys = sorted(set(keys))[: cap * 4]
        rows = fetch_dicts(
            ctx.cur,
            f"""SELECT {_key("p")} AS record_key, p.name, p.source FROM person p WHERE {rows_where(keys, "p")}""",
        )
        subjects = dict(ctx.cur.execute(
            "SELECT record_key, entity_id FROM links_r WHERE record_key IN (SELECT unnest(?::VARCHAR[])) "
            "AND role = 'subject' AND entity_type = 'person'", [keys]
        ).fetchall())  # fmt: skip
        refs = rel.entity_refs(ctx.cur, ctx.viewer, subjects.values())
        people: dict[str, dict[str, Any]] = {}
        withheld: set[str] = set()
        for r in rows:
            who = subjects.get(r["record_key"])
            if who and who not in refs:  # a person outside the jurisdiction: counted, not named
                withheld.add(who)
                continue
            shown = refs.get(who) if who else None
            people.setdefault(who or r["record_key"], shown or {"entity_id": None, "caption": r["name"]})
            people[who or r["record_key"]].setdefault("sources", set()).add(r["source"])
        out[column] = [{**p, "sources": sorted(p["sources"])} for p in list(people.values())[:cap]]
        out[f"{column}_withheld"] = len(withheld)
    return out


def _coordinates(ctx: Context, ids: list[str], calls_here: list[dict[str, Any]]) -> tuple[float, float] | None:
    if ids and ctx.has("address_registry", "address_id", "lon", "lat"):
        found = ctx.cur.execute(
            "SELECT avg(lon), avg(lat) FROM address_registry WHERE address_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchone()
        if found and found[0] is not None:
            return float(found[0]), float(found[1])
    points = [c for c in calls_here if c.get("lon") is not None]
    if points:
        return sum(c["lon"] for c in points) / len(points), sum(c["lat"] for c in points) / len(points)
    return None


def _incidents(ctx: Context, ids: list[str], texts: list[str]) -> tuple[dict[str, Any], list[str]]:
    if not ctx.has("call110", "place", "location", "time"):
        return {}, ["no_calls"]
    located = """SELECT c.* EXCLUDE (batch, row), batch || ':' || CAST(row AS VARCHAR) AS record_key,
                        TRY_CAST(split_part(c.location, ',', 1) AS DOUBLE) AS lon,
                        TRY_CAST(split_part(c.location, ',', 2) AS DOUBLE) AS lat FROM call110 c"""
    here = fetch_dicts(
        ctx.cur,
        f"""SELECT c.* FROM ({located}) c LEFT JOIN links a ON a.record_key = c.record_key
                AND a.entity_type = 'address' AND a.role = 'place'
            WHERE a.entity_id IN (SELECT unnest(?::VARCHAR[]))
               OR EXISTS (SELECT 1 FROM (SELECT regexp_replace(unnest(?::VARCHAR[]), '\\s', '', 'g') AS t) x
                          WHERE starts_with(x.t, regexp_replace(c.place, '\\s', '', 'g')))
            ORDER BY c.time DESC LIMIT 100""",
        [ids, texts],
    )
    notes = []
    centre = _coordinates(ctx, ids, here)
    nearby: list[dict[str, Any]] = []
    if centre is None:
        notes.append("no_coordinates")
    else:
        lon, lat = centre
        dlat = ctx.radius_m / 111_000.0
        dlon = dlat / max(0.1, abs(math.cos(math.radians(lat))))
        nearby = fetch_dicts(
            ctx.cur,
            f"""SELECT * FROM (
                    SELECT c.*, 2 * {EARTH_RADIUS_M} * asin(sqrt(pow(sin(radians(c.lat - $lat) / 2), 2)
                           + cos(radians($lat)) * cos(radians(c.lat)) * pow(sin(radians(c.lon - $lon) / 2), 2)))
                           AS distance_m
                    FROM ({located}) c
                    WHERE c.lat BETWEEN $lat - $dlat AND $lat + $dlat AND c.lon BETWEEN $lon - $dlon AND $lon + $dlon)
                WHERE distance_m <= $radius ORDER BY distance_m, time DESC LIMIT 100""",
            {"lat": lat, "lon": lon, "dlat": dlat, "dlon": dlon, "radius": ctx.radius_m},
        )
    blank_rows(ctx.cur, ctx.viewer, "call110", here + nearby, None)
    shown = {
        "at_address": [plain(ctx.viewer.row(r)) for r in here],
        "nearby": [plain(ctx.viewer.row(r)) for r in nearby],
        "radius_m": ctx.radius_m,
        "centre": list(centre) if centre else None,
    }
    return shown, notes


def place(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    ids, texts = _places(ctx)
    groups = _groups(ctx)
    incidents, notes = _incidents(ctx, ids, texts)
    if not ids:
        notes.append("no_standard_address")
    owner = groups.get("owner", {}).get("items", [])
    section = {
        "address": ctx.viewer.mask("address", ctx.best.get("address") or ctx.best.get("text")),
        "use": ctx.best.get("use"),
        "standard_addresses": list(rel.entity_refs(ctx.cur, ctx.viewer, ids).values()),
        "people": _people_at(ctx, ids, texts),
        "owner": owner or {"stated": ctx.viewer.mask("id_number", ctx.best.get("owner_id"))},
        "related": _pick(groups, "house", "address", "organization", "resident", "registered"),
        "incidents": incidents,
    }
    return section, notes


BUILDERS = {
    "vehicle": vehicle,
    "person": person,
    "organization": organization,
    "phone": phone,
    "house": place,
    "address": place,
}


def build(ctx: Context) -> tuple[dict[str, Any], list[str]]:
    builder = BUILDERS.get(ctx.entity["entity_type"])
    if builder is None:
        return {}, []
    section, notes = builder(ctx)
    return section, notes + [n for n in rel.notes_for(ctx.tables) if n not in notes]
