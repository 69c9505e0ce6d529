"""Resolution of entities that carry a reliable key: vehicles, organizations, phones, houses and addresses.

- Vehicles: one entity per VIN; a record without a VIN joins the vehicle that carries its plate when exactly one
  VIN-bearing vehicle does, else one entity per plate. A plate seen on several VINs stays several vehicles
  (possible cloned plate, 套牌) and is reported by the quality stage. Violations and hotlist entries link by
  plate. Checkpoint passes are not linked row by row (≈100 M rows): the dossier reads them by plate from the
  event index.
- Organizations: by unified social credit code; without one, by normalized name + standard address (or raw
  address), joining a coded organization of the same name and address. Hotel stays and internet sessions link
  to their hotel / café by code.
- Phones: one entity per normalized number, from every column that holds one.
- Houses: one entity per standard address (the house's matched address), else per house code.
- Addresses: one entity per standard address of the registry; every matched address mention links to it.
"""

from __future__ import annotations

from typing import Any

from policecloud.data.resolve.jobs import StageContext
from policecloud.data.resolve.records import (
    CLAIM_COLUMNS,
    LINK_COLUMNS,
    columns,
    empty_claims,
    empty_links,
    entity_id_sql,
    has_table,
    record_key,
    seen_sql,
    unpivot_claims,
)


def _union(queries: list[str], names: str) -> str:
    """UNION ALL of queries whose columns are positional: each gets the layout's column names."""
    return " UNION ALL ".join(f"SELECT * FROM ({q}) AS u({names})" for q in queries)


def _write_pair(ctx: StageContext, kind: str, links: list[str], claims: list[str]) -> dict[str, Any]:
    n_links = ctx.write(f"links_{kind}", _union(links, LINK_COLUMNS) if links else empty_links())
    n_claims = ctx.write(f"claims_{kind}", _union(claims, CLAIM_COLUMNS) if claims else empty_claims())
    entities = ctx.con.execute(f"SELECT count(DISTINCT entity_id) FROM links_{kind}").fetchone()[0]
    return {"links": n_links, "claims": n_claims, "entities": entities}


def _address_of(ctx: StageContext, table: str, field: str, alias: str = "t") -> tuple[str, str]:
    """(join clause, address_id expression) for a table's address column, via the address stage's matches."""
    if not has_table(ctx.con, "address_matches"):
        return "", "NULL::VARCHAR"
    join = (
        f"LEFT JOIN (SELECT record_key AS am_key, address_id FROM address_matches "
        f"WHERE table_name = '{table}' AND field = '{field}') am ON am.am_key = {record_key(alias)}"
    )
    return join, "am.address_id"


