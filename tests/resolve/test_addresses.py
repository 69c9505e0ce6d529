"""Standard address registry and address matching: golden cases on a hand-written registry, the registry's id
scheme and hierarchy, and accuracy on the tiny synthetic province."""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pytest
import yaml

from policecloud.data.model.address.text import to_halfwidth
from policecloud.data.model.vectorized import connect
from policecloud.data.resolve.addresses import (
    address_columns,
    address_inputs_sql,
    build_address_registry,
    match_addresses,
)
from policecloud.data.resolve.addresses.evaluate import evaluate_address_matching
from policecloud.data.resolve.addresses.match import ABSENT, name_similarity
from policecloud.data.resolve.addresses.registry import REFERENCE_FILES, derived_floor, reference_files
from policecloud.data.warehouse import open_warehouse

GOLDEN = yaml.safe_load((Path(__file__).parent / "address_matching_golden.yaml").read_text(encoding="utf-8"))
CASES = GOLDEN["cases"]


def _registry_con(houses: list[str], organizations: list[str]):
    """A connection with house / organization tables shaped like the warehouse's, registry built."""
    con = connect()
    for table, source, texts in (
        ("house", "house_registry", houses),
        ("organization", "organization_registry", organizations),
    ):
        con.execute(f"CREATE TABLE {table} (id VARCHAR, batch VARCHAR, row BIGINT, source VARCHAR, address VARCHAR)")
        rows = [(f"{table}{i}", f"{source}-b1", i + 2, source, text) for i, text in enumerate(texts)]
        if rows:
            con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", rows)
    build_address_registry(con)
    return con


def _match(con, raws: list[str | None]) -> None:
    con.execute("CREATE OR REPLACE TABLE mentions (record_key VARCHAR, table_name VARCHAR, field VARCHAR, raw VARCHAR)")
    con.executemany(
        "INSERT INTO mentions VALUES (?, 'call110', 'place', ?)", [(f"k{i}", r) for i, r in enumerate(raws)]
    )
    match_addresses(con, "mentions")


@pytest.fixture(scope="module")
def golden():
    con = _registry_con(GOLDEN["houses"], GOLDEN["organizations"])
    _match(con, [case["raw"] for case in CASES])
    yield con
    con.close()


def _text_of(con, address_id: str | None) -> str | None:
    rows = con.execute("SELECT text FROM address_registry WHERE address_id = ?", [address_id]).fetchall()
    return rows[0][0] if rows else None


@pytest.mark.parametrize("case", CASES, ids=[f"{c['method']}-{i}" for i, c in enumerate(CASES)])
def test_golden_case(golden, case):
    (address_id, score, method, candidates), *more = golden.execute(
        "SELECT address_id, score, method, candidates FROM address_matches WHERE raw = ?", [case["raw"]]
    ).fetchall()
    assert not more
    assert method == case["method"]
    if method in ("exact", "fuzzy"):
        assert _text_of(golden, address_id) == case["address"]
        assert (score == 1.0) if method == "exact" else (0.8 <= score <= 1.0)
        if "score" in case:
            assert round(score, 2) == case["score"]
    else:
        assert address_id is None
    if method == "ambiguous":
        assert sorted(_text_of(golden, c) for c in candidates) == sorted(case["candidates"])
    else:
        assert candidates is None


def test_golden_covers_every_method():
    assert {case["method"] for case in CASES} == {"exact", "fuzzy", "ambiguous", "unmatched"}


def test_registry_ids_codes_and_hierarchy(golden):
    rows = golden.execute(
        "SELECT address_id, code, county, element_key, level, parent_id, floor, room, sources, records, text "
        "FROM address_registry"
    ).fetchall()
    by_id = {r[0]: r for r in rows}
    assert len(by_id) == len(rows)
    for address_id, code, county, key, level, parent_id, floor, room, _, _, _ in rows:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        assert address_id == "A" + digest
        assert code == county + digest.upper() and len(code) == 22
        assert floor == derived_floor(room)
        if level == "room":
            building = by_id[parent_id]
            assert building[4] == "building" and by_id[building[5]][4] == "door"
        if level == "door":
            assert parent_id is None
    texts = {r[10]: r for r in rows}
    door = texts["湖北省襄阳市襄州区东风街道沿河路102号"]
    assert door[8] == ["house_registry", "organization_registry"] and door[9] == 1
    twice = texts["湖北省襄阳市襄州区东风街道沿河路102号金色小区4栋2单元503室"]
    assert twice[9] == 2 and twice[6] == "5层"
    # Not addresses (不详) and county-only texts stay out; every registry text is unique.
    assert not any("不详" in t or t == "湖北省武汉市洪山区" for t in texts)
    assert len(texts) == len(rows)


