"""One partition layout per table (issue 13, finding 12): the warehouse refuses a write that would put a file of a
table under other Hive keys than the table's, and repairs warehouses an older writer left that way."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from typer.testing import CliRunner

from policecloud.data.warehouse import DuckDBWarehouse, WarehouseError, open_warehouse
from policecloud.platform.cli import app

INGESTED = "SELECT 'P' || i AS plate, 'checkpoint_passes' AS source, DATE '2026-10-03' AS day FROM range(3) t(i)"


def ingest(wh) -> None:
    with wh.batch("ingested", {"source": "checkpoint_passes"}) as batch:
        batch.write("checkpoint_pass", INGESTED, partition_by=["source", "day"])


def legacy_sink_batch(root, batch_id: str = "events-000000000000", seq: int = 2) -> str:
    """What the live sink wrote before the fix: ``day=`` only, ``source`` kept as a column, and its record."""
    name = f"checkpoint_pass/day=2026-10-04/{batch_id}_0_0.parquet"
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql(
        f"COPY (SELECT 'E' || i AS id, 'L' || i AS plate, 'live' AS source, '{batch_id}' AS batch, i AS row "
        "FROM range(2) t(i)) "
        f"TO '{root / name}' (FORMAT parquet)"
    )
    record = {
        "batch_id": batch_id, "seq": seq, "committed_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": {"checkpoint_pass": [name]}, "rows": {"checkpoint_pass": 2},
        "columns": {"checkpoint_pass": ["id", "plate", "day", "source", "batch", "row"]},
        "meta": {"source": "live", "segment": "segment-000000000000.jsonl"}, "supersedes": [],
    }  # fmt: skip
    (root / "_batches" / f"{batch_id}.json").write_text(json.dumps(record))
    return name


def rows(wh) -> list[tuple]:
    return sorted(wh.sql("SELECT source, day::VARCHAR, plate FROM checkpoint_pass"))


EXPECTED = [
    ("checkpoint_passes", "2026-10-03", "P0"),
    ("checkpoint_passes", "2026-10-03", "P1"),
    ("checkpoint_passes", "2026-10-03", "P2"),
    ("live", "2026-10-04", "L0"),
    ("live", "2026-10-04", "L1"),
]


def test_a_write_under_other_partition_keys_is_refused_and_nothing_is_committed(tmp_path):
    wh = open_warehouse(tmp_path)
    ingest(wh)
    for keys in (["day"], ["day", "source"], []):
        with pytest.raises(WarehouseError, match="partitioned by"), wh.batch(f"odd-{len(keys)}") as batch:
            batch.write("checkpoint_pass", INGESTED, partition_by=keys)
    assert [b.batch_id for b in wh.batches()] == ["ingested"]
    assert len(rows(wh)) == 3  # the table still reads
    with wh.batch("other-table") as batch:  # another table has a layout of its own
        batch.write("hotel_stay", "SELECT 1 AS n, DATE '2026-10-03' AS day", partition_by=["day"])


def test_the_old_sink_layout_is_repaired_atomically_and_idempotently(tmp_path):
    ingest(open_warehouse(tmp_path))
    old = legacy_sink_batch(tmp_path)
    broken = DuckDBWarehouse(tmp_path)  # the engine itself does not repair on construction
    with pytest.raises(duckdb.BinderException, match="Hive partition mismatch"):
        rows(broken)
    assert [m.file for m in broken.misplaced()] == [old]

    report = broken.repair()
    new = "checkpoint_pass/source=live/day=2026-10-04/events-000000000000_r0_0.parquet"
    assert report.moved == [(old, [new])] and report.unrepairable == []
    assert not (tmp_path / old).exists() and (tmp_path / new).exists()
    assert rows(broken) == EXPECTED
    record = json.loads((tmp_path / "_batches" / "events-000000000000.json").read_text())
    assert record["files"] == {"checkpoint_pass": [new]} and record["rows"] == {"checkpoint_pass": 2}
    assert record["seq"] == 2 and record["meta"]["relaid"] == [old]
    lineage = broken.sql(f"SELECT id, batch, row FROM {broken.scan('checkpoint_pass')} WHERE source = 'live'")
    assert sorted(lineage) == [("E0", "events-000000000000", 0), ("E1", "events-000000000000", 1)]

    again = broken.repair()
    assert again.moved == [] and again.unrepairable == []
    assert rows(broken) == EXPECTED


def test_opening_the_warehouse_repairs_it(tmp_path):
    ingest(open_warehouse(tmp_path))
    legacy_sink_batch(tmp_path)
    assert rows(open_warehouse(tmp_path)) == EXPECTED


def test_a_warehouse_of_only_the_old_sink_moves_to_the_finer_layout_at_the_next_sink_batch(tmp_path):
    wh = DuckDBWarehouse(tmp_path)
    legacy_sink_batch(tmp_path, seq=1)
    assert wh.misplaced() == []  # consistent on its own: nothing to move yet
    with wh.batch("events-000000000002") as batch:
        batch.write(
            "checkpoint_pass",
            "SELECT 'M' AS plate, 'live' AS source, DATE '2026-10-05' AS day",
            partition_by=["source", "day"],
        )
    assert wh.misplaced() == []
    assert sorted(wh.sql("SELECT source, day::VARCHAR, plate FROM checkpoint_pass")) == [
        ("live", "2026-10-04", "L0"),
        ("live", "2026-10-04", "L1"),
        ("live", "2026-10-05", "M"),
    ]


def test_a_crash_between_the_new_files_and_the_record_leaves_the_old_layout_then_repairs(tmp_path, monkeypatch):
    ingest(open_warehouse(tmp_path))
    old = legacy_sink_batch(tmp_path)
    wh = DuckDBWarehouse(tmp_path)

    def crash(*_a, **_k):
        raise OSError("disk gone")

    import policecloud.data.warehouse.duckdb_engine as engine

    monkeypatch.setattr(engine, "write_json_atomic", crash)
    with pytest.raises(OSError):
        wh.repair()
    monkeypatch.undo()
    record = json.loads((tmp_path / "_batches" / "events-000000000000.json").read_text())
    assert record["files"] == {"checkpoint_pass": [old]} and (tmp_path / old).exists()
    assert open_warehouse(tmp_path).misplaced() == []
    assert rows(wh) == EXPECTED
    stray = [p for p in tmp_path.rglob("*.parquet") if "_staging" not in p.parts]
    assert len(stray) == 2  # the ingested file and the moved one: the first attempt left nothing behind


def test_the_repair_command_reports_what_it_moved(tmp_path):
    ingest(open_warehouse(tmp_path))
    old = legacy_sink_batch(tmp_path)
    runner = CliRunner()
    first = runner.invoke(
        app, ["--data-dir", str(tmp_path.parent), "warehouse", "repair", "--warehouse", str(tmp_path)]
    )
    assert first.exit_code == 0, first.output
    assert old in first.output and "1" in first.output
    second = runner.invoke(
        app, ["--data-dir", str(tmp_path.parent), "warehouse", "repair", "--warehouse", str(tmp_path)]
    )
    assert second.exit_code == 0 and "nothing to repair" in second.output
