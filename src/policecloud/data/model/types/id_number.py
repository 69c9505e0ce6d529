"""The citizen identity number (公民身份号码, GB 11643-1999) as an element type.

18 characters: a 6-digit division code (GB/T 2260, any revision since 1980: a code retired after the number was
issued stays valid), the birth date YYYYMMDD, a 3-digit sequence (odd for men, even for women) and a check
character (ISO 7064 MOD 11-2 over the first 17 digits). The legacy 15-digit form (division, YYMMDD born 19YY,
sequence) is converted to 18 characters. The residence permits of Hong Kong, Macao and Taiwan residents follow
the same standard with the address codes 810000, 820000 and 830000; the last is not a GB/T 2260 code, so it is
accepted here explicitly.

The reasons are tested in this order, in Python and in SQL alike: ``format`` → ``division`` → ``birth_date`` →
``future_birth_date`` → ``check_digit``. A number with several faults gets the first.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

import duckdb

from policecloud.data.model.divisions import SQL_TABLE, load_divisions, setup_duckdb
from policecloud.data.model.types.base import Checked, ElementType, to_halfwidth
from policecloud.data.model.types.datetimes import SHANGHAI

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11, i = 0..16
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
EXTRA_DIVISIONS = frozenset({"830000"})  # Taiwan residents' residence permits
EARLIEST_BIRTH = dt.date(1900, 1, 1)
REASON_ORDER = ("format", "division", "birth_date", "future_birth_date", "check_digit")

# Dropped anywhere in the number (after full-width → ASCII): blanks and the separators people type.
DROPPED = " \t\r\n\u00a0-"
_CLEAN = str.maketrans({**{c: None for c in DROPPED}, "x": "X"})
_FORM18 = re.compile(r"[0-9]{17}[0-9X]")
_FORM15 = re.compile(r"[0-9]{15}")


def today_in_shanghai() -> dt.date:
    """The current date where the platform works: a birth date is in the future after midnight there."""
    return dt.datetime.now(SHANGHAI).date()


def check_char(first17: str) -> str:
    """The MOD 11-2 check character of 17 digits."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def to_18(legacy: str) -> str:
    """A 15-digit number as 18: born 19YY, check character appended."""
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + check_char(first17)


def normalize_id(raw: object) -> str:
    """The candidate 18-character number of a raw value ('' when blank); not validated."""
    text = to_halfwidth(str(raw)).translate(_CLEAN)
    return to_18(text) if _FORM15.fullmatch(text) else text


# --- SQL ------------------------------------------------------------------------------------------------------
# Measured on DuckDB 2.0.1 (2 busy cores): string functions (substr, casts, regexps) cost 50-200 ns a row each,
# integer arithmetic a few ns, translate() about a microsecond. So a value that needs no clean-up (contains() tells)
# is taken as it is; the number is cast to one BIGINT and every digit, the birth date and the check sum come from it
# by arithmetic (17 ascii(substr()) terms were 5 times slower). DuckDB computes an expression that occurs several
# times once, but not inside CASE, AND or OR: the expressions below select with list indexing, least() and
# coalesce() instead, so that the cast is made once.
def _sql_digit(number: str, index: int, length: int) -> str:
    """DuckDB: digit ``index`` (0 = leftmost) of the ``length``-digit integer expression ``number``."""
    return f"(({number} // {10 ** (length - 1 - index)}) % 10)"


def _sql_weighted_sum(number: str, length: int, weights: list[int], constant: int = 0) -> str:
    """Σ weight × digit over the digits of ``number``, as explicit terms generated here (no list lambdas)."""
    terms = [f"{w} * {_sql_digit(number, i, length)}" for i, w in enumerate(weights)]
    return "(" + " + ".join([str(constant), *terms]) + ")"


def _sql_null_unless(flag: str) -> str:
    """DuckDB: 0 when the boolean ``flag`` is true, else NULL (added to a value, it keeps or voids it)."""
    return f"[NULL, 0][({flag})::INTEGER + 1]"


