"""Dates and times as Chinese sources write them: types ``datetime``, ``date`` and ``past_date``.

``datetime`` gives an aware ``datetime.datetime`` in Asia/Shanghai (SQL ``TIMESTAMPTZ``); ``date`` and
``past_date`` give a ``datetime.date`` (SQL ``DATE``); ``past_date`` (birth dates, dates of past events)
also refuses dates after today. Plain ``date``/``datetime`` accept future values: validity periods and
appointments are in the future.

Written forms accepted, after one translation (full-width → ASCII, blank and dash variants unified) and
with blanks allowed around every separator:

* dates, year first: ``2019-03-07``, ``2019/3/7``, ``2019.3.7``, ``20190307``, ``2019年3月7日`` (or 号);
* a date followed (after a blank or ``T``; directly after 日) by a time: ``8:05``, ``08:05:09``,
  ``08:05:09.123`` (1–9 fraction digits, truncated to microseconds), ``8时5分9秒``/``8点5分``/``8时``,
  or after a compact date the compact ``080509``: ``20190307080509``, ``20190307080509123``;
* a UTC offset after a colon time: ``Z``, ``+08:00``, ``+0800``, ``+08``, ``+08:05:43``;
* epoch times: exactly 10 digits are seconds, exactly 13 digits milliseconds since 1970-01-01 UTC (hotel
  and checkpoint systems write them; they cover 2001-09-09 onwards). 8 digits are always ``YYYYMMDD``.

A time without an offset is a wall-clock time in Asia/Shanghai, whose rules (UTC+8:05:43 local mean time
before 1901, daylight saving in 1919, 1940–1949 and 1986–1991) come from zoneinfo in Python and from
DuckDB's ICU in SQL; a test checks they agree. Where a clock change makes a wall-clock time ambiguous (it
happened twice) or impossible (it was skipped), the later of its two readings is taken: that is ICU's rule,
and ``check`` follows it. For ``date`` a time and an offset are allowed; the value is the Shanghai date of
that instant.

Refused: ``format`` (no accepted form), ``ambiguous`` (two-digit years such as ``19-03-07``, ``190307``
or ``19年3月7日``, day or month first such as ``03/07/2019``, and 12 digits, which may be
``YYYYMMDDHHMM`` or ``YYMMDDHHMMSS``: Chinese sources write the year first and in full),
``invalid_date`` (30 February, month 13), ``invalid_time`` (25:00, 08:60, an offset beyond ±14 h),
``out_of_range`` (before 1900 or after 2100 by default, e.g. the ``9999-12-31`` of "no end date"),
``future`` (``past_date`` only). Chinese numerals (二〇一九年) and 上午/下午 are not accepted.

Python reads a value with one regular expression (GRAMMAR, with groups) and checks in order: separators,
date, clock, years. The SQL form (see "SQL" below) accepts the same language (STRICT; a test compares
them) and gives the same value and reason; tests check it on golden, generated and mutated values.
"""

from __future__ import annotations

import abc
import datetime as dt
import random
import re
from collections.abc import Callable
from typing import ClassVar
from zoneinfo import ZoneInfo

import duckdb

from policecloud.data.model.types.base import FULLWIDTH_CHARS, HALFWIDTH_CHARS, Checked, ElementType, sql_literal

