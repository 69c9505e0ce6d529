"""The stages of a resolution run, in order, and the adapters that call each resolver.

addresses → persons → vehicles → organizations → houses → phones → entities (assembly) → quality. Persons and
houses use the standard addresses matched by the first stage; the assembly folds every stage's links and
claims into the master tables.
"""

from __future__ import annotations

from typing import Any

from policecloud.data.resolve import keyed
from policecloud.data.resolve.assemble import assemble
from policecloud.data.resolve.jobs import Stage, StageContext
from policecloud.data.resolve.quality import quality
from policecloud.data.resolve.records import record_key, seen_sql, unpivot_claims

PERSON_PROPERTIES = ["name", "id_number", "sex", "birth_date", "phone"]


def _keep_as(ctx: StageContext, table: str, name: str) -> int:
    """Write a table a resolver built on the connection as the run's table ``name``."""
    ctx.con.execute(f'ALTER TABLE "{table}" RENAME TO "{table}__built"')
    return ctx.write(name, f'SELECT * FROM "{table}__built"')


def resolve_addresses(ctx: StageContext) -> dict[str, Any]:
    from policecloud.data.resolve import addresses

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
    from policecloud.data.resolve import persons
    from policecloud.data.resolve.persons import mentions as person_mentions

    con = ctx.con
    person_mentions.build_person_mentions(con, "person_mentions")
    con.execute("CREATE OR REPLACE TEMP TABLE judgements (left_key VARCHAR, right_key VARCHAR, verdict VARCHAR)")
    if ctx.judgements:
        con.executemany("INSERT INTO judgements VALUES (?, ?, ?)", ctx.judgements)
    result = persons.link_persons(con, "person_mentions", "judgements")
    # When a mention was seen: its record's event time where the table has one, else its batch's commit.
    seen = [
        f'SELECT {record_key("t")} AS k, {seen_sql(con, table)} AS seen FROM "{table}" t '
        "LEFT JOIN batch_info b ON b.batch = t.batch"
        for (table,) in con.execute("SELECT DISTINCT table_name FROM person_mentions").fetchall()
        if table
    ]
    times = " UNION ALL ".join(seen) or "SELECT NULL::VARCHAR AS k, NULL::TIMESTAMPTZ AS seen WHERE false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE person_linked AS
        SELECT m.*, l.entity_id, l.method, l.score, ts.seen
        FROM person_mentions m JOIN person_links l USING (record_key)
        LEFT JOIN ({times}) ts ON ts.k = m.record_key"""
    )
    links = ctx.write(
        "links_person",
        """SELECT record_key, table_name, record_id, source, role, 'person' AS entity_type, entity_id, method, score
           FROM person_linked""",
    )
    claims = ctx.write(
        "claims_person",
        unpivot_claims(
            f"SELECT entity_id, source, seen, {', '.join(PERSON_PROPERTIES)} FROM person_linked",
            "person",
            PERSON_PROPERTIES,
        ),
    )
    return {
        "mentions": links,
        "claims": claims,
        "entities": result.entities,
        "unanchored": result.unanchored,
        "model_links": result.links,
        **{f"method_{k}": v for k, v in sorted(result.methods.items())},
        **{f"judged_{k}": v for k, v in sorted(result.judgements.items())},
    }


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
