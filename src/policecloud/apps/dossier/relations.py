"""Relations of an entity, grouped by kind with a cap and paging per kind, and the shortest path between two
entities over the relation edges (see ``edges`` for what a relation is and how edges are found).

A hotel has thousands of guests: each kind lists one page and says how many more there are. The path is a
bidirectional breadth-first search that expands a whole level per step, bounded in depth and in the number of
entities reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from policecloud.apps.dossier.edges import SHARED_KINDS, find_edges, neighbours, notes_for
from policecloud.apps.dossier.outside import listable, placeholder
from policecloud.apps.dossier.reader import ENTITY_TYPES, Viewer, fetch_dicts

__all__ = ["SHARED_KINDS", "entity_refs", "neighbours", "notes_for", "relations", "shortest_path"]
MAX_DEPTH = 6


def entity_refs(cur: duckdb.DuckDBPyConnection, viewer: Viewer, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Entities by id as a viewer may see them in a list: caption and key masked, ``in_scope`` for linking.
    Only the listable ones (see ``outside``): an entity outside the viewer's jurisdiction is not returned."""
    values = sorted(set(ids))
    if not values:
        return {}
    rows = fetch_dicts(
        cur,
        "SELECT entity_id, entity_type, caption, key, county, records FROM entities_e "
        "WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))",
        [values],
    )
    return {
        r["entity_id"]: {**viewer.entity(r), "in_scope": viewer.covers(r["county"])}
        for r in rows
        if listable(viewer, r["entity_type"], r["county"])
    }


def relations(
    cur: duckdb.DuckDBPyConnection,
    tables: dict[str, set[str]],
    viewer: Viewer,
    entity_id: str,
    *,
    kind: str | None = None,
    page: int = 1,
    per_kind: int = 20,
) -> dict[str, Any]:
    """The entity's relations grouped by kind: per kind the total and one page of related entities.

    Related entities outside the viewer's jurisdiction are not listed: ``total`` counts the listed ones,
    ``withheld`` the others (see ``outside``)."""
    find_edges(cur, tables, [entity_id], kind)
    _keep_listable(cur, viewer)
    totals = {
        k: (int(listed), int(everyone))
        for k, listed, everyone in cur.execute(
            "SELECT kind, count(*) FILTER (WHERE dst IN (SELECT dst FROM _listable)), count(*) FROM _edges "
            "GROUP BY kind"
        ).fetchall()
    }
    offset = (page - 1) * per_kind
    rows = fetch_dicts(
        cur,
        """SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY kind ORDER BY weight DESC, last_at DESC NULLS LAST,
                                                       dst) AS n FROM _edges
                          WHERE (? IS NULL OR kind = ?) AND dst IN (SELECT dst FROM _listable))
           WHERE n > ? AND n <= ? ORDER BY kind, n""",
        [kind, kind, offset, offset + per_kind],
    )
    refs = entity_refs(cur, viewer, [r["dst"] for r in rows] + [r["detail"] for r in rows if _is_entity(r["detail"])])
    groups: dict[str, dict[str, Any]] = {}
    for k, (total, everyone) in sorted(totals.items()):
        if kind is None or k == kind:
            groups[k] = {"kind": k, "total": total, "withheld": everyone - total, "page": page,
                         "per_kind": per_kind, "items": []}  # fmt: skip
    for r in rows:
        ref = refs[r["dst"]]
        groups[r["kind"]]["items"].append(
            {**ref, "detail": _detail(viewer, r["kind"], r["detail"], refs), "weight": r["weight"], "at": r["last_at"]}
        )
    for g in groups.values():
        g["more"] = max(0, g["total"] - offset - len(g["items"]))
    return {"entity_id": entity_id, "kinds": list(groups.values()), "notes": notes_for(tables)}


def _keep_listable(cur: duckdb.DuckDBPyConnection, viewer: Viewer) -> None:
    """Temp table ``_listable``: the related entities of ``_edges`` the viewer may see named (see ``outside``)."""
    related = [r[0] for r in cur.execute("SELECT DISTINCT dst FROM _edges").fetchall()]
    rows = cur.execute(
        "SELECT entity_id, entity_type, county FROM entities_e WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))",
        [related],
    ).fetchall()
    shown = sorted(e for e, kind, county in rows if listable(viewer, kind, county))
    cur.execute("CREATE OR REPLACE TEMP TABLE _listable AS SELECT unnest(?::VARCHAR[]) AS dst", [shown])


