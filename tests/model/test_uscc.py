"""Unified social credit codes: check characters, substitutions, normalization and SQL agreement."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from policecloud.data.model.types import uscc as uscc_module
from policecloud.data.model.types.uscc import (
    ALPHABET,
    AUTHORITIES,
    EXCLUDED,
    ORG_WEIGHTS,
    USCC,
    WEIGHTS,
    UsccType,
    check_char,
    generate,
    normalize_text,
    org_check_char,
)
from policecloud.data.model.vectorized import check_values

SETTINGS = settings(max_examples=60, deadline=None)
rngs = st.randoms(use_true_random=False)
DIVISIONS = ["420100", "420106", "429004", "422800", "110000", "100000", "650100", "810000"]
AUTHORITY_KINDS = [(a, k) for a, (_, kinds) in AUTHORITIES.items() for k in kinds]
# Every character someone could type at a position: the alphabet, the excluded letters, lower case.
SUBSTITUTES = ALPHABET + EXCLUDED + "abcdefghijklmnopqrstuvwxyz"


def substitute(text: str, position: int, char: str) -> str:
    return text[:position] + char + text[position + 1 :]


def test_known_check_characters():
    # The usual worked example of the scheme: body 91350100M000100Y4 → 3.
    assert check_char("91350100M000100Y4") == "3"
    assert org_check_char("M000100Y") == "4"
    # GB 11714: 11 - (sum mod 11) is 10 → X and 11 → 0.
    assert org_check_char("00000000") == "0"
    assert org_check_char("56553566") == "X"


def test_weights_are_powers_of_three_modulo_31():
    assert [pow(3, i, 31) for i in range(17)] == list(WEIGHTS)
    assert ORG_WEIGHTS == (3, 7, 9, 10, 5, 8, 4, 2)
    assert len(ALPHABET) == 31 and not set(ALPHABET) & set(EXCLUDED)


def test_mod31_detects_every_single_substitution_and_adjacent_transposition():
    """Exhaustive over positions and values: the arithmetic behind the 100 % property below."""
    weights = (*WEIGHTS, 1)
    for i, w in enumerate(weights):
        for a in range(31):
            for b in range(31):
                if a != b:
                    assert (w * (a - b)) % 31 != 0
                    if i + 1 < len(weights):  # a b → b a at positions i, i+1
                        assert (w * a + weights[i + 1] * b - w * b - weights[i + 1] * a) % 31 != 0


@SETTINGS
@given(rng=rngs, division=st.sampled_from(DIVISIONS), authority_kind=st.sampled_from(AUTHORITY_KINDS))
def test_generated_codes_validate(rng, division, authority_kind):
    authority, kind = authority_kind
    code = generate(rng, division=division, authority=authority, kind=kind)
    result = USCC.check(code)
    assert result.ok, (code, result)
    assert result.value == code
    assert result.details["division"] == division
    assert result.details["authority"] == authority
    assert result.details["authority_name"] == AUTHORITIES[authority][0]
    assert result.details["org_type_name"] == AUTHORITIES[authority][1][kind]
    assert result.details["org_code"] == code[8:17]


@SETTINGS
@given(rng=rngs)
def test_every_single_substitution_is_rejected(rng):
    code = generate(rng, division=rng.choice(DIVISIONS))
    tried = 0
    for position in range(18):
        for char in SUBSTITUTES:
            mutated = substitute(code, position, char)
            if normalize_text(mutated) == code:  # the same character in lower case
                continue
            tried += 1
            result = USCC.check(mutated)
            assert not result.ok, (code, mutated)
            expected = "alphabet" if char.upper() in EXCLUDED else "check_digit"
            assert result.reason == expected, (code, mutated, result)
    letters = sum(c.isalpha() for c in code)
    assert tried == 18 * (len(SUBSTITUTES) - 1) - letters  # all but the character itself and its lower case


@SETTINGS
@given(rng=rngs)
def test_every_adjacent_transposition_is_rejected(rng):
    code = generate(rng)
    for i in range(17):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            assert USCC.check(swapped).reason == "check_digit", swapped


def written_forms(rng: random.Random, code: str) -> list[str]:
    fullwidth = code.translate({ord(c): ord(c) + 0xFEE0 for c in code})
    return [
        code,
        code.lower(),
        " ".join(code[i : i + 4] for i in range(0, 18, 4)),
        f"{code[:2]}-{code[2:8]}-{code[8:17]}-{code[17]}",
        f"\t{code}\u3000",
        fullwidth,
        fullwidth.lower(),
        "".join(c.lower() if rng.random() < 0.5 else c for c in code),
    ]


@SETTINGS
@given(rng=rngs)
def test_written_forms_normalize_to_the_code(rng):
    code = generate(rng)
    for form in written_forms(rng, code):
        assert USCC.check(form).value == code, form


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(SUBSTITUTES + " -\t　０Ａａ－_/"), max_size=24) | st.text(max_size=24))
def test_normalization_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    result = USCC.check(text)
    if result.ok and result.value is not None:
        assert USCC.check(result.value) == result


def test_org_code_check_can_be_switched_off(duck):
    code = "91420100MA4KXL7QX4"  # outer check right, embedded GB 11714 check character wrong
    lenient = UsccType(check_org_code=False)
    assert USCC.check(code).reason == "org_code_check"
    assert lenient.check(code).ok
    assert [row[2] for row in check_values(duck, lenient, [code])] == [None]
    assert [row[2] for row in check_values(duck, USCC, [code])] == ["org_code_check"]


def test_every_reason_has_both_languages():
    for code, (zh, en) in USCC.reasons.items():
        assert zh and en and code.isidentifier()


def mutate(rng: random.Random, text: str) -> str:
    pool = ALPHABET + EXCLUDED + "abcxyz -\t　０Ｑｑ－_./统"
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(5)
        if op == 0:
            text = substitute(text, i, rng.choice(pool))
        elif op == 1:
            text = text[:i] + text[i + 1 :]
        elif op == 2:
            text = text[:i] + rng.choice(pool) + text[i:]
        elif op == 3 and i > 1:
            text = text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :] if i < len(text) else text
        else:
            text = text[:i]
    return text


def test_vectorized_form_agrees_with_check(duck):
    rng = random.Random(20260101)
    values: list[object] = [None, "", " ", "-", "\u3000", "--"]
    for _ in range(3000):
        authority, kind = rng.choice(AUTHORITY_KINDS)
        code = generate(rng, division=rng.choice(DIVISIONS), authority=authority, kind=kind)
        form = rng.choice(written_forms(rng, code))
        values.append(form if rng.random() < 0.4 else mutate(rng, form))
    # Codes whose checks pass but whose structure is wrong: division, authority, organization code.
    for _ in range(300):
        body = "".join(rng.choice(ALPHABET) for _ in range(8))
        org = org_check_char(body) if rng.random() < 0.7 else rng.choice("0123456789X")
        first17 = rng.choice(ALPHABET) + rng.choice(ALPHABET) + rng.choice(["4201A0", "990000", "100100", "420100"])
        first17 += body + org
        values.append(first17 + check_char(first17))
    rows = check_values(duck, USCC, values)
    reasons = set()
    for raw, (_, value, reason) in zip(values, rows, strict=True):
        expected = USCC.check(raw)
        assert (value, reason) == (expected.value, expected.reason), (raw, value, reason, expected)
        reasons.add(reason)
    assert reasons == {None, *USCC.reasons}  # every reason was exercised


def test_module_documents_every_reason():
    for code in USCC.reasons:
        assert f"``{code}``" in uscc_module.__doc__
