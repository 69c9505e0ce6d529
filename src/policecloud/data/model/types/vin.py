"""Vehicle identification numbers (车辆识别代号, VIN: ISO 3779, GB 16735-2019).

17 characters from 0–9 and A–Z without I, O and Q: WMI (positions 1–3, manufacturer), VDS (4–8), the check
digit (9), the model-year code (10), the plant (11) and the serial (12–17). GB 16735 makes the North-American
check digit mandatory in China: letters are transliterated (A–H → 1–8, J–N → 1–5, P → 7, R → 9, S–Z → 2–9),
multiplied by the weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, summed, and the sum mod 11 (10 written X)
must equal position 9.

Normalization: full width → ASCII, a–z → A–Z, spaces and hyphens dropped. Checks, in order:
``format`` (not 17 characters of 0–9/A–Z), ``letter_ioq`` (contains I, O or Q), ``check_digit``.

What the check digit cannot catch. Every weight except position 9's is non-zero modulo the prime 11 and
two transliterated values differ by at most 9, so a single substitution is detected exactly when it
changes the transliterated value. Substitutions between characters of equal value pass unnoticed, by
the standard's design::

    0   1 A J   2 B K S   3 C L T   4 D M U   5 E N V   6 F W   7 G P X   8 H Y   9 R Z

(``A``, ``J`` and ``1`` typed for one another; ``B``, ``K``, ``S`` and ``2``; …). At position 9 every
change is caught. The tests state this property precisely rather than pretending to 100 % detection.

``details``: ``wmi``, ``manufacturer`` (for a few Chinese WMIs), ``model_year`` (position 10; the
30-year cycle is resolved to the latest year not after the reference year + 1, the reference year being
the current year unless given to the type), ``plant`` and ``serial``. A position-10 code outside the
year table (U, Z, 0) is accepted with ``model_year`` None: imported vehicles do not all follow it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any, ClassVar

from policecloud.data.model.types.base import Checked, ElementType, is_blank, sql_literal

ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # without I, O, Q
FORBIDDEN = "IOQ"
_LETTER_VALUES = dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ", "12345678123457923456789", strict=True))
VALUES = {c: int(_LETTER_VALUES.get(c, c)) for c in ALPHABET}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # A = 1980 … Y = 2000, 1 = 2001 … 9 = 2009, then again
YEAR_CYCLE_START = 1980

# A few world manufacturer identifiers of vehicles built in China (L = China).
CHINESE_WMIS = {
    "LFV": "一汽-大众",
    "LSV": "上汽大众",
    "LVS": "长安福特",
    "LGB": "东风日产",
    "LHG": "广汽本田",
    "LVH": "东风本田",
    "LSG": "上汽通用",
    "LDC": "神龙汽车 (东风雪铁龙/东风标致)",
    "LGX": "比亚迪",
    "LRW": "特斯拉 (上海)",
    "LVG": "广汽丰田",
    "LFM": "一汽丰田",
    "LBV": "华晨宝马",
    "LE4": "北京奔驰",
    "LGW": "长城汽车",
    "LVV": "奇瑞汽车",
    "LB3": "吉利汽车",
    "LZW": "上汽通用五菱",
    "LBE": "北京现代",
    "LJD": "东风悦达起亚",
}

SEPARATORS = " \t\r\n\u3000-‐‑‒–—－"
_FW_DIGITS = "".join(chr(0xFF10 + i) for i in range(10))
_FW_UPPER = "".join(chr(0xFF21 + i) for i in range(26))
_FW_LOWER = "".join(chr(0xFF41 + i) for i in range(26))
_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CASE_FROM = _FW_DIGITS + _FW_UPPER + _FW_LOWER + _ASCII_UPPER.lower()
_CASE_TO = "0123456789" + _ASCII_UPPER * 3
_NORM_TABLE = {ord(f): t for f, t in zip(_CASE_FROM, _CASE_TO, strict=True)} | {ord(s): None for s in SEPARATORS}
_SQL_SEPARATOR_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SEPARATORS) + "]"  # RE2 escapes

FORMAT_PATTERN = "[0-9A-Z]{17}"
ALPHABET_PATTERN = "[0-9A-HJ-NPR-Z]{17}"
_FORMAT = re.compile(FORMAT_PATTERN)


def normalize_text(text: str) -> str:
    return text.translate(_NORM_TABLE)


def check_digit(vin: str) -> str:
    """The check character of a 17-character VIN over the allowed alphabet (position 9 is ignored)."""
    total = sum(VALUES[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def model_year(code: str, reference_year: int) -> int | None:
    """The model year of a position-10 code: the latest year of its 30-year cycle not after
    ``reference_year + 1`` (vehicles of next year's model are sold this year)."""
    index = YEAR_CODES.find(code)
    if index < 0:
        return None
    year = YEAR_CYCLE_START + index
    while year + 30 <= reference_year + 1:
        year += 30
    return year


class VinType(ElementType):
    name = "vin"
    label_zh = "车辆识别代号"
    label_en = "vehicle identification number (VIN)"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "format": ("车辆识别代号应为17位字母或数字", "a VIN is 17 letters or digits"),
        "letter_ioq": ("车辆识别代号中不得使用字母I、O、Q", "letters I, O and Q are not used in a VIN"),
        "check_digit": ("车辆识别代号校验位错误", "wrong VIN check digit"),
    }

    def __init__(self, reference_year: int | None = None) -> None:
        # None: the current year at the time of each check.
        self.reference_year = reference_year

    def check(self, raw: object) -> Checked:
        if is_blank(raw):
            return Checked(None)
        vin = normalize_text(str(raw))
        if not _FORMAT.fullmatch(vin):
            return self.fail("format")
        if any(c in FORBIDDEN for c in vin):
            return self.fail("letter_ioq")
        expected = check_digit(vin)
        if vin[8] != expected:
            return self.fail("check_digit", expected=expected)
        return Checked(vin, None, self._details(vin))

    def _details(self, vin: str) -> dict[str, Any]:
        year = self.reference_year if self.reference_year is not None else dt.date.today().year
        return {
            "wmi": vin[:3],
            "manufacturer": CHINESE_WMIS.get(vin[:3]),
            "model_year": model_year(vin[9], year),
            "plant": vin[10],
            "serial": vin[11:],
        }

    # --- vectorized ----------------------------------------------------------------------------
    def sql_normalize(self, raw: str) -> str:
        # Clean input passes after one regex; translate is slow in DuckDB, so it runs only when needed.
        cased = (
            f"CASE WHEN regexp_matches({raw}, '[a-z\uff10-\uff5a]') "
            f"THEN translate({raw}, {sql_literal(_CASE_FROM)}, {sql_literal(_CASE_TO)}) ELSE {raw} END"
        )
        return (
            f"CASE WHEN regexp_full_match({raw}, '[0-9A-Z]+') THEN {raw}"
            f" WHEN regexp_full_match({raw}, '[ \t\r\n\u3000]*') THEN NULL"
            f" ELSE regexp_replace({cased}, {sql_literal(_SQL_SEPARATOR_CLASS)}, '', 'g') END"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL"
            f" WHEN NOT regexp_full_match({norm}, '{ALPHABET_PATTERN}') THEN"
            f" CASE WHEN regexp_full_match({norm}, '{FORMAT_PATTERN}') THEN 'letter_ioq' ELSE 'format' END"
            f" WHEN substr({norm}, 9, 1) <> {sql_check_digit(norm)} THEN 'check_digit' END"
        )