def sql_clean(raw: str) -> str:
    """DuckDB: the clean-up of :func:`normalize_id` for a value that needs it; NULL when nothing is left.

    Only the full-width characters that can belong to a valid number are made half-width (translate() costs
    per character of its table); any other character, full-width or not, makes the number invalid either way,
    with the same reason. Likewise upper case where Python only turns x into X."""
    fullwidth = "０１２３４５６７８９Ｘｘ－\u3000"
    text = (
        f"CASE WHEN strlen({raw}) = length({raw}) THEN {raw} "
        f"ELSE translate({raw}, '{fullwidth}', '{to_halfwidth(fullwidth)}') END"
    )
    return f"nullif(upper(regexp_replace({text}, '[{DROPPED}]', '', 'g')), '')"


def sql_normalize_id(raw: str) -> str:
    """DuckDB expression doing what :func:`normalize_id` does (the 15 → 18 conversion included)."""
    # Most values need no clean-up; finding that out with contains() is much cheaper than a regexp.
    dirty = " OR ".join(
        [f"strlen({raw}) <> length({raw})", f"{raw} = ''"]
        + [f"contains({raw}, '{c}')" for c in DROPPED + "x" if c.isascii()]
    )
    text = f"(CASE WHEN {dirty} THEN {sql_clean(raw)} ELSE {raw} END)"
    # The cleaned text if it has 15 characters, else NULL. If they are not all digits, the cast below fails or
    # the converted text keeps the non-digits: either way the format check refuses it, as in Python.
    legacy = f"left({text}, 15 + {_sql_null_unless(f'strlen({text}) = 15')})"
    # The 18-digit form of a 15-digit t is t[1..6] || '19' || t[7..15]: its check sum takes the inserted
    # '1' and '9' as a constant and the other digits from t.
    weights = [*WEIGHTS[:6], *WEIGHTS[8:]]
    checksum = _sql_weighted_sum(f"TRY_CAST({legacy} AS BIGINT)", 15, weights, WEIGHTS[6] * 1 + WEIGHTS[7] * 9)
    converted = (
        f"left({legacy}, 6) || '19' || substr({legacy}, 7, 9) || substr('{CHECK_CHARS}', {checksum} % 11 + 1, 1)"
    )
    return f"coalesce({converted}, {text})"


def sql_birth_date(norm: str) -> str:
    """DuckDB: the birth date (DATE) of a normalized number; NULL when it is no date."""
    return f"CAST(try_strptime(substr({norm}, 7, 8), '%Y%m%d') AS DATE)"


def sql_sex(norm: str) -> str:
    """DuckDB: 'male' or 'female' from the parity of the sequence's last digit."""
    return f"['female', 'male'][(ascii(substr({norm}, 17, 1)) - 48) % 2 + 1]"


