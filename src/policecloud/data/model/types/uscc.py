"""Unified social credit codes (统一社会信用代码, GB 32100-2015) of organizations.

18 characters over the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, Z, S, V):

========  ===========================================================================
position  meaning
========  ===========================================================================
1         registration authority (登记管理部门): 1 机构编制 … 9 工商, A, N, Y
2         organization type within that authority (机构类别), e.g. 9 + 1 = enterprise
3–8       administrative division of the registering office (GB/T 2260; 100000 = national)
9–17      organization code (组织机构代码, GB 11714): 8 characters + its own MOD 11 check
18        check character: ISO 7064-style MOD 31 over positions 1–17
========  ===========================================================================

Normalization: full width → ASCII, a–z → A–Z, blanks and hyphens dropped (one ``translate``). A value of
only blanks and hyphens ("-", "--") is a placeholder for "none" and counts as missing.

Checks run in this order; the first failure gives the reason (the SQL form mirrors it exactly):

1. ``format``          not 18 ASCII letters or digits;
2. ``alphabet``        contains I, O, Z, S or V;
3. ``check_digit``     the MOD 31 check character (position 18) does not match;
4. ``org_code_check``  the embedded GB 11714 check character (position 17) does not match;
5. ``division``        positions 3–8 are not six digits starting with a province code (11–15, 21–23,
                       31–37, 41–46, 50–54, 61–65, 71, 81, 82), nor the national 100000;
6. ``authority``       position 1 is not a known registration authority.

Positions 3–8 are not looked up in the GB/T 2260 table (:mod:`policecloud.data.model.divisions`): they are the
code of the *registering office*, and offices outside the table issue codes too (the national 100000, and
to my knowledge the registrars of some development zones, which use codes GB/T 2260 does not list). The
lookup is reported instead, as ``details["division_known"]``.

The MOD 31 weights are 3^(i-1) mod 31, all non-zero modulo the prime 31, so every single-character
substitution and every transposition of two adjacent different characters changes the check character.

Real codes are not all perfect: some early codes (reported from Xiamen, issued before 2016) fail even the
MOD 31 check. The embedded GB 11714 check has its own reason, ``org_code_check``, so that codes failing
only that check can be told apart; ``UsccType(check_org_code=False)`` skips it.

The SQL form costs about a microsecond of CPU a value on this project's machines, 6–8× less than ``check``:
reading 18 characters one substr() at a time dominates (a list lambda over string_split() measured no
faster, and letters rule out the integer arithmetic that all-digit identifiers use).
"""

from __future__ import annotations

import random
import re
from typing import Any, ClassVar

from policecloud.data.model.divisions import load_divisions
from policecloud.data.model.types.base import (
    FULLWIDTH_CHARS,
    HALFWIDTH_CHARS,
    Checked,
    ElementType,
    is_blank,
    sql_literal,
)

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
EXCLUDED = "IOZSV"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

# GB 11714: digits keep their value, letters count A=10 … Z=35 (the full Latin alphabet).
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHECK = "0123456789X0"  # indexed by 11 - (sum mod 11), which runs 1..11

# Registration authorities and the organization types each uses (GB 32100-2015 and its later additions).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构", "5": "仲裁委员会"}
        | {"9": "其他"},
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

# A province-level prefix (or the national registration offices' 100000).
DIVISION_PATTERN = "100000|(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}"
_DIVISION_RE = re.compile(DIVISION_PATTERN)
_FORMAT_RE = re.compile("[0-9A-Z]{18}")
_EXCLUDED_RE = re.compile(f"[{EXCLUDED}]")

# One translation normalizes, in Python and in SQL: full width → ASCII, a–z → A–Z, blanks and hyphens
# deleted (DuckDB's translate() deletes the characters of `from` beyond the length of `to`).
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DELETED = " \t\r\n\u00a0-"
_MAP = dict(zip(FULLWIDTH_CHARS + _LOWER, HALFWIDTH_CHARS.upper() + _LOWER.upper(), strict=True))
_MAP = {f: ("" if t in _DELETED else t) for f, t in _MAP.items()} | dict.fromkeys(_DELETED, "")
_NORM_TABLE = str.maketrans({f: (t or None) for f, t in _MAP.items()})
_SQL_FROM = "".join(sorted(_MAP, key=lambda c: _MAP[c] == ""))
_SQL_TO = "".join(_MAP[c] for c in _SQL_FROM)
_ONLY_SEPARATORS = "[" + "".join("\\" + c if c in "\\]^-" else c for c in _MAP if not _MAP[c]) + "]*"


def normalize_text(raw: str) -> str:
    return raw.translate(_NORM_TABLE)


def check_char(first17: str) -> str:
    """The MOD 31 check character of the first 17 characters (all in ``ALPHABET``)."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-character organization code body."""
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    return _ORG_CHECK[11 - total % 11]


