"""Every identifier in the clean truth validates with the foundation's element types."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from policecloud.data.model import types as element_types


def _entities(out, name):
    return pq.read_table(out / "truth" / "entities" / f"{name}.parquet").to_pydict()


@pytest.mark.parametrize(
    ("entity", "column", "type_name"),
    [
        ("persons", "id_number", "id_number"),
        ("persons", "registered_division", "division_code"),
        ("vehicles", "vin", "vin"),
        ("vehicles", "plate", "plate"),
        ("organizations", "uscc", "uscc"),
        ("organizations", "phone", "phone"),
        ("phones", "number", "phone"),
    ],
)
def test_clean_identifiers_validate(tiny, entity, column, type_name):
    out, _ = tiny
    values = [v for v in _entities(out, entity)[column] if v]
    assert len(values) > 50
    etype = element_types.get(type_name)
    invalid = [(v, etype.check(v).reason) for v in values if not etype.check(v).ok]
    assert invalid == []


def test_id_numbers_agree_with_person_facts(tiny):
    out, _ = tiny
    persons = _entities(out, "persons")
    etype = element_types.get("id_number")
    for number, birth, male in zip(persons["id_number"], persons["birth"], persons["male"], strict=True):
        assert number[6:14] == birth.replace("-", "")
        assert int(number[16]) % 2 == (1 if male else 0)
        assert etype.check(number).ok


def test_plates_carry_the_owners_city(tiny):
    out, _ = tiny
    vehicles = _entities(out, "vehicles")
    letters = {"4201": "A", "4202": "B", "4203": "C", "4210": "D", "4205": "E", "4206": "F", "4228": "Q"}
    checked = 0
    for plate, county, owner_kind in zip(vehicles["plate"], vehicles["county"], vehicles["owner_kind"], strict=True):
        if owner_kind == "organization" and county[:4] in letters:
            assert plate[:2] == "鄂" + letters[county[:4]]
            checked += 1
    assert checked > 0
    assert any(len(p) == 8 for p in vehicles["plate"])  # new-energy plates exist