def _is_entity(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 17 and value[0] in "PVOTHA"


def _detail(viewer: Viewer, kind: str, detail: Any, refs: dict[str, dict[str, Any]]) -> Any:
    """A relation's detail as shown: the shared phone or address by caption, masked like the entity itself."""
    if _is_entity(detail):
        ref = refs.get(detail)
        return ref["caption"] if ref else None
    if kind == "co_residence" and isinstance(detail, str) and detail.startswith("text:"):
        return viewer.mask("address", detail[5:])
    return detail


def shortest_path(
    cur: duckdb.DuckDBPyConnection,
    tables: dict[str, set[str]],
    viewer: Viewer,
    start: str,
    goal: str,
    *,
    max_depth: int = 4,
    max_nodes: int = 20000,
) -> dict[str, Any]:
    """The shortest chain of relations from ``start`` to ``goal`` (bidirectional breadth-first search).

    At most ``max_depth`` edges; the search stops (``truncated``) when more than ``max_nodes`` entities have
    been reached. Entities of the chain outside the viewer's jurisdiction are placeholders (their type only,
    see ``outside``); ``chain`` has the ids of every node, for the audit log only (the route takes it out).
    """
    max_depth = max(1, min(max_depth, MAX_DEPTH))
    # node → (parent, kind, detail, depth), for the side that reached it
    seen = ({start: (None, None, None, 0)}, {goal: (None, None, None, 0)})
    frontiers = [{start}, {goal}]
    depths = [0, 0]
    truncated, meet = False, None
    if start == goal:
        meet = start
    while meet is None and frontiers[0] and frontiers[1] and depths[0] + depths[1] < max_depth:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        found: dict[str, tuple] = {}
        for src, dst, kind, detail in neighbours(cur, tables, frontiers[side]):
            if dst not in seen[side] and dst not in found:
                found[dst] = (src, kind, detail, depths[side] + 1)
        seen[side].update(found)
        depths[side] += 1
        frontiers[side] = set(found)
        met = [n for n in found if n in seen[1 - side]]
        if met:
            meet = min(met, key=lambda n: (seen[1 - side][n][3], n))
        elif len(seen[0]) + len(seen[1]) > max_nodes:
            truncated = True
            break
    explored = len(seen[0]) + len(seen[1])
    if meet is None:
        return {"found": False, "nodes": [], "edges": [], "depth": None, "max_depth": max_depth,
                "explored": explored, "truncated": truncated}  # fmt: skip
    chain, edges = _chain(seen, meet)
    refs = entity_refs(cur, viewer, chain + [e["detail"] for e in edges if _is_entity(e["detail"])])
    nodes = [dict(refs[n]) if n in refs else placeholder(ENTITY_TYPES.get(n[:1])) for n in chain]
    for e in edges:
        e["detail"] = _detail(viewer, e["kind"], e["detail"], refs)
        e["from"] = e["from"] if e["from"] in refs else None
        e["to"] = e["to"] if e["to"] in refs else None
    return {"found": True, "nodes": nodes, "edges": edges, "depth": len(edges), "max_depth": max_depth,
            "explored": explored, "truncated": False, "chain": chain}  # fmt: skip


def _chain(seen: tuple[dict, dict], meet: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The node chain start … meet … goal and its edges, from the parents both searches recorded."""
    left, edges_left = [meet], []
    node = meet
    while seen[0][node][0] is not None:
        parent, kind, detail, _ = seen[0][node]
        edges_left.append({"from": parent, "to": node, "kind": kind, "detail": detail})
        left.append(parent)
        node = parent
    left.reverse()
    edges_left.reverse()
    right, edges_right = [], []
    node = meet
    while seen[1][node][0] is not None:
        parent, kind, detail, _ = seen[1][node]
        # stated as found (parent → node), listed in chain order (node, then parent)
        edges_right.append({"from": parent, "to": node, "kind": kind, "detail": detail})
        right.append(parent)
        node = parent
    return left + right, edges_left + edges_right
