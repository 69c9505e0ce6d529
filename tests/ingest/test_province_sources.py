"""Acceptance tests of the mappings in mappings/ on a tiny synthetic province (generated once per session).

Every source the province emits is mapped and lands with exact reconciliation; the quarantine catches the
injected identifier errors (tests may read the province's truth, platform code never does); ingesting twice
changes nothing; a SIGKILL at any moment followed by a re-run gives exactly the rows of a clean run.
"""

from __future__ import annotations

import csv
import glob
import json
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from policecloud.data.ingest import readers
from policecloud.data.ingest.mapping import load_mappings
from policecloud.data.ingest.run import ingest_source
from policecloud.data.model import types as element_types
from policecloud.data.model.schema import load_schema
from policecloud.data.warehouse import open_warehouse

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS_DIR = ROOT / "mappings"
POLICECLOUD = Path(sys.executable).parent / "policecloud"

# Sources of the province that are read only as a lookup (join) of another source, and why.
LOOKUP_ONLY = {"cell_registry.csv": "the model has no Cell entity; cell_reports joins it for the location"}
# The truth names some sources differently from the mappings.
TRUTH_SOURCE = {
    "exchange_hunan_gbk": "exchange_hunan",
    "internet_cafe_sessions": "internet_cafe",
    "traffic_vehicle_owners": "traffic_vehicles",
    "traffic_vehicle_organizations": "traffic_vehicles",
}
ID_NUMBER_PROPS = ("id_number", "legal_representative_id_number")
PASS_SOURCES = ("checkpoint_passes", "checkpoint_passes_parquet")


