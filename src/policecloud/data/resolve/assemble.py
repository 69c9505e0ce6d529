"""The last resolution stage: fold every stage's links and claims into the master tables.

- ``links``: all record → entity links of all kinds.
- ``statements``: one row per entity, property and value, with the sources that gave it, how many records, first
  and last seen, and ``conflict`` when a property that should have one value has several (two birth dates for
  one ID number): conflicting values are kept side by side, never overwritten.
- ``entities``: one row per entity with a caption, its main key, the county used for jurisdiction, and counts.
"""

from __future__ import annotations

from typing import Any

from policecloud.data.model.types.plate import provinces
from policecloud.data.resolve.jobs import StageContext
from policecloud.data.resolve.records import has_table

KINDS = ("person", "vehicle", "organization", "phone", "house", "address")

# The property shown as an entity's caption, and the one that is its main key.
CAPTION = {
    "person": "name",
    "vehicle": "plate",
    "organization": "name",
    "phone": "number",
    "house": "address",
    "address": "text",
}
KEY = {
    "person": "id_number",
    "vehicle": "plate",
    "organization": "uscc",
    "phone": "number",
    "house": "code",
    "address": "code",
}
# Properties an entity has one value of; several values are a conflict to review.
SINGLE_VALUED = {
    "person": ("id_number", "birth_date", "sex"),
    "vehicle": ("vin", "registration_date"),
    "organization": ("uscc", "legal_representative"),
    "house": ("code",),
    "address": ("code",),
}


def _plate_divisions(ctx: StageContext) -> None:
    rows = [
        (abbr + letter, issuer.division)
        for abbr, province in provinces().items()
        for letter, issuer in province.issuers.items()
        if issuer.division
    ]
    ctx.con.execute("CREATE OR REPLACE TEMP TABLE plate_divisions (prefix VARCHAR, division VARCHAR)")
    ctx.con.executemany("INSERT INTO plate_divisions VALUES (?, ?)", rows)


def _union(ctx: StageContext, prefix: str) -> str:
    parts = [f"SELECT * FROM {prefix}_{kind}" for kind in KINDS if has_table(ctx.con, f"{prefix}_{kind}")]
    return " UNION ALL ".join(parts)


def _pairs(mapping: dict[str, Any]) -> str:
    rows = [(k, v) for k, values in mapping.items() for v in ((values,) if isinstance(values, str) else values)]
    return "(VALUES " + ", ".join(f"('{k}', '{v}')" for k, v in rows) + ") AS t(entity_type, property)"


def assemble(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    n_links = ctx.write("links", _union(ctx, "links"))
    n_statements = ctx.write(
        "statements",
        f"""WITH c AS ({_union(ctx, "claims")}),
        grouped AS (
            SELECT entity_id, entity_type, property, value, list(DISTINCT source ORDER BY source) AS sources,
                   count(*)::INTEGER AS records, min(seen) AS first_seen, max(seen) AS last_seen
            FROM c GROUP BY ALL),
        single AS (SELECT * FROM {_pairs(SINGLE_VALUED)})
        SELECT g.*, (s.property IS NOT NULL
                     AND count(*) OVER (PARTITION BY g.entity_id, g.property) > 1) AS conflict
        FROM grouped g LEFT JOIN single s USING (entity_type, property)""",
    )
    _plate_divisions(ctx)
    has_registry = has_table(con, "address_registry")
    address_county = (
        """SELECT p.entity_id, mode(r.county) AS county
           FROM links p JOIN links a ON a.record_key = p.record_key AND a.entity_type = 'address'
           JOIN address_registry r ON r.address_id = a.entity_id
           WHERE p.entity_type IN ('person', 'organization', 'house') AND p.role = 'subject'
           GROUP BY p.entity_id"""
        if has_registry
        else "SELECT NULL::VARCHAR AS entity_id, NULL::VARCHAR AS county WHERE false"
    )
    registry_county = (
        "SELECT address_id AS entity_id, county FROM address_registry"
        if has_registry
        else "SELECT NULL::VARCHAR AS entity_id, NULL::VARCHAR AS county WHERE false"
    )
    n_entities = ctx.write(
        "entities",
        f"""WITH counts AS (
                SELECT entity_id, any_value(entity_type) AS entity_type, count(DISTINCT record_key)::INTEGER AS records
                FROM links GROUP BY entity_id),
            best AS (
                SELECT s.entity_id, s.property, arg_max(s.value, s.records) AS value
                FROM statements s GROUP BY ALL),
            seen AS (SELECT entity_id, min(first_seen) AS first_seen, max(last_seen) AS last_seen
                     FROM statements GROUP BY entity_id),
            captions AS (SELECT * FROM {_pairs(CAPTION)}),
            keys AS (SELECT * FROM {_pairs(KEY)}),
            addr AS ({address_county}),
            reg AS ({registry_county})
        SELECT c.entity_id, c.entity_type, cap.value AS caption, k.value AS key,
               CASE c.entity_type
                   WHEN 'address' THEN reg.county
                   WHEN 'person' THEN coalesce(addr.county, substr(k.value, 1, 6))
                   WHEN 'organization' THEN coalesce(addr.county, substr(k.value, 3, 6))
                   WHEN 'house' THEN addr.county
                   WHEN 'vehicle' THEN pd.division
               END AS county,
               c.records, seen.first_seen, seen.last_seen
        FROM counts c
        LEFT JOIN captions cp ON cp.entity_type = c.entity_type
        LEFT JOIN best cap ON cap.entity_id = c.entity_id AND cap.property = cp.property
        LEFT JOIN keys kp ON kp.entity_type = c.entity_type
        LEFT JOIN best k ON k.entity_id = c.entity_id AND k.property = kp.property
        LEFT JOIN seen ON seen.entity_id = c.entity_id
        LEFT JOIN addr ON addr.entity_id = c.entity_id
        LEFT JOIN reg ON reg.entity_id = c.entity_id
        LEFT JOIN plate_divisions pd ON c.entity_type = 'vehicle' AND pd.prefix = substr(k.value, 1, 2)""",
    )
    conflicts = con.execute("SELECT count(DISTINCT entity_id) FROM statements WHERE conflict").fetchone()[0]
    return {"links": n_links, "statements": n_statements, "entities": n_entities, "entities_in_conflict": conflicts}
