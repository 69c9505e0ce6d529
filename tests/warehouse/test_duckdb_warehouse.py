"""The warehouse commits batches atomically and idempotently, and survives a crash at any point."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from policecloud.data.warehouse import WarehouseError, open_warehouse

ROWS = "SELECT i AS n, 'src' || (i % 3) AS source, DATE '2024-01-01' + (i % 4)::INT AS day FROM range({n}) t(i)"


def test_a_batch_is_visible_after_commit_with_its_partitions(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("b1", meta={"source": "demo"}) as batch:
        assert batch.write("records", ROWS.format(n=1000), partition_by=["source", "day"]) == 1000
        assert batch.write("quarantine", "SELECT 1 AS row_number, 'bad' AS reason") == 1
    assert wh.tables() == ["quarantine", "records"]
    assert wh.sql("SELECT count(*), count(DISTINCT source), count(DISTINCT day) FROM records") == [(1000, 3, 4)]
    [info] = list(wh.batches())
    assert info.rows == {"quarantine": 1, "records": 1000}
    assert info.meta == {"source": "demo"}
    assert all(f.startswith("records/source=") for f in info.files["records"])


def test_committing_the_same_batch_twice_adds_nothing(tmp_path):
    wh = open_warehouse(tmp_path)
    for _ in range(2):
        with wh.batch("same") as batch:
            batch.write("records", ROWS.format(n=10), partition_by=["source"])
    assert wh.sql("SELECT count(*) FROM records") == [(10,)]
    assert len(list(wh.batches())) == 1


def test_an_error_inside_a_batch_leaves_nothing(tmp_path):
    wh = open_warehouse(tmp_path)
    with pytest.raises(RuntimeError), wh.batch("broken") as batch:
        batch.write("records", ROWS.format(n=10), partition_by=["source"])
        raise RuntimeError("reader failed half-way")
    assert not wh.is_committed("broken")
    assert wh.tables() == []
    assert not list(tmp_path.rglob("*.parquet"))


def test_reading_a_table_with_no_data_is_a_clear_error(tmp_path):
    wh = open_warehouse(tmp_path)
    with pytest.raises(WarehouseError, match="no committed data for table 'nothing'"):
        wh.scan("nothing")


def test_bad_names_are_refused(tmp_path):
    wh = open_warehouse(tmp_path)
    with pytest.raises(WarehouseError, match="invalid batch id"), wh.batch("../escape"):
        pass
    with pytest.raises(WarehouseError, match="invalid table name"), wh.batch("ok") as batch:
        batch.write("Drop Table", "SELECT 1")


def test_files_renamed_by_a_batch_that_died_before_its_commit_record_are_invisible_and_removed(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("good") as batch:
        batch.write("records", ROWS.format(n=5), partition_by=["source"])
    orphan = tmp_path / "records" / "source=src0" / "dead_0_0.parquet"
    good_file = next((tmp_path / "records").rglob("good_*.parquet"))
    orphan.write_bytes(good_file.read_bytes())
    assert wh.sql("SELECT count(*) FROM records") == [(5,)]
    assert wh.recover() == 1
    assert not orphan.exists()


WRITER = textwrap.dedent(
    """
    import sys
    from policecloud.data.warehouse import open_warehouse
    wh = open_warehouse(sys.argv[1])
    for b in range(int(sys.argv[2])):
        with wh.batch(f"batch{b:03d}") as batch:
            rows = f"SELECT {b} AS b, i AS n, 's' || (i % 5) AS source FROM range(20000) t(i)"
            batch.write("records", rows, partition_by=["source"])
            batch.write("quarantine", f"SELECT {b} AS b, i AS n FROM range(7) t(i)")
    """
)


@pytest.mark.parametrize("seed", range(4))
def test_killing_the_writer_at_a_random_moment_loses_or_duplicates_nothing(tmp_path, seed):
    batches = 12
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    root = tmp_path / "wh"
    proc = subprocess.Popen([sys.executable, str(script), str(root), str(batches)])
    time.sleep(random.Random(seed).uniform(0.3, 1.5))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    def check_whole_batches() -> set[int]:
        wh = open_warehouse(root)
        committed = {int(b.batch_id[5:]) for b in wh.batches()}
        if committed:
            per_batch = dict(wh.sql("SELECT b, count(*) FROM records GROUP BY b"))
            assert per_batch == {b: 20000 for b in committed}
            assert dict(wh.sql("SELECT b, count(*) FROM quarantine GROUP BY b")) == {b: 7 for b in committed}
        return committed

    check_whole_batches()
    subprocess.run([sys.executable, str(script), str(root), str(batches)], check=True)
    assert check_whole_batches() == set(range(batches))
    assert not any((root / "_staging").iterdir())


def test_a_table_named_after_a_keyword_works(tmp_path):
    wh = open_warehouse(tmp_path)
    with wh.batch("k") as batch:
        batch.write("case", "SELECT 1 AS n")
    assert wh.sql('SELECT n FROM "case"') == [(1,)]
