"""The timeline of an entity: every dated event of its records, newest first, one page at a time.

Events are the rows of the event tables linked to the entity in the master ``links`` (hotel stays, internet
sessions, 110 calls, traffic violations, case involvements, in whatever role: the guest's stay is also the
hotel's). A vehicle's checkpoint passes are not linked row by row; they come from the event index by plate,
each pass an event when there are few, else one summary per day.

Paging is done in SQL over the linked events (first pass: keys and times only); the page's rows are then read
in full, masked for the viewer, with the other entities each record names.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import duckdb

from policecloud.apps.dossier.outside import blank, outside_persons
from policecloud.apps.dossier.reader import DossierSource, Viewer, fetch_dicts, linked_keys, plain, rows_where
from policecloud.apps.dossier.relations import entity_refs
from policecloud.platform.sql import ident

# Event tables: (time column, end column or None).
EVENT_TABLES = {
    "hotel_stay": ("start", "end"),
    "internet_session": ("start", "end"),
    "call110": ("time", None),
    "traffic_violation": ("time", None),
    "case_involvement": ("time", None),
}
LINEAGE = ("batch", "row", "day")
PASS_DETAIL_LIMIT = 100  # more passes than this are summarized per day
MAX_WINDOW = 10_000  # deepest row a page may reach


def _key(alias: str) -> str:
    return f"({alias}.batch || ':' || CAST({alias}.row AS VARCHAR))"


def _events_sql(tables: dict[str, set[str]], keys: dict[str, list[str]]) -> str | None:
    parts = []
    for table, (time_col, end_col) in EVENT_TABLES.items():
        if table not in keys or table not in tables or time_col not in tables[table]:
            continue
        end = f"t.{ident(end_col)}" if end_col and end_col in tables[table] else "NULL::TIMESTAMPTZ"
        parts.append(
            f"""SELECT l.record_key, '{table}' AS table_name, string_agg(DISTINCT l.role, ',' ORDER BY l.role) AS role,
                       min(t.{ident(time_col)}) AS time, min({end}) AS end_time
                FROM (SELECT record_key, role FROM links_e WHERE entity_id = $entity AND table_name = '{table}') l
                JOIN (SELECT * FROM {ident(table)} WHERE {rows_where(keys[table])}) t ON {_key("t")} = l.record_key
                GROUP BY l.record_key"""
        )
    return " UNION ALL ".join(parts) if parts else None


def _rows(cur, tables, table: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The full rows of ``table`` with these record keys."""
    drop = [c for c in LINEAGE if c in tables[table]]
    exclude = f" EXCLUDE ({', '.join(drop)})" if drop else ""
    rows = fetch_dicts(
        cur, f"SELECT {_key('t')} AS record_key, t.*{exclude} FROM {ident(table)} t WHERE {rows_where(keys, 't')}"
    )
    return {r.pop("record_key"): r for r in rows}


