"""Coded element types: enumerations bound by the schema, sex (GB/T 2261.1), vehicle body colour (GA 24.8)
and number-plate type (GA 24.7).

Each accepts the code, the Chinese and English names and common aliases, and normalizes to one code.
Lookups run in DuckDB as a constant MAP, which costs about as much as one string comparison per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from policecloud.data.model.types.base import Checked, ElementType, sql_literal
from policecloud.data.model.types.simple import Reasons, clean, sql_clean, sql_guarded_translate

# GA 24.8 vehicle body colours: code → (Chinese, English).
BODY_COLORS = {
    "A": ("白", "white"),
    "B": ("灰", "grey"),
    "C": ("黄", "yellow"),
    "D": ("粉", "pink"),
    "E": ("红", "red"),
    "F": ("紫", "purple"),
    "G": ("绿", "green"),
    "H": ("蓝", "blue"),
    "I": ("棕", "brown"),
    "J": ("黑", "black"),
    "Z": ("其他", "other"),
}

# GA 24.7 number-plate types: code → (Chinese, English).
PLATE_TYPES = {
    "01": ("大型汽车", "large vehicle"),
    "02": ("小型汽车", "small vehicle"),
    "03": ("使馆汽车", "embassy vehicle"),
    "04": ("领馆汽车", "consulate vehicle"),
    "05": ("境外汽车", "foreign-registered vehicle"),
    "06": ("外籍汽车", "foreign-owned vehicle"),
    "07": ("普通摩托车", "motorcycle"),
    "08": ("轻便摩托车", "moped"),
    "09": ("使馆摩托车", "embassy motorcycle"),
    "10": ("领馆摩托车", "consulate motorcycle"),
    "11": ("境外摩托车", "foreign-registered motorcycle"),
    "12": ("外籍摩托车", "foreign-owned motorcycle"),
    "13": ("低速车", "low-speed vehicle"),
    "14": ("拖拉机", "tractor"),
    "15": ("挂车", "trailer"),
    "16": ("教练汽车", "driving-school vehicle"),
    "17": ("教练摩托车", "driving-school motorcycle"),
    "18": ("试验汽车", "test vehicle"),
    "19": ("试验摩托车", "test motorcycle"),
    "20": ("临时入境汽车", "temporary entry vehicle"),
    "21": ("临时入境摩托车", "temporary entry motorcycle"),
    "22": ("临时行驶车", "temporary permit vehicle"),
    "23": ("警用汽车", "police vehicle"),
    "24": ("警用摩托", "police motorcycle"),
    "25": ("原农机号牌", "former agricultural machine plate"),
    "26": ("香港入出境车", "Hong Kong cross-border vehicle"),
    "27": ("澳门入出境车", "Macao cross-border vehicle"),
    "31": ("武警号牌", "armed police plate"),
    "32": ("军队号牌", "military plate"),
    "41": ("无号牌", "no plate"),
    "42": ("假号牌", "fake plate"),
    "43": ("挪用号牌", "misappropriated plate"),
    "51": ("大型新能源汽车", "large new-energy vehicle"),
    "52": ("小型新能源汽车", "small new-energy vehicle"),
    "99": ("其他号牌", "other plate"),
}
PLATE_TYPE_ALIASES = {"13": ("农用运输车",), "24": ("警用摩托车",)}

_BLANK_RUNS = r"[ \t\r\n]+"


def lookup_key(raw: object) -> str | None:
    """The key a raw value is looked up by: half-width, trimmed, blanks collapsed, lower case."""
    text = clean(raw)
    return None if text is None else re.sub(_BLANK_RUNS, " ", text).lower()


def sql_lookup_key(raw: str) -> str:
    collapsed = (
        f"CASE WHEN regexp_matches(c, '[\\t\\r\\n]|  ') THEN regexp_replace(c, '{_BLANK_RUNS}', ' ', 'g') ELSE c END"
    )
    return f"(SELECT lower({collapsed}) FROM (SELECT {sql_clean(raw)} AS c))"


def sql_map(mapping: Mapping[str, str]) -> str:
    """A DuckDB MAP literal (VARCHAR → VARCHAR)."""
    if not mapping:
        return "MAP([]::VARCHAR[], []::VARCHAR[])"
    return "MAP {" + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in mapping.items()) + "}"


def build_lookup(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """key → code from (code, names); two codes claiming the same key is an error in the table."""
    lookup: dict[str, str] = {}
    for code, names in entries:
        for name in (code, *names):
            key = lookup_key(name)
            if key is None:
                continue
            if lookup.setdefault(key, code) != code:
                raise ValueError(f"{name!r} names both {lookup[key]!r} and {code!r}")
    return lookup


class LookupType(ElementType):
    """Base of the coded types: ``lookup`` maps a key (see :func:`lookup_key`) to the code."""

    lookup: Mapping[str, str] = {}
    unknown: ClassVar[str] = "unknown"

    def check(self, raw: object) -> Checked:
        key = lookup_key(raw)
        if key is None:
            return Checked(None)
        code = self.lookup.get(key)
        return self.fail(self.unknown) if code is None else Checked(code, details=self.details(code, key))

    def details(self, code: str, key: str) -> dict[str, str]:
        return {}

    def sql_normalize(self, raw: str) -> str:
        return f"{sql_map(self.lookup)}[{sql_lookup_key(raw)}]"

    def sql_reason(self, norm: str, raw: str) -> str:
        return f"CASE WHEN {norm} IS NULL AND {sql_clean(raw)} IS NOT NULL THEN '{self.unknown}' END"


@dataclass(frozen=True)
class EnumValue:
    """One allowed value of an enumeration: a stable code, its labels and the aliases sources use."""

    code: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()


class EnumType(LookupType):
    """One of the values a schema property lists. The registry holds the unbound type; the schema loader
    binds each enum property's values with :meth:`bind` (an unbound enum accepts nothing)."""

    name = "enum"
    label_zh = "枚举"
    label_en = "enumeration"
    unknown = "value"
    reasons: ClassVar[Reasons] = {"value": ("不是允许的取值", "not one of the allowed values")}
    # Tells the schema loader that a property of this type lists its ``values``.
    needs_values: ClassVar[bool] = True

    def __init__(self, values: Sequence[EnumValue] = ()) -> None:
        self.values = tuple(values)
        self.lookup = build_lookup((v.code, (v.label_zh, v.label_en, *v.aliases)) for v in self.values)
        self._by_code = {v.code: v for v in self.values}

    def bind(self, values: Sequence[EnumValue]) -> EnumType:
        """An enum accepting ``values``; ValueError when two values claim the same name."""
        return EnumType(values)

    def details(self, code: str, key: str) -> dict[str, str]:
        value = self._by_code[code]
        return {"label_zh": value.label_zh, "label_en": value.label_en}

    def __repr__(self) -> str:
        return f"<EnumType {[v.code for v in self.values]}>"


