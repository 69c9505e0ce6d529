"""A dossier never identifies an entity outside the reader's jurisdiction (policecloud.apps.dossier.outside): not in
relation lists, paths, records, timelines or sections — at most a count, a placeholder or a blanked column.

The mini province with ``outside_links``: 赵敏 (county 420502) is 张伟's co-victim and shares his phone, she and
孙丽 (420502 too) stayed at the Hongshan hotel, and 赵敏 owns the cloned-plate vehicle. A reader of 420111 must
not learn either's name, ID number (masked or not), entity id or county from any dossier answer.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from policecloud.apps.dossier import profile as prof
from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier import timeline as tl
from policecloud.apps.dossier.reader import DossierSource, Viewer
from policecloud.apps.dossier.testing import IDS, SUN, write_mini_province
from policecloud.platform.access.masking import mask_id_number

TODAY = dt.date(2026, 11, 25)
HONGSHAN = Viewer(("420111",))
HONGSHAN_CLEAR = Viewer(("420111",), frozenset({"id_number", "phone", "address"}))
READABLE = ("zhang", "li", "wang", "car", "clone", "hotel", "home", "house")


@pytest.fixture(scope="module")
def leaky(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("mini-outside")
    numbers = write_mini_province(data_dir, outside_links=True)["id_numbers"]
    source = DossierSource(data_dir)
    with source.cursor() as cur:
        yield source, cur, numbers
    source.close()


def _identifying(numbers: dict[str, str]) -> list[str]:
    """Every value that would identify 赵敏 or 孙丽 (or say where they live)."""
    values = ["赵敏", SUN[1], IDS["zhao"], SUN[0], "420502", "宜昌", "夷陵大道"]
    for who in ("zhao", "sun"):
        values += [numbers[who], mask_id_number(numbers[who]), numbers[who][-6:]]
    return values


def _everything(source, cur, viewer: Viewer, entity_id: str) -> dict[str, object]:
    """Every dossier answer about one entity: profile, relations (all pages), timeline, each table's records."""
    entity = prof.find_entity(cur, viewer, entity_id)
    assert entity is not None, entity_id
    tables = source.tables()
    answers: dict[str, object] = {
        "profile": prof.profile(source, cur, viewer, entity, today=TODAY, per_table=100),
        "relations": rel.relations(cur, tables, viewer, entity_id, per_kind=200),
        "timeline": tl.timeline(source, cur, viewer, entity, per_page=200),
    }
    for counted in prof.record_counts(cur, entity_id):
        answers[f"records:{counted['table']}"] = prof.records(cur, tables, viewer, entity_id, counted["table"],
                                                              per_page=100)  # fmt: skip
    return answers


@pytest.mark.parametrize("viewer", [HONGSHAN, HONGSHAN_CLEAR], ids=["masked", "clear"])
@pytest.mark.parametrize("who", READABLE)
def test_no_dossier_answer_identifies_a_person_outside_the_jurisdiction(leaky, viewer, who):
    source, cur, numbers = leaky
    text = json.dumps(_everything(source, cur, viewer, IDS[who]), ensure_ascii=False, default=str)
    leaked = [value for value in _identifying(numbers) if value in text]
    assert leaked == [], f"{who}'s dossier shows {leaked}"


def test_what_is_withheld_is_counted_and_in_scope_values_stay(leaky):
    source, cur, _ = leaky
    zhang = _everything(source, cur, HONGSHAN, IDS["zhang"])
    kinds = {g["kind"]: g for g in zhang["relations"]["kinds"]}
    assert (kinds["same_case"]["total"], kinds["same_case"]["withheld"]) == (0, 1)
    assert kinds["shared_phone"]["withheld"] == 1
    assert kinds["same_hotel_night"]["withheld"] == 2 and kinds["same_hotel_night"]["total"] == 31
    assert {i["entity_id"] for i in kinds["co_offender"]["items"]} == {IDS["wang"]}  # in scope: listed as before

    hotel = _everything(source, cur, HONGSHAN, IDS["hotel"])
    guests = {g["kind"]: g for g in hotel["relations"]["kinds"]}["guest"]
    assert (guests["total"], guests["withheld"]) == (32, 2)
    stays = hotel["records:hotel_stay"]["rows"]
    blanked = [r for r in stays if r.get("withheld")]
    assert len(blanked) == 2 and all(r["withheld"] == ["guest"] and r["name"] is r["id_number"] is None
                                     for r in blanked)  # fmt: skip
    assert sum(1 for r in stays if r["name"] == "张伟") == 1  # guests in the county keep their names

    clone = _everything(source, cur, HONGSHAN, IDS["clone"])
    owner = clone["profile"]["sections"]["owner"]
    assert owner["resolved"] == [] and owner["withheld"] == 1
    assert not any(owner["stated"].values())  # the registration's owner name and number are not shown either
    props = {p["property"]: p for p in clone["profile"]["properties"]}
    assert props["owner_name"]["withheld"] is True and props["owner_name"]["values"] == []
    (registration,) = clone["records:vehicle"]["rows"]
    assert registration["owner_name"] is None and registration["withheld"] == ["owner"]
    assert registration["vin"] == "LGBH52E05AY123456"  # the vehicle's own values stay


def test_a_path_through_a_person_outside_shows_a_placeholder(leaky):
    source, cur, numbers = leaky
    found = rel.shortest_path(cur, source.tables(), HONGSHAN, IDS["clone"], IDS["zhang"])
    assert found["found"] and found["depth"] == 2
    middle = found["nodes"][1]
    assert middle["entity_type"] == "person" and middle["withheld"] is True
    assert middle["entity_id"] is middle["caption"] is middle["key"] is middle["county"] is None
    assert found["chain"][1] == IDS["zhao"]  # kept for the audit log; the route takes it out of the answer
    shown = json.dumps({k: v for k, v in found.items() if k != "chain"}, ensure_ascii=False)
    assert not [v for v in _identifying(numbers) if v in shown]


def test_a_reader_of_the_other_county_sees_the_persons_there(leaky):
    source, cur, numbers = leaky
    xiling = Viewer(("420502",), frozenset({"id_number"}))
    zhao = _everything(source, cur, xiling, IDS["zhao"])
    assert zhao["profile"]["entity"]["key"] == numbers["zhao"]
    kinds = {g["kind"]: g for g in zhao["relations"]["kinds"]}
    assert kinds["same_case"]["withheld"] == 2 and kinds["same_case"]["items"] == []  # 张伟, 王强: outside 420502
