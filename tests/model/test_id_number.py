"""The citizen ID number (GB 11643-1999) element type ``id_number``."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.types.base import FULLWIDTH_CHARS, HALFWIDTH_CHARS
from policecloud.data.model.types.id_number import (
    IdNumber,
    check_char,
    generate,
    normalize_id,
    sql_birth_date,
    sql_sex,
    to_18,
    today_in_shanghai,
)
from policecloud.data.model.vectorized import check_sql, check_values

ID = IdNumber()
DIGITS = "0123456789"
TRICKY = ["+", "_", ".", "e", "E", "\x0b", "\u00a0", "Ａ", "＋", "．", "－", "１", "ß", "ｘ", "Ｘ", "x", "-0"]
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def test_the_standards_example():
    result = ID.check("11010519491231002X")
    assert result.ok and result.value == "11010519491231002X"
    assert result.details == {
        "sex": "female",
        "birth_date": dt.date(1949, 12, 31),
        "division": "110105",
        "converted_from_15": False,
    }
    assert check_char("11010519491231002") == "X"


def test_15_to_18_conversion():
    assert to_18("110105491231002") == "11010519491231002X"
    assert to_18("420621630405118") == "420621196304051182"
    result = ID.check("110105491231002")
    assert result.value == "11010519491231002X" and result.details["converted_from_15"] is True
    assert result.details["birth_date"] == dt.date(1949, 12, 31)


def test_reason_order():
    # Each number below has a wrong check character as well; the earlier fault is reported.
    assert ID.check("990105194912310021").reason == "division"
    assert ID.check("990105194902300021").reason == "division"
    assert ID.check("110105194902300021").reason == "birth_date"
    assert ID.check("110105299912310021").reason == "future_birth_date"
    assert ID.check("110105194912310021").reason == "check_digit"


def test_future_and_very_old_birth_dates(duck):
    today = today_in_shanghai()  # what both forms compare with, whatever the machine's time zone
    tomorrow = generate(random.Random(1), division="420111", birth_date=today + dt.timedelta(days=1))
    born_today = generate(random.Random(1), division="420111", birth_date=today)
    born_1900 = generate(random.Random(1), division="420111", birth_date=dt.date(1900, 1, 1))
    born_1899 = generate(random.Random(1), division="420111", birth_date=dt.date(1899, 12, 31))
    values = [tomorrow, born_today, born_1900, born_1899]
    expected = ["future_birth_date", None, None, "birth_date"]
    assert [ID.check(v).reason for v in values] == expected
    assert [reason for _, _, reason in check_values(duck, ID, values)] == expected


def test_residence_permit_codes():
    assert ID.check(generate(random.Random(3), division="830000")).ok  # Taiwan residents
    assert ID.check(generate(random.Random(3), division="810000")).ok  # Hong Kong residents


def test_generate_rejects_impossible_requests():
    with pytest.raises(ValueError):
        generate(random.Random(0), birth_date=dt.date(2005, 1, 1), legacy15=True)
    with pytest.raises(ValueError):
        generate(random.Random(0), sex="unknown")


# --- properties -------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(seeds, st.sampled_from([None, "male", "female"]), st.booleans())
def test_generated_numbers_validate(seed, sex, legacy15):
    rng = random.Random(seed)
    number = generate(rng, sex=sex, legacy15=legacy15)
    assert len(number) == (15 if legacy15 else 18)
    result = ID.check(number)
    assert result.ok, (number, result)
    assert result.details["converted_from_15"] is legacy15
    assert sex is None or result.details["sex"] == sex
    assert result.value == (to_18(number) if legacy15 else number)
    if legacy15:
        assert 1900 <= result.details["birth_date"].year <= 1999


@settings(max_examples=60, deadline=None)
@given(seeds)
def test_every_single_character_substitution_is_rejected(seed):
    number = generate(random.Random(seed))
    tried = 0
    for i, original in enumerate(number):
        for char in DIGITS + ("X" if i == 17 else ""):
            if char == original:
                continue
            mutated = number[:i] + char + number[i + 1 :]
            result = ID.check(mutated)
            assert not result.ok, (number, mutated)
            tried += 1
    assert tried == 17 * 9 + 10  # 9 other digits at 17 positions, 10 other characters at the last


def noisy(number: str, rng: random.Random) -> str:
    """The same number as sources write it: full-width, lower-case x, blanks and hyphens."""
    if rng.random() < 0.3:
        number = number.translate(str.maketrans(HALFWIDTH_CHARS, FULLWIDTH_CHARS))
    if rng.random() < 0.5:
        number = number.replace("X", "x").replace("Ｘ", "ｘ")
    for _ in range(rng.randrange(3)):
        cut = rng.randrange(len(number) + 1)
        number = number[:cut] + rng.choice([" ", "-", "\u3000", "\t"]) + number[cut:]
    return rng.choice(["", " ", "\u3000"]) + number + rng.choice(["", " ", "\n"])


@settings(max_examples=300, deadline=None)
@given(seeds, st.booleans())
def test_noise_is_normalized_away_and_normalization_is_idempotent(seed, legacy15):
    rng = random.Random(seed)
    number = generate(rng, legacy15=legacy15)
    raw = noisy(number, rng)
    once = normalize_id(raw)
    assert normalize_id(once) == once
    assert ID.check(raw).value == ID.check(number).value == ID.check(once).value


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789Xx０１Ｘ -\u3000", max_size=22))
def test_normalization_is_idempotent_on_any_text(raw):
    once = normalize_id(raw)
    assert normalize_id(once) == once


# --- the vectorized form ----------------------------------------------------------------------------------
def mutated_values(count: int, seed: int) -> list[object]:
    """Valid numbers, noisy ones, 15-digit ones, and numbers broken in every way the checks know."""
    rng = random.Random(seed)
    values: list[object] = []
    for _ in range(count):
        number = generate(rng, legacy15=rng.random() < 0.15)
        kind = rng.random()
        if kind < 0.3:
            values.append(noisy(number, rng))
        elif kind < 0.6:
            i = rng.randrange(len(number))
            values.append(number[:i] + rng.choice(DIGITS + "Xx") + number[i + 1 :])
        elif kind < 0.65:
            values.append(number[: rng.randrange(len(number))])
        elif kind < 0.7:  # characters a lenient integer cast or a partial full-width mapping could let through
            i = rng.randrange(len(number) + 1)
            values.append(number[:i] + rng.choice(TRICKY) + number[i + rng.randrange(2) :])
        elif kind < 0.8:  # bad or future dates
            date = rng.choice(["19490230", "20010229", "18991231", "29990101", "19991301", "00000000"])
            values.append(number[:6] + date + number[14:] if len(number) == 18 else number[:6] + date[2:] + "123")
        elif kind < 0.9:
            values.append(rng.choice(["000000", "999999", "420199", "830000"]) + number[6:])
        else:
            values.append(rng.choice([None, "", " ", "X", "abc", "11010519491231002XX", "身份证"]))
    return values


def test_vectorized_agrees_with_check(duck):
    values = mutated_values(4000, seed=11643)
    rows = check_values(duck, ID, values)
    reasons = set()
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = ID.check(raw)
        assert (value, reason) == (expected.value, expected.reason), raw
        reasons.add(reason)
    assert reasons == {None, *ID.reasons}  # every reason was exercised


def test_sql_sex_and_birth_date_agree_with_details(duck):
    rng = random.Random(7)
    values = [generate(rng, legacy15=rng.random() < 0.3) for _ in range(500)]
    ID.sql_setup(duck)
    duck.register("ids", pa.table({"i": list(range(len(values))), "v": values}))
    inner = check_sql(ID, "ids", "v", keep=["i"])
    rows = duck.sql(f"SELECT value, {sql_sex('value')}, {sql_birth_date('value')} FROM ({inner}) ORDER BY i").fetchall()
    for raw, (value, sex, birth) in zip(values, rows, strict=True):
        expected = ID.check(raw)
        assert (value, sex, birth) == (expected.value, expected.details["sex"], expected.details["birth_date"])