@pytest.fixture(scope="session")
def province(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("province") / "tiny"
    subprocess.run(
        [str(POLICECLOUD), "synth", "--scale", "tiny", "--seed", "1", "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def schema():
    return load_schema()


@pytest.fixture(scope="session")
def mappings(schema):
    return load_mappings(MAPPINGS_DIR, schema)


@pytest.fixture(scope="session")
def ingested(province, mappings, schema, tmp_path_factory):
    """The whole province ingested once: (warehouse, {source: [UnitReport, ...]})."""
    warehouse = open_warehouse(tmp_path_factory.mktemp("clean") / "warehouse")
    sources = province / "sources"
    reports = {s: list(ingest_source(warehouse, m, sources, schema)) for s, m in sorted(mappings.items())}
    return warehouse, reports


# --- independent readings of the source files (no platform code) ----------------------------------------


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def source_records(mapping, path: Path | None, sources: Path) -> list[dict]:
    """The records of one unit, in order, read with the standard library / pyarrow / sqlite3 only."""
    spec = mapping.reader
    if spec.format == "csv":
        lines = _text(path).splitlines()
        rows = list(csv.reader(lines, delimiter=spec.delimiter, quotechar=spec.quote))
        assert len(rows) == len(lines), f"{path.name}: a record spans lines; count by records instead"
        return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    if spec.format == "jsonl":
        return [json.loads(line) for line in _text(path).splitlines() if line.strip()]
    if spec.format == "parquet":
        return pq.read_table(path).to_pylist()
    url = spec.url.replace("{sources}", str(sources)).removeprefix("sqlite:///")
    db = sqlite3.connect(url)
    try:
        cursor = db.execute(spec.query or f'SELECT * FROM "{spec.table}"')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        db.close()


def independent_count(mapping, path: Path | None, sources: Path) -> int:
    """Records in a unit counted without parsing them: lines minus header, rows of Parquet or SQL."""
    spec = mapping.reader
    if spec.format == "csv":
        return len([line for line in _text(path).splitlines() if line.strip()]) - 1
    if spec.format == "jsonl":
        return len([line for line in _text(path).splitlines() if line.strip()])
    if spec.format == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    url = spec.url.replace("{sources}", str(sources)).removeprefix("sqlite:///")
    db = sqlite3.connect(url)
    try:
        return db.execute(f"SELECT count(*) FROM ({spec.query or 'SELECT * FROM ' + spec.table})").fetchone()[0]
    finally:
        db.close()


def record_id_of(mapping, record: dict):
    column = mapping.field("id").column
    value = record
    for part in column.split("."):
        value = value[part]
    return str(value)


def row_numbers(mapping, records: list[dict]) -> list[int]:
    # _row is the line number for CSV (header on line 1) and JSON lines, the 1-based position otherwise.
    first = 2 if mapping.reader.format == "csv" and mapping.reader.header else 1
    return list(range(first, first + len(records)))


@pytest.fixture(scope="session")
def unit_records(province, mappings, ingested):
    """(source, batch) → {row: record} for every unit of every source."""
    _, reports = ingested
    sources = province / "sources"
    found = {}
    for source, mapping in mappings.items():
        for unit, report in zip(readers.units(mapping, sources), reports[source], strict=True):
            records = source_records(mapping, unit.path, sources)
            found[(source, report.batch_id)] = dict(zip(row_numbers(mapping, records), records, strict=True))
    return found


# --- (a) every source mapped, every row accounted for ---------------------------------------------------


def test_every_source_the_province_emits_is_mapped(province, mappings):
    manifest = json.loads((province / "truth" / "manifest.json").read_text(encoding="utf-8"))
    emitted = {f.removeprefix("sources/") for f in manifest["files"] if f.startswith("sources/")}
    sources = province / "sources"
    covered, lookups = set(), set()
    for mapping in mappings.values():
        spec = mapping.reader
        if spec.format == "sql":
            covered.add(spec.url.replace("sqlite:///{sources}/", ""))
        else:
            matched = {Path(p).relative_to(sources).as_posix() for p in glob.glob(str(sources / spec.path))}
            assert matched, f"{mapping.source}: {spec.path} matches no file of the province"
            covered |= matched
        lookups |= {join["path"] for join in (spec.joins or {}).values() if join.get("path")}
    assert emitted - covered == set(LOOKUP_ONLY)
    assert set(LOOKUP_ONLY) <= lookups


def test_every_unit_reconciles_exactly_and_matches_an_independent_count(province, mappings, ingested):
    warehouse, reports = ingested
    sources = province / "sources"
    con = warehouse.connect()
    try:
        landed = {}
        for table in {m.table for m in mappings.values()}:
            landed |= dict(con.execute(f"SELECT batch, count(*) FROM {table} GROUP BY batch").fetchall())
        rejected = dict(
            con.execute(
                "SELECT batch, count(DISTINCT row) FROM quarantine WHERE row_rejected GROUP BY batch"
            ).fetchall()
        )
    finally:
        con.close()
    for source, mapping in mappings.items():
        units = readers.units(mapping, sources)
        assert len(reports[source]) == len(units)
        for unit, report in zip(units, reports[source], strict=True):
            where = f"{source}/{unit.label}"
            assert not report.skipped, where
            assert report.rows_read == report.rows_landed + report.rows_quarantined, where
            assert report.rows_read == independent_count(mapping, unit.path, sources), where
            in_warehouse = (landed.get(report.batch_id, 0), rejected.get(report.batch_id, 0))
            assert in_warehouse == (report.rows_landed, report.rows_quarantined), where


def test_most_rows_land_and_every_rejected_row_has_an_expected_reason(ingested):
    warehouse, reports = ingested
    # Swapped name and phone leave no valid name (required); the pseudo base station's cell is in no
    # registry, so its reports have no location (required by CellMeasurement).
    unexplained = warehouse.sql(
        "SELECT source, batch, row, list(field || ' ' || reason) FROM quarantine WHERE row_rejected "
        "GROUP BY ALL HAVING NOT bool_or(reason IN ('name.digit', 'required.missing'))"
    )
    assert unexplained == []
    assert warehouse.sql("SELECT count(*) FROM quarantine WHERE field IS NULL") == [(0,)]  # no unparsable line
    for source, units in reports.items():
        read = sum(u.rows_read for u in units)
        assert read > 0 and sum(u.rows_landed for u in units) >= 0.98 * read, source


# --- (b) the quarantine catches the injected identifier errors ------------------------------------------


def _quarantined(warehouse, unit_records, mappings, props: tuple[str, ...], type_name: str) -> set[tuple]:
    """(truth source, record id) of the quarantined values of ``props`` failing ``type_name``."""
    found = set()
    rows = warehouse.sql(
        f"SELECT source, batch, row, field, raw FROM quarantine WHERE field IN ({', '.join('?' * len(props))}) "
        "AND reason LIKE ?",
        [*props, type_name + ".%"],
    )
    for source, batch, row, _field, _raw in rows:
        record = unit_records[(source, batch)][row]
        found.add((TRUTH_SOURCE.get(source, source), record_id_of(mappings[source], record)))
    return found


def _precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return hits / max(len(found), 1), hits / max(len(truth), 1)


def test_invalid_id_numbers_are_quarantined(province, ingested, unit_records, mappings):
    warehouse, _ = ingested
    errors = duckdb.sql(
        f"SELECT source, record_id, clean FROM '{province / 'truth' / 'errors.parquet'}' "
        "WHERE kind = 'wrong_check_digit'"
    ).fetchall()
    # The vehicle database's SFZMHM holds USCCs of organizations too: those are not ID numbers.
    truth = {(s, r) for s, r, clean in errors if not clean.startswith("9")}
    found = _quarantined(warehouse, unit_records, mappings, ID_NUMBER_PROPS, "id_number")
    precision, recall = _precision_recall(found, truth)
    assert len(truth) >= 10
    assert precision >= 0.99 and recall >= 0.99, (sorted(found - truth), sorted(truth - found))
    usccs = {(s, r) for s, r, clean in errors if clean.startswith("9")}
    assert _quarantined(warehouse, unit_records, mappings, ("uscc",), "uscc") == usccs


def test_invalid_plates_are_quarantined(province, ingested, unit_records, mappings):
    """Every misread that makes an invalid plate is caught and nothing else; most misreads (8↔B, 5↔S, ...
    inside an ordinary serial) make another well-formed plate, which no validator can tell from a real one."""
    warehouse, _ = ingested
    plate = element_types.get("plate")
    misreads = {
        r[0]
        for r in duckdb.sql(
            f"SELECT pass_id FROM '{province / 'truth' / 'passes' / '*.parquet'}' WHERE error = 'plate_misread'"
        ).fetchall()
    }
    dirty = {}
    for (source, _batch), records in unit_records.items():
        if source in PASS_SOURCES:
            for record in records.values():
                pass_id = record_id_of(mappings[source], record)
                if pass_id in misreads:
                    dirty[pass_id] = record.get("号牌号码", record.get("plate_no"))
    assert set(dirty) == misreads and len(misreads) >= 100
    truth_ids = {p for p, value in dirty.items() if not plate.check(value).ok}
    # Pass ids are unique across both vendors; a plate quarantined in any other source is a false positive.
    found = _quarantined(warehouse, unit_records, mappings, ("plate",), "plate")
    found_ids = {r if s in PASS_SOURCES else (s, r) for s, r in found}
    precision, recall = _precision_recall(found_ids, truth_ids)
    assert len(truth_ids) >= 10
    assert precision >= 0.99 and recall >= 0.99, (sorted(found_ids - truth_ids), sorted(truth_ids - found_ids))
    assert len(truth_ids) < len(misreads)  # the rest are valid-looking plates: see the docstring


# --- (c) idempotency --------------------------------------------------------------------------------------


def test_ingesting_twice_changes_nothing(province, mappings, schema, ingested):
    warehouse, _ = ingested
    files = sorted(p.relative_to(warehouse.root).as_posix() for p in warehouse.root.rglob("*.parquet"))
    batches = [(b.batch_id, b.committed_at) for b in warehouse.batches()]
    again = [r for m in mappings.values() for r in ingest_source(warehouse, m, province / "sources", schema)]
    assert again and all(r.skipped for r in again)
    assert sorted(p.relative_to(warehouse.root).as_posix() for p in warehouse.root.rglob("*.parquet")) == files
    assert [(b.batch_id, b.committed_at) for b in warehouse.batches()] == batches


# --- (d) crash safety ------------------------------------------------------------------------------------

CRASH_SOURCES = ("checkpoint_passes_parquet", "population_registry")
CRASH_TABLES = ("checkpoint_pass", "person", "quarantine", "ingest_stats")


def _contents(warehouse) -> dict[str, tuple[int, set]]:
    wanted = ", ".join(f"'{s}'" for s in CRASH_SOURCES)
    keys = {"ingest_stats": "batch, unit", "quarantine": "batch, row, coalesce(field, '')"}
    con = warehouse.connect()
    try:
        found = {}
        for table in CRASH_TABLES:
            rows = con.execute(f"SELECT {keys.get(table, 'batch, row')} FROM {table} WHERE source IN ({wanted})")
            rows = rows.fetchall()
            found[table] = (len(rows), set(rows))
        return found
    finally:
        con.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_a_random_moment_then_rerun_loses_and_duplicates_nothing(seed, province, ingested, tmp_path):
    clean, reports = ingested  # the same mappings and files give the same batch ids and rows
    expected = _contents(clean)
    work = sum(u.seconds for s in CRASH_SOURCES for u in reports[s])
    command = [str(POLICECLOUD), "--data-dir", str(tmp_path), "ingest", *CRASH_SOURCES]
    env = os.environ | {
        "POLICECLOUD_MAPPINGS_DIR": str(MAPPINGS_DIR),
        "POLICECLOUD_SOURCES_DIR": str(province / "sources"),
    }
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # After the imports (about a second), somewhere inside the work of a clean run.
    time.sleep(1.0 + random.Random(seed).uniform(0, 0.8 * work))
    assert process.poll() is None, "the run ended before the kill: nothing was tested"
    process.kill()
    process.wait()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    got = _contents(open_warehouse(tmp_path / "warehouse"))
    for table in CRASH_TABLES:
        count, rows = got[table]
        assert count == len(rows), f"{table}: duplicate rows after the crash"
        assert got[table] == expected[table], f"{table}: rows differ from a clean run"


# --- engine features the province needs ------------------------------------------------------------------


def _ingest_one(tmp_path, mapping_text: str, files: dict[str, str]):
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, text in files.items():
        (sources / name).write_text(text, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(textwrap.dedent(mapping_text), encoding="utf-8")
    schema = load_schema()
    mapping = next(iter(load_mappings(tmp_path, schema).values()))
    warehouse = open_warehouse(tmp_path / "warehouse")
    return warehouse, list(ingest_source(warehouse, mapping, sources, schema))


def test_a_type_without_sql_form_is_standardized_once_per_distinct_value(tmp_path):
    """Addresses are parsed in Python (no SQL form): each distinct value once, joined back like SQL types."""
    good = "湖北省武汉市江岸区民主街道沿河路102号"
    warehouse, [report] = _ingest_one(
        tmp_path,
        """\
        source: people
        label: {zh: 人员, en: people}
        entity: Person
        reader: {format: csv, path: p.csv}
        properties:
          name: {column: 姓名}
          current_address: {column: 现住址}
        """,
        {"p.csv": f"姓名,现住址\n张三,{good}\n李四,{good}\n王五,???\n赵六,\n"},
    )
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (4, 4, 0)
    expected = element_types.get("address").check(good).value
    rows = warehouse.sql("SELECT row, current_address FROM person ORDER BY row")
    assert rows == [(2, expected), (3, expected), (4, None), (5, None)]
    quarantined = warehouse.sql("SELECT row, field, raw, reason, row_rejected FROM quarantine")
    assert quarantined == [(4, "current_address", "???", "address.format", False)]


def test_a_join_can_keep_only_some_lookup_rows(tmp_path):
    """A session log: log-on and log-off lines joined by session id give every line the whole session."""
    log = (
        "# 时间|动作|场所编码|会话号\n"
        "2026-10-01 08:00:00|上机|91420100MA4K00001X|S1\n"
        "2026-10-01 08:30:00|上机|91420100MA4K00001X|S2\n"
        "2026-10-01 09:15:00|下机|91420100MA4K00001X|S1\n"
    )
    warehouse, [report] = _ingest_one(
        tmp_path,
        """\
        source: cafe
        label: {zh: 网吧, en: café}
        entity: InternetSession
        reader:
          format: csv
          path: s.log
          delimiter: "|"
          joins:
            logon: {path: s.log, on: {会话号: 会话号}, where: {动作: 上机}}
            logoff: {path: s.log, on: {会话号: 会话号}, where: {动作: 下机}}
        properties:
          id: {column: 会话号}
          start: {join: logon, column: "# 时间"}
          end: {join: logoff, column: "# 时间"}
          cafe_id: {column: 场所编码}
        """,
        {"s.log": log},
    )
    assert (report.rows_read, report.rows_landed, report.rows_quarantined) == (3, 3, 0)
    rows = warehouse.sql(
        "SELECT row, id, strftime(start AT TIME ZONE 'Asia/Shanghai', '%H:%M'), "
        "strftime(\"end\" AT TIME ZONE 'Asia/Shanghai', '%H:%M') FROM internet_session ORDER BY row"
    )
    assert rows == [(2, "S1", "08:00", "09:15"), (3, "S2", "08:30", None), (4, "S1", "08:00", "09:15")]