class IdNumber(ElementType):
    name = "id_number"
    label_zh = "公民身份号码"
    label_en = "citizen ID number"
    reasons: ClassVar[Mapping[str, tuple[str, str]]] = {
        "format": (
            "身份号码应为18位（末位可为X）或15位数字",
            "an ID number has 18 characters (last may be X) or 15 digits",
        ),
        "division": ("身份号码的地址码不是已知的行政区划代码", "the address code is no known division code"),
        "birth_date": ("出生日期无效或早于1900年", "the birth date is no valid date, or before 1900"),
        "future_birth_date": ("出生日期晚于今天", "the birth date is in the future"),
        "check_digit": ("校验码错误", "wrong check character"),
    }

    def check(self, raw: object) -> Checked:
        if raw is None:
            return Checked(None)
        text = to_halfwidth(str(raw)).translate(_CLEAN)
        if text == "":
            return Checked(None)
        converted = bool(_FORM15.fullmatch(text))
        number = to_18(text) if converted else text
        if not _FORM18.fullmatch(number):
            return self.fail("format")
        division = number[:6]
        if division not in EXTRA_DIVISIONS and not load_divisions().is_known(division):
            return self.fail("division", division=division)
        try:
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return self.fail("birth_date")
        if birth < EARLIEST_BIRTH:
            return self.fail("birth_date")
        if birth > today_in_shanghai():
            return self.fail("future_birth_date")
        if check_char(number[:17]) != number[17]:
            return self.fail("check_digit")
        details: dict[str, Any] = {
            "sex": "male" if int(number[16]) % 2 else "female",
            "birth_date": birth,
            "division": division,
            "converted_from_15": converted,
        }
        return Checked(number, None, details)

    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        setup_duckdb(con)

    def sql_normalize(self, raw: str) -> str:
        return sql_normalize_id(raw)

    def sql_reason(self, norm: str, raw: str) -> str:
        # All 18 digits in one cast when the last is a digit; the first 17 alone where it is X (coalesce()
        # evaluates its second argument only where the first is NULL). Meaningless unless the format is right,
        # which is tested first.
        whole = f"TRY_CAST({norm} AS BIGINT)"
        number = f"coalesce({whole} // 10, TRY_CAST(left({norm}, 17) AS BIGINT))"
        check_value = f"coalesce({whole} % 10, 10)"  # X counts 10
        ymd = f"(({number} // 1000) % 100000000)"
        year, month, day = f"({ymd} // 10000)", f"(({ymd} // 100) % 100)", f"({ymd} % 100)"
        leap = f"(({year} % 4 = 0)::INTEGER * (({year} % 100 <> 0)::INTEGER + ({year} % 400 = 0)::INTEGER))"
        days = f"(30 + ({month} + {month} // 8) % 2 + ({month} = 2)::INTEGER * ({leap} - 2))"
        earliest = int(f"{EARLIEST_BIRTH:%Y%m%d}")
        bad_date = (
            f"({month} < 1)::INTEGER + ({month} > 12)::INTEGER + ({day} < 1)::INTEGER "
            f"+ ({day} > {days})::INTEGER + ({ymd} < {earliest})::INTEGER"
        )
        known = " + ".join(
            [f"(left({norm}, 6) IN (SELECT code FROM {SQL_TABLE}))::INTEGER"]
            + [f"(left({norm}, 6) = '{code}')::INTEGER" for code in sorted(EXTRA_DIVISIONS)]
        )
        # With the check character's value added at weight 1, a valid number's sum is 1 modulo 11.
        check_sum = f"({_sql_weighted_sum(number, 17, list(WEIGHTS))} + {check_value})"
        passed = [
            f"regexp_full_match({norm}, '[0-9]{{17}}[0-9X]')",
            f"({known}) > 0",
            f"({bad_date}) = 0",
            # Today in Asia/Shanghai, as check() takes it (not the session's or the machine's date).
            f"{ymd} <= {today_in_shanghai():%Y%m%d}",
            f"{check_sum} % 11 = 1",
        ]
        # The first test failed, in REASON_ORDER; a test that cannot be made (NULL) after an earlier failure is
        # ignored by least(); none failed gives an index past the list, so NULL.
        first_failed = "least(" + ", ".join(f"{i} + 99 * ({test})::INTEGER" for i, test in enumerate(passed, 1)) + ")"
        reasons = ", ".join(f"'{r}'" for r in REASON_ORDER)
        return f"[{reasons}][{first_failed}]"

    # --- generation ---------------------------------------------------------------------------------------
    def generate(
        self,
        rng: random.Random,
        division: str | None = None,
        birth_date: dt.date | None = None,
        sex: str | None = None,
        legacy15: bool = False,
    ) -> str:
        return generate(rng, division, birth_date, sex, legacy15)


@cache
def _current_counties() -> list[str]:
    return sorted(d.code for d in load_divisions() if d.current and d.level == "county" and not d.grouping)


def generate(
    rng: random.Random,
    division: str | None = None,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    legacy15: bool = False,
) -> str:
    """A valid ID number: a random current county-level division, birth between 1930 and yesterday (1930–1999
    for the 15-digit form, which was issued only to people born in the 1900s), sex at random."""
    division = division or rng.choice(_current_counties())
    if birth_date is None:
        first, last = dt.date(1930, 1, 1), (dt.date(1999, 12, 31) if legacy15 else today_in_shanghai())
        birth_date = first + dt.timedelta(days=rng.randrange((last - first).days))
    if legacy15 and not 1900 <= birth_date.year <= 1999:
        raise ValueError("a 15-digit ID number needs a birth year in 1900–1999")
    sex = sex or rng.choice(("male", "female"))
    if sex not in ("male", "female"):
        raise ValueError(f"sex must be 'male' or 'female', not {sex!r}")
    sequence = rng.randrange(0, 500) * 2 + (1 if sex == "male" else 0)
    if legacy15:
        return f"{division}{birth_date:%y%m%d}{sequence:03d}"
    first17 = f"{division}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


ELEMENT_TYPES = [IdNumber()]
