"""Person resolution: every person mention gets one person entity.

1. Deterministic: mentions with the same valid ID number are one person (the id_number element type already made
   15- and 18-digit forms one number). This covers almost every mention and is pure SQL.
2. Probabilistic: the mentions without a valid number are scored by a splink model trained on the data
   (see ``person_linking``) against each other and against the numbered people they can match.
3. Clusters: strongest link first, never joining two numbers, with manual judgements overriding the model
   (see ``person_clusters``).

The threshold is a match probability: a pair is linked when the trained model gives it at least
``PersonLinkParams.threshold``, 0.9 by default. Measured on the synthetic provinces, the scored pairs fall either
below 0.01 or above 0.99 (small: 428 and 7,081 pairs, none between), and every threshold from 0.5 to 0.99 gives the
same clusters on small and on medium; 0.9 sits in that flat region with room on both sides.

Output: table ``person_links(record_key, entity_id, method, score)``, one row per mention; the entity id is 'P' and
16 hex characters of a hash of the cluster's anchor (its ID number, else its smallest record key), so ids are
stable across runs as long as the anchor is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from policecloud.data.resolve.persons.clusters import (
    ID_NUMBER,
    JUDGEMENT,
    PROBABILISTIC,
    Edge,
    cluster,
    combine_judgements,
)
from policecloud.data.resolve.persons.linking import person_recipe, prepare_records, score_pairs
from policecloud.data.resolve.records import entity_id_sql


@dataclass(frozen=True)
class PersonLinkParams:
    threshold: float = 0.9  # match probability at or above which a scored pair is a link
    deterministic_recall: float = 0.8  # assumed recall of the deterministic rules that estimate λ
    u_max_pairs: float = 2e6  # random pairs for the u probabilities
    seed: int = 42
    threads: int | None = None  # splink's DuckDB threads (None: DuckDB's default)


@dataclass
class PersonLinkResult:
    mentions: int
    entities: int
    methods: dict[str, int]
    unanchored: int  # mentions without a valid ID number given to the model
    profiles: int  # numbered candidates they were compared with
    links: int  # node pairs above the threshold
    judgements: dict[str, int]  # verdict → pairs applied
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)  # the trained splink settings


def _judgements(con: duckdb.DuckDBPyConnection, judgements: str | None, mentions: str) -> dict[tuple[str, str], str]:
    if judgements is None:
        return {}
    # Every verdict is checked, also those about records no longer in the warehouse (which are then ignored).
    combine_judgements(("", "-", v) for (v,) in con.execute(f"SELECT DISTINCT verdict FROM {judgements}").fetchall())
    rows = con.execute(
        f"""SELECT j.left_key, j.right_key, j.verdict FROM {judgements} j
        SEMI JOIN {mentions} a ON a.record_key = j.left_key SEMI JOIN {mentions} b ON b.record_key = j.right_key"""
    ).fetchall()
    return combine_judgements(rows)


def _graph(con: duckdb.DuckDBPyConnection, mentions: str, verdicts: dict[tuple[str, str], str]):
    """Nodes, edges and constraints for the clusterer, from ``_pl_edges`` and the judgements."""
    keys = sorted({k for pair in verdicts for k in pair})
    numbers = dict(
        con.execute(
            f"SELECT record_key, id_number FROM {mentions} WHERE id_number IS NOT NULL AND record_key IN "
            "(SELECT unnest($keys))",
            {"keys": keys},
        ).fetchall()
        if keys
        else []
    )
    # A not_same judgement inside one ID group splits that group into its mentions.
    split = sorted(
        {
            numbers[a]
            for (a, b), v in verdicts.items()
            if v == "not_same" and numbers.get(a) and numbers.get(a) == numbers.get(b)
        }
    )
    members = (
        con.execute(
            f"SELECT id_number, record_key FROM {mentions} WHERE id_number IN (SELECT unnest($n)) ORDER BY 1, 2",
            {"n": split},
        ).fetchall()
        if split
        else []
    )
    primary: dict[str, str] = {}
    edges: list[Edge] = []
    anchors: dict[str, str] = {}
    for number, key in members:
        anchors[key] = number
        if number in primary:
            edges.append(Edge(primary[number], key, 1.0, ID_NUMBER))
        else:
            primary[number] = key

    def node(key: str) -> str:
        number = numbers.get(key)
        if number is None or number in primary:
            return key
        return "id:" + number

    for (a, b), verdict in verdicts.items():
        if verdict == "same":
            edges.append(Edge(node(a), node(b), 1.0, JUDGEMENT))
    cannot = [(node(a), node(b)) for (a, b), v in verdicts.items() if v == "not_same"]
    for a, b, p in con.execute("SELECT node_l, node_r, probability FROM _pl_edges").fetchall():
        a = primary.get(a[3:], a) if a.startswith("id:") else a
        b = primary.get(b[3:], b) if b.startswith("id:") else b
        edges.append(Edge(a, b, float(p), PROBABILISTIC))
    group_nodes = {n for e in edges for n in (e.a, e.b) if n.startswith("id:")}
    group_nodes |= {n for pair in cannot for n in pair if n.startswith("id:")}
    anchors.update({n: n[3:] for n in group_nodes})
    return edges, anchors, cannot, primary


def link_persons(
    con: duckdb.DuckDBPyConnection,
    mentions: str,
    judgements: str | None = None,
    params: PersonLinkParams = PersonLinkParams(),
    model: dict[str, Any] | None = None,
) -> PersonLinkResult:
    """Create table ``person_links(record_key, entity_id, method, score)`` with one row per row of ``mentions``.

    ``model``: a trained model to reuse (``PersonLinkResult.model`` of an earlier run over the same mentions, e.g.
    to apply new judgements quickly); by default the model is trained on ``mentions``."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    size = prepare_records(con, mentions)
    seconds["prepare"] = time.perf_counter() - started
    started = time.perf_counter()
    recipe = person_recipe(params.u_max_pairs, params.seed, params.deterministic_recall)
    outcome = score_pairs(con, recipe, params.threshold, params.threads, model)
    seconds["splink"] = time.perf_counter() - started
    started = time.perf_counter()
    verdicts = _judgements(con, judgements, mentions)
    edges, anchors, cannot, primary = _graph(con, mentions, verdicts)
    assigned = cluster(edges, anchors, cannot, primary)
    table = pa.table(
        {
            "node": list(assigned),
            "anchor": [a.anchor for a in assigned.values()],
            "method": [a.method for a in assigned.values()],
            "score": pa.array([a.score for a in assigned.values()], pa.float64()),
        }
    )
    seconds["cluster"] = time.perf_counter() - started
    started = time.perf_counter()
    con.register("_pl_assigned", table)
    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE person_links AS
            SELECT m.record_key,
                   {entity_id_sql("person", "coalesce(r.anchor, g.anchor, m.id_number, m.record_key)")} AS entity_id,
                   CASE WHEN r.method IS NOT NULL THEN r.method
                        WHEN m.id_number IS NULL THEN 'singleton'
                        WHEN g.anchor IS NULL OR g.anchor = m.id_number THEN 'id_number'
                        ELSE 'judgement' END AS method,
                   coalesce(r.score, 1.0) AS score
            FROM {mentions} m
            LEFT JOIN _pl_assigned r ON r.node = m.record_key
            LEFT JOIN _pl_assigned g ON g.node = 'id:' || m.id_number"""
        )
    finally:
        con.unregister("_pl_assigned")
    seconds["write"] = time.perf_counter() - started
    stats = con.execute("SELECT count(*), count(DISTINCT entity_id) FROM person_links").fetchall()[0]
    methods = dict(con.execute("SELECT method, count(*) FROM person_links GROUP BY ALL ORDER BY 1").fetchall())
    applied: dict[str, int] = {}
    for verdict in verdicts.values():
        applied[verdict] = applied.get(verdict, 0) + 1
    return PersonLinkResult(
        mentions=stats[0],
        entities=stats[1],
        methods=methods,
        unanchored=size.unanchored,
        profiles=size.profiles,
        links=con.execute("SELECT count(*) FROM _pl_edges").fetchall()[0][0],
        judgements=applied,
        seconds={k: round(v, 3) for k, v in seconds.items()},
        model=outcome.parameters if outcome else {},
    )
