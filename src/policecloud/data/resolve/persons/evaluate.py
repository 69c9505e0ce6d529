"""Person resolution against the synthetic province's ground truth.

The truth (``<province>/truth/record_entities.parquet``: source, record_id, entity_type, entity_id) names the true
person behind each source record; vehicle owners are found through the truth's vehicles
(``truth/entities/vehicles.parquet``, owner_kind 'person'). A mention is matched to the truth by its source (the
synthetic generator names a few sources differently, ``TRUTH_SOURCE``), its record id (a case victim by its case
number) and the role the person plays (person / owner / legal_rep / suspect / vehicle owner).

Measures over the mentions that have a truth entity:

- pairwise: every pair of mentions put in one entity is a predicted pair, every pair of mentions of one true person
  a true pair; precision = correct predicted pairs / predicted pairs, recall = correct / true pairs, F1 their
  harmonic mean;
- cluster level: a predicted entity is correct when its mentions are exactly the mentions of one true person;
  precision = correct / predicted entities, recall = correct / true persons.

Platform code never reads the truth: this module is for tests and benchmarks only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from policecloud.data.resolve.records import has_table
from policecloud.platform.sql import literal as _lit

# Warehouse source name → the synthetic truth's source name, where they differ.
TRUTH_SOURCE = {
    "exchange_hunan_gbk": "exchange_hunan",
    "internet_cafe_sessions": "internet_cafe",
    "traffic_vehicle_owners": "traffic_vehicles",
    "traffic_vehicle_organizations": "traffic_vehicles",
    "criminal_case_victims": "criminal_cases",
}


@dataclass
class PersonEvaluation:
    mentions: int
    evaluated: int  # mentions with a truth entity
    truth_without_mention: int  # truth person records no mention stands for (e.g. a house without owner number)
    pair_precision: float
    pair_recall: float
    pair_f1: float
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float
    predicted_clusters: int
    true_clusters: int
    false_merges: list[tuple] = field(default_factory=list)  # samples: (entity_id, true persons, mentions)
    missed: list[tuple] = field(default_factory=list)  # samples: (true person, entities, mentions)

    def summary(self) -> str:
        return (
            f"pairwise P={self.pair_precision:.4f} R={self.pair_recall:.4f} F1={self.pair_f1:.4f}; "
            f"cluster P={self.cluster_precision:.4f} R={self.cluster_recall:.4f} F1={self.cluster_f1:.4f} "
            f"({self.evaluated} of {self.mentions} mentions evaluated; {self.predicted_clusters} predicted, "
            f"{self.true_clusters} true persons)"
        )


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _samples(con: duckdb.DuckDBPyConnection, group: str, other: str, limit: int) -> list[tuple]:
    """Up to ``limit`` groups (predicted entities or true persons) spread over several of the other side."""
    if limit <= 0:
        return []
    return con.execute(
        f"""SELECT {group}, list(DISTINCT {other} ORDER BY {other}), list(record_key ORDER BY record_key)
        FROM _ev GROUP BY {group} HAVING count(DISTINCT {other}) > 1 ORDER BY {group} LIMIT {int(limit)}"""
    ).fetchall()


def prepare_truth(con: duckdb.DuckDBPyConnection, province_dir: Path, mentions: str) -> None:
    """Temp table ``_ev_truth(record_key, true_id)`` and ``_ev_truth_all(tsource, trecord, ttype, true_id)``."""
    truth = Path(province_dir) / "truth"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ev_truth_all AS
        SELECT source AS tsource, record_id AS trecord, entity_type AS ttype, any_value(entity_id) AS true_id
        FROM read_parquet({_lit(truth / "record_entities.parquet")})
        WHERE entity_type IN ('person', 'owner', 'legal_rep', 'suspect') GROUP BY ALL
        UNION ALL
        SELECT r.source, r.record_id, 'vehicle_owner', any_value(v.owner_id)
        FROM read_parquet({_lit(truth / "record_entities.parquet")}) r
        JOIN read_parquet({_lit(truth / "entities" / "vehicles.parquet")}) v ON v.vehicle_id = r.entity_id
        WHERE r.entity_type = 'vehicle' AND v.owner_kind = 'person' GROUP BY ALL"""
    )
    sources = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in TRUTH_SOURCE.items())
    has_cases = has_table(con, "case_involvement")
    case_join = (
        "LEFT JOIN (SELECT batch || ':' || CAST(row AS VARCHAR) AS k, case_id FROM case_involvement) ci "
        "ON ci.k = m.record_key"
        if has_cases
        else "LEFT JOIN (SELECT NULL AS k, NULL AS case_id) ci ON false"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ev_keys AS
        SELECT m.record_key, CASE m.source {sources} ELSE m.source END AS tsource,
               CASE WHEN m.table_name = 'case_involvement' THEN ci.case_id ELSE m.record_id END AS trecord,
               CASE WHEN m.table_name = 'vehicle' OR m.source = 'traffic_vehicle_owners' THEN 'vehicle_owner'
                    WHEN m.table_name = 'house' THEN 'owner'
                    WHEN m.table_name = 'organization' THEN 'legal_rep'
                    WHEN m.table_name = 'case_involvement' AND m.role = 'suspect' THEN 'suspect'
                    ELSE 'person' END AS ttype
        FROM {mentions} m {case_join}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ev_truth AS
        SELECT k.record_key, t.true_id FROM _ev_keys k JOIN _ev_truth_all t USING (tsource, trecord, ttype)"""
    )


def evaluate_persons(
    con: duckdb.DuckDBPyConnection,
    province_dir: Path,
    mentions: str = "person_mentions",
    links: str = "person_links",
    samples: int = 10,
) -> PersonEvaluation:
    """Compare ``links`` (record_key, entity_id) with the truth; see the module docstring for the measures."""
    prepare_truth(con, province_dir, mentions)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ev AS
        SELECT l.record_key, l.entity_id AS pred, t.true_id AS truth
        FROM {links} l JOIN _ev_truth t USING (record_key)"""
    )
    tp, predicted, true_pairs = con.execute(
        """SELECT (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM _ev GROUP BY pred, truth)),
                  (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM _ev GROUP BY pred)),
                  (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM _ev GROUP BY truth))"""
    ).fetchall()[0]
    correct, n_pred, n_true = con.execute(
        """WITH p AS (SELECT pred, count(*) AS n, count(DISTINCT truth) AS k, any_value(truth) AS t
                      FROM _ev GROUP BY pred),
                t AS (SELECT truth, count(*) AS n FROM _ev GROUP BY truth)
           SELECT (SELECT count(*) FROM p JOIN t ON t.truth = p.t AND t.n = p.n WHERE p.k = 1),
                  (SELECT count(*) FROM p), (SELECT count(*) FROM t)"""
    ).fetchall()[0]
    mentions_n = con.execute(f"SELECT count(*) FROM {mentions}").fetchall()[0][0]
    evaluated = con.execute("SELECT count(*) FROM _ev").fetchall()[0][0]
    uncovered = con.execute(
        """SELECT count(*) FROM _ev_truth_all t
        WHERE t.tsource IN (SELECT DISTINCT tsource FROM _ev_keys)
          AND NOT EXISTS (SELECT 1 FROM _ev_keys k WHERE k.tsource = t.tsource AND k.trecord = t.trecord
                          AND k.ttype = t.ttype)"""
    ).fetchall()[0][0]
    false_merges = _samples(con, "pred", "truth", samples)
    missed = _samples(con, "truth", "pred", samples)
    pp = tp / predicted if predicted else 1.0
    pr = tp / true_pairs if true_pairs else 1.0
    cp = correct / n_pred if n_pred else 1.0
    cr = correct / n_true if n_true else 1.0
    return PersonEvaluation(
        mentions=mentions_n,
        evaluated=evaluated,
        truth_without_mention=uncovered,
        pair_precision=pp,
        pair_recall=pr,
        pair_f1=_f1(pp, pr),
        cluster_precision=cp,
        cluster_recall=cr,
        cluster_f1=_f1(cp, cr),
        predicted_clusters=n_pred,
        true_clusters=n_true,
        false_merges=false_merges,
        missed=missed,
    )
