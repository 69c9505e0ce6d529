"""Numeric and yes/no element types: integers, decimal numbers, booleans.

Like the other simple types, each normalization exists twice (Python and DuckDB SQL) and the two agree on
every input; formats are checked with a regular expression before any cast, because DuckDB's casts accept
more than Python's (``TRY_CAST('0x10' AS BIGINT)`` is 16, ``TRY_CAST('12.5' AS BIGINT)`` rounds to 13).
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

from policecloud.data.model.types.base import Checked, ElementType, sql_literal
from policecloud.data.model.types.simple import Reasons, clean, sql_clean

_GROUPED = r"[+-]?[0-9]{1,3}(,[0-9]{3})+"
_INTEGER = r"[+-]?[0-9]+(\.0*)?"
_DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"


def _ungrouped(text: str, fraction: str) -> str:
    """'1,234,567' → '1234567' (only well-formed thousands groups; anything else is left for the format check)."""
    return text.replace(",", "") if re.fullmatch(_GROUPED + fraction, text) else text


def _sql_ungrouped(expr: str, fraction: str) -> str:
    return f"CASE WHEN regexp_full_match({expr}, '{_GROUPED}{fraction}') THEN replace({expr}, ',', '') ELSE {expr} END"


class IntegerType(ElementType):
    """A whole number (a count, lane number, penalty points); '1,234' and '12.0' are accepted."""

    name = "integer"
    label_zh = "整数"
    label_en = "integer"
    sql_type = "BIGINT"
    reasons: ClassVar[Reasons] = {
        "format": ("不是整数", "not a whole number"),
        "fraction": ("有小数部分", "has a fractional part"),
        "range": ("超出 64 位整数范围", "outside the 64-bit integer range"),
    }
    _FRACTION = r"(\.[0-9]*)?"

    def check(self, raw: object) -> Checked:
        text = clean(raw)
        if text is None:
            return Checked(None)
        text = _ungrouped(text, self._FRACTION)
        if not re.fullmatch(_INTEGER, text):
            return self.fail("fraction" if re.fullmatch(_DECIMAL, text) and "." in text else "format")
        value = int(re.match(r"[+-]?[0-9]+", text).group())
        if not -(2**63) <= value < 2**63:
            return self.fail("range")
        return Checked(value)

    def sql_normalize(self, raw: str) -> str:
        ungrouped = _sql_ungrouped("c", self._FRACTION)
        return (
            f"(SELECT CASE WHEN regexp_full_match(u, '{_INTEGER}') "
            f"THEN TRY_CAST(regexp_extract(u, '^[+-]?[0-9]+') AS BIGINT) END "
            f"FROM (SELECT {ungrouped} AS u FROM (SELECT {sql_clean(raw)} AS c)))"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        ungrouped = _sql_ungrouped("c", self._FRACTION)
        return (
            f"CASE WHEN {norm} IS NOT NULL THEN NULL ELSE (SELECT CASE WHEN u IS NULL THEN NULL "
            f"WHEN regexp_full_match(u, '{_INTEGER}') THEN 'range' "
            f"WHEN regexp_full_match(u, '{_DECIMAL}') AND contains(u, '.') THEN 'fraction' ELSE 'format' END "
            f"FROM (SELECT {ungrouped} AS u FROM (SELECT {sql_clean(raw)} AS c))) END"
        )


class NumberType(ElementType):
    """A decimal number (a speed, an area, an amount of money, a signal level)."""

    name = "number"
    label_zh = "数值"
    label_en = "number"
    sql_type = "DOUBLE"
    reasons: ClassVar[Reasons] = {
        "format": ("不是数值", "not a number"),
        "range": ("数值超出范围", "number out of range"),
    }
    _FRACTION = r"(\.[0-9]*)?"

    def check(self, raw: object) -> Checked:
        text = clean(raw)
        if text is None:
            return Checked(None)
        text = _ungrouped(text, self._FRACTION)
        if not re.fullmatch(_DECIMAL, text):
            return self.fail("format")
        value = float(text)
        if not math.isfinite(value):
            return self.fail("range")
        return Checked(value)

    def sql_normalize(self, raw: str) -> str:
        ungrouped = _sql_ungrouped("c", self._FRACTION)
        return (
            f"(SELECT CASE WHEN regexp_full_match(u, '{_DECIMAL}') THEN TRY_CAST(u AS DOUBLE) END "
            f"FROM (SELECT {ungrouped} AS u FROM (SELECT {sql_clean(raw)} AS c)))"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NOT NULL THEN (CASE WHEN isinf({norm}) THEN 'range' END) "
            f"WHEN {sql_clean(raw)} IS NOT NULL THEN 'format' END"
        )


class BooleanType(ElementType):
    """Yes or no: 是/否, 真/假, true/false, t/f, yes/no, y/n, 1/0."""

    name = "boolean"
    label_zh = "布尔值"
    label_en = "boolean"
    sql_type = "BOOLEAN"
    reasons: ClassVar[Reasons] = {"format": ("不是“是/否”取值", "not a yes/no value")}
    TRUE = ("是", "真", "true", "t", "yes", "y", "1")
    FALSE = ("否", "假", "false", "f", "no", "n", "0")

    def check(self, raw: object) -> Checked:
        text = clean(raw)
        if text is None:
            return Checked(None)
        key = text.lower()
        if key in self.TRUE:
            return Checked(True)
        if key in self.FALSE:
            return Checked(False)
        return self.fail("format")

    def sql_normalize(self, raw: str) -> str:
        true = ", ".join(sql_literal(v) for v in self.TRUE)
        false = ", ".join(sql_literal(v) for v in self.FALSE)
        return (
            f"(SELECT CASE WHEN k IN ({true}) THEN true WHEN k IN ({false}) THEN false END "
            f"FROM (SELECT lower({sql_clean(raw)}) AS k))"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        return f"CASE WHEN {norm} IS NULL AND {sql_clean(raw)} IS NOT NULL THEN 'format' END"


ELEMENT_TYPES = [IntegerType(), NumberType(), BooleanType()]
