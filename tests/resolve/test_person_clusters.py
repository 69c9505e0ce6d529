"""The person clusterer on hand-made graphs, character variants learnt from names, and the evaluation measures."""

from __future__ import annotations

import duckdb
import pytest

from policecloud.data.model.vectorized import connect
from policecloud.data.resolve.persons.clusters import (
    ID_NUMBER,
    JUDGEMENT,
    PROBABILISTIC,
    SINGLETON,
    Edge,
    cluster,
    combine_judgements,
)
from policecloud.data.resolve.persons.evaluate import evaluate_persons
from policecloud.data.resolve.persons.linking import learn_character_variants

A, B = "110101199001011234", "110101199002021234"  # two valid numbers (their checks do not matter here)


def _groups(result) -> set[frozenset[str]]:
    by_anchor: dict[str, set[str]] = {}
    for node, a in result.items():
        by_anchor.setdefault(a.anchor, set()).add(node)
    return {frozenset(g) for g in by_anchor.values()}


def _anchors(*numbers: str) -> dict[str, str]:
    return {f"id:{n}": n for n in numbers}


def test_a_mention_joins_its_best_numbered_match_only():
    edges = [Edge("u1", f"id:{A}", 0.99, PROBABILISTIC), Edge("u1", f"id:{B}", 0.95, PROBABILISTIC)]
    result = cluster(edges, _anchors(A, B))
    assert result["u1"].anchor == A and result["u1"].method == PROBABILISTIC and result["u1"].score == 0.99
    assert result[f"id:{B}"].anchor == B and result[f"id:{B}"].method == ID_NUMBER


def test_a_chain_of_mentions_cannot_join_two_numbers():
    edges = [
        Edge("u1", f"id:{A}", 0.97, PROBABILISTIC),
        Edge("u2", f"id:{B}", 0.98, PROBABILISTIC),
        Edge("u1", "u2", 0.99, PROBABILISTIC),
    ]
    result = cluster(edges, _anchors(A, B))
    # u1–u2 is strongest and joins first; u2–B joins the pair to B; u1–A would put A and B together: refused.
    assert _groups(result) == {frozenset({"u1", "u2", f"id:{B}"}), frozenset({f"id:{A}"})}


def test_mentions_without_numbers_cluster_on_their_own_smallest_key():
    result = cluster([Edge("k2", "k1", 0.95, PROBABILISTIC), Edge("k3", "k2", 0.91, PROBABILISTIC)], {})
    assert {a.anchor for a in result.values()} == {"k1"}
    assert result["k3"].score == 0.91 and result["k1"].score == 0.95


def test_not_same_drops_the_weakest_link_that_joins_the_pair():
    edges = [
        Edge("u1", f"id:{A}", 0.99, PROBABILISTIC),
        Edge("u2", "u1", 0.93, PROBABILISTIC),
        Edge("u3", "u2", 0.97, PROBABILISTIC),
    ]
    result = cluster(edges, _anchors(A), cannot_link=[("u3", f"id:{A}")])
    assert _groups(result) == {frozenset({"u1", f"id:{A}"}), frozenset({"u2", "u3"})}
    assert result["u2"].anchor == "u2" and result["u3"].method == PROBABILISTIC


def test_same_judgement_overrides_two_numbers_and_the_model():
    edges = [Edge(f"id:{A}", f"id:{B}", 1.0, JUDGEMENT), Edge("u1", f"id:{B}", 0.95, PROBABILISTIC)]
    result = cluster(edges, _anchors(A, B))
    assert _groups(result) == {frozenset({f"id:{A}", f"id:{B}", "u1"})}
    assert result[f"id:{A}"].method == ID_NUMBER and result[f"id:{B}"].method == JUDGEMENT
    assert result["u1"].anchor == A


def test_split_number_keeps_its_anchor_with_its_first_mention():
    # Mentions k1, k2, k3 of number A; k2 judged not the same as k1.
    anchors = {"k1": A, "k2": A, "k3": A}
    edges = [Edge("k1", "k2", 1.0, ID_NUMBER), Edge("k1", "k3", 1.0, ID_NUMBER)]
    result = cluster(edges, anchors, cannot_link=[("k1", "k2")], primary={A: "k1"})
    assert result["k1"].anchor == result["k3"].anchor == A
    assert result["k2"].anchor == "k2" and result["k2"].method == JUDGEMENT


def test_isolated_node_is_a_singleton():
    result = cluster([], {}, cannot_link=[("u1", "u2")])
    assert result["u1"].method == SINGLETON and result["u1"].anchor == "u1"


