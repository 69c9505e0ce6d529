"""On the tiny synthetic province (real resolution): a reader of one county sees, in the dossiers of its
persons, no related entity of another county — the finding as reported counted 7,494 such items over 224 Wuhan
persons. What a province-wide reader sees of the same persons tells which related persons lie outside; their
ID numbers must appear nowhere in the county reader's answers (shown in clear to both: a role that unmasks)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from dossier_support import tiny_master  # noqa: F401  (fixture)

from policecloud.apps.dossier import profile as prof
from policecloud.apps.dossier import relations as rel
from policecloud.apps.dossier import timeline as tl
from policecloud.apps.dossier.outside import listable
from policecloud.apps.dossier.reader import Viewer

CLEAR = frozenset({"id_number", "phone", "address"})
PERSONS = 30


@pytest.fixture(scope="module")
def tiny(tiny_master):  # noqa: F811
    source = tiny_master.source()
    with source.cursor() as cur:
        yield source, cur
    source.close()


def _answers(source, cur, viewer: Viewer, entity_id: str) -> dict:
    entity = prof.find_entity(cur, viewer, entity_id)
    assert entity is not None
    return {
        "profile": prof.profile(source, cur, viewer, entity, today=dt.date(2026, 11, 25)),
        "relations": rel.relations(cur, source.tables(), viewer, entity_id, per_kind=200),
        "timeline": tl.timeline(source, cur, viewer, entity, per_page=100),
    }


def _ids(value) -> set[str]:
    if isinstance(value, dict):
        own = {value["entity_id"]} if isinstance(value.get("entity_id"), str) else set()
        return own.union(*(_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_ids(v) for v in value))
    return set()


def test_a_county_reader_sees_no_related_entity_of_another_county(tiny):
    source, cur = tiny
    where = dict(cur.execute("SELECT entity_id, county FROM entities").fetchall())
    kinds = dict(cur.execute("SELECT entity_id, entity_type FROM entities").fetchall())
    # The county with the most persons that have relations beyond it.
    (county,) = cur.execute(
        "SELECT county FROM entities WHERE entity_type = 'person' AND county IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    persons = [r[0] for r in cur.execute(
        "SELECT entity_id FROM entities WHERE entity_type = 'person' AND county = ? ORDER BY records DESC, entity_id "
        "LIMIT ?", [county, PERSONS],
    ).fetchall()]  # fmt: skip
    reader, province = Viewer((county,), CLEAR), Viewer(("42",), CLEAR)
    outside_keys: set[str] = set()
    withheld = 0
    for person in persons:
        wide = rel.relations(cur, source.tables(), province, person, per_kind=200)
        for group in wide["kinds"]:
            for item in group["items"]:
                if item["entity_type"] == "person" and not reader.covers(item.get("county")) and item["key"]:
                    outside_keys.add(item["key"])
        seen = _answers(source, cur, reader, person)
        shown = _ids(seen)
        assert all(listable(reader, kinds.get(i), where.get(i)) for i in shown), person
        withheld += sum(g["withheld"] for g in seen["relations"]["kinds"])
        text = json.dumps(seen, ensure_ascii=False, default=str)
        assert not [k for k in outside_keys if k in text], person
    assert outside_keys and withheld > 0  # relations cross the county line in this province: the rule was used