def test_registry_is_stable_across_runs_and_row_order():
    houses, orgs = GOLDEN["houses"], GOLDEN["organizations"]
    a = _registry_con(houses, orgs)
    b = _registry_con(list(reversed(houses)), list(reversed(orgs)))
    query = "SELECT address_id, code, text, parent_id, sources FROM address_registry ORDER BY address_id"
    assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_verbatim_shortcut_agrees_with_parsing(golden):
    """Matching without the alias table (every text parsed) gives the same answers as with it."""
    before = golden.execute("SELECT raw, address_id, method, candidates FROM address_matches ORDER BY raw").fetchall()
    con = _registry_con(GOLDEN["houses"], GOLDEN["organizations"])
    con.execute("DROP TABLE address_aliases")
    _match(con, [case["raw"] for case in CASES])
    after = con.execute("SELECT raw, address_id, method, candidates FROM address_matches ORDER BY raw").fetchall()
    assert after == before


def test_blank_mentions_are_skipped_and_every_other_is_kept():
    con = _registry_con(GOLDEN["houses"][:2], [])
    raws = [None, "", "   ", GOLDEN["houses"][0], GOLDEN["houses"][0], "湖南省长沙市岳麓区麓山路46号"]
    _match(con, raws)
    rows = con.execute("SELECT record_key, method FROM address_matches ORDER BY record_key").fetchall()
    assert rows == [("k3", "exact"), ("k4", "exact"), ("k5", "unmatched")]


def test_inputs_may_be_a_query():
    con = _registry_con(GOLDEN["houses"][:1], [])
    match_addresses(con, f"SELECT 'k1' AS record_key, 't' AS table_name, 'f' AS field, '{GOLDEN['houses'][0]}' AS raw")
    assert con.execute("SELECT record_key, method FROM address_matches").fetchall() == [("k1", "exact")]


def test_only_lineage_tables_with_address_columns_are_inputs():
    con = _registry_con(GOLDEN["houses"][:1], GOLDEN["organizations"][:1])
    con.execute("CREATE TABLE person (batch VARCHAR, row BIGINT, current_address VARCHAR, phone VARCHAR)")
    con.execute("CREATE TABLE scratch (record_key VARCHAR, address VARCHAR)")  # no lineage: not a record table
    assert address_columns(con) == [("house", "address"), ("organization", "address"), ("person", "current_address")]
    assert address_columns(con, tables=["person"]) == [("person", "current_address")]


def test_empty_registry_matches_nothing():
    con = _registry_con([], [])
    assert con.execute("SELECT count(*) FROM address_registry").fetchall() == [(0,)]
    _match(con, [GOLDEN["houses"][0]])
    assert con.execute("SELECT method FROM address_matches").fetchall() == [("unmatched",)]


def test_name_similarity_rules():
    assert name_similarity("poi", "金色小区", "金色花园") == 1.0  # the generic suffix does not count
    assert name_similarity("road", "光明路", "光明街") < 0.7  # a road keeps its type
    assert name_similarity("township", None, "东风街道") == ABSENT
    assert name_similarity("community", None, None) is None
    assert name_similarity("poi", "阳光小区", "金色小区") == 0.0


def test_reference_files_are_found_in_a_province_or_reference_directory(tmp_path):
    assert reference_files(None) == {} and reference_files(tmp_path) == {}
    (tmp_path / "reference").mkdir()
    for name in REFERENCE_FILES.values():
        (tmp_path / "reference" / name).write_text("{}", encoding="utf-8")
    expected = {key: tmp_path / "reference" / name for key, name in REFERENCE_FILES.items()}
    assert reference_files(tmp_path) == expected
    assert reference_files(tmp_path / "reference") == expected


