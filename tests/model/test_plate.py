"""Plate numbers: the issuer table, generated plates, substitutions by class, normalization, SQL agreement.

A plate has no check character, so "every single-character substitution is rejected" cannot hold: a typo
in the serial usually gives another valid plate. What must hold, and is tested here exhaustively per
position, is that every substitution that breaks a rule of GA 36 is rejected with the rule's reason:
I or O in the serial, an unknown province, an issuing letter the province does not use, a character of
the wrong class (letters in the digit positions of new-energy plates, a bad energy mark), while
substitutions within the allowed alphabet of a position give valid plates.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.types import plate as plate_module
from policecloud.data.model.types.plate import (
    HYBRID,
    KINDS,
    PLATE,
    PROVINCES,
    PURE_ELECTRIC,
    SERIAL_CHARS,
    SUFFIX_KINDS,
    generate,
    issuer_keys,
    provinces,
)
from policecloud.data.model.vectorized import check_values

LETTERS_AZ = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# Chinese characters that are not province abbreviations (some look like or stand for places).
NOT_PROVINCES = "台港澳北南东西中国省市县使领学警挂军海空甲乙丙丁"
SETTINGS = settings(max_examples=60, deadline=None)

any_province = st.sampled_from(sorted(PROVINCES))
rngs = st.randoms(use_true_random=False)


def substitute(text: str, position: int, char: str) -> str:
    return text[:position] + char + text[position + 1 :]


def letters_of(province: str, use: str = "any") -> set[str]:
    return {letter for letter, issuer in provinces()[province].issuers.items() if issuer.use == use}


def messy(rng: random.Random, plate: str) -> str:
    """The plate as people and old systems write it: separators, lower case, full width, blanks."""
    text = plate[:2] + rng.choice(["", "·", "•", "-", " ", ".", "・", "－"]) + plate[2:]
    if rng.random() < 0.4:
        text = text.lower()
    if rng.random() < 0.3:
        text = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)
    if rng.random() < 0.2:
        text = rng.choice([" ", "\t", "\u3000"]) + text + rng.choice([" ", "\u3000", ""])
    return text


# --- the issuer table ------------------------------------------------------------------------------


def test_issuer_table_covers_every_province_with_sane_letters():
    table = provinces()
    assert set(table) == set(PROVINCES) and len(PROVINCES) == 31
    for abbr, province in table.items():
        assert province.division.endswith("0000") and len(province.division) == 6, abbr
        assert letters_of(abbr), abbr
        for letter, issuer in province.issuers.items():
            assert letter in LETTERS_AZ and letter != "I", (abbr, letter)
            assert (letter == "O") == (issuer.use == "police"), (abbr, letter)
            assert issuer.division is None or issuer.division[:2] == province.division[:2], (abbr, letter)


def test_hubei_letters_and_division_codes():
    hubei = provinces()["鄂"]
    confirmed = {k: (v.city, v.division) for k, v in hubei.issuers.items() if v.use == "any" and not v.uncertain}
    assert confirmed == {
        "A": ("武汉市", "420100"),
        "B": ("黄石市", "420200"),
        "C": ("十堰市", "420300"),
        "D": ("荆州市", "421000"),
        "E": ("宜昌市", "420500"),
        "F": ("襄阳市", "420600"),
        "G": ("鄂州市", "420700"),
        "H": ("荆门市", "420800"),
        "J": ("黄冈市", "421100"),
        "K": ("孝感市", "420900"),
        "L": ("咸宁市", "421200"),
        "M": ("仙桃市", "429004"),
        "N": ("潜江市", "429005"),
        "P": ("神农架林区", "429021"),
        "Q": ("恩施土家族苗族自治州", "422800"),
        "R": ("天门市", "429006"),
        "S": ("随州市", "421300"),
    }


def test_cross_border_letter_is_only_guangdong_z():
    assert [k for k in issuer_keys() if k.endswith("x")] == ["粤Zx"]
    assert "粤Zn" not in issuer_keys() and "粤Zp" not in issuer_keys()


def test_sql_setup_is_idempotent_and_the_table_names_the_city(duck):
    PLATE.sql_setup(duck)
    PLATE.sql_setup(duck)
    rows = duck.sql("SELECT city, division FROM pc_plate_issuers WHERE key = '鄂Qn'").fetchall()
    assert rows == [("恩施土家族苗族自治州", "422800")]
    count = duck.sql("SELECT count(*) FROM pc_plate_issuers").fetchall()[0][0]
    assert count == len(issuer_keys())


# --- generated plates --------------------------------------------------------------------------------


@SETTINGS
@given(rng=rngs, province=any_province, kind=st.sampled_from(KINDS))
def test_generated_plates_validate(rng, province, kind):
    plate = generate(rng, province=province, kind=kind)
    result = PLATE.check(plate)
    assert result.ok, (plate, result)
    assert result.value == plate
    assert result.details["kind"] == kind
    if kind not in ("embassy", "hk", "macau"):
        assert result.details["province"] == province


@SETTINGS
@given(rng=rngs, size=st.sampled_from(["small", "large"]))
def test_new_energy_details(rng, size):
    plate = generate(rng, kind="new_energy", size=size)
    details = PLATE.check(plate).details
    assert details["size"] == size
    marker = plate[2] if size == "small" else plate[-1]
    assert details["energy"] == ("pure_electric" if marker in PURE_ELECTRIC else "hybrid")


def test_generator_rejects_what_it_cannot_make():
    rng = random.Random(0)
    with pytest.raises(ValueError):
        generate(rng, kind="military")
    with pytest.raises(ValueError):
        generate(rng, province="鄂", issuer="T")
    assert generate(rng, province="鄂", kind="hk").startswith("粤Z")


# --- substitutions, position by position ---------------------------------------------------------------


def reason(text: str) -> str | None:
    result = PLATE.check(text)
    assert result.ok or result.value is None
    return result.reason


@SETTINGS
@given(rng=rngs, province=any_province)
def test_substitutions_of_an_ordinary_plate(rng, province):
    plate = generate(rng, province=province)
    for char in NOT_PROVINCES:
        assert reason(substitute(plate, 0, char)) in ("province", "format"), char
    for other in PROVINCES:
        expected = None if plate[1] in letters_of(other) else "issuer"
        assert reason(substitute(plate, 0, other)) == expected, other
    for letter in LETTERS_AZ:
        expected = None if letter in letters_of(province) else "issuer"
        assert reason(substitute(plate, 1, letter)) == expected, letter
    for digit in DIGITS:
        assert reason(substitute(plate, 1, digit)) == "format"
    for position in range(2, 7):
        for char in SERIAL_CHARS:
            assert reason(substitute(plate, position, char)) is None
        for char in "IO":
            assert reason(substitute(plate, position, char)) == "letter_i_o"
        assert reason(substitute(plate, position, "鄂")) == "format"


@SETTINGS
@given(rng=rngs, province=any_province)
def test_substitutions_of_a_small_new_energy_plate(rng, province):
    plate = generate(rng, province=province, kind="new_energy", size="small")
    for char in SERIAL_CHARS + "IO":
        expected = "letter_i_o" if char in "IO" else None if char in PURE_ELECTRIC + HYBRID else "new_energy"
        assert reason(substitute(plate, 2, char)) == expected, char
        expected = "letter_i_o" if char in "IO" else None
        assert reason(substitute(plate, 3, char)) == expected, char
        for position in range(4, 8):
            expected = "letter_i_o" if char in "IO" else None if char in DIGITS else "new_energy"
            assert reason(substitute(plate, position, char)) == expected, (position, char)


@SETTINGS
@given(rng=rngs, province=any_province)
def test_substitutions_of_a_large_new_energy_plate(rng, province):
    plate = generate(rng, province=province, kind="new_energy", size="large")
    for char in SERIAL_CHARS + "IO":
        for position in range(2, 7):
            # A letter never turns it into a small plate: those end in a digit, this one in D or F.
            expected = "letter_i_o" if char in "IO" else None if char in DIGITS else "new_energy"
            assert reason(substitute(plate, position, char)) == expected, (position, char)
        expected = "letter_i_o" if char in "IO" else None if char in "DF" else "new_energy"
        assert reason(substitute(plate, 7, char)) == expected, char


@SETTINGS
@given(rng=rngs, province=any_province, kind=st.sampled_from(["trailer", "learner", "police", "consulate"]))
def test_substitutions_of_a_suffix_plate(rng, province, kind):
    plate = generate(rng, province=province, kind=kind)
    for position in range(2, 6):
        for char in "IO":
            assert reason(substitute(plate, position, char)) == "letter_i_o"
    for suffix, other_kind in SUFFIX_KINDS.items():
        changed = substitute(plate, 6, suffix)
        expected = "issuer" if other_kind in ("hk", "macau") else None
        assert reason(changed) == expected, changed
    for char in "试超临军":
        assert reason(substitute(plate, 6, char)) == "format"
    if kind == "police":
        assert reason(substitute(plate, 1, "O")) is None
    else:
        assert reason(substitute(plate, 1, "O")) == "issuer"


# --- normalization ----------------------------------------------------------------------------------


@SETTINGS
@given(rng=rngs, province=any_province, kind=st.sampled_from(KINDS))
def test_messy_forms_normalize_to_the_plate_and_normalization_is_idempotent(rng, province, kind):
    plate = generate(rng, province=province, kind=kind)
    raw = messy(rng, plate)
    value = PLATE.check(raw).value
    assert value == plate, raw
    assert PLATE.check(value).value == value


@SETTINGS
@given(text=st.text(alphabet=st.sampled_from(list("鄂粤使警A Bb1２ｃ·-IO．\t")), max_size=10))
def test_normalization_is_idempotent_on_any_text(text):
    first = PLATE.check(text)
    if first.ok and first.value is not None:
        assert PLATE.check(first.value).value == first.value
    assert plate_module.normalize_text(plate_module.normalize_text(text)) == plate_module.normalize_text(text)


# --- the vectorized form ---------------------------------------------------------------------------------


def sample_values(seed: int, n: int) -> list[object]:
    """Generated plates, many of them mangled: substitutions from a wide alphabet, messy formatting,
    truncation and extension, blanks and None."""
    rng = random.Random(seed)
    wide = SERIAL_CHARS + "IOabcxyz" + NOT_PROVINCES + PROVINCES[:8] + "·- ＡＯ１" + "".join(SUFFIX_KINDS)
    values: list[object] = [None, "", " ", "\u3000", "-", "·"]
    while len(values) < n:
        plate = generate(rng, province=rng.choice(PROVINCES), kind=rng.choice(KINDS))
        roll = rng.random()
        if roll < 0.4:
            plate = substitute(plate, rng.randrange(len(plate)), rng.choice(wide))
        elif roll < 0.6:
            plate = messy(rng, plate)
        elif roll < 0.7:
            plate = plate[: rng.randrange(len(plate))] if rng.random() < 0.5 else plate + rng.choice(wide)
        values.append(plate)
    return values


def test_vectorized_form_agrees_with_check(duck):
    values = sample_values(seed=36, n=4000)
    rows = check_values(duck, PLATE, values)
    reasons = set()
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = PLATE.check(raw)
        assert (value, reason) == (expected.value, expected.reason), raw
        reasons.add(reason)
    assert reasons == {None, *PLATE.reasons}  # the sample exercises every reason


def test_vectorized_form_upper_cases_like_check(duck):
    """SQL upper-cases with upper() where it agrees with the translation: not ı or ſ (upper() gives I and S),
    nor other letters, nor full-width ones."""
    values = ["鄂a12345", "鄂a·12345", "鄂ı12345", "鄂aſ1234", "鄂é12345", "鄂ａ12345", "鄂a１２３４５", "鄂Aß1234"]
    rows = check_values(duck, PLATE, values)
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = PLATE.check(raw)
        assert (value, reason) == (expected.value, expected.reason), raw
    assert [value for _, value, _ in rows][:2] == ["鄂A12345", "鄂A12345"]
