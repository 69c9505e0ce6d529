"""Motor vehicle plate numbers (号牌号码, GA 36-2018 and its new-energy amendment).

Accepted shapes, after normalization (separators dropped, full width → ASCII, a–z → A–Z):

=============  ======================================================  ==============
kind           shape                                                   example
=============  ======================================================  ==============
ordinary       province + issuer letter + 5 serial characters          鄂A12345
new_energy     small: province + letter + mark + 1 serial + 4 digits      鄂AD12345
               large: province + letter + 5 digits + D|F               鄂A12345D
trailer …      province + letter + 4 serial chars + 挂 学 警 港 澳 使 领  鄂A1234学
embassy        使 + 6 digits (3-digit mission code + serial)            使014578
=============  ======================================================  ==============

Serial characters are digits and A–Z without I and O. The mark of a small new-energy plate is D (pure
electric) or F (other new energy, e.g. plug-in hybrid) in the original amendment; the later extension
of the number space added A B C E (pure electric, like D) and G H J K (non-pure electric, like F),
which are accepted too. ``details`` gives ``energy`` (pure_electric | hybrid) and ``size``
(small | large) for new-energy plates; large plates carry D or F at the end.

Checks run in this order, the first failure giving the reason (the SQL form mirrors it exactly):

1. ``format``      not one of the shapes above (wrong length, unknown suffix, non-ASCII serial, …);
2. ``province``    first character is not one of the 31 province abbreviations;
3. ``issuer``      the issuing letter is not used in that province (``plate_issuers.yaml``). 粤Z is only
                   valid with 港/澳 and 港/澳 only with 粤Z; the letter O (provincial public-security
                   departments) only on 警 plates;
4. ``letter_i_o``  an I or O among the serial characters (never read as 1 or 0);
5. ``new_energy``  an 8-character plate whose serial fits neither new-energy form.

Military and armed-police plates (军, WJ) are not civilian GA 36 plates and fail with ``format``.
A plate has no check character: most single-character typos in the serial give another valid plate.

The SQL form: ``sql_normalize`` returns clean input untouched after one regex and normalizes the rest;
``sql_reason`` accepts valid plates with one regex built from the issuer table (:func:`valid_pattern`)
and runs the ordered checks above only on the rows it rejects. ``sql_setup`` also creates the
``pc_plate_issuers`` table (key = prefix + tag, province, letter, use, city, division) for joins that
want the issuing city; the reason expression does not join it, because DuckDB would plan that semi-join
over every row, valid or not.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import yaml

from policecloud.data.model.types.base import Checked, ElementType, is_blank, sql_literal

PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"
SERIAL_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # digits and A–Z without I, O
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
SUFFIX_KINDS = {
    "挂": "trailer",
    "学": "learner",
    "警": "police",
    "港": "hk",
    "澳": "macau",
    "使": "embassy",
    "领": "consulate",
}
PURE_ELECTRIC = "DABCE"  # first serial character of a small new-energy plate
HYBRID = "FGHJK"

# Dropped during normalization: blanks and the dots and dashes people put between prefix and serial.
SEPARATORS = " \t\r\n\u3000·•-.・‧∙⋅･‐‑‒–—－．_"
_FW_DIGITS = "".join(chr(0xFF10 + i) for i in range(10))
_FW_UPPER = "".join(chr(0xFF21 + i) for i in range(26))
_FW_LOWER = "".join(chr(0xFF41 + i) for i in range(26))
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_UPPER = _ASCII_LOWER.upper()
# Full width → ASCII and a–z → A–Z only: other letters are left alone (and then fail ``format``), so
# that Python and SQL agree without depending on Unicode case tables.
_CASE_FROM = _FW_DIGITS + _FW_UPPER + _FW_LOWER + _ASCII_LOWER
_CASE_TO = DIGITS + _ASCII_UPPER * 3
_NORM_TABLE = {ord(f): t for f, t in zip(_CASE_FROM, _CASE_TO, strict=True)} | {ord(s): None for s in SEPARATORS}

_CJK = "\u4e00-\u9fff"
_SQL_SEPARATOR_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SEPARATORS) + "]"  # RE2 escapes
_CLEAN_PATTERN = f"[0-9A-Z{_CJK}]+"
# A character upper() might change otherwise than the translation: neither ASCII, nor CJK, nor a separator.
_NOT_UPPER_SAFE = "[^\\x{0}-\\x{7f}" + _CJK + _SQL_SEPARATOR_CLASS[1:-1] + "]"
_SUFFIXES = "".join(SUFFIX_KINDS)
FORMAT_PATTERN = f"[{_CJK}][A-Z][0-9A-Z]{{4}}(?:[0-9A-Z]{{1,2}}|[{_SUFFIXES}])"
EMBASSY_PATTERN = "使[0-9]{6}"
NEW_ENERGY_PATTERN = f"..(?:[{PURE_ELECTRIC}{HYBRID}][0-9A-Z][0-9]{{4}}|[0-9]{{5}}[DF])"
_FORMAT = re.compile(FORMAT_PATTERN)
_EMBASSY = re.compile(EMBASSY_PATTERN)
_NEW_ENERGY = re.compile(NEW_ENERGY_PATTERN)


def normalize_text(text: str) -> str:
    return text.translate(_NORM_TABLE)


def issuer_tag(plate: str) -> str:
    """Which issuer uses a plate needs: ``p`` police (警), ``x`` cross-border (港/澳), ``n`` the rest."""
    last = plate[-1]
    return "p" if last == "警" else "x" if last in "港澳" else "n"


# --- the issuer table ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issuer:
    province: str
    letter: str
    city: str
    division: str | None
    use: str  # any | police | cross_border
    uncertain: bool

    @property
    def tags(self) -> str:
        return {"any": "np", "police": "p", "cross_border": "x"}[self.use]


@dataclass(frozen=True, slots=True)
class Province:
    abbreviation: str
    name: str
    division: str
    issuers: dict[str, Issuer]


@cache
def provinces() -> dict[str, Province]:
    """The issuing letters of every province, from ``model/data/plate_issuers.yaml``."""
    text = resources.files("policecloud.data.model").joinpath("data/plate_issuers.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    result = {}
    for abbr, spec in doc["provinces"].items():
        issuers = {}
        for letter, entry in spec["issuers"].items():
            entry = {"city": entry} if isinstance(entry, str) else entry
            issuers[letter] = Issuer(
                abbr,
                letter,
                entry["city"],
                entry.get("division"),
                entry.get("use", "any"),
                bool(entry.get("uncertain", False)),
            )
        for letter in doc.get("police_letters", []):
            department = f"{spec['name']}公安厅"
            issuers.setdefault(letter, Issuer(abbr, letter, department, spec["division"], "police", True))
        result[abbr] = Province(abbr, spec["name"], spec["division"], issuers)
    if set(result) != set(PROVINCES):
        raise ValueError("plate_issuers.yaml must list exactly the 31 province abbreviations")
    return result


@cache
def issuer_keys() -> frozenset[str]:
    """Every valid (2-character prefix + issuer tag), e.g. ``鄂An``, ``粤Zx``, ``鄂Op``."""
    return frozenset(
        abbr + letter + tag
        for abbr, province in provinces().items()
        for letter, issuer in province.issuers.items()
        for tag in issuer.tags
    )


def _prefix_alternation(tag: str) -> str:
    letters: dict[str, str] = {}
    for key in sorted(issuer_keys()):
        if key[2] == tag:
            letters[key[0]] = letters.get(key[0], "") + key[1]
    return "(?:" + "|".join(f"{abbr}[{chars}]" for abbr, chars in letters.items()) + ")"


@cache
def issuer_key_pattern() -> str:
    """Regex matching exactly :func:`issuer_keys`."""
    return "|".join(f"{_prefix_alternation(tag)}{tag}" for tag in "npx")


@cache
def valid_pattern() -> str:
    """One regex accepting exactly the plates that pass every check (the SQL fast path)."""
    s = f"[{SERIAL_CHARS}]"
    new_energy = f"[{PURE_ELECTRIC}{HYBRID}]{s}[0-9]{{4}}|[0-9]{{5}}[DF]"
    return (
        f"{EMBASSY_PATTERN}"
        f"|{_prefix_alternation('n')}(?:{s}{{5}}|{new_energy}|{s}{{4}}[挂学使领])"
        f"|{_prefix_alternation('p')}{s}{{4}}警"
        f"|{_prefix_alternation('x')}{s}{{4}}[港澳]"
    )


# --- the element type ------------------------------------------------------------------------------


class PlateType(ElementType):
    name = "plate"
    label_zh = "机动车号牌号码"
    label_en = "motor vehicle plate number"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "format": ("号牌号码格式错误", "not a plate number (wrong length or characters)"),
        "province": ("省份简称无效", "unknown province abbreviation"),
        "issuer": ("该省没有此发牌机关代号", "issuing-authority letter not used in that province"),
        "letter_i_o": ("序号中不得使用字母I或O", "letters I and O are not used in plate serials"),
        "new_energy": ("新能源号牌序号格式错误", "invalid new-energy plate serial"),
    }

    def check(self, raw: object) -> Checked:
        if is_blank(raw):
            return Checked(None)
        plate = normalize_text(str(raw))
        if _EMBASSY.fullmatch(plate):
            return Checked(plate, None, {"kind": "embassy", "mission": plate[1:4]})
        if not _FORMAT.fullmatch(plate):
            return self.fail("format")
        province = provinces().get(plate[0])
        if province is None:
            return self.fail("province", province=plate[0])
        if plate[:2] + issuer_tag(plate) not in issuer_keys():
            return self.fail("issuer", province=plate[0], issuer=plate[1])
        serial = plate[2:]
        if "I" in serial or "O" in serial:
            return self.fail("letter_i_o")
        if len(plate) == 8 and not _NEW_ENERGY.fullmatch(plate):
            return self.fail("new_energy")
        return Checked(plate, None, self._details(plate, province))

    @staticmethod
    def _details(plate: str, province: Province) -> dict[str, Any]:
        issuer = province.issuers[plate[1]]
        details: dict[str, Any] = {
            "province": province.abbreviation,
            "province_name": province.name,
            "province_division": province.division,
            "issuer": issuer.letter,
            "city": issuer.city,
            "division": issuer.division,
        }
        if plate[-1] in SUFFIX_KINDS:
            details["kind"] = SUFFIX_KINDS[plate[-1]]
        elif len(plate) == 8:
            details["kind"] = "new_energy"
            small = plate[-1] not in "DF"
            details["size"] = "small" if small else "large"
            marker = plate[2] if small else plate[-1]
            details["energy"] = "pure_electric" if marker in PURE_ELECTRIC else "hybrid"
        else:
            details["kind"] = "ordinary"
        return details

    # --- vectorized ----------------------------------------------------------------------------
    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        # From Arrow: the same thousand rows as a VALUES literal take DuckDB 70 ms to parse, on every ingest.
        rows = [
            (issuer, tag)
            for province in provinces().values()
            for issuer in province.issuers.values()
            for tag in issuer.tags
        ]
        table = pa.table(
            {
                "key": [issuer.province + issuer.letter + tag for issuer, tag in rows],
                "province": [issuer.province for issuer, _ in rows],
                "letter": [issuer.letter for issuer, _ in rows],
                "use": [issuer.use for issuer, _ in rows],
                "city": [issuer.city for issuer, _ in rows],
                "division": pa.array([issuer.division for issuer, _ in rows], pa.string()),
                "uncertain": [issuer.uncertain for issuer, _ in rows],
            }
        )
        view = "_pc_plate_issuers_arrow"
        con.register(view, table)
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS pc_plate_issuers AS SELECT * FROM {view}")
        finally:
            con.unregister(view)

    def sql_normalize(self, raw: str) -> str:
        # Most values arrive clean and one regex proves it. The rest: upper-case, then drop the separators.
        # translate() costs DuckDB 2 µs a value with this character list, upper() a hundredth of that, and
        # they agree on text of ASCII, CJK and separators only (upper() also maps ı and ſ to I and S):
        # translate only the other values.
        cased = (
            f"CASE WHEN NOT regexp_matches({raw}, '[a-z\uff10-\uff5a]') THEN {raw}"
            f" WHEN regexp_matches({raw}, {sql_literal(_NOT_UPPER_SAFE)})"
            f" THEN translate({raw}, {sql_literal(_CASE_FROM)}, {sql_literal(_CASE_TO)}) ELSE upper({raw}) END"
        )
        return (
            f"CASE WHEN regexp_full_match({raw}, {sql_literal(_CLEAN_PATTERN)}) THEN {raw}"
            f" WHEN regexp_full_match({raw}, '[ \t\r\n\u3000]*') THEN NULL"
            f" ELSE regexp_replace({cased}, {sql_literal(_SQL_SEPARATOR_CLASS)}, '', 'g') END"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        # One regex accepts every valid plate; the ordered checks run only on the rows it rejects.
        tag = f"CASE right({norm}, 1) WHEN '警' THEN 'p' WHEN '港' THEN 'x' WHEN '澳' THEN 'x' ELSE 'n' END"
        return (
            f"CASE WHEN {norm} IS NULL THEN NULL"
            f" WHEN regexp_full_match({norm}, {sql_literal(valid_pattern())}) THEN NULL"
            f" WHEN NOT regexp_full_match({norm}, {sql_literal(FORMAT_PATTERN)}) THEN 'format'"
            f" WHEN NOT contains({sql_literal(PROVINCES)}, left({norm}, 1)) THEN 'province'"
            f" WHEN NOT regexp_full_match(left({norm}, 2) || ({tag}), {sql_literal(issuer_key_pattern())})"
            " THEN 'issuer'"
            f" WHEN regexp_matches(substr({norm}, 3), '[IO]') THEN 'letter_i_o'"
            f" WHEN length({norm}) = 8 AND NOT regexp_full_match({norm}, {sql_literal(NEW_ENERGY_PATTERN)})"
            " THEN 'new_energy' END"
        )


PLATE = PlateType()
ELEMENT_TYPES = [PLATE]


# --- generator -------------------------------------------------------------------------------------

KINDS = ("ordinary", "new_energy", *SUFFIX_KINDS.values())


def generate(
    rng: random.Random,
    province: str = "鄂",
    issuer: str | None = None,
    kind: str = "ordinary",
    size: str | None = None,
) -> str:
    """A valid plate (normalized form). ``issuer`` None picks one of the province's confirmed letters;
    ``size`` (small | large) applies to new-energy plates, None picks mostly small ones."""
    if kind not in KINDS:
        raise ValueError(f"unknown plate kind {kind!r}; known: {', '.join(KINDS)}")
    if kind == "embassy":
        return "使" + "".join(rng.choice(DIGITS) for _ in range(6))
    if kind in ("hk", "macau"):
        province, issuer = "粤", "Z"
    spec = provinces()[province]
    if issuer is None:
        issuer = rng.choice(sorted(i.letter for i in spec.issuers.values() if i.use == "any" and not i.uncertain))
    elif issuer not in spec.issuers:
        raise ValueError(f"{province}{issuer} is not an issuing prefix")
    prefix = province + issuer
    if kind == "ordinary":
        return prefix + _serial(rng, 5, max_letters=2)
    if kind == "new_energy":
        if (size or ("small" if rng.random() < 0.85 else "large")) == "large":
            return prefix + _digits(rng, 5) + rng.choice("DF")
        marker = rng.choice("DDDDF" if rng.random() < 0.9 else PURE_ELECTRIC + HYBRID)
        return prefix + marker + rng.choice(SERIAL_CHARS) + _digits(rng, 4)
    suffix = next(char for char, name in SUFFIX_KINDS.items() if name == kind)
    return prefix + _serial(rng, 4, max_letters=1) + suffix


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(n))


def _serial(rng: random.Random, n: int, max_letters: int) -> str:
    chars = list(_digits(rng, n))
    for position in rng.sample(range(n), rng.randint(0, max_letters)):
        chars[position] = rng.choice(LETTERS)
    return "".join(chars)