def resolve_vehicles(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    if not has_table(con, "vehicle"):
        return _write_pair(ctx, "vehicle", [], [])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE vehicle_anchor AS
        WITH recs AS (
            SELECT {record_key("t")} AS record_key, t.id, t.source, t.plate, nullif(trim(t.vin), '') AS vin,
                   {seen_sql(con, "vehicle")} AS seen
            FROM vehicle t LEFT JOIN batch_info b ON b.batch = t.batch),
        plate_vins AS (SELECT plate, min(vin) AS vin, count(DISTINCT vin) AS n FROM recs
                       WHERE vin IS NOT NULL AND plate IS NOT NULL GROUP BY plate)
        SELECT r.*, CASE WHEN r.vin IS NOT NULL THEN 'vin:' || r.vin
                         WHEN pv.n = 1 THEN 'vin:' || pv.vin
                         WHEN r.plate IS NOT NULL THEN 'plate:' || r.plate
                         ELSE 'record:' || r.record_key END AS anchor,
               CASE WHEN r.vin IS NOT NULL AND r.plate IS NOT NULL THEN 'plate_vin'
                    WHEN r.vin IS NOT NULL THEN 'vin' WHEN pv.n = 1 THEN 'plate_vin'
                    WHEN r.plate IS NOT NULL THEN 'plate' ELSE 'singleton' END AS method
        FROM recs r LEFT JOIN plate_vins pv USING (plate)"""
    )
    # A plate maps to one entity for linking by plate: the one its latest registry record belongs to.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE plate_entity AS
        SELECT plate, arg_max({entity_id_sql("vehicle", "anchor")}, seen) AS entity_id
        FROM vehicle_anchor WHERE plate IS NOT NULL GROUP BY plate"""
    )
    links = [
        f"""SELECT record_key, 'vehicle' AS table_name, id AS record_id, source, 'subject' AS role,
                   'vehicle' AS entity_type, {entity_id_sql("vehicle", "anchor")} AS entity_id, method, 1.0 AS score
            FROM vehicle_anchor"""
    ]
    cols = columns(con, "vehicle")
    props = [
        p
        for p in (
            "plate",
            "plate_type",
            "vin",
            "brand",
            "color",
            "registration_date",
            "inspection_valid_until",
            "owner_id",
            "owner_name",
        )
        if p in cols
    ]
    claims = [
        unpivot_claims(
            f"""SELECT {entity_id_sql("vehicle", "a.anchor")} AS entity_id, a.source, a.seen,
                       {", ".join("t." + p for p in props)}
                FROM vehicle_anchor a JOIN vehicle t ON {record_key("t")} = a.record_key""",
            "vehicle",
            props,
        )
    ]
    if has_table(con, "traffic_violation"):
        links.append(
            f"""SELECT {record_key("t")}, 'traffic_violation', t.id, t.source, 'vehicle', 'vehicle',
                       coalesce(pe.entity_id, {entity_id_sql("vehicle", "'plate:' || t.plate")}), 'plate', 1.0
                FROM traffic_violation t LEFT JOIN plate_entity pe USING (plate) WHERE t.plate IS NOT NULL"""
        )
        vprops = [p for p in ("plate", "plate_type") if p in columns(con, "traffic_violation")]
        claims.append(
            unpivot_claims(
                f"""SELECT coalesce(pe.entity_id, {entity_id_sql("vehicle", "'plate:' || t.plate")}) AS entity_id,
                           t.source, {seen_sql(con, "traffic_violation")} AS seen, {", ".join("t." + p for p in vprops)}
                    FROM traffic_violation t LEFT JOIN plate_entity pe USING (plate)
                    LEFT JOIN batch_info b ON b.batch = t.batch WHERE t.plate IS NOT NULL""",
                "vehicle",
                vprops,
            )
        )
    return _write_pair(ctx, "vehicle", links, claims)


