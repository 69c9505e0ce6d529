"""Golden fixtures for every element type: tests/golden/types/<type>.yaml, input → expected.

Format::

    type: id_number
    cases:
      - {input: "11010519491231002X", value: "11010519491231002X", details: {sex: female}}
      - {input: "110105194912310021", reason: check_digit}

``value`` and ``details`` (a subset) are compared as their ISO / str forms; a case without ``reason``
must validate, a case with one must fail with exactly that code. Every case is also run through the
vectorized (DuckDB) form, which must agree on value and reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from policecloud.data.model import types as element_types
from policecloud.data.model.vectorized import check_values

GOLDEN_TYPES = Path(__file__).resolve().parent.parent / "golden" / "types"


def comparable(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    return value


def load_cases() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(GOLDEN_TYPES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(doc["cases"]):
            cases.append(pytest.param(doc["type"], case, id=f"{path.stem}[{i}]"))
    return cases


CASES = load_cases()


def test_there_are_golden_fixtures():
    assert len(CASES) > 0


@pytest.mark.parametrize(("type_name", "case"), CASES)
def test_golden_case(type_name: str, case: dict) -> None:
    etype = element_types.get(type_name)
    result = etype.check(case["input"])
    if "reason" in case:
        assert result.reason == case["reason"], result
    else:
        assert result.ok, f"{case['input']!r} rejected: {result.reason} {etype.message(result.reason or '')}"
        assert comparable(result.value) == comparable(case["value"])
        for key, expected in case.get("details", {}).items():
            assert comparable(result.details.get(key)) == comparable(expected), key


@pytest.mark.parametrize("type_name", sorted({p.values[0] for p in CASES if element_types.get(p.values[0]).vectorized}))
def test_vectorized_agrees_on_golden_inputs(type_name: str, duck) -> None:
    etype = element_types.get(type_name)
    inputs = [p.values[1]["input"] for p in CASES if p.values[0] == type_name]
    for raw, (_, value, reason) in zip(inputs, check_values(duck, etype, inputs), strict=True):
        expected = etype.check(raw)
        assert reason == expected.reason, (raw, reason, expected)
        assert comparable(value) == comparable(expected.value), (raw, value, expected)


@pytest.mark.parametrize("type_name", sorted({p.values[0] for p in CASES if element_types.get(p.values[0]).vectorized}))
def test_the_distinct_value_path_agrees_with_the_row_by_row_path(type_name: str, duck) -> None:
    etype = element_types.get(type_name)
    inputs = [p.values[1]["input"] for p in CASES if p.values[0] == type_name]
    inputs = inputs + inputs[::-1] + [None]  # repeated values and a missing one
    assert check_values(duck, etype, inputs, distinct=True) == check_values(duck, etype, inputs)


def test_a_type_without_a_sql_form_says_so_and_how_to_check_it() -> None:
    from policecloud.data.model.types.base import NoSqlForm

    address = element_types.get("address")
    assert not address.vectorized
    with pytest.raises(NoSqlForm, match="'address' has no SQL form"):
        address.sql_normalize("raw")