def _value_lookup() -> str:
    """A string in which each allowed character sits at a 1-based position congruent to its value mod 11,
    so that ``strpos(lookup, c)`` can stand for the value in a sum taken mod 11 (one string function per
    character: DuckDB does not share repeated subexpressions inside CASE)."""
    slots = ["_"] * 44
    used: dict[int, int] = {}
    for char in ALPHABET:
        value = VALUES[char]
        position = (value or 11) + 11 * used.get(value, 0)
        used[value] = used.get(value, 0) + 1
        slots[position - 1] = char
    return "".join(slots).rstrip("_")


VALUE_LOOKUP = _value_lookup()


def sql_check_digit(vin: str) -> str:
    """DuckDB expression: the check character of the VARCHAR expression ``vin``, which must already be
    17 characters of the VIN alphabet (an explicit weighted sum, no list functions)."""
    lookup = sql_literal(VALUE_LOOKUP)
    terms = " + ".join(
        f"{weight} * strpos({lookup}, substr({vin}, {i}, 1))" for i, weight in enumerate(WEIGHTS, 1) if weight
    )
    return f"substr('0123456789X', CAST(({terms}) % 11 AS INTEGER) + 1, 1)"


VIN = VinType()
ELEMENT_TYPES = [VIN]


def generate(rng: random.Random, wmi: str | None = None, year: int | None = None) -> str:
    """A valid VIN: a Chinese WMI (random if None), random VDS, the model-year code of ``year``
    (random 2005–2025 if None), a plant letter and a 6-digit serial, with its check digit."""
    wmi = wmi or rng.choice(sorted(CHINESE_WMIS))
    if len(wmi) != 3 or any(c not in ALPHABET for c in wmi):
        raise ValueError(f"not a WMI: {wmi!r}")
    year = year if year is not None else rng.randint(2005, 2025)
    code = YEAR_CODES[(year - YEAR_CYCLE_START) % 30]
    vds = "".join(rng.choice(ALPHABET) for _ in range(5))
    plant = rng.choice(ALPHABET)
    serial = "".join(rng.choice("0123456789") for _ in range(6))
    draft = f"{wmi}{vds}0{code}{plant}{serial}"
    return draft[:8] + check_digit(draft) + draft[9:]
