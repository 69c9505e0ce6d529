"""The profile of an entity (全息档案): its master row, every property value with its sources, its records, and
the sections of its type (see ``sections``).

Every value comes from ``statements``: for one property all values are listed side by side with the sources that
gave them, how many records, when first and last seen, and whether the property is in conflict (a single-valued
property with several values). Records are the entity's ``links`` joined back to the warehouse rows, grouped by
table, one page per table.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from policecloud.apps.dossier import sections
from policecloud.apps.dossier.outside import withheld_properties
from policecloud.apps.dossier.reader import (
    SENSITIVE,
    DossierSource,
    Viewer,
    fetch_dicts,
    linked_keys,
    plain,
)
from policecloud.apps.dossier.records import records
from policecloud.apps.dossier.timeline import LINEAGE  # noqa: F401


def find_entity(cur: duckdb.DuckDBPyConnection, viewer: Viewer, entity_id: str) -> dict[str, Any] | None:
    """The entity's master row if it exists inside the viewer's jurisdiction (applied in the query)."""
    rows = fetch_dicts(
        cur,
        f"""SELECT entity_id, entity_type, caption, key, county, records, first_seen, last_seen
            FROM entities_e WHERE entity_id = ? AND {viewer.scope_sql("county")}""",
        [entity_id],
    )
    return rows[0] if rows else None


def properties(
    cur: duckdb.DuckDBPyConnection, viewer: Viewer, entity_id: str, withheld: set[str] | frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Each property with all its values (most records first), their sources and the conflict flag; the
    properties in ``withheld`` (naming a person outside the jurisdiction) are listed without values."""
    rows = fetch_dicts(
        cur,
        """SELECT property, value, sources, records, first_seen, last_seen, conflict FROM statements_e
           WHERE entity_id = ? ORDER BY property, records DESC, last_seen DESC NULLS LAST, value""",
        [entity_id],
    )
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        prop = grouped.setdefault(r["property"], {"property": r["property"], "conflict": False, "values": []})
        if r["property"] in withheld:
            prop["withheld"] = True
            continue
        prop["conflict"] = prop["conflict"] or bool(r["conflict"])
        value = viewer.mask(SENSITIVE.get(r["property"]), r["value"])
        prop["values"].append(
            plain({**{k: r[k] for k in ("sources", "records", "first_seen", "last_seen")}, "value": value,
                   "conflict": bool(r["conflict"])})
        )  # fmt: skip
    return list(grouped.values())


def best_values(cur: duckdb.DuckDBPyConnection, entity_id: str) -> dict[str, str]:
    """The most attested value of each property (unmasked: for computing, never shown as such)."""
    rows = cur.execute(
        """SELECT property, arg_max(value, (records, last_seen)) FROM statements_e WHERE entity_id = ?
           GROUP BY property""",
        [entity_id],
    ).fetchall()
    return dict(rows)


def record_counts(cur: duckdb.DuckDBPyConnection, entity_id: str) -> list[dict[str, Any]]:
    rows = cur.execute(
        """SELECT table_name, count(DISTINCT record_key) FROM links_e WHERE entity_id = ? AND table_name IS NOT NULL
           GROUP BY 1 ORDER BY 2 DESC, 1""",
        [entity_id],
    ).fetchall()
    return [{"table": t, "total": int(n)} for t, n in rows]


def profile(
    source: DossierSource,
    cur: duckdb.DuckDBPyConnection,
    viewer: Viewer,
    entity: dict[str, Any],
    *,
    today: dt.date,
    per_table: int = 10,
    radius_m: float = 500.0,
) -> dict[str, Any]:
    """The whole profile of an entity already found in the viewer's jurisdiction (see :func:`find_entity`)."""
    tables = source.tables()
    entity_id = entity["entity_id"]
    keys = linked_keys(cur, entity_id)
    recs = [
        records(cur, tables, viewer, entity_id, c["table"], per_page=per_table, keys=keys.get(c["table"], []))
        for c in record_counts(cur, entity_id)
    ]
    withheld = withheld_properties(cur, viewer, entity_id)
    best = {k: v for k, v in best_values(cur, entity_id).items() if k not in withheld}
    context = sections.Context(source, cur, tables, viewer, entity, best, today, radius_m)
    section, notes = sections.build(context)
    return {
        "entity": plain({**viewer.entity(entity), "in_scope": True}),
        "properties": properties(cur, viewer, entity_id, withheld),
        "records": recs,
        "sections": plain(section),
        "notes": notes,
        "run": source.run_id,
    }
