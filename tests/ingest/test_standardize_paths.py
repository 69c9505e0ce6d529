"""Every way of standardizing a property gives exactly what the plain per-row way gives.

Repetitive properties are standardized once per distinct value; their values come back by a join on the
lookup, or by a plain expression of the raw text (the text itself, a cast) plus a join on its exceptions,
typed as an ENUM when there are few; a daily file's records are written straight into their partition.
Each test ingests the same files through two paths and compares every table cell by cell.
"""

from __future__ import annotations

import random
import re
import textwrap

import pytest

from policecloud.data.ingest import lookups, standardize
from policecloud.data.ingest.mapping import load_mapping, load_mappings
from policecloud.data.ingest.run import ingest_source
from policecloud.data.warehouse import open_warehouse

PER_ROW = {"MIN_ROWS_TO_DEDUPLICATE": 10**12}
LOOKUPS = {"MIN_ROWS_TO_DEDUPLICATE": 0, "DEDUP_MAX_DISTINCT_SHARE": 1.0}
PATHS = {
    "lookups": (LOOKUPS, {}),
    "full joins": (LOOKUPS, {"MAX_EXCEPTION_SHARE": -1.0}),
    "no enums": (LOOKUPS, {"ENUM_MAX_VALUES": 0}),
}


def contents(warehouse) -> dict[str, list[tuple]]:
    """Every committed row of every table, sorted, without the ingest time (which differs between runs)."""
    con = warehouse.connect()
    try:
        found = {}
        for table in warehouse.tables():
            columns = [f'"{r[0]}"' for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "ingested_at"]
            rows = con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            found[table] = sorted(rows, key=repr)
        return found
    finally:
        con.close()


def ingest_with(monkeypatch, warehouse_dir, mappings, sources, schema, settings, built=None):
    """Ingest with the module settings of standardize and lookups patched; ``built`` collects the lookups."""
    std_settings, lookup_settings = settings
    with monkeypatch.context() as patch:
        for key, value in std_settings.items():
            patch.setattr(standardize, key, value)
        for key, value in lookup_settings.items():
            patch.setattr(lookups, key, value)
        if built is not None:
            original = lookups.build

            def spy(*args, **kwargs):
                built.append(original(*args, **kwargs))
                return built[-1]

            patch.setattr(lookups, "build", spy)
        warehouse = open_warehouse(warehouse_dir)
        reports = [r for m in mappings for r in ingest_source(warehouse, m, sources, schema)]
    return warehouse, [r.as_dict() | {"seconds": 0} for r in reports]


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_fixture_sources_land_identically_through_lookups(path, monkeypatch, tmp_path, province, schema):
    """Small files are standardized per row; forced through the lookups they must give the same warehouse."""
    sources, mappings_dir = province
    mappings = list(load_mappings(mappings_dir, schema).values())
    expected, expected_reports = ingest_with(monkeypatch, tmp_path / "a", mappings, sources, schema, (PER_ROW, {}))
    built: list[lookups.Lookup] = []
    got, reports = ingest_with(monkeypatch, tmp_path / "b", mappings, sources, schema, PATHS[path], built)
    assert contents(got) == contents(expected)
    assert reports == expected_reports
    # The fixture reaches every branch of the path under test.
    shapes = {(b.surrogate is not None, b.exceptions is not None, b.enum is not None) for b in built}
    if path == "lookups":
        assert {(True, False, True), (True, True, True), (True, True, False), (False, False, False)} <= shapes
    elif path == "full joins":
        assert {s[0] for s in shapes} == {False}
    else:
        assert {s[2] for s in shapes} == {False} and (True, True, False) in shapes


PASSES_MAPPING = """\
source: passes
label: {zh: 过车, en: passes}
entity: CheckpointPass
reader: {format: csv, path: "*.csv"}
partition_by: [date]
properties:
  plate: {column: 号牌号码}
  plate_type: {column: 号牌种类}
  checkpoint_id: {column: 卡口编号}
  time: {column: 过车时间}
  lane: {column: 车道号}
  speed: {column: 车速}
  vehicle_color: {column: 车身颜色}
"""


def passes_csv(rng: random.Random, rows: int, days: list[str]) -> str:
    """Checkpoint passes with the mess of real exports, enough rows for the lookups to be chosen by themselves."""
    lines = ["号牌号码,号牌种类,卡口编号,过车时间,车道号,车速,车身颜色"]
    for _ in range(rows):
        n = rng.randrange(500)
        plate = rng.choice([f"鄂A{n:05d}", f"鄂a·{n:05d}", f"鄂AD{n:05d}", f"鄂A{n:04d}I", "", "  ", "鄂Ａ１２３４５"])
        day = rng.choice(days)
        second = rng.randrange(86400)
        clock = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        forms = [f"{day} {clock}", day.replace("-", "") + clock.replace(":", ""), "", "2024-13-01 00:00:00", "x"]
        time = rng.choices(forms, weights=[60, 37, 1, 1, 1])[0]  # 3 % missing or invalid: rows rejected
        lane = rng.choice(["1", "2", "3", "4", "", "x"])
        speed = rng.choice(["60", "72.5", "110", "-", ""])
        color = rng.choice(["A", "B", "J", "Z", ""])
        checkpoint = rng.choice([f"KK{rng.randrange(40):05d}", ""]) if rng.random() < 0.01 else f"KK{n % 40:05d}"
        plate_type = rng.choice(["02", "52", "01"])
        lines.append(f"{plate},{plate_type},{checkpoint},{time},{lane},{speed},{color}")
    return "\n".join(lines) + "\n"