class UsccType(ElementType):
    name = "uscc"
    label_zh = "统一社会信用代码"
    label_en = "Unified social credit code"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "format": ("统一社会信用代码应为18位数字或大写字母", "must be 18 letters or digits"),
        "alphabet": (
            "统一社会信用代码不使用字母I、O、Z、S、V",
            "contains I, O, Z, S or V, which the code never uses",
        ),
        "check_digit": ("校验码错误", "the check character (position 18) is wrong"),
        "org_code_check": (
            "组织机构代码（第9-17位）校验码错误",
            "the check character of the embedded organization code (position 17) is wrong",
        ),
        "division": (
            "登记管理机关行政区划码（第3-8位）无效",
            "positions 3-8 are not an administrative division code",
        ),
        "authority": ("登记管理部门代码（第1位）无效", "position 1 is not a known registration authority"),
    }

    def __init__(self, check_org_code: bool = True) -> None:
        self.check_org_code = check_org_code

    def check(self, raw: object) -> Checked:
        if is_blank(raw):
            return Checked(None)
        code = normalize_text(str(raw))
        if not code:  # only blanks and separators, e.g. "-": a placeholder for "none"
            return Checked(None)
        if not _FORMAT_RE.fullmatch(code):
            return self.fail("format")
        if _EXCLUDED_RE.search(code):
            return self.fail("alphabet")
        if code[17] != (expected := check_char(code[:17])):
            return self.fail("check_digit", expected=expected)
        if self.check_org_code and code[16] != (expected := org_check_char(code[8:16])):
            return self.fail("org_code_check", expected=expected)
        if not _DIVISION_RE.fullmatch(code[2:8]):
            return self.fail("division", division=code[2:8])
        if code[0] not in AUTHORITIES:
            return self.fail("authority", authority=code[0])
        return Checked(code, None, self.describe(code))

    @staticmethod
    def describe(code: str) -> dict[str, Any]:
        authority_name, types = AUTHORITIES[code[0]]
        return {
            "authority": code[0],
            "authority_name": authority_name,
            "org_type": code[1],
            "org_type_name": types.get(code[1]),
            "division": code[2:8],
            "division_known": load_divisions().is_known(code[2:8]),
            "org_code": code[8:17],
        }

    # --- SQL ---------------------------------------------------------------------------------------
    def sql_normalize(self, raw: str) -> str:
        # Each path gives what the full translate() gives (slow in DuckDB: it builds its map per row), and
        # none repeats an expression (a repeated one is evaluated again). An 18-character ASCII value
        # starting with a letter or digit only needs upper() (a separator inside fails `format` either
        # way); another ASCII value gets its separators removed by replace().
        stripped = raw
        for sep in _DELETED.replace("\u00a0", ""):
            stripped = f"replace({stripped}, {sql_literal(sep)}, '')"
        return (
            f"CASE WHEN strlen({raw}) = 18 AND length({raw}) = 18 AND ascii({raw}) > 45 THEN upper({raw}) "
            f"WHEN regexp_full_match({raw}, {sql_literal(_ONLY_SEPARATORS)}) THEN NULL "
            f"WHEN strlen({raw}) = length({raw}) THEN upper({stripped}) "
            f"ELSE translate({raw}, {sql_literal(_SQL_FROM)}, {sql_literal(_SQL_TO)}) END"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        # DuckDB computes a repeated expression once, but not across CASE branches: the checks after the
        # format check are coalesce() arguments that name each character with the same text, so that the
        # 18 substr() calls (the bulk of the cost) are shared by the two check sums.
        def char(i: int) -> str:
            return f"substr({norm}, {i}, 1)"

        def unless(reason: str, failed: str) -> str:  # NULL unless the condition holds
            return f"[NULL, '{reason}'][({failed})::INTEGER + 1]"

        # Valid iff sum(value_i * weight_i) over all 18 positions, with weight 1 for the check character,
        # is 0 modulo 31; instr() gives value + 1, so the sum of instr() * weight must be sum(weights).
        weights = (*WEIGHTS, 1)
        total = " + ".join(f"instr('{ALPHABET}', {char(i + 1)}) * {w}" for i, w in enumerate(weights))
        checks = [unless("check_digit", f"({total}) % 31 <> {sum(weights) % 31}")]
        if self.check_org_code:
            # GB 11714: (sum of (instr - 1) * weight) mod 11, kept non-negative (subtracting sum(ORG_WEIGHTS)
            # is adding its negative modulo 11); the check character is _ORG_CHECK[11 - that].
            org = " + ".join(f"instr('{ORG_ALPHABET}', {char(i + 9)}) * {w}" for i, w in enumerate(ORG_WEIGHTS))
            org_mod = f"({org} + {(-sum(ORG_WEIGHTS)) % 11}) % 11"
            checks.append(unless("org_code_check", f"{char(17)} <> substr('{_ORG_CHECK}', 12 - {org_mod}, 1)"))
        checks.append(unless("division", f"NOT regexp_full_match(substr({norm}, 3, 6), '{DIVISION_PATTERN}')"))
        checks.append(unless("authority", f"NOT contains('{''.join(AUTHORITIES)}', {char(1)})"))
        shape = (
            f"CASE WHEN NOT regexp_full_match({norm}, '[0-9A-HJ-NP-RTUW-Y]{{18}}') THEN "
            f"CASE WHEN regexp_full_match({norm}, '[0-9A-Z]{{18}}') THEN 'alphabet' ELSE 'format' END END"
        )
        return f"coalesce({shape}, {', '.join(checks)})"


def generate(rng: random.Random, division: str = "420100", authority: str = "9", kind: str = "1") -> str:
    """A valid code registered in ``division`` by ``authority`` for an organization of type ``kind``.

    Half the organization codes are the ``MA``-prefixed series assigned since 2015, half are digits only.
    """
    if rng.random() < 0.5:
        body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = authority + kind + division + body + org_check_char(body)
    return first17 + check_char(first17)


USCC = UsccType()
ELEMENT_TYPES = [USCC]