class SexType(LookupType):
    """Sex (性别) → 'male', 'female' or 'unknown'; details carry the GB/T 2261.1 code.

    GB/T 2261.1 codes: 0 not known, 1 male, 2 female, 9 not stated — the last two both read 'unknown'.
    """

    name = "sex"
    label_zh = "性别"
    label_en = "sex"
    reasons: ClassVar[Reasons] = {"unknown": ("不是性别取值", "not a sex value")}
    lookup: ClassVar[Mapping[str, str]] = build_lookup(
        [
            ("male", ("1", "男", "男性", "m")),
            ("female", ("2", "女", "女性", "f")),
            ("unknown", ("0", "9", "未知", "未知的性别", "未说明", "未说明的性别", "u")),
        ]
    )
    NOT_STATED: ClassVar[tuple[str, ...]] = ("9", "未说明", "未说明的性别")

    def details(self, code: str, key: str) -> dict[str, str]:
        gb_code = "9" if key in self.NOT_STATED else {"male": "1", "female": "2"}.get(code, "0")
        return {"code": gb_code}


class ColorType(ElementType):
    """Vehicle body colour (车身颜色, GA 24.8) → its code letter; a multi-coloured body lists up to three
    codes in order ('白蓝' → 'AH'). English names are accepted for single colours."""

    name = "color"
    label_zh = "车身颜色"
    label_en = "vehicle colour"
    reasons: ClassVar[Reasons] = {"unknown": ("不是车身颜色代码或名称", "not a vehicle colour code or name")}
    ENGLISH: ClassVar[Mapping[str, str]] = {en: code for code, (_, en) in BODY_COLORS.items()} | {"gray": "B"}
    # Simplified and traditional colour characters → code letters; '色' and separators are dropped.
    _ZH_FROM = "白灰黄粉红紫绿蓝棕黑黃紅綠藍"
    _ZH_TO = "ABCDEFGHIJCEGH"
    _DROP = "色 /,、+"
    _CODES = "[A-JZ]{1,3}"
    _LETTERS = "[A-Za-z]{1,3}"
    _DROP_TABLE = str.maketrans("", "", _DROP)
    _ZH_TABLE = str.maketrans(_ZH_FROM, _ZH_TO)

    def normalize_text(self, raw: object) -> str | None:
        text = clean(raw)
        if text is None:
            return None
        english = self.ENGLISH.get(text.lower())
        if english:
            return english
        text = text.replace("其他", "Z").replace("其它", "Z").translate(self._DROP_TABLE).translate(self._ZH_TABLE)
        return text.upper() if re.fullmatch(self._LETTERS, text) else text

    def check(self, raw: object) -> Checked:
        code = self.normalize_text(raw)
        if code is None:
            return Checked(None)
        if not re.fullmatch(self._CODES, code) or len(set(code)) != len(code):
            return self.fail("unknown")
        return Checked(code, details={"zh": "".join(BODY_COLORS[c][0] for c in code)})

    def sql_normalize(self, raw: str) -> str:
        dropped = sql_guarded_translate("replace(replace(c, '其他', 'Z'), '其它', 'Z')", self._DROP, "")
        coded = sql_guarded_translate("d", self._ZH_FROM, self._ZH_TO)
        upper = f"CASE WHEN regexp_full_match(t, '{self._LETTERS}') THEN upper(t) ELSE t END"
        english = f"{sql_map(self.ENGLISH)}[lower(c)]"
        return (
            f"(SELECT COALESCE({english}, (SELECT {upper} FROM (SELECT {coded} AS t FROM (SELECT {dropped} AS d)))) "
            f"FROM (SELECT {sql_clean(raw)} AS c))"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        # No code may repeat; codes are single characters and there are at most three of them.
        distinct = (
            "(length(n) < 2 OR substr(n, 1, 1) <> substr(n, 2, 1)) AND "
            "(length(n) < 3 OR (substr(n, 1, 1) <> substr(n, 3, 1) AND substr(n, 2, 1) <> substr(n, 3, 1)))"
        )
        return (
            f"(SELECT CASE WHEN n IS NULL THEN NULL WHEN regexp_full_match(n, '{self._CODES}') AND {distinct} "
            f"THEN NULL ELSE 'unknown' END FROM (SELECT {norm} AS n))"
        )


class PlateTypeType(LookupType):
    """Number-plate type (号牌种类, GA 24.7) → its two-digit code; accepts the code (with or without the
    leading zero), the Chinese name with or without '号牌', and the English name."""

    name = "plate_type"
    label_zh = "号牌种类"
    label_en = "plate type"
    reasons: ClassVar[Reasons] = {"unknown": ("不是号牌种类代码或名称", "not a plate type code or name")}
    lookup: ClassVar[Mapping[str, str]] = build_lookup(
        (code, (code.lstrip("0"), zh, short, short + "号牌", en, *PLATE_TYPE_ALIASES.get(code, ())))
        for code, (zh, en) in PLATE_TYPES.items()
        for short in [zh.removesuffix("号牌")]
    )

    def details(self, code: str, key: str) -> dict[str, str]:
        zh, en = PLATE_TYPES[code]
        return {"zh": zh, "en": en}


ELEMENT_TYPES = [EnumType(), SexType(), ColorType(), PlateTypeType()]