def _case_details(cur, tables, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not case_ids or "criminal_case" not in tables:
        return {}
    cols = [c for c in ("case_type", "category", "status", "summary", "place") if c in tables["criminal_case"]]
    if not cols:
        return {}
    rows = fetch_dicts(
        cur,
        f"SELECT case_number, {', '.join(cols)} FROM criminal_case WHERE case_number IN (SELECT unnest(?::VARCHAR[]))",
        [case_ids],
    )
    return {r.pop("case_number"): r for r in rows}


def records_in_page(cur, tables, viewer: Viewer, entity_id: str, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events of one page in full: the record's values (masked) and the other entities the record names
    (those outside the viewer's jurisdiction neither listed nor shown in the values, see ``outside``)."""
    by_table: dict[str, list[str]] = defaultdict(list)
    for e in page:
        by_table[e["table_name"]].append(e["record_key"])
    full: dict[str, dict[str, Any]] = {}
    for table, keys in by_table.items():
        full.update(_rows(cur, tables, table, keys))
    cases = _case_details(cur, tables, [r.get("case_id") for r in full.values() if r.get("case_id")])
    keys = [e["record_key"] for e in page]
    others = cur.execute(
        """SELECT record_key, entity_id, role FROM links_r
           WHERE record_key IN (SELECT unnest(?::VARCHAR[])) AND entity_id <> ? ORDER BY entity_type, role""",
        [keys, entity_id],
    ).fetchall()
    refs = entity_refs(cur, viewer, [o[1] for o in others])
    outside = outside_persons(cur, viewer, keys, entity_id)
    related: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, other, role in others:
        if other in refs:
            related[key].append({**refs[other], "role": role})
    out = []
    for e in page:
        row = blank(e["table_name"], dict(full.get(e["record_key"], {})), outside.get(e["record_key"], set()))
        withheld = row.pop("withheld", [])
        if row.get("case_id") in cases:
            row["case"] = viewer.row(cases[row["case_id"]])
        out.append(
            {
                "time": plain(e["time"]),
                "end": plain(e["end_time"]),
                "kind": e["table_name"],
                "record_key": e["record_key"],
                "record_id": row.pop("id", None),
                "source": row.pop("source", None),
                "role": e["role"],
                "data": plain(viewer.row(row)),
                "related": plain(related.get(e["record_key"], [])),
                **({"withheld": withheld} if withheld else {}),
            }
        )
    return out


def pass_events(source: DossierSource, plates: list[str], start, end) -> tuple[list[dict[str, Any]], list[str]]:
    """A vehicle's checkpoint passes as timeline events: one per pass when few, else one summary per day."""
    passes, notes = [], []
    for plate in plates:
        found = source.passes(plate, start, end)
        if found.source != "index":
            notes.append(f"passes_from_{found.source.replace('+', '_and_')}")
        passes += found.rows()
    passes.sort(key=lambda p: p["time"])
    if len(passes) <= PASS_DETAIL_LIMIT:
        return [_pass_event(p) for p in passes], notes
    days: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
    for p in passes:
        days[p["time"].date()].append(p)
    summaries = []
    for day, items in days.items():
        summaries.append(
            {
                "time": plain(items[0]["time"]),
                "end": plain(items[-1]["time"]),
                "kind": "checkpoint_day",
                "record_key": None,
                "role": "vehicle",
                "data": {
                    "day": day.isoformat(),
                    "passes": len(items),
                    "checkpoints": len({p["checkpoint_id"] for p in items}),
                    "first_checkpoint": items[0].get("checkpoint_name") or items[0]["checkpoint_id"],
                    "last_checkpoint": items[-1].get("checkpoint_name") or items[-1]["checkpoint_id"],
                    "plates": sorted({p["plate"] for p in items}),
                },
                "related": [],
            }
        )
    return summaries, notes


def _pass_event(p: dict[str, Any]) -> dict[str, Any]:
    data = {k: p.get(k) for k in ("plate", "checkpoint_id", "checkpoint_name", "direction", "lane", "speed")}
    return {"time": plain(p["time"]), "end": None, "kind": "checkpoint_pass", "record_key": p.get("record_key"),
            "record_id": p.get("id"), "source": p.get("source"), "role": "vehicle", "data": plain(data),
            "related": []}  # fmt: skip


def _instant(value: Any) -> float:
    """A sortable instant of an event time (ISO text or datetime); undated events sort last."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.timestamp() if isinstance(value, dt.datetime) else float("-inf")


def timeline(
    source: DossierSource,
    cur: duckdb.DuckDBPyConnection,
    viewer: Viewer,
    entity: dict[str, Any],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 50,
    newest_first: bool = True,
) -> dict[str, Any]:
    """One page of the entity's events in the half-open range [start, end)."""
    tables = source.tables()
    entity_id = entity["entity_id"]
    keys = linked_keys(cur, entity_id)
    offset = (page - 1) * per_page
    window = min(offset + per_page, MAX_WINDOW)
    order = "DESC" if newest_first else "ASC"
    union = _events_sql(tables, keys)
    sql_events: list[dict[str, Any]] = []
    total = 0
    if union:
        where = "WHERE ($start IS NULL OR time >= $start) AND ($end IS NULL OR time < $end)"
        params = {"entity": entity_id, "start": start, "end": end}
        total = cur.execute(f"SELECT count(*) FROM ({union}) {where}", params).fetchone()[0]
        sql_events = fetch_dicts(
            cur,
            f"SELECT * FROM ({union}) {where} ORDER BY time {order} NULLS LAST, record_key LIMIT {window}",
            params,
        )
    notes: list[str] = []
    extra: list[dict[str, Any]] = []
    if entity["entity_type"] == "vehicle":
        plates = [r[0] for r in cur.execute(
            "SELECT DISTINCT value FROM statements_e WHERE entity_id = ? AND property = 'plate'", [entity_id]
        ).fetchall()]  # fmt: skip
        extra, notes = pass_events(source, plates, start, end)
        total += len(extra)
    merged = [("sql", e["time"], e) for e in sql_events] + [("pass", e["time"], e) for e in extra]
    merged.sort(key=lambda m: _instant(m[1]), reverse=newest_first)
    chosen = merged[offset:window]
    detailed = records_in_page(cur, tables, viewer, entity_id, [m[2] for m in chosen if m[0] == "sql"])
    by_key = {d["record_key"]: d for d in detailed}
    items = [by_key[m[2]["record_key"]] if m[0] == "sql" else m[2] for m in chosen]
    return {
        "entity_id": entity_id,
        "start": plain(start),
        "end": plain(end),
        "page": page,
        "per_page": per_page,
        "total": total,
        "items": items,
        "more": max(0, total - offset - len(items)),
        "notes": notes,
    }
