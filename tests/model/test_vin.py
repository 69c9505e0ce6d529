"""VINs: check digit, substitutions, the model-year cycle, normalization and SQL agreement.

The single-substitution property is stated exactly as ISO 3779's check digit allows: a substitution is
rejected if and only if it changes the transliterated value of its position, or hits position 9, or
brings in I, O or Q. Substitutions between characters of equal value (A/J/1, B/K/S/2, …) pass: the
standard cannot see them, and the test asserts that too, so the documented blind spot stays exact.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.types import vin as vin_module
from policecloud.data.model.types.vin import (
    ALPHABET,
    CHINESE_WMIS,
    VALUES,
    VIN,
    VinType,
    check_digit,
    generate,
    model_year,
    sql_check_digit,
)
from policecloud.data.model.vectorized import check_values

SETTINGS = settings(max_examples=60, deadline=None)
rngs = st.randoms(use_true_random=False)
CHECKER = VinType(reference_year=2026)

# The characters the check digit cannot tell apart (equal transliterated value), as the module documents.
UNDETECTABLE_GROUPS = ["0", "1AJ", "2BKS", "3CLT", "4DMU", "5ENV", "6FW", "7GPX", "8HY", "9RZ"]


def substitute(text: str, position: int, char: str) -> str:
    return text[:position] + char + text[position + 1 :]


def test_known_check_digits():
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert check_digit("11111111111111111") == "1"
    assert CHECKER.check("11111111111111111").ok
    assert CHECKER.check("1M8GDM9AXKP042788").details["model_year"] == 2019


def test_undetectable_groups_are_exactly_the_equal_value_classes():
    classes: dict[int, str] = {}
    for char in ALPHABET:
        classes[VALUES[char]] = classes.get(VALUES[char], "") + char
    assert sorted(classes.values()) == sorted(UNDETECTABLE_GROUPS)
    for group in UNDETECTABLE_GROUPS[1:]:
        assert " ".join(group) in vin_module.__doc__


@SETTINGS
@given(rng=rngs, wmi=st.sampled_from(sorted(CHINESE_WMIS)), year=st.integers(1998, 2027))  # the window 2026 resolves to
def test_generated_vins_validate(rng, wmi, year):
    vin = generate(rng, wmi=wmi, year=year)
    result = CHECKER.check(vin)
    assert result.ok, (vin, result)
    assert result.value == vin
    assert result.details["wmi"] == wmi
    assert result.details["manufacturer"] == CHINESE_WMIS[wmi]
    assert result.details["model_year"] == year


@SETTINGS
@given(rng=rngs)
def test_every_single_substitution_is_rejected_unless_the_standard_cannot_see_it(rng):
    vin = generate(rng)
    for position in range(17):
        for char in ALPHABET + "IOQ":
            if char == vin[position]:
                continue
            result = CHECKER.check(substitute(vin, position, char))
            if char in "IOQ":
                assert result.reason == "letter_ioq", (position, char)
            elif position == 8 or VALUES[char] != VALUES[vin[position]]:
                assert result.reason == "check_digit", (position, char)
            else:  # same transliterated value: invisible to ISO 3779, documented
                assert result.ok, (position, char)


@SETTINGS
@given(rng=rngs)
def test_adjacent_transpositions_of_different_values_are_rejected(rng):
    vin = generate(rng)
    for position in range(16):
        if position in (7, 8):  # pairs involving the check digit itself
            continue
        a, b = vin[position], vin[position + 1]
        if VALUES[a] == VALUES[b]:
            continue
        swapped = vin[:position] + b + a + vin[position + 2 :]
        assert CHECKER.check(swapped).reason == "check_digit", position


@pytest.mark.parametrize(
    ("code", "reference_year", "expected"),
    [
        ("A", 2026, 2010),
        ("A", 2038, 2010),
        ("A", 2039, 2040),  # next year's models are sold from the year before
        ("V", 2025, 1997),
        ("V", 2026, 2027),
        ("Y", 2026, 2000),
        ("1", 2026, 2001),
        ("9", 2026, 2009),
        ("R", 2026, 2024),
        ("S", 2026, 2025),
        ("T", 2026, 2026),
        ("U", 2026, None),
        ("Z", 2026, None),
        ("0", 2026, None),
    ],
)
def test_model_year_cycle(code, reference_year, expected):
    assert model_year(code, reference_year) == expected


def test_model_year_code_outside_the_table_is_accepted():
    draft = "LSVAB12C0U1234567"
    vin = draft[:8] + check_digit(draft) + draft[9:]
    result = CHECKER.check(vin)
    assert result.ok and result.details["model_year"] is None


def messy(rng: random.Random, vin: str) -> str:
    if rng.random() < 0.5:
        vin = vin.lower()
    if rng.random() < 0.3:
        vin = "".join(chr(ord(c) + 0xFEE0) for c in vin)
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(18)
        vin = vin[:at] + rng.choice([" ", "-", "－", "–", "\t"]) + vin[at:]
    return vin


@SETTINGS
@given(rng=rngs)
def test_messy_forms_normalize_to_the_vin_and_normalization_is_idempotent(rng):
    vin = generate(rng)
    value = CHECKER.check(messy(rng, vin)).value
    assert value == vin
    assert CHECKER.check(value).value == value


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("LSV1aｂ２ -－IOQ.\u3000")), max_size=20))
def test_normalization_is_idempotent_on_any_text(text):
    once = vin_module.normalize_text(text)
    assert vin_module.normalize_text(once) == once


# --- the vectorized form ---------------------------------------------------------------------------------


def test_sql_check_digit_matches_python(duck):
    rng = random.Random(3779)
    vins = ["".join(rng.choice(ALPHABET) for _ in range(17)) for _ in range(2000)]
    table = ", ".join(f"('{v}')" for v in vins)
    rows = duck.sql(f"SELECT v, {sql_check_digit('v')} FROM (VALUES {table}) t(v)").fetchall()
    assert {v: c for v, c in rows} == {v: check_digit(v) for v in vins}


def sample_values(seed: int, n: int) -> list[object]:
    rng = random.Random(seed)
    wide = ALPHABET + "IOQabc*. 鄂"
    values: list[object] = [None, "", " ", "\u3000", "-"]
    while len(values) < n:
        vin = generate(rng)
        roll = rng.random()
        if roll < 0.4:
            vin = substitute(vin, rng.randrange(17), rng.choice(wide))
        elif roll < 0.6:
            vin = messy(rng, vin)
        elif roll < 0.7:
            vin = vin[: rng.randrange(17)] if rng.random() < 0.5 else vin + rng.choice(wide)
        values.append(vin)
    return values


def test_vectorized_form_agrees_with_check(duck):
    values = sample_values(seed=16735, n=4000)
    rows = check_values(duck, VIN, values)
    reasons = set()
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = VIN.check(raw)
        assert (value, reason) == (expected.value, expected.reason), raw
        reasons.add(reason)
    assert reasons == {None, *VIN.reasons}
