"""Ingestion end to end on a small multi-source fixture: counts reconcile, mess is quarantined, nothing lost."""

from __future__ import annotations

import json

import pytest

from policecloud.data.ingest.mapping import load_mappings
from policecloud.data.ingest.run import ingest_source
from policecloud.data.warehouse import open_warehouse


def ingest_all(tmp_path, province, schema):
    sources, mappings_dir = province
    warehouse = open_warehouse(tmp_path / "warehouse")
    reports = {}
    for source, mapping in load_mappings(mappings_dir, schema).items():
        reports[source] = list(ingest_source(warehouse, mapping, sources, schema))
    return warehouse, reports


def test_every_source_reconciles_exactly(tmp_path, province, schema):
    _, reports = ingest_all(tmp_path, province, schema)
    expected = {  # (read, landed, quarantined rows)
        "population_registry": (5, 3, 2),
        "exchange_gbk": (2, 2, 0),
        "checkpoint_passes": (5, 3, 2),
        "checkpoint_passes_parquet": (2, 2, 0),
        "vehicle_db": (2, 2, 0),
    }
    got = {s: (r[0].rows_read, r[0].rows_landed, r[0].rows_quarantined) for s, r in reports.items()}
    assert got == expected
    assert all(r.reconciled for units in reports.values() for r in units)


def test_quarantine_names_source_row_field_raw_and_reason(tmp_path, province, schema):
    warehouse, _ = ingest_all(tmp_path, province, schema)
    rows = warehouse.sql(
        "SELECT source, row, field, raw, reason, row_rejected FROM quarantine ORDER BY source, row, field NULLS FIRST"
    )
    assert rows == [
        ("checkpoint_passes", 3, None, '{"hphm": "鄂A00001", "kkbh": ', "jsonl.invalid_json", True),
        ("checkpoint_passes", 4, "plate", "鄂AI2345", "plate.letter_i_o", False),
        ("checkpoint_passes", 5, "time", "not a time", "datetime.format", True),
        ("population_registry", 3, "id_number", "110105194912310021", "id_number.check_digit", False),
        ("population_registry", 4, "name", None, "required.missing", True),
        (
            "population_registry",
            6,
            None,
            "420106198001011237,赵六,男,1980-01-01,13912345678,extra",
            "csv.too_many_columns",
            True,
        ),
        ("vehicle_db", 2, "plate", "鄂A1234I", "plate.letter_i_o", False),
        ("vehicle_db", 2, "vin", "LSVAM4187C2184848", "vin.check_digit", False),
    ]


def test_values_are_standardized_and_carry_lineage(tmp_path, province, schema):
    warehouse, _ = ingest_all(tmp_path, province, schema)
    people = warehouse.sql(
        "SELECT row, id_number, name, sex, birth_date::VARCHAR, phone FROM person "
        "WHERE source = 'population_registry' ORDER BY row"
    )
    assert people == [
        (2, "11010519491231002X", "张三", "female", "1949-12-31", "13912345678"),
        (3, None, "李四", "male", "1949-12-31", "027-87654321"),  # the bad ID is quarantined, the row kept
        (5, "420106198001011237", "王五", "male", "1980-01-01", "13912345678"),  # full-width digits, +86
    ]
    exchange = warehouse.sql("SELECT id_number FROM person WHERE source = 'exchange_gbk' ORDER BY row")
    assert exchange == [("420106198001011237",), ("420106198001011245",)]  # GBK file, 15 → 18 digits
    passes = warehouse.sql(
        "SELECT plate, strftime(time AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%d %H:%M'), day::VARCHAR "
        "FROM checkpoint_pass WHERE source = 'checkpoint_passes' ORDER BY row"
    )
    assert passes == [
        ("鄂A12345", "2024-05-01 08:00", "2024-05-01"),
        ("鄂A12345", "2024-05-01 09:30", "2024-05-01"),  # 鄂a·12345 normalized
        (None, "2024-05-02 10:00", "2024-05-02"),
    ]
    [(record_id, batch)] = warehouse.sql("SELECT id, batch FROM person WHERE name = '张三'")
    assert record_id == f"{batch}:2" and batch.startswith("population_registry-")
    owners = warehouse.sql("SELECT plate, owner_id FROM vehicle ORDER BY row")
    assert owners == [("鄂A12345", "11010519491231002X"), (None, None)]  # join: the second owner is unknown