def test_judgements_combine_per_pair():
    rows = [("b", "a", "same"), ("a", "b", "not_same"), ("c", "d", "unsure"), ("e", "e", "same")]
    combined = combine_judgements(rows)
    assert combined == {("a", "b"): "not_same", ("c", "d"): "unsure"}
    with pytest.raises(ValueError):
        combine_judgements([("a", "b", "perhaps")])


def test_character_variants_are_learnt_from_names_sharing_a_number():
    con = connect()
    con.execute(
        "CREATE TABLE m AS SELECT * FROM (VALUES ('1', '刘敏艳'), ('1', '柳敏艳'), ('2', '郑雨鹃'), ('2', '郑雨娟'), "
        "('3', '王强'), ('3', '王强亮'), ('4', '张伟'), ('5', '张玮')) t(id_number, name)"
    )
    variants = learn_character_variants(con, "m")
    assert variants == {"柳": "刘", "鹃": "娟"}  # 王强 / 王强亮 differ in length; 张伟 / 张玮 are two numbers


def _truth(tmp_path, rows: list[tuple[str, str, str]]):
    (tmp_path / "truth" / "entities").mkdir(parents=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (source VARCHAR, record_id VARCHAR, entity_type VARCHAR, entity_id VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, 'person', ?)", rows)
    con.execute(f"COPY t TO '{tmp_path / 'truth' / 'record_entities.parquet'}'")
    con.execute(
        "COPY (SELECT 'V1' AS vehicle_id, 'person' AS owner_kind, 'P9' AS owner_id) "
        f"TO '{tmp_path / 'truth' / 'entities' / 'vehicles.parquet'}'"
    )


def test_evaluation_measures(tmp_path):
    # Four hotel records of two people: 1, 2 are person X; 3, 4 person Y. Predicted: {1, 2, 3}, {4}.
    _truth(tmp_path, [("hotel_stays", "r1", "X"), ("hotel_stays", "r2", "X"), ("hotel_stays", "r3", "Y"),
                      ("hotel_stays", "r4", "Y")])  # fmt: skip
    con = connect()
    con.execute(
        "CREATE TABLE mentions AS SELECT 'b:' || i AS record_key, 'hotel_stay' AS table_name, 'r' || i AS record_id, "
        "'hotel_stays' AS source, 'guest' AS role FROM range(1, 5) t(i)"
    )
    con.execute("CREATE TABLE links AS SELECT record_key, CASE WHEN record_id = 'r4' THEN 'E2' ELSE 'E1' END "
                "AS entity_id FROM mentions")  # fmt: skip
    ev = evaluate_persons(con, tmp_path, mentions="mentions", links="links")
    # Predicted pairs: (1,2) (1,3) (2,3) — one correct; true pairs: (1,2) (3,4).
    assert (ev.pair_precision, ev.pair_recall) == pytest.approx((1 / 3, 1 / 2))
    assert ev.pair_f1 == pytest.approx(0.4)
    # No predicted cluster equals a true one.
    assert (ev.cluster_precision, ev.cluster_recall, ev.evaluated) == (0.0, 0.0, 4)
    assert ev.false_merges[0][1] == ["X", "Y"]


def _mentions(con, rows):
    con.execute(
        "CREATE OR REPLACE TABLE m (record_key VARCHAR, source VARCHAR, id_number VARCHAR, id_number_raw VARCHAR, "
        "name VARCHAR, sex VARCHAR, birth_date DATE, phone VARCHAR, address_id VARCHAR, county VARCHAR)"
    )
    if rows:
        con.executemany("INSERT INTO m VALUES (?, 's', ?, ?, ?, NULL, NULL, ?, NULL, NULL)", rows)


def test_link_persons_on_small_inputs():
    from policecloud.data.resolve.persons import link_persons

    con = connect()
    _mentions(con, [])
    assert link_persons(con, "m").mentions == 0
    # Only numbered mentions: no model is trained; one entity per number.
    _mentions(con, [("k1", A, None, "王强", None), ("k2", A, None, "王强", None), ("k3", B, None, "李娜", None)])
    result = link_persons(con, "m")
    assert (result.entities, result.methods, result.model) == (2, {"id_number": 3}, {})
    # Each number once, so no pair of mentions shows how one person's records differ: with nothing to learn the
    # m probabilities from, the model links nothing rather than guess (the callers stay on their own).
    rows = [(f"a{i}", f"11010119900101{i:03d}X", None, f"张{i}", f"1380000{i:04d}") for i in range(30)]
    rows += [(f"c{i}", None, None, f"张{i}", f"1380000{i:04d}") for i in range(3)]
    _mentions(con, rows)
    result = link_persons(con, "m")
    assert result.methods == {"id_number": 30, "singleton": 3}
    assert result.model["comparisons"]  # trained all the same, without error
