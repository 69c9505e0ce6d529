"""Person resolution on the tiny province: mentions, deterministic and probabilistic links, judgements, accuracy."""

from __future__ import annotations

import hashlib
import re

import pytest

from policecloud.data.resolve.persons import PersonLinkParams, link_persons
from policecloud.data.resolve.persons.evaluate import evaluate_persons
from policecloud.data.resolve.persons.mentions import MENTION_COLUMNS, build_person_mentions
from policecloud.data.warehouse import open_warehouse

METHODS = {"id_number", "probabilistic", "judgement", "singleton"}


@pytest.fixture(scope="module")
def linked(tiny_warehouse):
    """(connection with person_mentions and person_links, result, record_key → entity_id of the plain run)."""
    con = open_warehouse(tiny_warehouse.warehouse_dir).connect()
    con.execute("SET enable_progress_bar = false")
    build_person_mentions(con)
    result = link_persons(con, "person_mentions")
    yield con, result, _links(con)
    con.close()


def _links(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_key, entity_id FROM person_links").fetchall())


def _rerun(con, judgements: list[tuple[str, str, str]] | None = None, model: dict | None = None) -> dict[str, str]:
    """Link again with these judgements; with ``model``, the earlier run's trained model (training is covered by
    test_a_rerun_gives_the_same_entities, and this keeps the file fast)."""
    con.execute("CREATE OR REPLACE TEMP TABLE judgements (left_key VARCHAR, right_key VARCHAR, verdict VARCHAR)")
    if judgements:
        con.executemany("INSERT INTO judgements VALUES (?, ?, ?)", judgements)
    link_persons(con, "person_mentions", "judgements", model=model)
    return _links(con)


def _methods(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_key, method FROM person_links").fetchall())


def _clusters(links: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for key, entity in links.items():
        groups.setdefault(entity, set()).add(key)
    return {frozenset(g) for g in groups.values()}


# --- mentions ----------------------------------------------------------------------------------------------------
def test_mentions_one_row_per_record_naming_a_person(linked):
    con, _, _ = linked
    columns = [r[0] for r in con.execute("DESCRIBE person_mentions").fetchall()]
    assert tuple(columns) == MENTION_COLUMNS
    total, keys = con.execute("SELECT count(*), count(DISTINCT record_key) FROM person_mentions").fetchall()[0]
    assert total == keys > 5000
    counts = dict(con.execute("SELECT table_name, count(*) FROM person_mentions GROUP BY ALL").fetchall())
    expected = {
        "hotel_stay": "SELECT count(*) FROM hotel_stay",
        "internet_session": "SELECT count(*) FROM internet_session",
        "call110": "SELECT count(*) FROM call110 WHERE caller_name IS NOT NULL OR caller_phone IS NOT NULL",
        "house": "SELECT count(*) FROM house WHERE owner_id IS NOT NULL",
        # A vehicle owned by an organization (its key is a USCC, starting with 9) names no person.
        "vehicle": "SELECT count(*) FROM vehicle WHERE owner_id NOT LIKE '9%'",
        "organization": "SELECT count(*) FROM organization WHERE legal_representative IS NOT NULL",
        "person": "SELECT count(*) FROM person",
    }
    for table, sql in expected.items():
        assert counts[table] == con.execute(sql).fetchall()[0][0], table


def test_quarantined_id_numbers_come_back_as_raw_values(linked):
    con, _, _ = linked
    quarantined = con.execute(
        "SELECT batch || ':' || CAST(row AS VARCHAR), raw FROM quarantine "
        "WHERE reason LIKE 'id_number.%' AND field = 'id_number' AND NOT row_rejected"
    ).fetchall()
    assert len(quarantined) >= 10
    raws = dict(con.execute("SELECT record_key, id_number_raw FROM person_mentions").fetchall())
    for key, raw in quarantined:
        assert raws[key] == raw.strip()
    # Vehicle owners are plain references in the warehouse: their numbers are checked while building mentions.
    bad_owner = con.execute(
        "SELECT count(*) FROM person_mentions WHERE table_name = 'vehicle' AND id_number_raw IS NOT NULL"
    ).fetchall()[0][0]
    assert bad_owner >= 1


def test_sex_and_birth_date_come_from_the_number_when_the_record_has_none(linked):
    con, _, _ = linked
    rows = con.execute(
        "SELECT id_number, sex, birth_date FROM person_mentions WHERE table_name = 'hotel_stay' "
        "AND id_number IS NOT NULL LIMIT 50"
    ).fetchall()
    for number, sex, birth in rows:
        assert birth.strftime("%Y%m%d") == number[6:14]
        assert sex == ("male" if int(number[16]) % 2 else "female")


# --- links ----------------------------------------------------------------------------------------------------
def test_every_mention_gets_exactly_one_entity(linked):
    con, result, links = linked
    assert result.mentions == len(links) == con.execute("SELECT count(*) FROM person_mentions").fetchall()[0][0]
    rows = con.execute("SELECT entity_id, method, score FROM person_links").fetchall()
    assert all(re.fullmatch(r"P[0-9a-f]{16}", e) for e, _, _ in rows)
    assert {m for _, m, _ in rows} <= METHODS
    assert all(0.0 <= s <= 1.0 for _, _, s in rows)
    assert result.methods["probabilistic"] > 100
    assert result.model["comparisons"], "the trained model is returned"


def test_one_entity_per_valid_id_number_with_a_stable_id(linked):
    con, _, _ = linked
    rows = con.execute(
        "SELECT m.id_number, list(DISTINCT l.entity_id) FROM person_mentions m JOIN person_links l USING (record_key) "
        "WHERE m.id_number IS NOT NULL GROUP BY ALL"
    ).fetchall()
    assert len(rows) > 1000
    for number, entities in rows:
        assert entities == ["P" + hashlib.sha256(number.encode()).hexdigest()[:16]]


def test_wrong_check_digit_links_to_its_person(linked):
    """A mention whose number only has a wrong check character, with the same name as the number's owner."""
    con, _, links = linked
    rows = con.execute(
        """SELECT DISTINCT u.record_key, a.id_number FROM person_mentions u JOIN person_mentions a
           ON left(a.id_number, 17) = left(u.id_number_raw, 17) AND a.name = u.name
           WHERE u.id_number IS NULL AND u.id_number_raw IS NOT NULL"""
    ).fetchall()
    assert len(rows) >= 10
    for key, number in rows:
        assert links[key] == "P" + hashlib.sha256(number.encode()).hexdigest()[:16], key


def test_accuracy_against_the_truth(linked, tiny_warehouse):
    con, _, _ = linked
    ours = evaluate_persons(con, tiny_warehouse.province_dir)
    assert ours.evaluated > 0.95 * ours.mentions
    # Measured on tiny (seed 1): pairwise F1 0.999, cluster F1 0.994. The misses are 110 callers whose phone no
    # record with an ID number gives; the bar leaves room for other seeds.
    assert ours.pair_f1 >= 0.99 and ours.cluster_f1 >= 0.98, ours.summary()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE id_only AS SELECT record_key, coalesce(id_number, record_key) AS entity_id "
        "FROM person_mentions"
    )
    baseline = evaluate_persons(con, tiny_warehouse.province_dir, links="id_only")
    assert ours.cluster_f1 > baseline.cluster_f1 + 0.05 and ours.pair_recall > baseline.pair_recall


def test_a_rerun_gives_the_same_entities(linked):
    con, _, links = linked
    assert _rerun(con) == links


# --- judgements -----------------------------------------------------------------------------------------------
def test_wrong_merge_by_judgement_is_undone_by_removing_it(linked):
    con, result, links = linked
    anchored = con.execute(
        "SELECT min(record_key) FROM person_mentions WHERE id_number IS NOT NULL GROUP BY id_number ORDER BY 1 LIMIT 2"
    ).fetchall()
    a, b = anchored[0][0], anchored[1][0]
    assert links[a] != links[b]
    merged = _rerun(con, [(a, b, "same")], result.model)
    assert merged[a] == merged[b]
    members = {k for k, e in links.items() if e in (links[a], links[b])}
    assert {k for k, e in merged.items() if e == merged[a]} == members
    assert _methods(con)[b if merged[a] == links[a] else a] == "judgement"
    assert _rerun(con, [], result.model) == links  # undo: the original clusters, with the original ids


def test_not_same_splits_a_model_link_and_survives_reruns(linked):
    con, result, links = linked
    key, entity = con.execute(
        "SELECT l.record_key, l.entity_id FROM person_links l JOIN person_mentions m USING (record_key) "
        "WHERE l.method = 'probabilistic' AND m.id_number_raw IS NOT NULL ORDER BY 1 LIMIT 1"
    ).fetchall()[0]
    partner = con.execute(
        "SELECT min(l.record_key) FROM person_links l JOIN person_mentions m USING (record_key) "
        "WHERE l.entity_id = ? AND m.id_number IS NOT NULL",
        [entity],
    ).fetchall()[0][0]
    judgement = [(partner, key, "not_same")]
    split = _rerun(con, judgement, result.model)
    assert split[key] != split[partner]
    assert {k: e for k, e in split.items() if k != key} == {k: e for k, e in links.items() if k != key}
    assert _rerun(con, judgement, result.model) == split
    assert _rerun(con, [(key, partner, "unsure")], result.model) == links
    assert _rerun(con, [], result.model) == links


def test_not_same_inside_one_id_number_splits_its_group(linked):
    con, result, links = linked
    keys = con.execute(
        "SELECT list(record_key ORDER BY record_key) FROM person_mentions WHERE id_number IS NOT NULL "
        "GROUP BY id_number HAVING count(*) >= 3 ORDER BY id_number LIMIT 1"
    ).fetchall()[0][0]
    first, second = keys[0], keys[1]
    split = _rerun(con, [(first, second, "not_same")], result.model)
    assert split[first] != split[second]
    assert split[first] == links[first], "the part with the group's first mention keeps the number's entity"
    assert all(split[k] == links[first] for k in keys if k != second)
    assert _methods(con)[second] == "judgement"
    assert _rerun(con, [], result.model) == links


def test_unknown_verdicts_are_refused(linked):
    con, result, links = linked
    key = next(iter(links))
    with pytest.raises(ValueError, match="verdict"):
        _rerun(con, [(key, key + "x", "maybe")], result.model)


def test_threshold_is_a_parameter(linked):
    con, result, _ = linked
    strict = link_persons(con, "person_mentions", params=PersonLinkParams(threshold=0.999999), model=result.model)
    assert strict.methods.get("probabilistic", 0) < result.methods["probabilistic"]
    link_persons(con, "person_mentions", model=result.model)  # leave the default links for the other tests