def test_ingesting_again_changes_nothing(tmp_path, province, schema):
    warehouse, _ = ingest_all(tmp_path, province, schema)
    files = sorted(p.relative_to(warehouse.root) for p in warehouse.root.rglob("*.parquet"))
    batches = [b.batch_id for b in warehouse.batches()]
    _, reports = ingest_all(tmp_path, province, schema)
    assert all(r.skipped for units in reports.values() for r in units)
    assert sorted(p.relative_to(warehouse.root) for p in warehouse.root.rglob("*.parquet")) == files
    assert [b.batch_id for b in warehouse.batches()] == batches


def test_a_new_daily_file_is_one_more_batch(tmp_path, province, schema):
    sources, _ = province
    warehouse, _ = ingest_all(tmp_path, province, schema)
    line = {"hphm": "鄂C11111", "kkbh": "KK001", "jgsj": "2024-05-02 11:00:00"}
    (sources / "passes" / "2024-05-02.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n")
    _, reports = ingest_all(tmp_path, province, schema)
    units = reports["checkpoint_passes"]
    assert [u.skipped for u in units] == [True, False]
    assert warehouse.sql("SELECT count(*) FROM checkpoint_pass WHERE source = 'checkpoint_passes'") == [(4,)]


def test_freshness_and_fill_rates(tmp_path, province, schema):
    from policecloud.data.ingest.quality import freshness

    warehouse, _ = ingest_all(tmp_path, province, schema)
    rows = {r["source"]: r for r in freshness(warehouse)}
    people = rows["population_registry"]
    assert people["rows_landed"] == 3 and people["rejection_rate"] == pytest.approx(2 / 5)
    assert people["fill_rates"]["id_number"] == pytest.approx(2 / 3, abs=1e-4)
    assert people["fill_rates"]["name"] == 1.0


def test_a_database_source_is_fingerprinted_by_its_rows(tmp_path, schema):
    """A database that is not a SQLite file cannot be hashed as bytes: its rows are, once read."""
    import sqlite3
    import textwrap

    from policecloud.data.ingest.mapping import load_mapping

    db = sqlite3.connect(tmp_path / "people.db")
    db.executescript("CREATE TABLE p (xm TEXT); INSERT INTO p VALUES ('张三'), ('李四');")
    db.commit()
    mapping_text = """\
        source: people_db
        label: {zh: 人口库, en: people database}
        entity: Person
        reader: {format: sql, url: "sqlite+pysqlite:///{sources}/people.db", table: p}
        properties:
          name: {column: xm}
        """
    (tmp_path / "m.yaml").write_text(textwrap.dedent(mapping_text), encoding="utf-8")
    mapping = load_mapping(tmp_path / "m.yaml", schema)
    warehouse = open_warehouse(tmp_path / "wh")

    def ingest():
        [report] = list(ingest_source(warehouse, mapping, tmp_path, schema))
        return report

    first = ingest()
    assert not first.skipped and first.batch_id.startswith("people_db-")
    assert ingest().skipped  # the same rows: the same batch
    db.execute("INSERT INTO p VALUES ('王五')")
    db.commit()
    third = ingest()
    assert not third.skipped and third.batch_id != first.batch_id
    # The table read again is a new snapshot of the same unit: it replaces the first, rows are not doubled.
    assert third.replaces == [first.batch_id]
    assert warehouse.sql("SELECT count(*) FROM person") == [(3,)]


def test_a_batch_found_committed_while_the_file_is_read_stops_the_read(tmp_path):
    """The file is hashed while DuckDB reads it; once the hash names a committed batch, the read is interrupted."""
    import threading
    from concurrent.futures import Future

    import duckdb

    from policecloud.data.ingest.run import _stop_if_committed
    from policecloud.data.model.vectorized import connect

    warehouse = open_warehouse(tmp_path / "wh")
    with warehouse.batch("passes-done") as batch:
        batch.write("t", "SELECT 1 AS x")
    committed = Future()
    committed.set_result("passes-done")
    con = connect()
    stopped = []

    def read():
        try:
            con.execute("SELECT count(*) FROM range(1000000000000)").fetchall()
        except duckdb.InterruptException:
            stopped.append(True)

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(3000):  # until the interrupt lands inside the query (it may come before it starts)
        _stop_if_committed(committed, warehouse, con)
        reader.join(0.01)
        if not reader.is_alive():
            break
    assert stopped == [True]
    con.close()
