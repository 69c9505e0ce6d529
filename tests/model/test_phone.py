"""Phone numbers: written forms, prefixes, area codes, normalization and SQL agreement.

Phone numbers have no check digit, so "every substitution is rejected" does not hold; the tests assert
instead that corrupting what can be checked (prefix, area code, lengths, first subscriber digit) is.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.divisions import load_divisions
from policecloud.data.model.types import phone as phone_module
from policecloud.data.model.types.phone import (
    MOBILE,
    PHONE,
    area_codes,
    generate,
    mobile_prefixes,
    normalize_text,
)
from policecloud.data.model.vectorized import check_values

SETTINGS = settings(max_examples=80, deadline=None)
rngs = st.randoms(use_true_random=False)
KINDS = ["mobile", "landline", "service"]
UNALLOCATED = [f"{p}{d}" for p in ("100", "110", "120", "140", "154", "160", "169", "179", "194") for d in range(10)]


def test_prefix_table():
    prefixes = mobile_prefixes()
    assert all(re.fullmatch("1[3-9][0-9]{2}", p) for p in prefixes)
    assert not set(UNALLOCATED) & set(prefixes)
    for head in ("13", "15", "18"):  # fully allocated blocks, but 154
        allocated = {p[:3] for p in prefixes if p.startswith(head)}
        assert allocated == {f"{head}{d}" for d in range(10)} - {"154"}
    assert {p.carrier for p in prefixes.values()} == {
        "china_mobile",
        "china_unicom",
        "china_telecom",
        "china_broadnet",
        "satellite",
        "mvno",
    }
    assert all(p.virtual == (p.carrier == "mvno") for p in prefixes.values())
    assert all(prefixes[f"170{d}"].virtual for d in range(10)) and prefixes["1710"].virtual


def test_area_code_table():
    codes = area_codes()
    assert len(codes) > 300
    assert all(re.fullmatch("0(10|2[0-9]|[3-9][0-9]{2})", c) for c in codes)
    divisions = load_divisions()
    for area in codes.values():
        assert len(area.divisions) == len(area.city.split("/"))
        for code, city in zip(area.divisions, area.city.split("/"), strict=True):
            assert divisions.is_known(code), (area.code, code)
            assert divisions.get(code).name == city, (area.code, code, city)
    # Every prefecture-level unit of Hubei, and the directly administered cities, has its area code.
    covered = {d for area in codes.values() for d in area.divisions}
    hubei = {d.code for d in divisions.children("420000")} | {d.code for d in divisions.children("429000")}
    hubei = {code for code in hubei if not divisions.get(code).grouping}
    assert hubei and hubei <= covered, hubei - covered
    # Every province's capital (the first prefecture of each province) or the municipality itself.
    for province in ("110000", "120000", "310000", "500000"):
        assert province in covered
    for capital in ("130100", "140100", "210100", "320100", "330100", "420100", "440100", "510100", "650100"):
        assert capital in covered


@SETTINGS
@given(rng=rngs, kind=st.sampled_from(KINDS), style=st.sampled_from(["plain", "random"]))
def test_generated_numbers_validate(rng, kind, style):
    raw = generate(rng, kind=kind, style=style)
    result = PHONE.check(raw)
    assert result.ok and result.value is not None, (raw, result)
    assert result.details["kind"] == kind
    assert PHONE.check(generate(rng, kind=kind)).ok
    assert MOBILE.check(raw).ok == (kind == "mobile")


@SETTINGS
@given(rng=rngs, code=st.sampled_from(sorted(area_codes())))
def test_every_area_code_validates_in_every_written_form(rng, code):
    for _ in range(5):
        raw = generate(rng, kind="landline", area_code=code, style="random")
        result = PHONE.check(raw)
        assert result.ok, (raw, result)
        assert result.value.split("-")[0] == code
        assert result.details["area_code"] == code


@SETTINGS
@given(rng=rngs)
def test_a_number_keeps_its_value_in_every_written_form(rng):
    mobile = generate(rng, kind="mobile")
    landline = generate(rng, kind="landline")
    for _ in range(10):
        assert PHONE.check(phone_module._mobile_style(rng, mobile)).value == mobile
        code, subscriber = landline.split("-")
        assert PHONE.check(phone_module._landline_style(rng, code, subscriber)).value == landline


@SETTINGS
@given(rng=rngs, bad=st.sampled_from(UNALLOCATED))
def test_an_unallocated_prefix_is_rejected(rng, bad):
    number = generate(rng, kind="mobile")
    assert PHONE.check(bad + number[4:]).reason == "mobile_prefix"
    if not bad.startswith("10"):  # after +86, 10 is Beijing's area code without its 0
        assert PHONE.check("+86 " + bad + number[4:]).reason == "mobile_prefix"


@SETTINGS
@given(rng=rngs, kind=st.sampled_from(["mobile", "landline"]))
def test_a_wrong_length_is_rejected(rng, kind):
    number = generate(rng, kind=kind)
    longer = number + rng.choice("0123456789")
    shorter = number[:-1]
    if kind == "mobile":
        assert PHONE.check(longer).reason == "length"
        assert PHONE.check(shorter).reason == "length"
    else:
        code, subscriber = number.split("-")
        for wrong in (longer, shorter):
            if not 7 <= len(wrong.split("-")[1]) <= 8 or (len(code) == 3 and len(wrong.split("-")[1]) != 8):
                assert PHONE.check(wrong).reason == "subscriber", wrong
        assert PHONE.check(f"{code}-{subscriber}{subscriber}").reason == "subscriber"


@SETTINGS
@given(rng=rngs)
def test_a_corrupted_area_code_or_subscriber_is_rejected(rng):
    code, subscriber = generate(rng, kind="landline").split("-")
    unknown = next(c for c in (f"0{rng.randrange(300, 1000)}" for _ in range(1000)) if c not in area_codes())
    assert PHONE.check(f"{unknown}-{subscriber}").reason == "area_code"
    assert PHONE.check(f"{code}-{rng.choice('01')}{subscriber[1:]}").reason == "subscriber"
    assert PHONE.check(subscriber).reason == "area_code"  # the area code left out


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("0123456789+-() .\t０１８６＋－（）　x转"), max_size=20)
    | st.text(max_size=16)
)
def test_normalization_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    result = PHONE.check(text)
    if result.ok and result.value is not None:
        assert PHONE.check(result.value) == result


@pytest.mark.parametrize("raw", ["110", "119", "120", "122", "12345", "95588", "10086"])
def test_emergency_and_service_numbers_are_no_ones_phone(raw):
    assert PHONE.check(raw).reason == "service_number"


def mutate(rng: random.Random, text: str) -> str:
    pool = "0123456789+-() .０８６＋－（）　abcX转"
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(6)
        if op == 0:
            text = text[:i] + rng.choice(pool) + text[i + 1 :]
        elif op == 1:
            text = text[:i] + text[i + 1 :]
        elif op == 2:
            text = text[:i] + rng.choice(pool) + text[i:]
        elif op == 3:
            text = text[:i]
        elif op == 4:
            text = rng.choice(["+86", "86", "0086", "0", "+", "00", "+852"]) + text
        else:  # digits alone, of any length: short numbers, local numbers, wrong lengths
            text = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))
    return text


@pytest.mark.parametrize("etype", [PHONE, MOBILE], ids=lambda t: t.name)
def test_vectorized_form_agrees_with_check(duck, etype):
    rng = random.Random(20260102)
    values: list[object] = [None, "", " ", "-", "()", "+86", "0086", "86"]
    for _ in range(4000):
        raw = generate(rng, kind=rng.choice(KINDS), style=rng.choice(["plain", "random"]))
        values.append(raw if rng.random() < 0.4 else mutate(rng, raw))
    rows = check_values(duck, etype, values)
    reasons = set()
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = etype.check(raw)
        assert (value, reason) == (expected.value, expected.reason), (raw, value, reason, expected)
        reasons.add(reason)
    assert reasons == {None, *etype.reasons}  # every reason was exercised


def test_sql_setup_is_idempotent(duck):
    PHONE.sql_setup(duck)
    PHONE.sql_setup(duck)
    assert duck.sql("SELECT count(*) FROM pc_area_codes").fetchall() == [(len(area_codes()),)]
    assert duck.sql("SELECT count(*) FROM pc_mobile_prefixes").fetchall() == [(len(mobile_prefixes()),)]


def test_module_documents_every_reason():
    for code in PHONE.reasons:
        assert f"``{code}``" in phone_module.__doc__