def test_large_daily_and_multi_day_files_land_as_they_would_row_by_row(monkeypatch, tmp_path, schema):
    """Larger files choose the lookups themselves (the times, nearly all distinct, stay per row); the records,
    quarantine and counts are the per-row ones, whether the file holds one day (written straight into its
    partition) or several."""
    sources = tmp_path / "sources"
    sources.mkdir()
    rng = random.Random(7)
    (sources / "2024-05-01.csv").write_text(passes_csv(rng, 12_000, ["2024-05-01"]), encoding="utf-8")
    (sources / "mixed.csv").write_text(passes_csv(rng, 12_000, ["2024-05-02", "2024-05-03"]), encoding="utf-8")
    (tmp_path / "passes.yaml").write_text(textwrap.dedent(PASSES_MAPPING), encoding="utf-8")
    mapping = load_mapping(tmp_path / "passes.yaml", schema)
    expected, expected_reports = ingest_with(monkeypatch, tmp_path / "a", [mapping], sources, schema, (PER_ROW, {}))
    built: list[lookups.Lookup] = []
    by_share = ({"MIN_ROWS_TO_DEDUPLICATE": 10_000}, {})  # the default share rule decides, on smaller files
    got, reports = ingest_with(monkeypatch, tmp_path / "b", [mapping], sources, schema, by_share, built)
    # Every property but the time (nearly every value distinct) went through a lookup, in both files.
    repeated = [f'"pv_{f.prop}"' for f in mapping.fields if f.prop != "time"]
    assert sorted(b.table for b in built) == sorted(repeated * 2)
    assert contents(got) == contents(expected)
    assert reports == expected_reports
    daily, mixed = reports
    assert daily["rows_quarantined"] > 0 and daily["rows_landed"] > 11_000 and daily["reconciled"]
    days = got.sql("SELECT batch, count(DISTINCT day) FROM checkpoint_pass GROUP BY batch ORDER BY 2")
    assert days == [(daily["batch_id"], 1), (mixed["batch_id"], 2)]


def test_record_ids_checked_where_used_land_as_when_stored(monkeypatch, tmp_path, schema):
    """Pass ids are standardized per row. Their type says cheaply when a text already is its valid value, so
    ``work`` is a view and the normalization runs only on the other ids; without that shortcut the values are
    computed once into a table. Both give the same warehouse, messy ids included."""
    sources = tmp_path / "sources"
    sources.mkdir()
    rng = random.Random(11)
    lines = passes_csv(rng, 12_000, ["2024-05-01"]).splitlines()
    # Times from sixty values, so that only the ids are standardized per row.
    date = re.compile(r"2024-?05-?01[ 0-9:]*")
    lines = lines[:1] + [date.sub(f"2024-05-01 08:00:{i % 60:02d}", x) for i, x in enumerate(lines[1:])]
    messy = ["Ｐ１２", "P  12", " P12", "P12\t", '"P\x0112"', "", "x" * 1001, "P·12"]
    ids = [rng.choice(messy) if rng.random() < 0.05 else f"P{i:08d}" for i in range(len(lines) - 1)]
    rows = ["过车编号," + lines[0]] + [f"{i},{line}" for i, line in zip(ids, lines[1:], strict=True)]
    (sources / "2024-05-01.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "passes.yaml").write_text(textwrap.dedent(PASSES_MAPPING) + "  id: {column: 过车编号}\n", "utf-8")
    mapping = load_mapping(tmp_path / "passes.yaml", schema)
    by_share = ({"MIN_ROWS_TO_DEDUPLICATE": 10_000}, {})
    kinds: list[bool] = []
    original = standardize.all_unchanged_valid
    monkeypatch.setattr(standardize, "all_unchanged_valid", lambda props: kinds.append(original(props)) or kinds[-1])
    got, reports = ingest_with(monkeypatch, tmp_path / "a", [mapping], sources, schema, by_share)
    monkeypatch.setattr(type(mapping.field("id").etype), "sql_unchanged_valid", lambda self, raw: None)
    expected, expected_reports = ingest_with(monkeypatch, tmp_path / "b", [mapping], sources, schema, by_share)
    assert kinds == [True, False]  # a view the first time, a table the second
    assert contents(got) == contents(expected)
    assert reports == expected_reports
    reasons = reports[0]["reasons"]
    assert reasons["string.control"] and reasons["string.length"] and reasons["required.missing"]