def resolve_organizations(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    if not has_table(con, "organization"):
        return _write_pair(ctx, "organization", [], [])
    join, address_id = _address_of(ctx, "organization", "address")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE org_anchor AS
        WITH recs AS (
            SELECT {record_key("t")} AS record_key, t.id, t.source, t.uscc,
                   regexp_replace(coalesce(t.name, ''), '[\\s（）()]', '', 'g') AS norm_name,
                   coalesce({address_id}, regexp_replace(coalesce(t.address, ''), '\\s', '', 'g')) AS place,
                   {seen_sql(con, "organization")} AS seen
            FROM organization t LEFT JOIN batch_info b ON b.batch = t.batch {join}),
        coded AS (SELECT norm_name, place, min(uscc) AS uscc, count(DISTINCT uscc) AS n FROM recs
                  WHERE uscc IS NOT NULL AND norm_name <> '' GROUP BY ALL)
        SELECT r.*, CASE WHEN r.uscc IS NOT NULL THEN 'uscc:' || r.uscc
                         WHEN c.n = 1 THEN 'uscc:' || c.uscc
                         WHEN r.norm_name <> '' THEN 'name:' || r.norm_name || '|' || r.place
                         ELSE 'record:' || r.record_key END AS anchor,
               CASE WHEN r.uscc IS NOT NULL THEN 'uscc' WHEN r.norm_name <> '' THEN 'name_address'
                    ELSE 'singleton' END AS method
        FROM recs r LEFT JOIN coded c USING (norm_name, place)"""
    )
    links = [
        f"""SELECT record_key, 'organization', id, source, 'subject', 'organization',
                   {entity_id_sql("organization", "anchor")}, method, 1.0 FROM org_anchor"""
    ]
    cols = columns(con, "organization")
    props = [p for p in ("name", "uscc", "org_type", "address", "legal_representative", "phone") if p in cols]
    claims = [
        unpivot_claims(
            f"""SELECT {entity_id_sql("organization", "a.anchor")} AS entity_id, a.source, a.seen,
                       {", ".join("t." + p for p in props)}
                FROM org_anchor a JOIN organization t ON {record_key("t")} = a.record_key""",
            "organization",
            props,
        )
    ]
    # Stays and sessions name their hotel / café by its code.
    for table, column, role in (("hotel_stay", "hotel_id", "hotel"), ("internet_session", "cafe_id", "cafe")):
        if has_table(con, table) and column in columns(con, table):
            links.append(
                f"""SELECT {record_key("t")}, '{table}', t.id, t.source, '{role}', 'organization',
                           {entity_id_sql("organization", f"'uscc:' || t.{column}")}, 'uscc', 1.0
                    FROM {table} t WHERE t.{column} IS NOT NULL"""
            )
    return _write_pair(ctx, "organization", links, claims)


# Columns that hold a phone number, by table, and the role the phone plays for that record.
PHONE_COLUMNS = (
    ("person", "phone", "phone"),
    ("organization", "phone", "phone"),
    ("call110", "caller_phone", "caller"),
)


def resolve_phones(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    links, claims = [], []
    for table, column, role in PHONE_COLUMNS:
        if not has_table(con, table) or column not in columns(con, table):
            continue
        eid = entity_id_sql("phone", f"t.{column}")
        links.append(
            f"""SELECT {record_key("t")}, '{table}', t.id, t.source, '{role}', 'phone', {eid}, 'number', 1.0
                FROM {table} t WHERE t.{column} IS NOT NULL"""
        )
        claims.append(
            f"""SELECT {eid}, 'phone', 'number', t.{column}, t.source, {seen_sql(con, table)}
                FROM {table} t LEFT JOIN batch_info b ON b.batch = t.batch WHERE t.{column} IS NOT NULL"""
        )
    return _write_pair(ctx, "phone", links, claims)


def resolve_houses(ctx: StageContext) -> dict[str, Any]:
    con = ctx.con
    if not has_table(con, "house"):
        return _write_pair(ctx, "house", [], [])
    join, address_id = _address_of(ctx, "house", "address")
    anchor = f"coalesce('address:' || {address_id}, 'code:' || t.code, 'record:' || {record_key('t')})"
    method = f"CASE WHEN {address_id} IS NOT NULL THEN 'address' ELSE 'code' END"
    base = f"""SELECT {record_key("t")} AS record_key, t.*, {entity_id_sql("house", anchor)} AS entity_id,
                      {method} AS method, {seen_sql(con, "house")} AS seen
               FROM house t LEFT JOIN batch_info b ON b.batch = t.batch {join}"""
    links = [f"SELECT record_key, 'house', id, source, 'subject', 'house', entity_id, method, 1.0 FROM ({base})"]
    props = [p for p in ("code", "address", "use", "owner_id") if p in columns(con, "house")]
    return _write_pair(ctx, "house", links, [unpivot_claims(base, "house", props)])


def resolve_address_entities(ctx: StageContext) -> dict[str, Any]:
    """Address entities from the registry; links from every matched address mention."""
    con = ctx.con
    if not has_table(con, "address_registry"):
        return _write_pair(ctx, "address", [], [])
    seen = "(SELECT max(committed_at) FROM batch_info)"
    claims = [
        f"""SELECT address_id, 'address', 'text', text, unnest(coalesce(sources, ['address_registry'])), {seen}
            FROM address_registry""",
        f"""SELECT address_id, 'address', 'code', code, 'address_registry', {seen} FROM address_registry""",
    ]
    tables = [r[0] for r in con.execute("SELECT DISTINCT table_name FROM address_matches").fetchall()]
    links = [
        f"""SELECT m.record_key, m.table_name, t.id, t.source, m.field, 'address', m.address_id,
                   'address_' || m.method, m.score
            FROM address_matches m JOIN {table} t ON {record_key("t")} = m.record_key
            WHERE m.table_name = '{table}' AND m.address_id IS NOT NULL"""
        for table in tables
        if has_table(con, table)
    ]
    return _write_pair(ctx, "address", links, claims)
