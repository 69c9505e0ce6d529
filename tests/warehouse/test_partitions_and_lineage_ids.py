"""Two shortcuts of the DuckDB engine keep the warehouse exactly as it was: a batch of one partition is written
straight into its directory, and a NULL lineage id reads as ``<batch>:<row>``."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from policecloud.data.warehouse import duckdb_engine, open_warehouse

CONSTANT = "SELECT i AS n, 'src0' AS source, DATE '2024-01-01' AS day FROM range(100) t(i)"
COMPUTED = (
    "SELECT i AS n, 'src' || (i // 1000) AS source, DATE '2024-01-01' + (i // 1000)::INT AS day FROM range(100) t(i)"
)


def files(wh, table: str) -> list[str]:
    return sorted(f for b in wh.batches() for f in b.files.get(table, []))


def test_a_batch_of_one_partition_is_laid_out_as_duckdbs_partitioned_writer_lays_it(tmp_path, monkeypatch):
    found = []
    original = duckdb_engine._DuckDBBatch._single_partition
    monkeypatch.setattr(
        duckdb_engine._DuckDBBatch, "_single_partition", lambda *a: found.append(original(*a)) or found[-1]
    )
    wh = open_warehouse(tmp_path)
    with wh.batch("constant") as batch:  # constants: the planner proves one partition
        assert batch.write("records", CONSTANT, partition_by=["source", "day"]) == 100
    with wh.batch("computed") as batch:  # the same values computed per row: DuckDB's partitioned writer
        assert batch.write("records", COMPUTED, partition_by=["source", "day"]) == 100
    assert found == [["src0", "2024-01-01"], None]  # the shortcut was taken for the constants only
    assert files(wh, "records") == [
        "records/source=src0/day=2024-01-01/computed_0_0.parquet",
        "records/source=src0/day=2024-01-01/constant_0_0.parquet",
    ]
    schemas = {f: pq.read_schema(tmp_path / f).names for f in files(wh, "records")}
    assert set(map(tuple, schemas.values())) == {("n",)}  # partition columns live in the path only
    rows = wh.sql(
        "SELECT batch_of, source, day::VARCHAR, count(*), sum(n) FROM (SELECT *, "
        "regexp_extract(filename, '([a-z]+)_0_0', 1) AS batch_of FROM read_parquet("
        f"'{tmp_path}/records/*/*/*.parquet', hive_partitioning = true, filename = true)) GROUP BY ALL ORDER BY 1"
    )
    assert rows == [("computed", "src0", "2024-01-01", 100, 4950), ("constant", "src0", "2024-01-01", 100, 4950)]
    assert wh.sql("SELECT typeof(day), typeof(source), count(*) FROM records GROUP BY ALL") == [
        ("DATE", "VARCHAR", 200)
    ]


def test_partition_values_that_need_escaping_and_several_partitions_take_the_general_writer(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("odd") as batch:
        assert batch.write("records", "SELECT 1 AS n, 'a b/c' AS source", partition_by=["source"]) == 1
        assert batch.write("records", "SELECT 2 AS n, NULL::VARCHAR AS source", partition_by=["source"]) == 1
        assert batch.write("records", "SELECT i AS n, 's' || (i % 2) AS source FROM range(4) t(i)", ["source"]) == 4
        assert batch.write("records", "SELECT 9 AS n, 'x' AS source WHERE false", partition_by=["source"]) == 0
    assert sorted(wh.sql("SELECT source, n FROM records"), key=repr) == sorted(
        [("a b/c", 1), (None, 2), ("s0", 0), ("s0", 2), ("s1", 1), ("s1", 3)], key=repr
    )


def test_a_null_lineage_id_reads_as_batch_and_row(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("b1") as batch:
        batch.write("records", "SELECT NULL::VARCHAR AS id, 'b1' AS batch, 7 AS row, 'x' AS v")
        batch.write("records", "SELECT 'own-id' AS id, 'b1' AS batch, 8 AS row, 'y' AS v")
        batch.write("other", "SELECT NULL::VARCHAR AS id, 1 AS n")  # no batch and row: left alone
    assert wh.sql("SELECT id, v FROM records ORDER BY row") == [("b1:7", "x"), ("own-id", "y")]
    con = wh.connect()
    try:
        assert con.execute(f"SELECT id FROM {wh.scan('records')} ORDER BY row").fetchall() == [("b1:7",), ("own-id",)]
    finally:
        con.close()
    assert wh.sql("SELECT id, n FROM other") == [(None, 1)]
    [info] = list(wh.batches())
    record = json.loads((tmp_path / "_batches" / "b1.json").read_text())
    assert record["columns"] == {"records": ["id", "batch", "row", "v"], "other": ["id", "n"]}
    assert info.rows == {"other": 1, "records": 2}


def test_batches_committed_before_columns_were_recorded_read_as_they_are(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("old") as batch:
        batch.write("records", "SELECT 'stored' AS id, 'old' AS batch, 1 AS row")
    path = tmp_path / "_batches" / "old.json"
    record = json.loads(path.read_text())
    del record["columns"]
    path.write_text(json.dumps(record))
    assert "REPLACE" not in wh.scan("records")
    assert wh.sql("SELECT id FROM records") == [("stored",)]


def test_a_unit_ingested_again_with_a_changed_mapping_replaces_its_earlier_batch(tmp_path):
    """Re-ingesting one file with a changed mapping (one more column) must not leave both versions' rows."""
    from policecloud.data.ingest.mapping import load_mappings
    from policecloud.data.ingest.run import ingest_source
    from policecloud.data.model.schema import load_schema
    from policecloud.data.warehouse import open_warehouse

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "people.csv").write_text(
        "编号,公民身份号码,姓名,电话\nR1,11010519491231002X,张三,13912345678\nR2,420106198001011237,李四,\n",
        encoding="utf-8",
    )
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    base = (
        "source: people\nlabel: {zh: 人员, en: people}\nentity: Person\n"
        "reader: {format: csv, path: people.csv}\nproperties:\n"
        "  id: {column: 编号}\n  id_number: {column: 公民身份号码}\n  name: {column: 姓名}\n"
    )
    schema = load_schema()
    warehouse = open_warehouse(tmp_path / "warehouse")
    reports = []
    for text in (base, base + "  phone: {column: 电话}\n"):
        (mappings / "people.yaml").write_text(text, encoding="utf-8")
        mapping = load_mappings(mappings, schema)["people"]
        reports += list(ingest_source(warehouse, mapping, sources, schema))
    first, second = reports
    assert second.replaces == [first.batch_id]
    rows = warehouse.sql("SELECT id, phone, batch FROM person ORDER BY id")
    assert [(r[0], r[1]) for r in rows] == [("R1", "13912345678"), ("R2", None)]
    assert {r[2] for r in rows} == {second.batch_id}
    assert [b.batch_id for b in warehouse.batches()] == [second.batch_id]
    assert not warehouse.is_committed(first.batch_id)
    # Recovery deletes the superseded files; the mapping changed back brings the first version back (alone).
    warehouse.recover()
    assert not list((tmp_path / "warehouse").rglob(f"{first.batch_id}*.parquet"))
    (mappings / "people.yaml").write_text(base, encoding="utf-8")
    (again,) = ingest_source(warehouse, load_mappings(mappings, schema)["people"], sources, schema)
    assert again.batch_id == first.batch_id and not again.skipped and again.replaces == [second.batch_id]
    assert warehouse.sql("SELECT count(*) FROM person") == [(2,)]
    assert "phone" not in {r[0] for r in warehouse.sql("DESCRIBE person")}  # only the live batch's columns
