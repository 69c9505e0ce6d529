"""Chinese telephone numbers (电话号码): mainland mobile numbers, landlines with area codes, 400/800 numbers.

Normalized forms: a mobile is its 11 bare digits (``13812345678``), a landline is the area code with its
leading 0, a hyphen and the subscriber number (``027-87654321``), a 400/800 number is ``400-820-1234``.

Written forms accepted: full-width digits; blanks, hyphens, dashes, dots and parentheses anywhere; the
country code as ``+86``, ``0086`` or a bare ``86``; after a country code, the area code with or without its
trunk 0 (``+86 27 87654321``, ``+86 (0)27 87654321``); a mobile with the old long-distance 0 in front
(``013812345678``). A bare ``86`` is taken for a country code only when what follows is a complete number.

Normalization steps (the same regular expressions run in Python and in DuckDB, in this order):

1. full-width digits and plus → ASCII, separators deleted (a value of only separators is missing);
2. ``+86``/``0086`` followed by ``10`` or ``2``–``9`` (an area code without its 0), or a bare ``86`` followed by
   such a complete landline number → ``0`` + the rest;
3. ``+86``/``0086`` followed by anything else, or a bare ``86`` before a complete mobile or landline
   number → removed;
4. ``0`` + an 11-digit mobile → the mobile;
5. 400/800 numbers get their two hyphens; landlines the hyphen after the area code (3 digits for 010 and
   02X, else 4).

Checks, in this order; the first failure gives the reason (the SQL form mirrors it exactly):

1. ``format``          not (``+``) and at least 3 digits once separators are gone (letters, extensions, …);
2. ``country_code``    a foreign number (``+``/``00`` followed by another country code);
3. (valid)             a 10-digit 400/800 number: kind ``service``;
4. ``service_number``  short service numbers: 3–5 digits starting with 1 (110, 119, 120, 122, 12345,
                       10086 …) and 95xxx/96xxx numbers: they are not anybody's phone;
5. mobile (starts with 1): ``length`` unless 11 digits, then ``mobile_prefix`` unless the first 3 (or 4)
   digits are an allocated prefix (:func:`mobile_prefixes`);
6. landline (starts with 0): ``subscriber`` if no digit follows the area code, ``area_code`` unless the
   area code is in ``area_codes.csv``, then ``subscriber`` unless the subscriber number is 8 digits
   (3-digit area codes) or 7–8 digits (4-digit ones) and does not start with 0 or 1;
7. ``area_code``       anything else: a local number written without its area code.

``area_codes.csv`` holds every area code in use (cross-checked against libphonenumber's metadata) plus
codes retired by mergers (status ``retired``, e.g. 0732 湘潭 → 0731), which stay valid for old records. A
400/800 number written with a country code is not callable from abroad and fails as ``area_code``.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import ClassVar

import duckdb
import pyarrow as pa

from policecloud.data.model.types.base import (
    Checked,
    ElementType,
    is_blank,
    sql_literal,
)

# --- mobile prefixes ------------------------------------------------------------------------------
# Allocated 11-digit mobile prefixes (3 or 4 digits) → (carrier, host network, virtual operator?).
# Not here, so rejected: 140–144, 146, 148 (13-digit IoT numbers), 154, 160, 161 (but 1610), 163, 164, 168,
# 169, 179, 194 and 1741–1749 (unallocated). 145/147/149 are data-card numbers, still a subscriber's number.
# Cross-checked against libphonenumber's metadata (which also lists 1610 for China Broadnet, and not 149).
_MOBILE, _UNICOM, _TELECOM, _BROADNET = "china_mobile", "china_unicom", "china_telecom", "china_broadnet"
_CARRIER_PREFIXES = {
    _MOBILE: "1340 1341 1342 1343 1344 1345 1346 1347 1348 135 136 137 138 139 147 150 151 152 157 158 159 "
    "172 178 182 183 184 187 188 195 197 198",
    _UNICOM: "130 131 132 145 155 156 166 175 176 185 186 196",
    _TELECOM: "133 149 153 173 177 180 181 189 190 191 193 199",
    _BROADNET: "192 1610",
    "satellite": "1349 1740",
}
_MVNO_PREFIXES = {  # virtual operators, by host network
    _TELECOM: "162 1700 1701 1702",
    _MOBILE: "165 1703 1705 1706",
    _UNICOM: "167 1704 1707 1708 1709 171",
}


@dataclass(frozen=True, slots=True)
class MobilePrefix:
    prefix: str  # always 4 digits
    carrier: str  # china_mobile | china_unicom | china_telecom | china_broadnet | satellite | mvno
    network: str  # the network it runs on (the host network for virtual operators)
    virtual: bool


def _expand(prefixes: str) -> list[str]:
    """'130 1349' → 1300 … 1309, 1349."""
    out = []
    for p in prefixes.split():
        out.extend([p + d for d in "0123456789"] if len(p) == 3 else [p])
    return out


@cache
def mobile_prefixes() -> dict[str, MobilePrefix]:
    """Every allocated prefix as 4 digits (a 3-digit allocation expanded to its ten 4-digit prefixes)."""
    table: dict[str, MobilePrefix] = {}
    for carrier, prefixes in _CARRIER_PREFIXES.items():
        for p in _expand(prefixes):
            table[p] = MobilePrefix(p, carrier, carrier, False)
    for network, prefixes in _MVNO_PREFIXES.items():
        for p in _expand(prefixes):
            table[p] = MobilePrefix(p, "mvno", network, True)
    return table


# --- area codes -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AreaCode:
    code: str  # with its leading 0: "027"
    city: str  # one or more cities, "/"-separated: "仙桃市/潜江市/天门市"
    province: str
    divisions: tuple[str, ...]  # GB/T 2260 codes of those cities
    retired: bool


@cache
def area_codes() -> dict[str, AreaCode]:
    text = resources.files("policecloud.data.model").joinpath("data/area_codes.csv").read_text(encoding="utf-8")
    return {
        row["code"]: AreaCode(
            row["code"], row["city"], row["province"], tuple(row["division"].split("/")), row["status"] == "retired"
        )
        for row in csv.DictReader(text.splitlines())
    }


# --- normalization --------------------------------------------------------------------------------
# Only what can become part of a valid number is translated: full-width digits and plus, and separators
# (deleted). Any other character fails `format` whether translated or not, so both forms leave it alone.
_DELETED = " \t\r\n\u00a0\u3000-().\u2013\u2014\uff0d\uff08\uff09\uff0e"
_MAP = dict(zip("０１２３４５６７８９＋", "0123456789+", strict=True)) | dict.fromkeys(_DELETED, "")
_NORM_TABLE = str.maketrans({f: (t or None) for f, t in _MAP.items()})
# DuckDB's translate() deletes the characters of `from` beyond the length of `to`: deletions go last.
_SQL_FROM = "".join(sorted(_MAP, key=lambda c: _MAP[c] == ""))
_SQL_TO = "".join(_MAP[c] for c in _SQL_FROM)
_ONLY_SEPARATORS = "[" + "".join("\\" + c if c in "\\]^-" else c for c in _DELETED) + "]*"

_LANDLINE_REST = "10[0-9]{7,8}|[2-9][0-9]{8,10}"  # a landline number after its trunk 0
# (pattern, replacement) applied in order with one substitution each, by re.sub and regexp_replace alike.
REWRITES: tuple[tuple[str, str], ...] = (
    (rf"^(?:(?:\+86|0086)(10|[2-9])|86({_LANDLINE_REST})$)", r"0\1\2"),
    (rf"^(?:(?:\+86|0086)(.)|86(1[0-9]{{10}}|0(?:{_LANDLINE_REST}))$)", r"\1\2"),
    (r"^0(1[3-9][0-9]{9})$", r"\1"),
    (r"^([48]00)([0-9]{3})([0-9]{4})$", r"\1-\2-\3"),
    (r"^(0[12][0-9]|0[3-9][0-9]{2})([0-9]+)$", r"\1-\2"),
)
_REWRITES = tuple((re.compile(p), r) for p, r in REWRITES)

MOBILE_PATTERN = "1[0-9]{10}"
FORMAT_PATTERN = r"\+?[0-9]{3,}|[48]00-[0-9]{3}-[0-9]{4}|0[0-9]{2,3}-[0-9]+"
SERVICE_PATTERN = "[48]00-[0-9]{3}-[0-9]{4}"
SHORT_SERVICE_PATTERN = "1[0-9]{2,4}|9[56][0-9]{3,4}"
SUBSCRIBER_PATTERN = "0[12][0-9]-[2-9][0-9]{7}|0[3-9][0-9]{2}-[2-9][0-9]{6,7}"
_FORMAT_RE = re.compile(FORMAT_PATTERN)
_SERVICE_RE = re.compile(SERVICE_PATTERN)
_SHORT_SERVICE_RE = re.compile(SHORT_SERVICE_PATTERN)
_SUBSCRIBER_RE = re.compile(SUBSCRIBER_PATTERN)
# The normalized form of a valid number, area code and prefix aside (normalization leaves it unchanged).
NORMALIZED_PATTERN = f"{MOBILE_PATTERN}|{SUBSCRIBER_PATTERN}|{SERVICE_PATTERN}"


def normalize_text(raw: str) -> str:
    """The normalized candidate (valid or not) of a non-blank raw value; '' when only separators."""
    text = raw.translate(_NORM_TABLE)
    for rx, replacement in _REWRITES:
        text = rx.sub(replacement, text, count=1)
    return text


class PhoneType(ElementType):
    name = "phone"
    label_zh = "电话号码"
    label_en = "Phone number"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "format": ("电话号码格式错误（应只含数字）", "not a phone number (digits only, after separators)"),
        "country_code": ("非中国大陆号码（国家代码不是86）", "a foreign number (country code other than 86)"),
        "service_number": ("特服号码（如110、12345、95xxx），不是个人电话", "a short service number, not a phone"),
        "length": ("手机号码应为11位", "a mobile number has 11 digits"),
        "mobile_prefix": ("手机号段未分配", "unallocated mobile number prefix"),
        "area_code": ("长途区号缺失或不存在", "area code missing or unknown"),
        "subscriber": ("本地号码位数或首位错误", "the local number has a wrong length or first digit"),
    }

    def check(self, raw: object) -> Checked:
        if is_blank(raw):
            return Checked(None)
        norm = normalize_text(str(raw))
        if not norm:
            return Checked(None)
        if not _FORMAT_RE.fullmatch(norm):
            return self.fail("format")
        if norm.startswith(("+", "00")):
            return self.fail("country_code")
        if _SERVICE_RE.fullmatch(norm):
            return Checked(norm, None, {"kind": "service", "service": norm[:3]})
        if _SHORT_SERVICE_RE.fullmatch(norm):
            return self.fail("service_number")
        if norm.startswith("1"):
            if len(norm) != 11:
                return self.fail("length")
            prefix = mobile_prefixes().get(norm[:4])
            if prefix is None:
                return self.fail("mobile_prefix", prefix=norm[:4])
            details = {"kind": "mobile", "carrier": prefix.carrier, "network": prefix.network}
            return Checked(norm, None, details | {"virtual": prefix.virtual})
        if norm.startswith("0"):
            code, hyphen, _ = norm.partition("-")
            if not hyphen:  # nothing after the area code (or what would be one)
                return self.fail("subscriber")
            area = area_codes().get(code)
            if area is None:
                return self.fail("area_code", area_code=code)
            if not _SUBSCRIBER_RE.fullmatch(norm):
                return self.fail("subscriber")
            details = {"kind": "landline", "area_code": area.code, "city": area.city, "province": area.province}
            return Checked(norm, None, details | {"divisions": area.divisions, "area_code_retired": area.retired})
        return self.fail("area_code")

    # --- SQL ---------------------------------------------------------------------------------------
    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        codes = area_codes().values()
        area_table = pa.table(
            {
                "code": [a.code for a in codes],
                # The first 4 characters of a normalized landline: "027-" or "0710".
                "key": [(a.code + "-")[:4] for a in codes],
                "city": [a.city for a in codes],
                "province": [a.province for a in codes],
                "divisions": ["/".join(a.divisions) for a in codes],
                "retired": [a.retired for a in codes],
            }
        )
        prefixes = mobile_prefixes().values()
        prefix_table = pa.table(
            {
                "prefix": [p.prefix for p in prefixes],
                "carrier": [p.carrier for p in prefixes],
                "network": [p.network for p in prefixes],
                "virtual": [p.virtual for p in prefixes],
            }
        )
        # Replaced, not kept, so that a persistent database never holds a stale copy of the tables.
        for name, table in (("pc_area_codes", area_table), ("pc_mobile_prefixes", prefix_table)):
            view = f"_{name}_arrow"
            con.register(view, table)
            try:
                con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
            finally:
                con.unregister(view)

    def sql_normalize(self, raw: str) -> str:
        # The steps of normalize_text(), each written once: an expression repeated (in CASE branches, or
        # by nullif()) is evaluated again. DuckDB's translate() is slow: an ASCII value gets replace().
        ascii_stripped = raw
        for sep in sorted(set(_DELETED) & set(map(chr, range(128)))):
            ascii_stripped = f"replace({ascii_stripped}, {sql_literal(sep)}, '')"
        translated = f"translate({raw}, {sql_literal(_SQL_FROM)}, {sql_literal(_SQL_TO)})"
        expr = f"CASE WHEN strlen({raw}) = length({raw}) THEN {ascii_stripped} ELSE {translated} END"
        for pattern, replacement in REWRITES:
            expr = f"regexp_replace({expr}, {sql_literal(pattern)}, {sql_literal(replacement)})"
        return (
            # Fast path: a value already in normalized form (most are) is left as it is.
            f"CASE WHEN regexp_full_match({raw}, '{NORMALIZED_PATTERN}') THEN {raw} "
            f"WHEN regexp_full_match({raw}, {sql_literal(_ONLY_SEPARATORS)}) THEN NULL "
            f"ELSE {expr} END"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        # One look-up serves both tables: mobile prefixes start with 1, area code keys with 0.
        unknown = (
            f"substr({norm}, 1, 4) NOT IN "
            "(SELECT prefix FROM pc_mobile_prefixes UNION ALL SELECT key FROM pc_area_codes)"
        )
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL "
            # Tested first, as most values have it: the shape of a valid number, which passes every check
            # but the table look-up of its kind (a shortcut through the checks below, to the same result).
            f"WHEN regexp_full_match({norm}, '{NORMALIZED_PATTERN}') THEN CASE WHEN {unknown} THEN "
            f"CASE WHEN starts_with({norm}, '1') THEN 'mobile_prefix' "
            f"WHEN starts_with({norm}, '0') THEN 'area_code' END END "
            f"WHEN NOT regexp_full_match({norm}, {sql_literal(FORMAT_PATTERN)}) THEN 'format' "
            f"WHEN starts_with({norm}, '+') OR starts_with({norm}, '00') THEN 'country_code' "
            f"WHEN regexp_full_match({norm}, '{SHORT_SERVICE_PATTERN}') THEN 'service_number' "
            # An 11-digit mobile number matched the first test: any other starting with 1 has a wrong length.
            f"WHEN starts_with({norm}, '1') THEN 'length' "
            f"WHEN starts_with({norm}, '0') THEN CASE "
            f"WHEN NOT contains({norm}, '-') THEN 'subscriber' "
            f"WHEN {unknown} THEN 'area_code' "
            f"ELSE 'subscriber' END "  # a known area code, and not the shape of the first test
            "ELSE 'area_code' END"
        )


class MobileType(PhoneType):
    """Mobile numbers only: a valid landline or 400/800 number fails with ``not_mobile``."""

    name = "mobile"
    label_zh = "手机号码"
    label_en = "Mobile phone number"
    reasons: ClassVar[dict[str, tuple[str, str]]] = PhoneType.reasons | {
        "not_mobile": ("不是手机号码（固定电话或400/800号码）", "a landline or 400/800 number, not a mobile"),
    }

    def check(self, raw: object) -> Checked:
        result = super().check(raw)
        if result.ok and result.value is not None and result.details["kind"] != "mobile":
            return self.fail("not_mobile", kind=result.details["kind"])
        return result

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"coalesce({super().sql_reason(norm, raw)}, "
            f"CASE WHEN NOT regexp_full_match({norm}, '{MOBILE_PATTERN}') THEN 'not_mobile' END)"
        )


# --- generator ------------------------------------------------------------------------------------
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def generate(rng: random.Random, kind: str = "mobile", area_code: str | None = None, style: str = "plain") -> str:
    """A valid raw number of ``kind`` (mobile, landline or service), in its normalized form
    (``style="plain"``) or in one of the ways people write it (``style="random"``)."""
    if kind == "mobile":
        number = rng.choice(_sorted_prefixes()) + "".join(rng.choices("0123456789", k=7))
        return number if style == "plain" else _mobile_style(rng, number)
    if kind == "landline":
        code = area_code or rng.choice(_current_area_codes())
        length = 8 if len(code) == 3 else rng.choice((7, 8))
        subscriber = rng.choice("23456789") + "".join(rng.choices("0123456789", k=length - 1))
        return f"{code}-{subscriber}" if style == "plain" else _landline_style(rng, code, subscriber)
    if kind == "service":
        head, a, b = rng.choice(("400", "800")), rng.randrange(1000), rng.randrange(10000)
        forms = ("{}-{:03}-{:04}", "{}{:03}{:04}", "{} {:03} {:04}")
        return (forms[0] if style == "plain" else rng.choice(forms)).format(head, a, b)
    raise ValueError(f"unknown phone kind {kind!r}")


@cache
def _sorted_prefixes() -> list[str]:
    return sorted(mobile_prefixes())


@cache
def _current_area_codes() -> list[str]:
    return sorted(code for code, area in area_codes().items() if not area.retired)


def _mobile_style(rng: random.Random, n: str) -> str:
    forms = (
        n,
        f"{n[:3]} {n[3:7]} {n[7:]}",
        f"{n[:3]}-{n[3:7]}-{n[7:]}",
        f"+86 {n}",
        f"+86-{n[:3]}-{n[3:7]}-{n[7:]}",
        f"0086 {n}",
        f"86{n}",
        f"(+86) {n}",
        f"0{n}",
        n.translate(_FULLWIDTH_DIGITS),
    )
    return rng.choice(forms)


def _landline_style(rng: random.Random, code: str, sub: str) -> str:
    forms = (
        f"{code}-{sub}",
        f"({code}){sub}",
        f"{code} {sub[:-4]} {sub[-4:]}",
        f"{code}{sub}",
        f"+86 {code[1:]} {sub}",
        f"86-{code[1:]}-{sub}",
        f"0086-{code[1:]}-{sub}",
        f"+86 (0){code[1:]} {sub}",
        f"（{code}）{sub}".translate(_FULLWIDTH_DIGITS),
    )
    return rng.choice(forms)


PHONE = PhoneType()
MOBILE = MobileType()
ELEMENT_TYPES = [PHONE, MOBILE]
