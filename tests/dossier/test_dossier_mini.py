"""Profiles, relations, timelines, trajectories, paths and lookups on the mini province, whose every relation is
known exactly (policecloud.apps.dossier.testing): jurisdiction in the queries, masking, caps and paging."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from policecloud.apps.dossier import profile as prof
from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier import timeline as tl
from policecloud.apps.dossier.lookup import lookup
from policecloud.apps.dossier.reader import DossierSource, Viewer
from policecloud.apps.dossier.testing import IDS, write_mini_province
from policecloud.apps.dossier.trajectory import RangeError, trajectory, vehicle_plates

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 25)
HONGSHAN = Viewer(("420111",))
PROVINCE = Viewer(("42",))
CLEAR = Viewer(("42",), frozenset({"id_number", "phone", "address"}))


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("mini")
    numbers = write_mini_province(data_dir)["id_numbers"]
    source = DossierSource(data_dir)
    with source.cursor() as cur:
        yield source, cur, numbers
    source.close()


def _profile(mini, entity_id, viewer=PROVINCE, **options):
    source, cur, _ = mini
    entity = prof.find_entity(cur, viewer, entity_id)
    assert entity is not None
    return prof.profile(source, cur, viewer, entity, today=TODAY, **options)


def _kinds(found) -> dict[str, dict]:
    return {g["kind"]: g for g in found["kinds"]}


def test_jurisdiction_is_applied_when_finding_an_entity(mini):
    _, cur, _ = mini
    assert prof.find_entity(cur, HONGSHAN, IDS["zhang"])["caption"] == "张伟"
    assert prof.find_entity(cur, HONGSHAN, IDS["zhao"]) is None  # 赵敏 lives in 420502
    assert prof.find_entity(cur, Viewer(("420502",)), IDS["zhao"])["caption"] == "赵敏"
    # A phone has no county: only province-wide scopes see it.
    assert prof.find_entity(cur, HONGSHAN, IDS["phone"]) is None
    assert prof.find_entity(cur, PROVINCE, IDS["phone"]) is not None
    assert prof.find_entity(cur, Viewer(()), IDS["zhang"]) is None


def test_vehicle_profile_registration_owner_inspection_violations_and_cloned_plate(mini):
    found = _profile(mini, IDS["car"])
    s = found["sections"]
    assert s["registration"]["vin"] == "LSVAM4187C2184847"
    assert s["inspection"] == {"valid_until": "2026-04-30", "status": "expired", "days_left": -209}
    assert [o["entity_id"] for o in s["owner"]["resolved"]] == [IDS["zhang"]]
    assert s["violations"]["total"] == 2 and s["violations"]["fines"] == 300.0 and s["violations"]["points"] == 3
    assert [v["record_id"] for v in s["violations"]["latest"]] == ["W2", "W1"]  # newest first
    assert [v["entity_id"] for v in s["plate_shared_with"]] == [IDS["clone"]]
    clone = _profile(mini, IDS["clone"])["sections"]
    assert clone["inspection"]["status"] == "valid" and clone["owner"]["stated"]["name"] == "钱某"
    assert sections_tables(found) == {"vehicle": 1, "traffic_violation": 2}


def sections_tables(found) -> dict[str, int]:
    return {r["table"]: r["total"] for r in found["records"]}


def test_values_carry_their_sources_and_conflicts_are_shown_side_by_side(mini):
    props = {p["property"]: p for p in _profile(mini, IDS["zhang"])["properties"]}
    birth = props["birth_date"]
    assert birth["conflict"] is True
    assert {v["value"]: v["sources"] for v in birth["values"]} == {
        "1990-01-01": ["population_registry"],
        "1990-01-02": ["hotel_stays"],
    }
    assert props["name"]["conflict"] is False and props["name"]["values"][0]["records"] == 1


def test_sensitive_values_are_masked_unless_the_role_is_granted_them(mini):
    _, _, numbers = mini
    masked = _profile(mini, IDS["zhang"])
    number = {p["property"]: p for p in masked["properties"]}["id_number"]["values"][0]["value"]
    assert number == numbers["zhang"][:4] + "*" * 10 + numbers["zhang"][-4:]
    assert masked["entity"]["key"] == number
    person_rows = next(r for r in masked["records"] if r["table"] == "person")["rows"]
    assert person_rows[0]["phone"] == "138****5678" and person_rows[0]["current_address"].endswith("****")
    assert numbers["zhang"] not in str(masked)
    clear = _profile(mini, IDS["zhang"], CLEAR)
    assert clear["entity"]["key"] == numbers["zhang"]
    assert next(r for r in clear["records"] if r["table"] == "person")["rows"][0]["phone"] == "13812345678"


def test_person_relations_of_every_kind(mini):
    _, cur, _ = mini
    kinds = _kinds(rel.relations(cur, DossierSource.tables(mini[0]), PROVINCE, IDS["zhang"], per_kind=50))
    ids = {k: {i["entity_id"] for i in g["items"]} for k, g in kinds.items()}
    assert ids["household"] == {IDS["li"]}
    assert kinds["household"]["items"][0]["detail"] == "H001 配偶"
    assert ids["co_residence"] == {IDS["li"]}  # through the standard address, not its text
    assert ids["shared_phone"] == {IDS["zhao"]}
    assert ids["co_offender"] == {IDS["wang"]} and ids["same_case"] == {IDS["zhao"]}
    assert ids["vehicle"] == {IDS["car"]} and ids["house"] == {IDS["house"]} and ids["phone"] == {IDS["phone"]}
    assert ids["lives_at"] == ids["registered_at"] == {IDS["home"]}
    assert kinds["same_hotel_night"]["total"] == 31  # 李娜 and the 30 other guests of that night
    assert any(
        i["detail"].endswith("room 301") for i in kinds["same_hotel_night"]["items"] if i["entity_id"] == IDS["li"]
    )


def test_relations_are_capped_per_kind_and_paged_to_the_end(mini):
    source, cur, _ = mini
    first = _kinds(rel.relations(cur, source.tables(), PROVINCE, IDS["hotel"], per_kind=7))
    guests = first["guest"]
    assert guests["total"] == 32 and len(guests["items"]) == 7 and guests["more"] == 25
    assert first["legal_representative"]["items"][0]["entity_id"] == IDS["wang"]
    seen, page = [], 1
    while True:
        found = _kinds(rel.relations(cur, source.tables(), PROVINCE, IDS["hotel"], kind="guest", page=page, per_kind=7))
        seen += [i["entity_id"] for i in found["guest"]["items"]]
        if not found["guest"]["more"]:
            break
        page += 1
    assert page == 5 and len(seen) == len(set(seen)) == 32
    assert set(_kinds(rel.relations(cur, source.tables(), PROVINCE, IDS["hotel"], kind="guest"))) == {"guest"}


def test_related_entities_outside_the_jurisdiction_are_counted_not_listed(mini):
    source, cur, _ = mini
    kinds = _kinds(rel.relations(cur, source.tables(), HONGSHAN, IDS["zhang"]))
    assert kinds["same_case"]["items"] == [] and kinds["same_case"]["total"] == 0  # 赵敏 lives in 420502
    assert kinds["same_case"]["withheld"] == 1 and kinds["shared_phone"]["withheld"] == 1
    assert all(i["in_scope"] for i in kinds["household"]["items"]) and kinds["household"]["withheld"] == 0


def test_shortest_path_between_two_entities(mini):
    source, cur, _ = mini
    tables = source.tables()
    found = rel.shortest_path(cur, tables, PROVINCE, IDS["car"], IDS["wang"])
    assert found["found"] and found["depth"] == 2
    assert [n["entity_id"] for n in found["nodes"]] == [IDS["car"], IDS["zhang"], IDS["wang"]]
    assert [e["kind"] for e in found["edges"]] == ["owner", "co_offender"]
    for edge, (a, b) in zip(found["edges"], zip(found["nodes"], found["nodes"][1:], strict=False), strict=True):
        assert {edge["from"], edge["to"]} == {a["entity_id"], b["entity_id"]}
    via_phone = rel.shortest_path(cur, tables, PROVINCE, IDS["phone_li"], IDS["wang"])
    assert via_phone["depth"] == 3  # 李娜's phone → 李娜 → 张伟 (household) → 王强
    assert not rel.shortest_path(cur, tables, PROVINCE, IDS["phone_li"], IDS["wang"], max_depth=2)["found"]
    assert rel.shortest_path(cur, tables, PROVINCE, IDS["li"], IDS["li"])["depth"] == 0
    bounded = rel.shortest_path(cur, tables, PROVINCE, IDS["hotel"], IDS["phone_li"], max_nodes=5)
    assert bounded["found"] is False and bounded["truncated"] is True


def test_path_hides_intermediates_outside_the_jurisdiction(mini):
    source, cur, _ = mini
    viewer = Viewer(("420111",), frozenset())
    found = rel.shortest_path(cur, source.tables(), viewer, IDS["phone_li"], IDS["zhang"])
    assert found["found"]
    shown = {n["entity_id"]: n for n in found["nodes"]}
    assert shown[IDS["phone_li"]]["caption"] == "139****5678"  # an endpoint the caller chose is shown (masked)
    assert all(n["caption"] or not n["in_scope"] for n in found["nodes"])


def test_timeline_merges_records_and_passes_newest_first_with_paging(mini):
    source, cur, _ = mini
    car = prof.find_entity(cur, PROVINCE, IDS["car"])
    found = tl.timeline(source, cur, PROVINCE, car, per_page=3)
    assert found["total"] == 7 and found["more"] == 4  # two violations, five passes
    assert [e["kind"] for e in found["items"]] == ["checkpoint_pass"] * 3
    times = [e["time"] for e in tl.timeline(source, cur, PROVINCE, car, per_page=50)["items"]]
    assert times == sorted(times, reverse=True)
    oldest = tl.timeline(source, cur, PROVINCE, car, per_page=2, newest_first=False)["items"]
    assert [e["record_id"] for e in oldest] == ["W1", "W2"]
    pages = [tl.timeline(source, cur, PROVINCE, car, page=p, per_page=3)["items"] for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    october = tl.timeline(source, cur, PROVINCE, car, start=dt.datetime(2026, 10, 1, tzinfo=TZ))
    assert october["total"] == 5 and {e["kind"] for e in october["items"]} == {"checkpoint_pass"}


def test_many_passes_are_summarized_per_day(mini, monkeypatch):
    source, cur, _ = mini
    monkeypatch.setattr(tl, "PASS_DETAIL_LIMIT", 2)
    car = prof.find_entity(cur, PROVINCE, IDS["car"])
    days = [e for e in tl.timeline(source, cur, PROVINCE, car)["items"] if e["kind"] == "checkpoint_day"]
    assert [(d["data"]["day"], d["data"]["passes"]) for d in days] == [
        ("2026-10-03", 1),
        ("2026-10-02", 2),
        ("2026-10-01", 2),
    ]


def test_a_hotel_timeline_lists_its_stays_with_the_guests(mini):
    source, cur, _ = mini
    hotel = prof.find_entity(cur, PROVINCE, IDS["hotel"])
    found = tl.timeline(source, cur, PROVINCE, hotel, per_page=10)
    assert found["total"] == 32 and len(found["items"]) == 10
    assert all(e["kind"] == "hotel_stay" and e["related"][0]["role"] == "guest" for e in found["items"])
    assert all("*" in e["data"]["id_number"] for e in found["items"])


def test_trajectory_of_a_vehicle_with_a_range(mini):
    source, cur, _ = mini
    plates = vehicle_plates(cur, IDS["car"])
    found = trajectory(source, plates)
    assert found["total"] == 5 and found["located"] == 5 and not found["truncated"]
    assert [p["checkpoint_id"] for p in found["points"]][:2] == ["4201110001", "4201110002"]
    assert found["points"][0]["lon"] == 114.40 and found["end"] > found["points"][-1]["time"]
    assert [d["passes"] for d in found["days"]] == [2, 2, 1]
    day2 = trajectory(source, plates, dt.datetime(2026, 10, 2, tzinfo=TZ), dt.datetime(2026, 10, 3, tzinfo=TZ))
    assert day2["total"] == 2
    assert trajectory(source, plates, max_points=3)["truncated"] is True
    with pytest.raises(RangeError):
        trajectory(source, plates, dt.datetime(2026, 10, 3, tzinfo=TZ), dt.datetime(2026, 10, 2, tzinfo=TZ))
    with pytest.raises(RangeError):
        trajectory(source, plates, dt.datetime(2025, 1, 1, tzinfo=TZ), dt.datetime(2026, 10, 2, tzinfo=TZ))


def test_house_profile_people_owner_and_incidents_nearby(mini):
    found = _profile(mini, IDS["house"], radius_m=500)
    s = found["sections"]
    registered = {p["entity_id"] for p in s["people"]["registered_address"]}
    assert registered == {p["entity_id"] for p in s["people"]["current_address"]} == {IDS["zhang"], IDS["li"]}
    assert [o["entity_id"] for o in s["owner"]] == [IDS["zhang"]]
    assert [c["call_number"] for c in s["incidents"]["at_address"]] == ["J1"]  # at the home's door plate
    assert [c["call_number"] for c in s["incidents"]["nearby"]] == ["J1", "J2"]  # J2 is ≈290 m away
    assert 250 < s["incidents"]["nearby"][1]["distance_m"] < 320
    close = _profile(mini, IDS["home"], radius_m=100)["sections"]["incidents"]
    assert [c["call_number"] for c in close["nearby"]] == ["J1"]


def test_organization_profile_of_a_hotel(mini):
    s = _profile(mini, IDS["hotel"])["sections"]
    assert s["org_type"] == "hotel"
    assert [p["entity_id"] for p in s["legal_representative"]["resolved"]] == [IDS["wang"]]
    assert s["stays"]["total"] == 32 and len(s["stays"]["rows"]) == 20
    assert all(r["related"][0]["entity_type"] == "person" for r in s["stays"]["rows"])


def test_records_are_paged_per_table(mini):
    source, cur, _ = mini
    pages = [
        prof.records(cur, source.tables(), PROVINCE, IDS["hotel"], "hotel_stay", page=p, per_page=15) for p in (1, 2, 3)
    ]
    assert [len(p["rows"]) for p in pages] == [15, 15, 2] and pages[2]["more"] == 0
    keys = [r["record_key"] for p in pages for r in p["rows"]]
    assert len(set(keys)) == 32
    assert prof.records(cur, source.tables(), PROVINCE, IDS["hotel"], "no_such_table")["total"] == 0


def test_lookup_by_identifier_and_name_inside_the_jurisdiction(mini):
    _, cur, numbers = mini
    plate = lookup(cur, PROVINCE, "鄂a 12345")
    assert plate["mode"] == "identifier:plate" and {i["id"] for i in plate["items"]} == {IDS["car"], IDS["clone"]}
    by_number = lookup(cur, PROVINCE, numbers["zhang"].lower())
    assert by_number["mode"] == "identifier:id_number" and [i["id"] for i in by_number["items"]] == [IDS["zhang"]]
    assert lookup(cur, PROVINCE, "张伟")["items"][0]["id"] == IDS["zhang"]
    assert lookup(cur, Viewer(("420502",)), "鄂A12345")["items"] == []
    assert lookup(cur, PROVINCE, "家门口有人打架")["mode"] == "text"