def test_derived_floor():
    assert [derived_floor(r) for r in ("503室", "1204室", "12室", "B503室", None, "003室")] == [
        "5层", "12层", None, None, None, None,
    ]  # fmt: skip


# --- the tiny synthetic province ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tiny_warehouse):
    con = open_warehouse(tiny_warehouse.warehouse_dir).connect()
    build_address_registry(con, tiny_warehouse.province_dir)  # the reference files found in the province
    match_addresses(con, address_inputs_sql(con))
    yield con, tiny_warehouse
    con.close()


def test_inputs_cover_every_address_column(tiny):
    con, _ = tiny
    found = address_columns(con)
    for pair in [("person", "current_address"), ("person", "registered_address"), ("house", "address"),
                 ("organization", "address"), ("call110", "place"), ("criminal_case", "place")]:  # fmt: skip
        assert pair in found
    expected = sum(
        con.execute(f"SELECT count(*) FROM {t} WHERE nullif(trim({c}), '') IS NOT NULL").fetchall()[0][0]
        for t, c in found
    )
    assert con.execute(f"SELECT count(*) FROM ({address_inputs_sql(con)})").fetchall()[0][0] == expected
    assert con.execute("SELECT count(*) FROM address_matches").fetchall()[0][0] == expected


def test_accuracy_on_tiny(tiny):
    con, province = tiny
    result = evaluate_address_matching(con, province.truth_dir)
    assert result.records > 2000
    assert result.accuracy >= 0.97
    assert result.not_in_registry == 0
    assert result.outcomes.get("wrong_address", 0) == 0
    assert set(result.by_source) == {"population_registry", "floating_population", "house_registry"}
    assert "county_seat" in result.geocode_km


def _variants(text: str, rng: random.Random) -> dict[str, str]:
    """Ways a clerk writes the same address."""
    body = text.removeprefix("湖北省")
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in body)
    assert to_halfwidth(full) == body
    return {
        "no_province": body,
        "full_width": full,
        "shorthand": body.replace("栋", "-", 1).replace("单元", "-", 1).removesuffix("室"),
        "numerals": re.sub(r"([0-9])单元", lambda m: "一二三四五六七八九"[int(m.group(1)) - 1] + "单元", body),
        "spaces": "".join(c + (" " if rng.random() < 0.2 else "") for c in text),
        "no_township": re.sub("[^区县市]+街道", "", body, count=1),
    }


def test_rewritten_tiny_addresses_match_their_registry_address(tiny):
    con, _ = tiny
    rng = random.Random(6)
    houses = [r[0] for r in con.execute("SELECT address FROM house ORDER BY id LIMIT 150").fetchall()]
    mentions = [
        (f"{i}:{kind}", variant, text)
        for i, text in enumerate(houses)
        for kind, variant in _variants(text, rng).items()
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rewritten (record_key VARCHAR, table_name VARCHAR, field VARCHAR, raw VARCHAR)"
    )
    con.executemany("INSERT INTO rewritten VALUES (?, 'test', 'raw', ?)", [m[:2] for m in mentions])
    match_addresses(con, "rewritten", table="rewritten_matches")
    got = {
        k: (a, m, c)
        for k, a, m, c in con.execute(
            "SELECT record_key, address_id, method, candidates FROM rewritten_matches"
        ).fetchall()
    }
    truth = dict(con.execute("SELECT text, address_id FROM address_aliases").fetchall())
    fuzzy = 0
    for key, variant, text in mentions:
        address_id, method, candidates = got[key]
        if key.endswith("no_township"):
            assert method in ("fuzzy", "ambiguous"), variant
            assert address_id == truth[text] or truth[text] in candidates, variant
            fuzzy += method == "fuzzy"
        else:
            assert (address_id, method) == (truth[text], "exact"), variant
    assert fuzzy >= 0.95 * len(houses)
