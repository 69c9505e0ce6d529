"""The administrative division code (GB/T 2260) as an element type.

A code is valid when any revision of the standard since 1980 listed it: records keep the code of their time,
so 421023 (监利县, retired in 2020) stays valid; ``details`` say whether it is current and what replaced it.
Twelve-digit statistical codes of a county or above (420111000000) are read as their first six digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

import duckdb

from policecloud.data.model.divisions import SQL_TABLE, load_divisions, setup_duckdb
from policecloud.data.model.types.base import Checked, ElementType, to_halfwidth

# Characters dropped anywhere in a code: blanks of every kind people paste (after full-width → ASCII).
DROPPED = " \t\r\n\u00a0"
_DROP = str.maketrans("", "", DROPPED)
_CODE = re.compile(r"[0-9]{6}")
_STATISTICAL = re.compile(r"[0-9]{6}0{6}")


def normalize_code(raw: object) -> str:
    """The candidate code of a raw value: ASCII digits, no blanks, 12-digit statistical form cut to 6."""
    text = to_halfwidth(str(raw)).translate(_DROP)
    return text[:6] if _STATISTICAL.fullmatch(text) else text


def sql_normalize_code(raw: str) -> str:
    """The DuckDB expression doing what :func:`normalize_code` does (NULL when nothing is left).

    An ASCII value without blanks is taken as it is (contains() finds that out cheaply); only the others pay
    for the clean-up (translate() over the full-width characters costs microseconds a row). The clean text is
    shared by the expressions after it, which DuckDB computes once as they stand outside CASE, AND and OR."""
    # Only full-width digits and blanks are made half-width: any other character is a format error either way.
    fullwidth = "０１２３４５６７８９\u3000"
    halfwidth = (
        f"CASE WHEN strlen({raw}) = length({raw}) THEN {raw} "
        f"ELSE translate({raw}, '{fullwidth}', '{to_halfwidth(fullwidth)}') END"
    )
    cleaned = f"nullif(regexp_replace({halfwidth}, '[{DROPPED}]', '', 'g'), '')"
    dirty = " OR ".join(
        [f"strlen({raw}) <> length({raw})", f"{raw} = ''"] + [f"contains({raw}, '{c}')" for c in DROPPED if c.isascii()]
    )
    text = f"(CASE WHEN {dirty} THEN {cleaned} ELSE {raw} END)"
    statistical = f"regexp_full_match({text}, '[0-9]{{6}}0{{6}}')"
    return f"coalesce(left({text}, 6 + [NULL, 0][({statistical})::INTEGER + 1]), {text})"


class DivisionCode(ElementType):
    name = "division_code"
    label_zh = "行政区划代码"
    label_en = "administrative division code"
    reasons: ClassVar[Mapping[str, tuple[str, str]]] = {
        "format": ("行政区划代码应为6位数字", "a division code has 6 digits"),
        "unknown": ("行政区划代码不存在：GB/T 2260 历次版本均无此代码", "no revision of GB/T 2260 has this code"),
    }

    def check(self, raw: object) -> Checked:
        if raw is None:
            return Checked(None)
        code = normalize_code(raw)
        if code == "":
            return Checked(None)
        if not _CODE.fullmatch(code):
            return self.fail("format")
        division = load_divisions().get(code)
        if division is None:
            return self.fail("unknown")
        details: dict[str, Any] = {
            "name": division.name,
            "level": division.level,
            "current": division.current,
            "successor": division.successor,
        }
        return Checked(code, None, details)

    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        setup_duckdb(con)

    def sql_normalize(self, raw: str) -> str:
        return sql_normalize_code(raw)

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL "
            f"WHEN NOT regexp_full_match({norm}, '[0-9]{{6}}') THEN 'format' "
            f"WHEN {norm} NOT IN (SELECT code FROM {SQL_TABLE}) THEN 'unknown' END"
        )


ELEMENT_TYPES = [DivisionCode()]
