"""The GB/T 2260 administrative divisions of China, every revision since 1980, with their history.

The table is package data (``data/divisions.csv``, built by ``scripts/build_divisions.py``, whose docstring says
where every column comes from). :func:`load_divisions` reads it once; nothing happens at import time.

A code is *known* when any revision listed it (retired codes stay valid for old records such as ID numbers) and
*current* when today's list has it. Years are approximate to the year (see the build script): ``first_year`` 1980
means "1980 or earlier", and a retired code's ``last_year`` is the year its retirement was recorded.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

SQL_TABLE = "pc_divisions"
LEVELS = ("province", "prefecture", "county")

# Names of the 55 ethnic minorities (and 各, as in 各族) as they appear in names of autonomous areas, longest first:
# 土家 is stripped before 土. One-character names must be followed by 族 to be stripped (互助土族 → 互助).
# fmt: off
_ETHNIC = sorted((
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
    "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬",
    "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
    "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各",
), key=len, reverse=True)
# fmt: on
# Suffixes of division names, longest first; the short name is what is left (湖北省 → 湖北, 神农架林区 → 神农架).
# (Not 矿区: 井陉矿区 must not take 井陉 from 井陉县.)
# fmt: off
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "林区", "地区", "新区", "特区",
             "省", "市", "区", "县", "盟", "旗")
# fmt: on
# An autonomous prefecture, county or banner is also called by its stem plus the plain suffix (恩施州, 长阳县).
_PLAIN = {"自治州": "州", "自治县": "县", "自治旗": "旗"}


@dataclass(frozen=True, slots=True)
class Division:
    """One division code. ``grouping`` marks a code that groups units without being one (420101 市辖区,
    429000 省直辖县级行政区划); ``former_until[i]`` is the last year ``former_names[i]`` was used."""

    code: str
    name: str
    level: str
    parent: str | None
    first_year: int
    last_year: int | None
    successor: str | None
    lon: float | None
    lat: float | None
    former_names: tuple[str, ...] = ()
    former_until: tuple[int, ...] = ()
    grouping: bool = False

    @property
    def current(self) -> bool:
        return self.last_year is None

    def name_in(self, year: int) -> str:
        """The name the code had in ``year``."""
        for name, until in zip(self.former_names, self.former_until, strict=True):
            if year <= until:
                return name
        return self.name


def _strip_ethnic(stem: str) -> str:
    """Drop the ethnic names at the end of a stem while two characters or more remain (内蒙古 stays)."""
    changed = True
    while changed:
        changed = False
        for ethnic in _ETHNIC:
            for form in (ethnic + "族", ethnic) if len(ethnic) > 1 else (ethnic + "族",):
                if stem.endswith(form) and len(stem) - len(form) >= 2:
                    stem, changed = stem[: -len(form)], True
                    break
            if changed:
                break
    return stem


def short_forms(name: str) -> list[str]:
    """The short names a division is called by (before the ambiguity check): 恩施土家族苗族自治州 → 恩施, 恩施州."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治"):
                stem = _strip_ethnic(stem)
            if len(stem) < 2:
                return []
            forms = [stem]
            if suffix in _PLAIN and stem + _PLAIN[suffix] != name:
                forms.append(stem + _PLAIN[suffix])
            return forms
    return []


