"""The upper three levels of an address (province, prefecture, county), read from the start of the text.

Names come from the GB/T 2260 table (:mod:`policecloud.data.model.divisions`): full names, former names (襄樊市,
监利县, 郧县) and the short forms the table accepts (武汉, 恩施州, 长阳县, 神农架). Reading is anchored: the
longest known name at the current position is taken if it lies below what was already read, and reading stops
at the first position holding no division. A former name resolves to today's unit (监利县 → 监利市 421088).

Three guards keep names inside street names from being read as divisions:
* a short form followed by a street, township or place suffix is not a division (江汉路, 黄陂路, 武汉大学,
  洪山镇, 东湖路 — 东湖 is a district of 南昌);
* when the longest name at a position is refused, no shorter one is tried there (黄石港街道 is not 黄石 + 港…);
* a name that contradicts what was read (武汉市宜都市, 武汉市恩施州) is reported as a conflict and skipped, unless
  it is a short form without a level suffix (东湖风景区 in 武汉 is no conflict with 南昌's 东湖区).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from policecloud.data.model.divisions import Division, Divisions, short_forms

_LEVEL_SUFFIXES = frozenset("省市州县区盟旗")
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

# What may follow a short division name when it is in fact part of a longer name.
_NOT_AFTER_SHORT = re.compile(
    r"[东西南北中]?[一二三四五六七八九十0-9]*(?:路|街|大道|巷|胡同|道)"
    r"|镇|乡|村|社区|小区|花园|广场|大学|学院|医院|公园|中学|小学|大厦|大桥|桥|湖|山|港|口|站|机场|码头"
)


@dataclass(frozen=True, slots=True)
class UpperLevels:
    """What the start of an address says about its divisions."""

    province: Division | None = None
    city: Division | None = None  # the prefecture-level unit (see ``city_name``)
    county: Division | None = None
    start: int = 0  # index in the text where the first division name starts
    end: int = 0  # index in the text just after the last division name read
    conflicts: tuple[str, ...] = ()  # division names that contradict the ones read before them
    found: bool = False  # whether the text named any division (as opposed to nothing read)


class DivisionMatcher:
    """Prefix look-up of division names, built once per division table (see :func:`matcher_for`)."""

    def __init__(self, divisions: Divisions, home_province: str = "420000") -> None:
        self.divisions = divisions
        self.home_province = home_province
        # name → (units called so today, units called so formerly, whether it is a full or former name)
        self._names: dict[str, tuple[tuple[Division, ...], tuple[Division, ...], bool]] = {}
        for d in divisions:
            if d.grouping:
                continue
            full = (d.name, *d.former_names)
            for name in (*full, *(f for n in full for f in short_forms(n))):
                if name in self._names:
                    continue
                found = divisions.find(name)
                if not found:
                    continue  # a short form the table refuses as ambiguous
                is_full = any(name == f.name or name in f.former_names for f in found)
                # Units called so today come first: 宜昌 is 宜昌市 before 夷陵区 (formerly 宜昌县).
                resolved: list[Division] = []
                for f in found:
                    now = divisions.current(f.code) or f
                    if now not in resolved:
                        resolved.append(now)
                today = [r for r in resolved if name == r.name or name in short_forms(r.name)]
                self._names[name] = (tuple(today), tuple(r for r in resolved if r not in today), is_full)
        self._max_len = max(len(n) for n in self._names)
        self._above: dict[str, frozenset[str]] = {}  # code → codes of its ancestors, filled as needed

    def _is_below(self, d: Division, above: Division) -> bool:
        codes = self._above.get(d.code)
        if codes is None:
            codes = self._above[d.code] = frozenset(a.code for a in self.divisions.ancestors(d.code))
        return above.code in codes

    # --- reading -----------------------------------------------------------------------------------------
    def read(self, text: str, start: int = 0) -> UpperLevels:
        """Read the division names at the start of ``text[start:]``, stopping at the first non-division."""
        pos, deepest, conflicts, found = start, None, [], False
        while pos < len(text):
            hit = self._longest(text, pos)
            if hit is None:
                break
            name, today, formerly, is_full = hit
            after = text[pos + len(name) :]
            if not is_full and _NOT_AFTER_SHORT.match(after):
                break
            choice = self._choose(today, deepest) or self._choose(formerly, deepest)
            upper = self._upper_alternative(choice, today, text, pos + len(name))
            choice = upper or choice
            if choice is None:
                named = is_full or name[-1] in _LEVEL_SUFFIXES  # 恩施州 names a division, 东湖 may not
                if named and not any(self._is_same_or_above(c, deepest) for c in today + formerly):
                    conflicts.append(name)
                    pos += len(name)
                break
            deepest, found, pos = choice, True, pos + len(name)
            if choice.level == "county":
                break
        return self._levels(deepest, start, pos if found else start, tuple(conflicts), found)

    def _longest(self, text: str, pos: int) -> tuple[str, tuple[Division, ...], tuple[Division, ...], bool] | None:
        for length in range(min(self._max_len, len(text) - pos), 1, -1):
            name = text[pos : pos + length]
            entry = self._names.get(name)
            if entry is not None:
                return name, *entry
        return None

    def _upper_alternative(
        self, choice: Division | None, candidates: tuple[Division, ...], text: str, after: int
    ) -> Division | None:
        """For a name shared by a unit and its own descendant (荆州: 荆州市 and 荆州区), the upper unit when a
        division below it follows (荆州沙市区); else None, and the descendant stands (恩施舞阳坝 → 恩施市)."""
        if choice is None:
            return None
        above = [c for c in candidates if c is not choice and self._is_below(choice, c)]
        if not above:
            return None
        nxt = self._longest(text, after)
        if nxt is not None and self._choose(nxt[1], above[0]) is not None:
            return above[0]
        return None

    def _is_same_or_above(self, d: Division, deepest: Division | None) -> bool:
        if deepest is None:
            return False
        return d.code == deepest.code or self._is_below(deepest, d)

    def _choose(self, candidates: tuple[Division, ...], deepest: Division | None) -> Division | None:
        """The candidate that lies below ``deepest`` (any, when nothing was read yet); ties go to the home
        province, then to the deeper unit (恩施 alone is 恩施市, which implies 恩施州), then to the table's order."""
        if deepest is not None:
            fitting = [c for c in candidates if self._is_below(c, deepest)]
        else:
            home = [c for c in candidates if c.code[:2] == self.home_province[:2]]
            fitting = home or list(candidates)
        if not fitting:
            return None
        for c in fitting:
            if any(self._is_below(c, other) for other in fitting if other is not c):
                return c
        return fitting[0]

    # --- filling the levels above ------------------------------------------------------------------------
    def _levels(
        self, deepest: Division | None, start: int, end: int, conflicts: tuple[str, ...], found: bool
    ) -> UpperLevels:
        if deepest is None:
            return UpperLevels(start=start, end=end, conflicts=conflicts, found=found)
        chain = [deepest, *self.divisions.ancestors(deepest.code)]
        by_level = {d.level: d for d in chain if not d.grouping}
        return UpperLevels(
            province=by_level.get("province"),
            city=by_level.get("prefecture"),
            county=by_level.get("county"),
            start=start,
            end=end,
            conflicts=conflicts,
            found=found,
        )

    def resolve_code(self, code: str) -> UpperLevels:
        """The levels of a division code (as cpca gives them), resolved to today's unit."""
        d = self.divisions.get(code)
        if d is None:
            return UpperLevels()
        d = self.divisions.current(code) or d
        return self._levels(d, 0, 0, (), True)

    def city_of(self, levels: UpperLevels) -> tuple[str | None, str | None]:
        """The ``city`` element and its code. A county-level unit directly under its province has no
        prefecture: a municipality's district takes the municipality (北京市, code 110100 when GB/T 2260 has
        that grouping code), and 仙桃, 潜江, 天门, 神农架 stand for themselves (city = county)."""
        if levels.city is not None:
            return levels.city.name, levels.city.code
        if levels.county is None or levels.province is None:
            return None, None
        if levels.province.code in MUNICIPALITIES:
            grouping = levels.county.code[:4] + "00"
            code = grouping if self.divisions.is_known(grouping) else levels.province.code
            return levels.province.name, code
        return levels.county.name, levels.county.code


@cache
def matcher_for(divisions: Divisions, home_province: str = "420000") -> DivisionMatcher:
    return DivisionMatcher(divisions, home_province)
