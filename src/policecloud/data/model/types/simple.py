"""Simple element types: plain strings, long text, personal names, entity references, points (numbers and
booleans are in ``simple_numbers``, coded values in ``simple_codes``), and the helpers they share.

Each normalization is written twice, in Python and as DuckDB SQL, step for step, so that both give the
same value and the same reason code for every input. Expensive SQL steps are guarded by a cheap
``regexp_matches`` that skips them when they would change nothing — the common case. DuckDB's
``translate`` rebuilds its character map for every row (measured: ~70 ns per table character per row,
6.6 µs for the 94 full-width characters), so full-width conversion maps code points arithmetically instead
(~1.1 µs per affected row) and ``translate`` is kept for short tables.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import ClassVar

from policecloud.data.model.types.base import (
    FULLWIDTH_CHARS,
    HALFWIDTH_CHARS,
    Checked,
    ElementType,
    sql_literal,
)

Reasons = Mapping[str, tuple[str, str]]

# Blanks trimmed from the ends of every value (after full-width conversion, U+3000 is a plain space).
TRIMMED = " \t\r\n\xa0"
# Full-width ASCII and the ideographic / no-break spaces → ASCII.
WIDTH_FROM = FULLWIDTH_CHARS + "\xa0"
WIDTH_TO = HALFWIDTH_CHARS + " "
_WIDTH_TABLE = str.maketrans(WIDTH_FROM, WIDTH_TO)


def char_class(chars: str) -> str:
    """A regex character class of literal characters, valid for both Python ``re`` and RE2."""
    return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in chars) + "]"


def sql_halfwidth(expr: str, extra: Mapping[str, str] | None = None) -> str:
    """What ``str.translate(_WIDTH_TABLE)`` does (plus ``extra`` single-character mappings), in DuckDB:
    U+FF01..U+FF5E shift down by 0xFEE0; U+3000 and U+00A0 become spaces. Only rows that need it pay."""
    mapped = {"\u3000": " ", "\xa0": " ", **(extra or {})}
    whens = "".join(f" WHEN c = {sql_literal(k)} THEN {sql_literal(v)}" for k, v in mapped.items())
    each = f"lambda c: CASE WHEN unicode(c) BETWEEN 65281 AND 65374 THEN chr(unicode(c) - 65248){whens} ELSE c END"
    guard = sql_literal("[\uff01-\uff5e" + "".join(mapped) + "]")
    return (
        f"CASE WHEN regexp_matches({expr}, {guard}) "
        f"THEN array_to_string(list_transform(string_split({expr}, ''), {each}), '') ELSE {expr} END"
    )


def sql_guarded_translate(expr: str, source: str, target: str) -> str:
    """``translate`` only on the rows that hold one of the ``source`` characters."""
    return (
        f"CASE WHEN regexp_matches({expr}, {sql_literal(char_class(source))}) "
        f"THEN translate({expr}, {sql_literal(source)}, {sql_literal(target)}) ELSE {expr} END"
    )


def clean(raw: object) -> str | None:
    """Half-width, trimmed text of a raw value; None when blank."""
    if raw is None:
        return None
    text = (raw if isinstance(raw, str) else str(raw)).translate(_WIDTH_TABLE).strip(TRIMMED)
    return text or None


def sql_clean(raw: str) -> str:
    """The DuckDB expression doing what :func:`clean` does."""
    # Most values have nothing to convert or trim: one regexp_matches decides, the rest is skipped.
    blank = "[ \t\r\n\xa0\u3000]"
    guard = sql_literal(f"^{blank}|{blank}$|[\uff01-\uff5e\u3000]")
    return (
        f"CASE WHEN regexp_matches({raw}, {guard}) "
        f"THEN NULLIF(trim({sql_halfwidth(raw)}, {sql_literal(TRIMMED)}), '') ELSE NULLIF({raw}, '') END"
    )


def as_text(raw: object) -> str:
    return raw if isinstance(raw, str) else str(raw)


CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_CONTROL_RE = re.compile(CONTROL)


class StringType(ElementType):
    """A short free string (an organization name, a room number): half-width, blanks collapsed."""

    name = "string"
    label_zh = "字符串"
    label_en = "string"
    max_length = 1000
    reasons: ClassVar[Reasons] = {
        "control": ("含有控制字符", "contains control characters"),
        "length": ("长度超过 1000 个字符", "longer than 1000 characters"),
    }
    _BLANKS = r"[ \t\r\n]+"
    # What normalizing changes (as an RE2 class body): blanks, no-break and ideographic spaces, full-width forms.
    _CHANGED = r" \t\r\n\xa0\x{3000}\x{ff01}-\x{ff5e}"

    def check(self, raw: object) -> Checked:
        if raw is None:
            return Checked(None)
        text = re.sub(self._BLANKS, " ", as_text(raw).translate(_WIDTH_TABLE)).strip(" ")
        if not text:
            return Checked(None)
        if _CONTROL_RE.search(text):
            return self.fail("control")
        if len(text) > self.max_length:
            return self.fail("length")
        return Checked(text)

    def sql_normalize(self, raw: str) -> str:
        # Most values (record ids, codes) hold no blank and no full-width character: one character-class
        # search proves it and the value is the text itself (half the time of the general path over 5 M ids).
        # The half-width expression is repeated, not bound in a scalar subquery: DuckDB plans a subquery per
        # row as a join, four times slower over millions of record ids.
        w = sql_halfwidth(raw)
        collapsed = (
            f"CASE WHEN regexp_matches({w}, '[\\t\\r\\n]|  ') "
            f"THEN regexp_replace({w}, '{self._BLANKS}', ' ', 'g') ELSE {w} END"
        )
        return (
            f"CASE WHEN NOT regexp_matches({raw}, {sql_literal(f'[{self._CHANGED}]')}) THEN NULLIF({raw}, '')"
            f" ELSE NULLIF(trim({collapsed}), '') END"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL WHEN regexp_matches({norm}, '{CONTROL}') THEN 'control' "
            f"WHEN length({norm}) > {self.max_length} THEN 'length' END"
        )

    def sql_unchanged_valid(self, raw: str) -> str:
        # Nothing to convert, collapse or trim, no control character, not too long: the text is the value.
        changed_or_control = sql_literal(f"[\\x00-\\x1f\\x7f{self._CHANGED}]")
        return f"(length({raw}) BETWEEN 1 AND {self.max_length} AND NOT regexp_matches({raw}, {changed_or_control}))"


class TextType(ElementType):
    """Long text such as a 110 call narrative: line breaks unified, ends trimmed, punctuation kept as is."""

    name = "text"
    label_zh = "长文本"
    label_en = "text"
    max_length = 100_000
    reasons: ClassVar[Reasons] = {
        "control": ("含有控制字符", "contains control characters"),
        "length": ("长度超过 100000 个字符", "longer than 100000 characters"),
    }
    _ENDS = " \t\n\u3000\xa0"

    def check(self, raw: object) -> Checked:
        if raw is None:
            return Checked(None)
        text = re.sub("\r\n?", "\n", as_text(raw)).strip(self._ENDS)
        if not text:
            return Checked(None)
        if _CONTROL_RE.search(text):
            return self.fail("control")
        if len(text) > self.max_length:
            return self.fail("length")
        return Checked(text)

    def sql_normalize(self, raw: str) -> str:
        unified = (
            f"CASE WHEN contains({raw}, chr(13)) THEN regexp_replace({raw}, '\\r\\n?', chr(10), 'g') ELSE {raw} END"
        )
        return f"NULLIF(trim({unified}, {sql_literal(self._ENDS)}), '')"

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL WHEN regexp_matches({norm}, '{CONTROL}') THEN 'control' "
            f"WHEN length({norm}) > {self.max_length} THEN 'length' END"
        )


def _compatibility_ideographs() -> tuple[str, str]:
    """Kangxi radicals and CJK compatibility ideographs (typed by some input methods and OCR) → the unified
    ideographs NFKC gives. Only single-character mappings, so that SQL ``translate`` can apply them too."""
    source, target = [], []
    for low, high in ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)):
        for cp in range(low, high + 1):
            mapped = unicodedata.normalize("NFKC", chr(cp))
            if len(mapped) == 1 and mapped != chr(cp):
                source.append(chr(cp))
                target.append(mapped)
    return "".join(source), "".join(target)


# Han ideographs as RE2 / Python class contents (〇, extension A, the basic block, extensions B and later).
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
MIDDLE_DOT = "·"
_DOT_VARIANTS = "•‧・･∙⋅"
_IDEO_FROM, _IDEO_TO = _compatibility_ideographs()
_NAME_TABLE = str.maketrans(
    WIDTH_FROM + _DOT_VARIANTS + _IDEO_FROM, WIDTH_TO + MIDDLE_DOT * len(_DOT_VARIANTS) + _IDEO_TO
)


class NameType(ElementType):
    """A person's name (姓名): Chinese names lose inner blanks, minority and foreign names keep (or gain)
    the middle dot ``·``; Latin-script names are upper-cased. Digits are never part of a name."""

    name = "name"
    label_zh = "姓名"
    label_en = "personal name"
    max_length = 64
    reasons: ClassVar[Reasons] = {
        "digit": ("姓名中含有数字", "a name contains no digits"),
        "character": ("含有姓名中不允许的字符", "contains characters not allowed in a name"),
        "format": ("间隔号或标点位置不对", "separator dot or punctuation misplaced"),
        "length": ("姓名超过 64 个字符", "longer than 64 characters"),
    }
    _HAS_HAN = f"[{HAN}]"
    _ALLOWED = f"[{HAN}{MIDDLE_DOT}A-Za-z .'-]+"
    _AROUND = f" ?([{HAN}{MIDDLE_DOT}]) ?"
    _MISPLACED = f"^[{MIDDLE_DOT}.'-]|[{MIDDLE_DOT}'-]$|{MIDDLE_DOT}{MIDDLE_DOT}"

    def normalize_text(self, raw: object) -> str | None:
        text = as_text(raw).translate(_NAME_TABLE)
        if re.search(self._HAS_HAN, text):
            text = text.replace(".", MIDDLE_DOT)
        text = re.sub(self._AROUND, r"\1", re.sub(r"[ \t\r\n]+", " ", text)).strip(" ")
        if re.fullmatch(self._ALLOWED, text):
            text = text.upper()
        return text or None

    def check(self, raw: object) -> Checked:
        if raw is None or (text := self.normalize_text(raw)) is None:
            return Checked(None)
        if re.search("[0-9]", text):
            return self.fail("digit")
        if not re.fullmatch(self._ALLOWED, text):
            return self.fail("character")
        if re.search(self._MISPLACED, text):
            return self.fail("format")
        if len(text) > self.max_length:
            return self.fail("length")
        return Checked(text)

    def sql_normalize(self, raw: str) -> str:
        # Compatibility ideographs are rare and have no arithmetic mapping: a guarded translate.
        wide = sql_halfwidth(raw, dict.fromkeys(_DOT_VARIANTS, MIDDLE_DOT))
        translated = sql_guarded_translate(f"({wide})", _IDEO_FROM, _IDEO_TO)
        dotted = (
            f"CASE WHEN regexp_matches(t, {sql_literal(self._HAS_HAN)}) THEN replace(t, '.', '{MIDDLE_DOT}') ELSE t END"
        )
        spaced = (
            "CASE WHEN regexp_matches(d, '[ \\t\\r\\n]') THEN trim(regexp_replace("
            f"regexp_replace(d, '[ \\t\\r\\n]+', ' ', 'g'), {sql_literal(self._AROUND)}, '\\1', 'g')) ELSE d END"
        )
        upper = f"CASE WHEN regexp_full_match(s, {sql_literal(self._ALLOWED)}) THEN upper(s) ELSE s END"
        return (
            f"(SELECT NULLIF({upper}, '') FROM (SELECT {spaced} AS s FROM "
            f"(SELECT {dotted} AS d FROM (SELECT {translated} AS t))))"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL WHEN regexp_matches({norm}, '[0-9]') THEN 'digit' "
            f"WHEN NOT regexp_full_match({norm}, {sql_literal(self._ALLOWED)}) THEN 'character' "
            f"WHEN regexp_matches({norm}, {sql_literal(self._MISPLACED)}) THEN 'format' "
            f"WHEN length({norm}) > {self.max_length} THEN 'length' END"
        )


class EntityRefType(ElementType):
    """A reference to another record or entity by its id (the schema says which entity type)."""

    name = "entity"
    label_zh = "实体引用"
    label_en = "entity reference"
    max_length = 128
    reasons: ClassVar[Reasons] = {
        "format": ("标识中不能有空白或控制字符", "an id contains no blanks or control characters"),
        "length": ("标识超过 128 个字符", "longer than 128 characters"),
    }
    _BAD = r"[ \xa0\x00-\x1f\x7f]"

    def check(self, raw: object) -> Checked:
        text = clean(raw)
        if text is None:
            return Checked(None)
        if re.search(self._BAD, text):
            return self.fail("format")
        if len(text) > self.max_length:
            return self.fail("length")
        return Checked(text)

    def sql_normalize(self, raw: str) -> str:
        return sql_clean(raw)

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL WHEN regexp_matches({norm}, '{self._BAD}') THEN 'format' "
            f"WHEN length({norm}) > {self.max_length} THEN 'length' END"
        )


class GeoPointType(ElementType):
    """A WGS-84 point as 'lon,lat' with 6 decimals (about 0.1 m), inside China's bounding box.

    Accepts 'lon,lat', 'lon lat', 'lon;lat' and WKT 'POINT(lon lat)'. Latitude and longitude ranges do
    not overlap inside China, so a swapped pair is recognised (and rejected, not silently swapped).
    """

    name = "geo_point"
    label_zh = "坐标点"
    label_en = "point (WGS-84)"
    reasons: ClassVar[Reasons] = {
        "format": ("不是“经度,纬度”坐标", "not a 'longitude,latitude' point"),
        "range": ("坐标不在中国范围内", "point outside China's bounding box"),
        "swapped": ("经纬度顺序颠倒（应为经度,纬度）", "latitude and longitude swapped (expected lon,lat)"),
    }
    LON = (73.0, 136.0)
    LAT = (3.0, 54.0)
    _NUM = r"[+-]?[0-9]{1,3}(?:\.[0-9]+)?"
    _POINT = rf"(?i)^(?:POINT *\( *)?({_NUM})(?: *[,;] *| +)({_NUM})(?: *\))?$"

    def check(self, raw: object) -> Checked:
        text = clean(raw)
        if text is None:
            return Checked(None)
        match = re.match(self._POINT, text)
        if not match:
            return self.fail("format")
        value = f"{float(match.group(1)):.6f},{float(match.group(2)):.6f}"
        lon, lat = (float(part) for part in value.split(","))
        if self._inside(lon, lat):
            return Checked(value, details={"lon": lon, "lat": lat})
        return self.fail("swapped" if self._inside(lat, lon) else "range")

    def _inside(self, lon: float, lat: float) -> bool:
        return self.LON[0] <= lon <= self.LON[1] and self.LAT[0] <= lat <= self.LAT[1]

    def sql_normalize(self, raw: str) -> str:
        return (
            f"(SELECT printf('%.6f,%.6f', TRY_CAST(regexp_extract(c, '{self._POINT}', 1) AS DOUBLE), "
            f"TRY_CAST(regexp_extract(c, '{self._POINT}', 2) AS DOUBLE)) FROM (SELECT {sql_clean(raw)} AS c))"
        )

    def _sql_inside(self, lon: str, lat: str) -> str:
        return f"{lon} BETWEEN {self.LON[0]} AND {self.LON[1]} AND {lat} BETWEEN {self.LAT[0]} AND {self.LAT[1]}"

    def sql_reason(self, norm: str, raw: str) -> str:
        lon, lat = "CAST(split_part(n, ',', 1) AS DOUBLE)", "CAST(split_part(n, ',', 2) AS DOUBLE)"
        return (
            f"CASE WHEN {norm} IS NULL THEN (CASE WHEN {sql_clean(raw)} IS NOT NULL THEN 'format' END) "
            f"ELSE (SELECT CASE WHEN {self._sql_inside(lon, lat)} THEN NULL "
            f"WHEN {self._sql_inside(lat, lon)} THEN 'swapped' ELSE 'range' END FROM (SELECT {norm} AS n)) END"
        )


ELEMENT_TYPES = [
    StringType(),
    TextType(),
    NameType(),
    EntityRefType(),
    GeoPointType(),
]