class Divisions:
    """Look-ups over the division table. Build it with :func:`load_divisions`."""

    def __init__(self, divisions: Iterable[Division]) -> None:
        self._by_code = {d.code: d for d in divisions}
        self._children: dict[str, list[Division]] = defaultdict(list)
        for d in sorted(self._by_code.values(), key=lambda d: d.code):
            if d.parent and not d.grouping:
                self._children[d.parent].append(d)
        self._earliest = min(d.first_year for d in self._by_code.values())
        self._by_name = self._index_names()
        self._arrow: pa.Table | None = None

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self):
        return iter(self._by_code.values())

    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    # --- single codes ---------------------------------------------------------------------------------------
    def get(self, code: str, year: int | None = None) -> Division | None:
        """The division of ``code``; with ``year``, only if the code was in use that year, under its name then."""
        d = self._by_code.get(code)
        if d is None or year is None:
            return d
        if (year < d.first_year and d.first_year > self._earliest) or (d.last_year and year > d.last_year):
            return None
        name = d.name_in(year)
        return d if name == d.name else dataclasses.replace(d, name=name)

    def is_known(self, code: str) -> bool:
        return code in self._by_code

    def is_current(self, code: str) -> bool:
        d = self._by_code.get(code)
        return d is not None and d.current

    def current(self, code: str) -> Division | None:
        """The current division that ``code`` became, following successors (421023 监利县 → 421088 监利市);
        None when unknown or retired without a successor."""
        d = self._by_code.get(code)
        seen = set()
        while d is not None and not d.current and d.successor and d.code not in seen:
            seen.add(d.code)
            d = self._by_code.get(d.successor)
        return d if d is not None and d.current else None

    # --- hierarchy ------------------------------------------------------------------------------------------
    def ancestors(self, code: str) -> list[Division]:
        """The divisions above ``code``, nearest first: 420111 → [420100 武汉市, 420000 湖北省]."""
        chain = []
        d = self._by_code.get(code)
        while d is not None and d.parent:
            d = self._by_code.get(d.parent)
            if d is not None:
                chain.append(d)
        return chain

    def children(self, code: str, current_only: bool = True) -> list[Division]:
        """The units directly under ``code`` (grouping codes left out): 湖北省 → 12 prefectures, 恩施州 and the
        four county-level units under the province itself (仙桃, 潜江, 天门, 神农架)."""
        return [d for d in self._children.get(code, []) if d.current or not current_only]

    def province_of(self, code: str) -> Division | None:
        return self._by_code.get(code[:2] + "0000") if code in self._by_code else None

    def prefecture_of(self, code: str) -> Division | None:
        """The prefecture-level unit containing ``code``: itself for a prefecture, and for a county-level unit
        directly under a province (429004 仙桃市, 110101 东城区); None for a province or an unknown code."""
        d = self._by_code.get(code)
        if d is None or d.level == "province":
            return None
        if d.level == "prefecture":
            return d
        parent = self._by_code.get(d.parent or "")
        return parent if parent is not None and parent.level == "prefecture" else d

    def full_name(self, code: str) -> str | None:
        """Names from the province down: 湖北省武汉市洪山区."""
        d = self._by_code.get(code)
        if d is None:
            return None
        return "".join(a.name for a in reversed(self.ancestors(code))) + d.name

    # --- names ----------------------------------------------------------------------------------------------
    def find(self, name: str, within: str | None = None) -> list[Division]:
        """Divisions called ``name`` (full, short or former name: 武汉 / 武汉市, 恩施州, 神农架, 襄樊), current first,
        then by level and code; ``within`` keeps those under that code."""
        key = "".join(name.split())
        found = [self._by_code[c] for c in self._by_name.get(key, ())]
        if within is not None:
            found = [d for d in found if within in {a.code for a in self.ancestors(d.code)}]
        return sorted(found, key=lambda d: (not d.current, LEVELS.index(d.level), d.code))

    def _index_names(self) -> dict[str, set[str]]:
        """Full and former names as they are; short forms only where they name one unit among its siblings.
        Current names claim short forms first, so 监利 is 监利市 although the retired 监利县 shares the stem."""
        index: dict[str, set[str]] = defaultdict(set)
        units = [d for d in self._by_code.values() if not d.grouping]
        for d in units:
            for name in (d.name, *d.former_names):
                index[name].add(d.code)
        siblings: dict[str, list[Division]] = defaultdict(list)
        for d in units:
            siblings[d.parent or ""].append(d)
        for group in siblings.values():
            full_names = {n for d in group for n in (d.name, *d.former_names)}
            claimed: set[str] = set()
            for current_pass in (True, False):
                counts: dict[str, set[str]] = defaultdict(set)
                for d in group:
                    if current_pass:
                        names = [d.name] if d.current else []
                    else:
                        names = [*d.former_names, *([] if d.current else [d.name])]
                    for n in names:
                        for form in short_forms(n):
                            counts[form].add(d.code)
                for form, codes in counts.items():
                    if len(codes) == 1 and form not in claimed and form not in full_names:
                        index[form] |= codes
                claimed |= set(counts)
        return index

    # --- tables ---------------------------------------------------------------------------------------------
    def arrow_table(self) -> pa.Table:
        """The table as Arrow, with derived columns for SQL: ``current_code`` (see :meth:`current`),
        ``province``, ``prefecture`` (see :meth:`prefecture_of`) and ``full_name``."""
        if self._arrow is not None:
            return self._arrow
        import pyarrow as pa

        rows = sorted(self._by_code.values(), key=lambda d: d.code)

        def code_of(d: Division | None) -> str | None:
            return d.code if d is not None else None

        self._arrow = pa.table(
            {
                "code": [d.code for d in rows],
                "name": [d.name for d in rows],
                "level": [d.level for d in rows],
                "parent": [d.parent for d in rows],
                "grouping": [d.grouping for d in rows],
                "first_year": pa.array([d.first_year for d in rows], pa.int32()),
                "last_year": pa.array([d.last_year for d in rows], pa.int32()),
                "successor": [d.successor for d in rows],
                "current_code": [code_of(self.current(d.code)) for d in rows],
                "province": [code_of(self.province_of(d.code)) for d in rows],
                "prefecture": [code_of(self.prefecture_of(d.code)) for d in rows],
                "full_name": [self.full_name(d.code) for d in rows],
                "lon": pa.array([d.lon for d in rows], pa.float64()),
                "lat": pa.array([d.lat for d in rows], pa.float64()),
                "former_names": ["|".join(d.former_names) or None for d in rows],
            }
        )
        return self._arrow

    def sql_setup(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the DuckDB table ``pc_divisions`` (once per database; later calls do nothing)."""
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema()",
            [SQL_TABLE],
        ).fetchall()[0][0]
        if exists:
            return
        source = "_pc_divisions_arrow"
        con.register(source, self.arrow_table())
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS {SQL_TABLE} AS SELECT * FROM {source}")
        finally:
            con.unregister(source)


def _parse(row: dict[str, str]) -> Division:
    def number(text: str) -> float | None:
        return float(text) if text else None

    former = tuple(row["former_names"].split("|")) if row["former_names"] else ()
    until = tuple(int(y) for y in row["former_until"].split("|")) if row["former_until"] else ()
    return Division(
        code=row["code"],
        name=row["name"],
        level=row["level"],
        parent=row["parent"] or None,
        first_year=int(row["first_year"]),
        last_year=int(row["last_year"]) if row["last_year"] else None,
        successor=row["successor"] or None,
        lon=number(row["lon"]),
        lat=number(row["lat"]),
        former_names=former,
        former_until=until,
        grouping=row["kind"] == "grouping",
    )


@cache
def load_divisions() -> Divisions:
    """The division table shipped with the package (read once, then cached)."""
    text = resources.files("policecloud.data.model").joinpath("data", "divisions.csv").read_text(encoding="utf-8")
    return Divisions(_parse(row) for row in csv.DictReader(io.StringIO(text)))


def setup_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``pc_divisions`` in ``con`` if it is not there yet (used by the SQL forms of element types)."""
    load_divisions().sql_setup(con)
