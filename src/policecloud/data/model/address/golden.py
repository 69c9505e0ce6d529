"""Scoring the address parser against a golden set (``tests/golden/addresses.yaml``).

Accuracy is counted per element, over the elements that matter in each case: an element counts when the golden
set expects a value for it (right if the parser gives exactly that value) or when the parser fills it although
the golden set expects it empty (always wrong). Elements both leave empty are not counted, so an address with
three elements weighs three, not fifteen. The overall accuracy is the sum over all elements of all cases.

The golden set names the divisions; their codes are looked up here from those names, independently of the
parser's own reading, following the conventions of :mod:`policecloud.data.model.address` (仙桃: city = county;
a municipality's district: city = the municipality, city_code its GB/T 2260 grouping code).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from policecloud.data.model.address import CODES, ELEMENTS, ParsedAddress
from policecloud.data.model.divisions import Divisions, load_divisions

SCORED = (*ELEMENTS, *CODES)


@dataclass(frozen=True, slots=True)
class GoldenCase:
    text: str
    expected: Mapping[str, str | None]


@dataclass
class Score:
    """Right and counted elements, per element name."""

    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORED, 0))
    counted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORED, 0))
    wrong_cases: list[tuple[str, dict[str, tuple[str | None, str | None]]]] = field(default_factory=list)

    def add(self, case: GoldenCase, got: Mapping[str, str | None], elements: Sequence[str] = SCORED) -> None:
        wrong = {}
        for name in elements:
            expected, value = case.expected.get(name), got.get(name)
            if not expected and not value:
                continue
            self.counted[name] += 1
            if expected == value:
                self.right[name] += 1
            else:
                wrong[name] = (expected, value)
        if wrong:
            self.wrong_cases.append((case.text, wrong))

    def accuracy(self, name: str | None = None) -> float:
        names = SCORED if name is None else (name,)
        counted = sum(self.counted[n] for n in names)
        return sum(self.right[n] for n in names) / counted if counted else 1.0


def load_golden(path: Path, divisions: Divisions | None = None) -> list[GoldenCase]:
    divisions = divisions or load_divisions()
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in doc["cases"]:
        expected = {name: item.get(name) for name in ELEMENTS}
        expected.update(division_codes(expected, divisions))
        cases.append(GoldenCase(item["in"], expected))
    return cases


def division_codes(expected: Mapping[str, str | None], divisions: Divisions) -> dict[str, str | None]:
    """The codes of the expected province / city / county names (current units, found by exact full name)."""

    def unit(name: str | None, level: str, within: str | None = None) -> str | None:
        if not name:
            return None
        found = [d for d in divisions.find(name, within) if d.current and d.level == level and d.name == name]
        if not found:
            raise ValueError(f"golden set: no current {level} named {name!r} (within {within})")
        return found[0].code

    province = unit(expected["province"], "province")
    city_name, county_name = expected["city"], expected["county"]
    county = unit(county_name, "county", province)
    if city_name and city_name == county_name:  # 仙桃, 潜江, 天门, 神农架
        city = county
    elif city_name and city_name == expected["province"]:  # a municipality
        grouping = county[:4] + "00" if county else None
        city = grouping if grouping and divisions.is_known(grouping) else province
    else:
        city = unit(city_name, "prefecture", province)
    return {"province_code": province, "city_code": city, "county_code": county}


def score(cases: Iterable[GoldenCase], parsed: Iterable[ParsedAddress], elements: Sequence[str] = SCORED) -> Score:
    result = Score()
    for case, got in zip(cases, parsed, strict=True):
        result.add(case, got.elements(), elements)
    return result
