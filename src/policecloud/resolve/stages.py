"""The stages of a resolution run, in order, and the adapters that call each resolver.

addresses → persons → vehicles → organizations → houses → phones → entities (assembly) → quality. Persons and
houses use the standard addresses matched by the first stage; the assembly folds every stage's links and
claims into the master tables.
"""

from __future__ import annotations

from typing import Any

from policecloud.resolve import keyed
from policecloud.resolve.assemble import assemble
from policecloud.resolve.jobs import Stage, StageContext
from policecloud.resolve.quality import quality
from policecloud.resolve.records import has_table, unpivot_claims

# The role a person plays in a record of each table (case involvements carry their own role).
PERSON_ROLE = {
    "person": "subject",
    "hotel_stay": "guest",
    "internet_session": "user",
    "call110": "caller",
    "house": "owner",
    "organization": "legal_representative",
    "vehicle": "owner",
}
PERSON_PROPERTIES = ["name", "id_number", "sex", "birth_date", "phone"]


def _keep_as(ctx: StageContext, table: str, name: str) -> int:
    """Write a table a resolver built on the connection as the run's table ``name``."""
    ctx.con.execute(f'ALTER TABLE "{table}" RENAME TO "{table}__built"')
    return ctx.write(name, f'SELECT * FROM "{table}__built"')


def resolve_addresses(ctx: StageContext) -> dict[str, Any]:
    from policecloud.resolve import addresses

    con = ctx.con
    addresses.build_address_registry(con, ctx.province_dir)
    registry = _keep_as(ctx, "address_registry", "address_registry")
    con.execute(f"CREATE OR REPLACE TEMP TABLE address_inputs AS {addresses.address_inputs_sql(con)}")
    addresses.match_addresses(con, "address_inputs")
    matches = _keep_as(ctx, "address_matches", "address_matches")
    by_method = dict(con.execute("SELECT method, count(*) FROM address_matches GROUP BY 1").fetchall())
    stats = {"registry": registry, "mentions": matches, **{f"matched_{k}": v for k, v in sorted(by_method.items())}}
    stats.update(keyed.resolve_address_entities(ctx))
    return stats


def resolve_persons(ctx: StageContext) -> dict[str, Any]:
    from policecloud.resolve import person_mentions, persons

    con = ctx.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE person_mentions AS {person_mentions.person_mentions_sql(con)}")
    con.execute("CREATE OR REPLACE TEMP TABLE judgements (left_key VARCHAR, right_key VARCHAR, verdict VARCHAR)")
    if ctx.judgements:
        con.executemany("INSERT INTO judgements VALUES (?, ?, ?)", ctx.judgements)
    result = persons.link_persons(con, "person_mentions", "judgements")
    roles = " ".join(f"WHEN '{t}' THEN '{r}'" for t, r in PERSON_ROLE.items())
    case_role = "coalesce(cr.role, 'involved')" if has_table(con, "case_involvement") else "'involved'"
    case_join = (
        "LEFT JOIN (SELECT batch || ':' || CAST(row AS VARCHAR) AS k, role FROM case_involvement) cr "
        "ON cr.k = m.record_key"
        if has_table(con, "case_involvement")
        else ""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE person_linked AS
        SELECT m.*, l.entity_id, l.method, l.score, b.table_name,
               CASE b.table_name {roles} WHEN 'case_involvement' THEN {case_role} ELSE 'mentioned' END AS role,
               b.committed_at
        FROM person_mentions m JOIN person_links l USING (record_key)
        LEFT JOIN batch_info b ON b.batch = split_part(m.record_key, ':', 1) {case_join}"""
    )
    # The source record id, from each table the mentions come from.
    id_parts = [
        f"""SELECT batch || ':' || CAST(row AS VARCHAR) AS record_key, id AS record_id FROM "{t}"
            WHERE batch IN (SELECT batch FROM batch_info WHERE table_name = '{t}')"""
        for (t,) in con.execute("SELECT DISTINCT table_name FROM person_linked WHERE table_name IS NOT NULL").fetchall()
    ]
    ids = " UNION ALL ".join(id_parts) or "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS record_id"
    links = ctx.write(
        "links_person",
        f"""SELECT p.record_key, p.table_name, i.record_id, p.source, p.role, 'person' AS entity_type, p.entity_id,
                   p.method, p.score
            FROM person_linked p LEFT JOIN ({ids}) i USING (record_key)""",
    )
    seen = "coalesce(TRY_CAST(m.seen AS TIMESTAMPTZ), m.committed_at)" if "seen" in _cols(con) else "m.committed_at"
    props = [p for p in PERSON_PROPERTIES if p in _cols(con)]
    claims = ctx.write(
        "claims_person",
        unpivot_claims(
            f"SELECT m.entity_id, m.source, {seen} AS seen, {', '.join('m.' + p for p in props)} FROM person_linked m",
            "person",
            props,
        ),
    )
    stats = {"mentions": links, "claims": claims}
    stats.update({k: v for k, v in (result or {}).items() if isinstance(v, int | float | str)})
    stats["entities"] = con.execute("SELECT count(DISTINCT entity_id) FROM person_links").fetchone()[0]
    return stats


def _cols(con) -> set[str]:
    return {r[0] for r in con.execute("DESCRIBE person_mentions").fetchall()}


STAGES = (
    Stage("addresses", "标准地址 / addresses", resolve_addresses),
    Stage("persons", "实有人口 / persons", resolve_persons),
    Stage("vehicles", "车辆 / vehicles", keyed.resolve_vehicles),
    Stage("organizations", "实有单位 / organizations", keyed.resolve_organizations),
    Stage("houses", "实有房屋 / houses", keyed.resolve_houses),
    Stage("phones", "电话 / phones", keyed.resolve_phones),
    Stage("entities", "主数据汇总 / master entities", assemble),
    Stage("quality", "质量报告 / quality report", quality),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
