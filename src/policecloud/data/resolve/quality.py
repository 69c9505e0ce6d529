"""The resolution quality report: per source and overall, what resolution found and what needs review.

Rows of the ``quality`` table: (scope, entity_type, metric, value) where scope is a source name or 'overall'.
Metrics: records and entities linked; duplicates found (records of one source that resolved to an entity
already seen in that source — e.g. a person registered twice); links by method; addresses matched exactly,
fuzzily, ambiguous and unmatched; entities with conflicting values; plates carried by several vehicles.
"""

from __future__ import annotations

from typing import Any

from policecloud.data.resolve.jobs import StageContext
from policecloud.data.resolve.records import has_table

QUALITY_COLUMNS = "scope, entity_type, metric, value"


def quality(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    parts = [
        # records and entities per source and kind (the record's own entity)
        """SELECT source, entity_type, 'records', count(DISTINCT record_key) FROM links
           WHERE role = 'subject' GROUP BY ALL""",
        """SELECT source, entity_type, 'entities', count(DISTINCT entity_id) FROM links
           WHERE role = 'subject' GROUP BY ALL""",
        """SELECT source, entity_type, 'duplicates_found', count(DISTINCT record_key) - count(DISTINCT entity_id)
           FROM links WHERE role = 'subject' GROUP BY ALL""",
        """SELECT 'overall', entity_type, 'links.' || method, count(*) FROM links GROUP BY ALL""",
        """SELECT source, entity_type, 'links.' || method, count(*) FROM links GROUP BY ALL""",
        """SELECT 'overall', entity_type, 'entities', count(*) FROM entities GROUP BY ALL""",
        """SELECT 'overall', entity_type, 'entities_in_conflict', count(DISTINCT entity_id) FROM statements
           WHERE conflict GROUP BY ALL""",
        """SELECT 'overall', 'vehicle', 'plates_on_several_vehicles', count(*) FROM (
               SELECT value FROM statements WHERE entity_type = 'vehicle' AND property = 'plate'
               GROUP BY value HAVING count(DISTINCT entity_id) > 1)""",
    ]
    if has_table(con, "address_matches"):
        parts += [
            """SELECT coalesce(b.source, '?'), 'address', 'addresses.' || m.method, count(*)
               FROM address_matches m LEFT JOIN batch_info b ON b.batch = split_part(m.record_key, ':', 1)
               GROUP BY ALL""",
            """SELECT 'overall', 'address', 'addresses.' || method, count(*) FROM address_matches GROUP BY ALL""",
        ]
    union = " UNION ALL ".join(f"SELECT * FROM ({p}) AS q({QUALITY_COLUMNS})" for p in parts)
    rows = ctx.write(
        "quality", f"SELECT {QUALITY_COLUMNS.replace('value', 'value::BIGINT AS value')} FROM ({union}) ORDER BY ALL"
    )
    overall = dict(
        ((t, m), v)
        for t, m, v in con.execute("SELECT entity_type, metric, value FROM quality WHERE scope = 'overall'").fetchall()
    )
    return {
        "rows": rows,
        "entities": {t: v for (t, m), v in overall.items() if m == "entities"},
        "conflicts": sum(v for (t, m), v in overall.items() if m == "entities_in_conflict"),
        "addresses_unmatched": overall.get(("address", "addresses.unmatched"), 0),
    }


def review_lists(con, limit: int = 50) -> dict[str, list[tuple]]:
    """What a data steward looks at: conflicting values, unmatched and ambiguous addresses."""
    lists = {
        "conflicts": con.execute(
            f"""SELECT entity_id, entity_type, property, list(value ORDER BY records DESC) AS values
                FROM statements WHERE conflict GROUP BY ALL ORDER BY entity_id LIMIT {int(limit)}"""
        ).fetchall()
    }
    if has_table(con, "address_matches"):
        lists["addresses"] = con.execute(
            f"""SELECT method, raw, count(*) AS records FROM address_matches
                WHERE method IN ('unmatched', 'ambiguous') GROUP BY ALL ORDER BY records DESC LIMIT {int(limit)}"""
        ).fetchall()
    return lists
