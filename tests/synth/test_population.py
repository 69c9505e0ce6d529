"""The population looks like one: name frequencies, households, migrants, phones, employment."""

from __future__ import annotations

from collections import Counter

import pyarrow.parquet as pq


def _table(out, name):
    return pq.read_table(out / "truth" / "entities" / f"{name}.parquet").to_pylist()


def test_surnames_follow_national_frequencies(tiny):
    out, _ = tiny
    persons = _table(out, "persons")
    surnames = Counter(p["name"][0] for p in persons)
    top = [s for s, _ in surnames.most_common(5)]
    assert {"王", "李", "张"} <= set(top)
    assert 0.04 < surnames["王"] / len(persons) < 0.10
    assert len(surnames) > 60
    assert all(2 <= len(p["name"]) <= 4 for p in persons)


def test_households_have_couples_and_children(tiny):
    out, _ = tiny
    persons = _table(out, "persons")
    households: dict[str, list[dict]] = {}
    for p in persons:
        households.setdefault(p["household_id"], []).append(p)
    couples = 0
    for members in households.values():
        heads = [m for m in members if m["relation"] == "户主"]
        assert len(heads) == 1
        assert len({m["address_id"] for m in members}) == 1
        for spouse in (m for m in members if m["relation"] == "配偶"):
            assert spouse["male"] != heads[0]["male"]
            couples += 1
        for child in (m for m in members if m["relation"] == "子女"):
            assert child["birth"] > heads[0]["birth"]
    assert couples > len(households) / 3
    assert 0.45 < sum(p["male"] for p in persons) / len(persons) < 0.55


def test_migrants_live_away_from_their_registered_place(tiny):
    out, _ = tiny
    persons = _table(out, "persons")
    addresses = {a["address_id"]: a for a in _table(out, "addresses")}
    origins = Counter(p["origin"] for p in persons)
    assert 0.03 < origins["inter"] / len(persons) < 0.15
    assert 0.05 < origins["intra"] / len(persons) < 0.2
    for p in persons:
        if p["origin"] == "inter":
            assert not p["registered_division"].startswith("42")
        if p["origin"] == "local":
            assert p["registered_address"] == addresses[p["address_id"]]["text"]


def test_phones_are_shared_and_changed(tiny):
    out, _ = tiny
    phones = _table(out, "phones")
    users = Counter(p["number"] for p in phones)
    assert any(n > 1 for n in users.values())  # household landlines and relatives' mobiles
    changed = [p for p in phones if p["until"] is not None]
    assert changed and all(p["since"] < p["until"] for p in changed)


def test_people_work_for_organizations_of_every_kind(tiny):
    out, _ = tiny
    orgs = _table(out, "organizations")
    kinds = Counter(o["kind"] for o in orgs)
    assert set(kinds) == {"hotel", "internet_cafe", "logistics", "pawn_shop", "car_rental", "business"}
    employed = [p for p in _table(out, "persons") if p["employer"]]
    assert {p["employer"] for p in employed} <= {o["org_id"] for o in orgs}
    assert len(employed) > 500