SHANGHAI = ZoneInfo("Asia/Shanghai")
_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_US = 1_000_000
_DAY_US = 86_400 * _US
_CST_US = 8 * 3600 * _US
_MAX_OFFSET_S = 14 * 3600
# Shanghai has been plain UTC+8 since daylight saving ended in September 1991 (and tzdata foresees no
# change): from 1992 on wall-clock times convert by arithmetic, the zone rules are consulted only before.
_FIXED_YEAR = 1992
_FIXED_LOCAL_US = (dt.date(_FIXED_YEAR, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US
_FIXED_INSTANT_US = _FIXED_LOCAL_US - _CST_US

# One translation: the full-width forms of the ASCII characters the forms use (no other character can be
# part of a valid value, translated or not) → ASCII, other blanks → space, dash and ratio-sign look-alikes →
# - and :, zero-width characters deleted. DuckDB's translate() costs in proportion to the length of its
# character list, per row, so the list is kept short and the SQL form only translates rows that need it.
_USED = "0123456789-/.:+,TtZz "
_BLANKS = "\t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_FROM = "".join(FULLWIDTH_CHARS[HALFWIDTH_CHARS.index(c)] for c in _USED) + _BLANKS + _DASHES + "\u2236"
_TO = _USED + " " * len(_BLANKS) + "-" * len(_DASHES) + ":"
_DELETED = "\u200b\u200c\u200d\u2060\ufeff"
_CLEAN = str.maketrans(_FROM, _TO, _DELETED)

# Group names: y/m/d year, month, day; h/i/s/f hour, minute, second, fraction; suffix a = punctuated
# (- / . and :), b = Chinese (年月日, 时分秒), c = compact digits; p1/p2 the date separators (must be equal),
# ts what separates date and time, z/os/oh/om/ox the offset (Z, sign, hours, minutes, seconds).
_DATE = (
    "(?P<ya>[0-9]{4}) *(?P<p1>[-/.]) *(?P<ma>[0-9]{1,2}) *(?P<p2>[-/.]) *(?P<da>[0-9]{1,2})"
    "|(?P<yb>[0-9]{4}) *年 *(?P<mb>[0-9]{1,2}) *月 *(?P<db>[0-9]{1,2}) *[日号]"
    "|(?P<yc>[0-9]{4})(?P<mc>[0-9]{2})(?P<dc>[0-9]{2})"
)
_TIME = (
    "(?P<ha>[0-9]{1,2}) *: *(?P<ia>[0-9]{2})(?: *: *(?P<sa>[0-9]{2})(?:[.,](?P<fa>[0-9]{1,9}))?)?"
    "(?: *(?:(?P<z>[Zz])|(?P<os>[+-]) *(?P<oh>[0-9]{2})(?::?(?P<om>[0-9]{2})(?::?(?P<ox>[0-9]{2}))?)?))?"
    "|(?P<hb>[0-9]{1,2}) *[时点](?: *(?P<ib>[0-9]{1,2}) *分(?: *(?P<sb>[0-9]{1,2}) *秒)?)?"
    "|(?P<hc>[0-9]{2})(?P<ic>[0-9]{2})(?P<sc>[0-9]{2})(?P<fc>[0-9]{3})?"
)
GRAMMAR = f"(?P<ep>[0-9]{{10}}|[0-9]{{13}})|(?:{_DATE})(?:(?P<ts> *[Tt]? *)(?:{_TIME}))?"
AMBIGUOUS = (
    "(?:[0-9]{1,2} *[-/.] *[0-9]{1,2} *[-/.] *(?:[0-9]{1,2}|[0-9]{4})|[0-9]{6})(?:[ Tt].*)?|[0-9]{2} *年.*|[0-9]{12}"
)
_GRAMMAR_RE = re.compile(GRAMMAR)
_AMBIGUOUS_RE = re.compile(AMBIGUOUS)
GROUPS = tuple(sorted(_GRAMMAR_RE.groupindex, key=_GRAMMAR_RE.groupindex.__getitem__))
_EXPECTED_GROUPS = "ep ya p1 ma p2 da yb mb db yc mc dc ts ha ia sa fa z os oh om ox hb ib sb hc ic sc fc"
assert tuple(_EXPECTED_GROUPS.split()) == GROUPS and _GRAMMAR_RE.groups == len(GROUPS)

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# (year, month, day, hour, minute, second, microsecond, offset seconds or None, epoch µs or None)
Parts = tuple[int, int, int, int, int, int, int, int | None, int | None]


def _parse(raw: object) -> Parts | str | None:
    """The parts of a written date/time, a reason code, or None when blank."""
    if raw is None:
        return None
    s = raw if isinstance(raw, str) else str(raw)
    if not (s.isascii() and s.isprintable()):
        s = s.translate(_CLEAN)
    s = s.strip(" ")
    if not s:
        return None
    m = _GRAMMAR_RE.fullmatch(s)
    if m is None:
        return "ambiguous" if _AMBIGUOUS_RE.fullmatch(s) else "format"
    groups = m.groups("")
    ep, ya, p1, ma, p2, da, yb, mb, db, yc, mc, dc, ts = groups[:13]
    ha, ia, sa, fa, z, os, oh, om, ox, hb, ib, sb, hc, ic, sc, fc = groups[13:]
    if ep:
        n = int(ep)
        return (0, 0, 0, 0, 0, 0, 0, None, n * _US if len(ep) == 10 else n * 1000)
    hour = ha or hb or hc
    # A time must be set apart from a punctuated or compact date, except compact after compact.
    if p1 != p2 or (hour and not ts and (ya or (yc and not hc))):
        return "format"
    y, mo, d = int(ya or yb or yc), int(ma or mb or mc), int(da or db or dc)
    if not (1 <= mo <= 12 and 1 <= d <= (29 if mo == 2 and _leap(y) else _DAYS_IN_MONTH[mo])):
        return "invalid_date"
    h, mi, sec = int(hour or 0), int(ia or ib or ic or 0), int(sa or sb or sc or 0)
    us = int((fa or fc or "").ljust(6, "0")[:6])
    offset = None
    if z:
        offset = 0
    elif os:
        oh_, om_, ox_ = int(oh), int(om or 0), int(ox or 0)
        offset = (oh_ * 3600 + om_ * 60 + ox_) * (-1 if os == "-" else 1)
        if om_ > 59 or ox_ > 59 or abs(offset) > _MAX_OFFSET_S:
            return "invalid_time"
    if h > 23 or mi > 59 or sec > 59:
        return "invalid_time"
    return (y, mo, d, h, mi, sec, us, offset, None)


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _local_us(y: int, mo: int, d: int, h: int, mi: int, sec: int, us: int) -> int:
    """Microseconds since 1970-01-01 00:00 of a wall-clock time read as if it were UTC."""
    days = dt.date(y, mo, d).toordinal() - _EPOCH_ORDINAL
    return days * _DAY_US + ((h * 60 + mi) * 60 + sec) * _US + us


def _from_instant(instant_us: int) -> dt.datetime:
    return (_EPOCH + dt.timedelta(microseconds=instant_us)).astimezone(SHANGHAI)


def _from_wall(y: int, mo: int, d: int, h: int, mi: int, sec: int, us: int) -> dt.datetime:
    """A Shanghai wall-clock time as ICU reads it: when a clock change gives it two readings (fold 0 and
    1), the later instant, i.e. the smaller offset."""
    if y >= _FIXED_YEAR:
        return dt.datetime(y, mo, d, h, mi, sec, us, SHANGHAI)
    first = dt.datetime(y, mo, d, h, mi, sec, us, SHANGHAI)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():  # no clock change: one reading
        return first
    chosen = second if second.utcoffset() < first.utcoffset() else first
    return chosen.astimezone(_UTC).astimezone(SHANGHAI)  # a skipped time moves on; fold set


def _instant_us(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


# --- SQL ------------------------------------------------------------------------------------------
# Two paths, no Python. The fast path takes the common forms as they come: a dispatch on the fifth
# character, one DFA regular-expression match admitting a subset of the grammar made of ASCII and
# 年月日号时分秒点 (so nothing needs cleaning), then DuckDB's own parsers (cast, strptime). The general path
# takes the rest: clean, check the whole grammar (STRICT: GRAMMAR with _parse's separator rules written
# into it, without groups), rewrite into the canonical 2019-3-7 8:05:09.123+08:00 and parse that. A value
# the parsers refuse is invalid; its reason comes from the same steps (the date part alone parses or
# not). Tests check that both paths give exactly what check() gives. DuckDB shares no subexpression
# inside CASE, and it rebuilds a lambda's expression for every chunk, so the one lambda, which binds the
# canonical text, has a small body.

_HM = "(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"  # the casts accept 24:00, so the gates admit valid clocks only
_FAST_DASH = f"[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}(?:[ T]{_HM}(?::[0-5][0-9](?:\\.[0-9]{{1,9}})?)?)?"
_FAST_SLASH = f"[0-9]{{4}}/[0-9]{{1,2}}/[0-9]{{1,2}}(?:[ T]{_HM}(?::[0-5][0-9])?)?"
_FAST_DOT = f"[0-9]{{4}}\\.[0-9]{{1,2}}\\.[0-9]{{1,2}}(?:[ T]{_HM}(?::[0-5][0-9])?)?"
_FAST_CHINESE = (
    "[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}[日号]"
    f"(?: ?(?:(?:[01]?[0-9]|2[0-3])[时点][0-5]?[0-9]分(?:[0-5]?[0-9]秒)?|{_HM}(?::[0-5][0-9])?))?"
)
_FAST_EPOCH = "[0-9]{10}|[0-9]{13}"
_OFFSET = "(?:Z|[+-](?:(?:0[0-9]|1[0-3])(?::?[0-5][0-9](?::?[0-5][0-9])?)?|14(?::?00(?::?00)?)?))"
_FAST_ZONED = (
    f"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{{1,6}})?{_OFFSET}"
)
_CANON_WALL = "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?: (?:[01]?[0-9]|2[0-3]):[0-5]?[0-9](?::[0-5]?[0-9](?:\\.[0-9]{1,9})?)?)?"
_CANON_ZONED = f"[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}} {_HM}(?::[0-5][0-9](?:\\.[0-9]{{1,9}})?)?{_OFFSET}"

_T_COLON = (
    "[0-9]{1,2} *: *[0-9]{2}(?: *: *[0-9]{2}(?:[.,][0-9]{1,9})?)?"
    "(?: *(?:[Zz]|[+-] *[0-9]{2}(?::?[0-9]{2}(?::?[0-9]{2})?)?))?"
)
_T_ANY = f"(?:{_T_COLON}|[0-9]{{1,2}} *[时点](?: *[0-9]{{1,2}} *分(?: *[0-9]{{1,2}} *秒)?)?|[0-9]{{6}}(?:[0-9]{{3}})?)"
_T_APART = f"(?:{_T_COLON}|[0-9]{{1,2}} *[时点](?: *[0-9]{{1,2}} *分(?: *[0-9]{{1,2}} *秒)?)?)"
_SEP, _SEP_OPT = "(?: +| *[Tt] *)", " *[Tt]? *"
STRICT = (
    "[0-9]{10}|[0-9]{13}"
    + "".join(f"|[0-9]{{4}} *{p} *[0-9]{{1,2}} *{p} *[0-9]{{1,2}}(?:{_SEP}{_T_ANY})?" for p in ("-", "/", "\\."))
    + f"|[0-9]{{4}} *年 *[0-9]{{1,2}} *月 *[0-9]{{1,2}} *[日号](?:{_SEP_OPT}{_T_ANY})?"
    + f"|[0-9]{{8}}(?:{_SEP_OPT}[0-9]{{6}}(?:[0-9]{{3}})?|{_SEP}{_T_APART})?"
)

# The canonical rewrite of a cleaned value in STRICT, step by step (RE2 rewrites take \1..\9):
_CANON_STEPS = (
    (" *([-/.:年月日号时点分秒+,TtZz]) *", "\\1", "g"),  # no blanks around separators
    ("^([0-9]{4})\\.([0-9]{1,2})\\.", "\\1-\\2-", ""),  # 2019.3.7 → 2019-3-7
    ("^([0-9]{4})([0-9]{2})([0-9]{2})([^0-9]|[0-9]{6}$|[0-9]{9}$|$)", "\\1-\\2-\\3 \\4", ""),  # 20190307…
    ("[时点]$", ":00", ""),  # 8时 → 8:00
)
_CANON_FROM, _CANON_TO = "年月日号/Tt,z时点分秒", "--  -  .Z:::"  # 秒 deleted
_CANON_TAIL = (
    (" +", " ", "g"),
    (" ([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{0,3})$", " \\1:\\2:\\3.\\4", ""),  # compact time
    ("([+-][0-9]{2}):?([0-9]{2}):?([0-9]{2})$", "\\1:\\2:\\3", ""),  # offsets +hh:mm(:ss)
    ("([+-][0-9]{2}):?([0-9]{2})$", "\\1:\\2", ""),
)


def _sql_clean(raw: str) -> str:
    chars = _FROM + _DELETED
    translated = f"translate({raw}, {sql_literal(chars)}, {sql_literal(_TO)})"
    return f"trim(CASE WHEN regexp_matches({raw}, {sql_literal('[' + chars + ']')}) THEN {translated} ELSE {raw} END)"


def _sql_canonical(s: str) -> str:
    """The canonical text of a cleaned value ``s`` in STRICT."""
    for steps in (_CANON_STEPS, None, _CANON_TAIL):
        if steps is None:
            s = f"translate({s}, {sql_literal(_CANON_FROM)}, {sql_literal(_CANON_TO)})"
            continue
        for pattern, rewrite, flags in steps:
            flags = f", '{flags}'" if flags else ""
            s = f"regexp_replace({s}, {sql_literal(pattern)}, {sql_literal(rewrite)}{flags})"
    return f"rtrim({s}, ' :.')"


def _match(s: str, pattern: str) -> str:
    return f"regexp_full_match({s}, {sql_literal(pattern)})"


def _sql_fast_wall(s: str) -> str:
    """The wall-clock TIMESTAMP of ``s`` in a fast-path form, else NULL."""
    chinese = s
    for old, new in zip("年月日号时点分", "--  :::", strict=True):
        chinese = f"replace({chinese}, '{old}', '{new}')"
    chinese = f"rtrim(replace({chinese}, '秒', ''), ' :')"  # 2019年3月7日 8时5分 → 2019-3-7  8:5
    return (
        f"CASE substr({s}, 5, 1)"
        f" WHEN '-' THEN CASE WHEN {_match(s, _FAST_DASH)} THEN TRY_CAST({s} AS TIMESTAMP) END"
        f" WHEN '/' THEN CASE WHEN {_match(s, _FAST_SLASH)} THEN TRY_CAST(replace({s}, '/', '-') AS TIMESTAMP) END"
        f" WHEN '.' THEN CASE WHEN {_match(s, _FAST_DOT)} THEN TRY_CAST(replace({s}, '.', '-') AS TIMESTAMP) END"
        f" WHEN '年' THEN CASE WHEN {_match(s, _FAST_CHINESE)} THEN TRY_CAST({chinese} AS TIMESTAMP) END"
        f" ELSE CASE WHEN length({s}) = 8 AND {_match(s, '[0-9]{8}')} THEN try_strptime({s}, '%Y%m%d')"
        f" WHEN length({s}) = 14 AND {_match(s, '[0-9]{14}')} THEN try_strptime({s}, '%Y%m%d%H%M%S')"
        f" WHEN length({s}) = 17 AND {_match(s, '[0-9]{17}')} THEN try_strptime({s}, '%Y%m%d%H%M%S%g') END END"
    )


def _sql_epoch_us(s: str) -> str:
    return f"CAST({s} AS BIGINT) * CASE WHEN length({s}) = 10 THEN {_US} ELSE 1000 END"


def _sql_shanghai_instant(s: str, ts: str) -> str:
    """The TIMESTAMPTZ of ``ts``, the Shanghai wall-clock TIMESTAMP written in ``s`` (which starts with
    the year): plain UTC+8 from 1992, ICU before."""
    return (
        f"CASE WHEN substr({s}, 1, 4) >= '{_FIXED_YEAR}' THEN make_timestamptz(epoch_us({ts}) - {_CST_US})"
        f" ELSE timezone('Asia/Shanghai', {ts}) END"
    )


def _sql_shanghai_date(us: str) -> str:
    """The Shanghai DATE of the instant ``us`` (µs since the epoch): arithmetic from 1992 (plain UTC+8), the
    zone rules before (an epoch written with leading zeros, such as 0556212732, falls in the summer time of
    1987)."""
    return (
        f"CASE WHEN {us} >= {_FIXED_INSTANT_US} THEN make_date(CAST(({us} + {_CST_US}) // {_DAY_US} AS INTEGER))"
        f" ELSE {_sql_instant_date(f'make_timestamptz({us})')} END"
    )


def _sql_instant_date(tstz: str) -> str:
    return f"CAST(timezone('Asia/Shanghai', {tstz}) AS DATE)"


# --- the types ------------------------------------------------------------------------------------

_REASONS = {
    "format": ("无法识别的日期时间格式", "not a recognizable date or date-time"),
    "ambiguous": (
        "日期有歧义（两位年份，或日、月在前），请按年-月-日书写",
        "ambiguous date (two-digit year, or day or month first): write year-month-day",
    ),
    "invalid_date": ("日期不存在（如2月30日、13月）", "no such date (e.g. 30 February, month 13)"),
    "invalid_time": (
        "时间不存在（如25时、61分）或时区偏移无效",
        "no such time of day (e.g. 25:00, 08:61) or an impossible UTC offset",
    ),
    "out_of_range": ("年份超出允许范围", "year outside the accepted range"),
}


class _Temporal(ElementType):
    """What ``datetime`` and ``date`` share: parsing, and the accepted years."""

    reasons: ClassVar = _REASONS

    def __init__(self, min_year: int = 1900, max_year: int = 2100) -> None:
        if not 1900 <= min_year <= max_year <= 9998:
            raise ValueError(f"bad year range {min_year}–{max_year}")
        self.min_year, self.max_year = min_year, max_year
        self._low_us = _instant_us(dt.datetime(min_year, 1, 1, tzinfo=SHANGHAI))
        self._high_us = _instant_us(dt.datetime(max_year + 1, 1, 1, tzinfo=SHANGHAI))

    def _instant(self, parts: Parts) -> int | None:
        """The instant (µs since the epoch) of an input with an offset or an epoch; None if out of range."""
        y, mo, d, h, mi, sec, us, offset, instant = parts
        if instant is None:
            if not self.min_year - 1 <= y <= self.max_year + 1:
                return None
            instant = _local_us(y, mo, d, h, mi, sec, us) - (offset or 0) * _US
        return instant if self._low_us <= instant < self._high_us else None

    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        # Only how TIMESTAMPTZ values reach Python depends on it: they arrive in Asia/Shanghai, as check() gives.
        con.execute("SET TimeZone = 'Asia/Shanghai'")

    @abc.abstractmethod
    def _sql_value(self, s: str, canonical: bool) -> str:
        """Expression of ``s`` (the raw text, or the canonical text) giving the value of the forms its
        path takes, else NULL."""

    def sql_normalize(self, raw: str) -> str:
        # coalesce computes the general path only for the rows the fast path leaves without a value
        clean = _sql_clean(raw)
        general = f"list_transform([{_sql_canonical(clean)}], lambda c: {self._sql_value('c', canonical=True)})[1]"
        return (
            f"coalesce({self._sql_value(raw, canonical=False)}, CASE WHEN {_match(clean, STRICT)} THEN {general} END)"
        )

    def _sql_reason(self, norm: str, raw: str, valid_reason: str) -> str:
        clean = _sql_clean(raw)
        date_part = f"split_part({_sql_canonical(clean)}, ' ', 1)"
        return (
            f"CASE WHEN {norm} IS NOT NULL THEN {valid_reason}"
            f" WHEN {raw} IS NULL OR {clean} = '' THEN NULL"
            f" WHEN NOT {_match(clean, STRICT)}"
            f" THEN CASE WHEN {_match(clean, AMBIGUOUS)} THEN 'ambiguous' ELSE 'format' END"
            f" WHEN TRY_CAST({date_part} AS DATE) IS NULL THEN 'invalid_date' ELSE 'invalid_time' END"
        )


class DateTimeType(_Temporal):
    name = "datetime"
    label_zh = "日期时间"
    label_en = "date and time"
    sql_type = "TIMESTAMPTZ"

    def check(self, raw: object) -> Checked:
        parts = _parse(raw)
        if parts is None:
            return Checked(None)
        if isinstance(parts, str):
            return self.fail(parts)
        y, mo, d, h, mi, sec, us, offset, instant = parts
        if offset is None and instant is None:
            if not self.min_year <= y <= self.max_year:
                return self.fail("out_of_range")
            return Checked(_from_wall(y, mo, d, h, mi, sec, us))
        instant = self._instant(parts)
        return self.fail("out_of_range") if instant is None else Checked(_from_instant(instant))

    def _sql_value(self, s: str, canonical: bool) -> str:
        if canonical:
            wall = f"WHEN {_match(s, _CANON_WALL)} THEN {_sql_shanghai_instant(s, f'TRY_CAST({s} AS TIMESTAMP)')}"
            return (
                f"CASE WHEN {_match(s, _FAST_EPOCH)} THEN make_timestamptz({_sql_epoch_us(s)}) {wall}"
                f" WHEN {_match(s, _CANON_ZONED)} THEN TRY_CAST({s} AS TIMESTAMPTZ) END"
            )
        return (
            f"coalesce({_sql_shanghai_instant(s, _sql_fast_wall(s))},"
            f" CASE WHEN {_match(s, _FAST_EPOCH)} THEN make_timestamptz({_sql_epoch_us(s)})"
            f" WHEN {_match(s, _FAST_ZONED)} THEN TRY_CAST({s} AS TIMESTAMPTZ) END)"
        )

    def sql_reason(self, norm: str, raw: str) -> str:
        low, high = f"make_timestamptz({self._low_us})", f"make_timestamptz({self._high_us})"
        return self._sql_reason(norm, raw, f"CASE WHEN {norm} < {low} OR {norm} >= {high} THEN 'out_of_range' END")


class DateType(_Temporal):
    name = "date"
    label_zh = "日期"
    label_en = "date"
    sql_type = "DATE"

    def check(self, raw: object) -> Checked:
        parts = _parse(raw)
        if parts is None:
            return Checked(None)
        if isinstance(parts, str):
            return self.fail(parts)
        y, mo, d, _, _, _, _, offset, instant = parts
        if offset is None and instant is None:
            if not self.min_year <= y <= self.max_year:
                return self.fail("out_of_range")
            value = dt.date(y, mo, d)
        else:
            instant = self._instant(parts)
            if instant is None:
                return self.fail("out_of_range")
            if instant >= _FIXED_INSTANT_US:
                value = dt.date.fromordinal(_EPOCH_ORDINAL + (instant + _CST_US) // _DAY_US)
            else:
                value = _from_instant(instant).date()
        return self._after(value)

    def _after(self, value: dt.date) -> Checked:
        return Checked(value)

    def _sql_value(self, s: str, canonical: bool) -> str:
        epoch = f"WHEN {_match(s, _FAST_EPOCH)} THEN {_sql_shanghai_date(_sql_epoch_us(s))}"
        zoned = _CANON_ZONED if canonical else _FAST_ZONED
        zoned = f"WHEN {_match(s, zoned)} THEN {_sql_instant_date(f'TRY_CAST({s} AS TIMESTAMPTZ)')}"
        if canonical:
            wall = f"WHEN {_match(s, _CANON_WALL)} THEN CAST(TRY_CAST({s} AS TIMESTAMP) AS DATE)"
            return f"CASE {epoch} {wall} {zoned} END"
        return f"coalesce(CAST({_sql_fast_wall(s)} AS DATE), CASE {epoch} {zoned} END)"

    def _sql_valid_reason(self, norm: str) -> str:
        low, high = sql_literal(f"{self.min_year:04d}-01-01"), sql_literal(f"{self.max_year:04d}-12-31")
        return f"CASE WHEN {norm} < DATE {low} OR {norm} > DATE {high} THEN 'out_of_range'"

    def sql_reason(self, norm: str, raw: str) -> str:
        return self._sql_reason(norm, raw, self._sql_valid_reason(norm) + " END")


class PastDateType(DateType):
    """A date that cannot be in the future: birth dates, dates of past events.

    ``today`` gives the current date (default: today in Asia/Shanghai); the SQL form takes it once, when
    the expression is built.
    """

    name = "past_date"
    label_zh = "日期（不晚于今天）"
    label_en = "date (not in the future)"
    reasons: ClassVar = {**_REASONS, "future": ("日期晚于今天", "date is after today")}

    def __init__(self, today: Callable[[], dt.date] | None = None, **years: int) -> None:
        super().__init__(**years)
        self.today = today or (lambda: dt.datetime.now(SHANGHAI).date())

    def _after(self, value: dt.date) -> Checked:
        return self.fail("future") if value > self.today() else Checked(value)

    def sql_reason(self, norm: str, raw: str) -> str:
        today = sql_literal(self.today().isoformat())
        valid_reason = self._sql_valid_reason(norm) + f" WHEN {norm} > DATE {today} THEN 'future' END"
        return self._sql_reason(norm, raw, valid_reason)


ELEMENT_TYPES = [DateTimeType(), DateType(), PastDateType()]


# --- written forms, for tests and the synthetic province ------------------------------------------

# form → the precision it keeps
FORMS: dict[str, str] = {
    "iso_date": "date",  # 2019-03-07
    "slash_date": "date",  # 2019/3/7
    "dot_date": "date",  # 2019.3.7
    "compact_date": "date",  # 20190307
    "chinese_date": "date",  # 2019年3月7日
    "chinese_date_padded": "date",  # 2019年03月07日
    "iso_minute": "minute",  # 2019-03-07 08:05
    "iso_second": "second",  # 2019-03-07 08:05:09
    "iso_t": "second",  # 2019-03-07T08:05:09
    "iso_short_hour": "second",  # 2019-03-07 8:05:09
    "slash_minute": "minute",  # 2019/3/7 8:05
    "compact_second": "second",  # 20190307080509
    "compact_millisecond": "millisecond",  # 20190307080509123
    "chinese_second": "second",  # 2019年3月7日 8时5分9秒
    "chinese_minute": "minute",  # 2019年3月7日8时5分
    "iso_millisecond": "millisecond",  # 2019-03-07 08:05:09.123
    "iso_microsecond": "microsecond",  # 2019-03-07 08:05:09.123456
    "iso_utc": "microsecond",  # 2019-03-07T00:05:09.123456Z
    "iso_offset": "microsecond",  # 2019-03-06T19:05:09.123456-05:00
    "epoch_seconds": "second",  # 1551917109 (from 2001-09-09)
    "epoch_milliseconds": "millisecond",  # 1551917109123 (from 2001-09-09)
}
EPOCH_FORMS_FROM = dt.datetime(2001, 9, 9, 1, 46, 40, tzinfo=_UTC)  # the first 10-digit epoch second
_MINUS_5 = dt.timezone(dt.timedelta(hours=-5))


def render(value: dt.datetime, form: str) -> str:
    """``value`` (aware) written in ``form`` (a key of ``FORMS``), as a source system would write it."""
    t = value.astimezone(SHANGHAI)
    y, mo, d, h, mi, s, us = t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond
    ms = us // 1000
    if form.startswith("epoch_"):
        if value < EPOCH_FORMS_FROM:
            raise ValueError(f"{form} cannot write a time before {EPOCH_FORMS_FROM}")
        instant = _instant_us(value)
        return str(instant // _US if form == "epoch_seconds" else instant // 1000)
    if form == "iso_utc":
        return value.astimezone(_UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if form == "iso_offset":
        return value.astimezone(_MINUS_5).isoformat(timespec="microseconds")
    return {
        "iso_date": f"{y:04}-{mo:02}-{d:02}",
        "slash_date": f"{y}/{mo}/{d}",
        "dot_date": f"{y}.{mo}.{d}",
        "compact_date": f"{y:04}{mo:02}{d:02}",
        "chinese_date": f"{y}年{mo}月{d}日",
        "chinese_date_padded": f"{y}年{mo:02}月{d:02}日",
        "iso_minute": f"{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}",
        "iso_second": f"{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}",
        "iso_t": f"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}",
        "iso_short_hour": f"{y:04}-{mo:02}-{d:02} {h}:{mi:02}:{s:02}",
        "slash_minute": f"{y}/{mo}/{d} {h}:{mi:02}",
        "compact_second": f"{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}",
        "compact_millisecond": f"{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{ms:03}",
        "chinese_second": f"{y}年{mo}月{d}日 {h}时{mi}分{s}秒",
        "chinese_minute": f"{y}年{mo}月{d}日{h}时{mi}分",
        "iso_millisecond": f"{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}",
        "iso_microsecond": f"{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}",
    }[form]


def generate(
    rng: random.Random,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    form: str | None = None,
    messy: float = 0.2,
) -> str:
    """A valid written date-time between ``start`` and ``end`` (aware; default 1900–2100) in ``form`` (default:
    any that can write it); with probability ``messy`` each, in full-width characters and with stray blanks."""
    start = start or dt.datetime(1900, 1, 1, tzinfo=SHANGHAI)
    end = end or dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)
    value = _from_instant(rng.randrange(_instant_us(start), _instant_us(end)))
    if form is None:
        form = rng.choice([f for f in FORMS if value >= EPOCH_FORMS_FROM or not f.startswith("epoch_")])
    text = render(value, form)
    if rng.random() < messy:
        text = text.translate(_TO_FULLWIDTH)
    if rng.random() < messy:
        text = " " + re.sub("([-/年月日])", r" \1 ", text, count=2) + "\u3000"
    return text


_TO_FULLWIDTH = str.maketrans(HALFWIDTH_CHARS[:-1], FULLWIDTH_CHARS[:-1])
