"""The event key index on the tiny province: lookups equal brute-force queries on the warehouse, read few row
groups, fall back to the warehouse when the index is missing or behind, and builds are incremental and atomic."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from policecloud.data.derived.events import build as builder
from policecloud.data.derived.events.build import BuildOptions, EventIndexError, build_event_index
from policecloud.data.derived.events.lookup import EventIndex
from policecloud.data.derived.events.tables import EVENT_TABLES, bucket_of, month_bounds
from policecloud.data.model.vectorized import connect
from policecloud.data.warehouse import open_warehouse

TZ = ZoneInfo("Asia/Shanghai")
# Small files and row groups (DuckDB's smallest: 2,048 rows), so that the tiny province's 49k passes are split
# by month and bucket, and each file into a dozen row groups, like a big province.
SMALL = BuildOptions(row_group_size=2048, target_file_rows=30_000)
DAY0 = dt.datetime(2026, 10, 1, tzinfo=TZ)  # the tiny province's week starts here


@pytest.fixture(scope="module")
def index(tiny_warehouse, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("event-index")
    report = build_event_index(tiny_warehouse.warehouse_dir, index_dir, options=SMALL)
    return EventIndex(index_dir), report


@pytest.fixture(scope="module")
def reference(tiny_warehouse):
    """The warehouse's event tables copied into memory: the brute-force side of every comparison."""
    wcon = open_warehouse(tiny_warehouse.warehouse_dir).connect()
    con = connect()
    for name in EVENT_TABLES:
        data = wcon.sql(f"SELECT * FROM {name}").to_arrow_table()
        con.register(f"_{name}", data)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
    yield con
    con.close()


def brute_force(con, table: str, key: str, start=None, end=None) -> list[tuple]:
    spec = EVENT_TABLES[table]
    where, params = [f'"{spec.key}" = ?'], [key]
    if end is not None:
        where.append(f'"{spec.time}" < ?')
        params.append(end)
    if start is not None:
        where.append(f'coalesce("{spec.end or spec.time}", "{spec.time}") >= ?')
        params.append(start)
    sql = (
        f"SELECT batch || ':' || row, id, \"{spec.time}\" FROM {table} WHERE {' AND '.join(where)} "
        f'ORDER BY "{spec.time}", batch, row'
    )
    return con.execute(sql, params).fetchall()


def found(lookup) -> list[tuple]:
    spec_time = next(c for c in ("time", "start") if c in lookup.table.column_names)
    return [(r["record_key"], r["id"], r[spec_time]) for r in lookup.rows()]


def keys_of(con, table: str, n: int) -> list[str]:
    column = EVENT_TABLES[table].key
    sql = f'SELECT "{column}" FROM {table} WHERE "{column}" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1'
    rows = [r[0] for r in con.execute(sql).fetchall()]
    step = max(1, len(rows) // n)
    return rows[::step][:n]


def test_the_layout_splits_passes_by_month_and_bucket(index):
    ix, report = index
    status = ix.status()
    assert status["checkpoint_pass"]["grain"] == "month" and status["checkpoint_pass"]["buckets"] == 2
    assert status["hotel_stay"]["grain"] == "all"  # under 30,000 rows: one file
    assert report.rows["checkpoint_pass"] == status["checkpoint_pass"]["rows"] > 40_000
    assert all(info["pending_batches"] == 0 for info in status.values())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), first=st.integers(-2, 9), days=st.integers(0, 9), open_side=st.sampled_from("-se"))
def test_passes_equal_a_brute_force_query(index, reference, pick, first, days, open_side):
    ix, _ = index
    plates = keys_of(reference, "checkpoint_pass", 60)
    plate = plates[pick % len(plates)]
    start = DAY0 + dt.timedelta(days=first, hours=pick % 24)
    end = start + dt.timedelta(days=days, minutes=pick % 600)
    start, end = (None if open_side == "s" else start), (None if open_side == "e" else end)
    got = ix.passes(plate, start, end)
    assert got.source == "index"
    assert found(got) == brute_force(reference, "checkpoint_pass", plate, start, end)


@pytest.mark.parametrize("table", [t for t in EVENT_TABLES if t != "checkpoint_pass"])
def test_other_tables_equal_a_brute_force_query(index, reference, table):
    ix, _ = index
    ranges = [(None, None), (DAY0 + dt.timedelta(days=2), DAY0 + dt.timedelta(days=4)), (DAY0, None)]
    checked = 0
    for key in [*keys_of(reference, table, 15), "nobody-0000"]:
        for start, end in ranges:
            got = ix.lookup(table, key, start, end)
            expected = brute_force(reference, table, key, start, end)
            assert found(got) == expected, (table, key, start, end)
            checked += len(expected)
    assert checked > 0


def test_intervals_overlapping_the_range_are_found(index, reference):
    """A hotel stay that began before the range and ended inside it belongs to the range."""
    ix, _ = index
    sql = 'SELECT id_number, start, "end" FROM hotel_stay WHERE "end" - start > INTERVAL 1 DAY ORDER BY row LIMIT 1'
    id_number, start, end = reference.execute(sql).fetchall()[0]
    inside = start + (end - start) / 2
    got = ix.hotel_stays(id_number, inside, inside + dt.timedelta(minutes=1))
    assert any(r["start"] == start and r["end"] == end for r in got.rows())


def test_lookup_reads_few_row_groups(index, reference):
    ix, _ = index
    for plate in keys_of(reference, "checkpoint_pass", 20):
        got = ix.passes(plate, DAY0, DAY0 + dt.timedelta(days=31))
        assert got.files == 1  # one month, one bucket
        assert got.row_groups_total >= 8
        assert 1 <= got.row_groups <= 2, (plate, got.row_groups)
        # Independently of the reader: the plate's rows lie in no more row groups of that file.
        entry = json.loads((ix.index_dir / "current.json").read_text())["version"]
        manifest = json.loads((ix.index_dir / entry / "manifest.json").read_text())["tables"]["checkpoint_pass"]
        (file,) = [f for f in manifest["files"] if f["bucket"] == bucket_of(plate, manifest["buckets"])]
        parquet = pq.ParquetFile(ix.index_dir / entry / file["path"])
        holding = [
            i
            for i in range(parquet.num_row_groups)
            if plate in parquet.read_row_group(i, columns=["plate"]).column("plate").to_pylist()
        ]
        assert len(holding) == got.row_groups


def test_passes_carry_place_and_lineage(index, tiny_warehouse):
    ix, _ = index
    wcon = open_warehouse(tiny_warehouse.warehouse_dir).connect()
    places = {c: loc for c, loc in wcon.execute("SELECT code, location FROM checkpoint").fetchall()}
    plate = wcon.execute("SELECT plate FROM checkpoint_pass WHERE plate IS NOT NULL LIMIT 1").fetchall()[0][0]
    rows = ix.passes(plate).rows()
    assert rows
    for r in rows:
        assert f"{r['lon']:.6f},{r['lat']:.6f}" == places[r["checkpoint_id"]]
        assert r["checkpoint_name"] and r["record_key"] == f"{r['batch']}:{r['row']}"
        assert r["time"].utcoffset() == dt.timedelta(hours=8)
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)


def test_keys_are_normalized_like_the_warehouse(index, reference):
    ix, _ = index
    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    messy = " " + plate[:2] + "·" + plate[2:].lower().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert found(ix.passes(messy)) == found(ix.passes(plate)) != []


def test_without_an_index_the_warehouse_answers(index, tiny_warehouse, reference, tmp_path):
    ix, _ = index
    bare = EventIndex(tmp_path / "none", warehouse_dir=tiny_warehouse.warehouse_dir)
    for plate in keys_of(reference, "checkpoint_pass", 5):
        got = bare.passes(plate, DAY0, DAY0 + dt.timedelta(days=3))
        assert got.source == "warehouse" and got.note and got.files == 0
        assert got.table.equals(ix.passes(plate, DAY0, DAY0 + dt.timedelta(days=3)).table)


def _add_batch(warehouse, batch_id: str, plate: str, new_plate: str, shift_days: int, own_ids: bool = True) -> int:
    """A new ingest: the passes of ``plate`` again as ``new_plate``, moved in time (across a month end)."""
    con = warehouse.connect()
    ids = "id || '-x'" if own_ids else "CAST(NULL AS VARCHAR)"
    query = (
        f"SELECT {ids} AS id, '{batch_id}' AS batch, row, checkpoint_id, lane, direction, "
        f"'{new_plate}' AS plate, plate_color, time - INTERVAL {shift_days} DAY AS time, speed, vehicle_color, "
        f"CAST(time - INTERVAL {shift_days} DAY AS DATE) AS day, 'test_source' AS source "
        f"FROM checkpoint_pass WHERE plate = '{plate}' AND source <> 'test_source'"
    )
    with warehouse.batch(batch_id, con=con) as batch:
        rows = batch.write("checkpoint_pass", query, partition_by=["source", "day"])
    con.close()
    return rows


def _files(version_dir: Path) -> dict[str, int]:
    return {str(p.relative_to(version_dir)): p.stat().st_mtime_ns for p in version_dir.rglob("*.parquet")}


def test_incremental_build_indexes_only_the_new_batch(tiny_warehouse, reference, tmp_path):
    warehouse_dir, index_dir = tmp_path / "warehouse", tmp_path / "index"
    shutil.copytree(tiny_warehouse.warehouse_dir, warehouse_dir)
    first = build_event_index(warehouse_dir, index_dir, options=SMALL)
    version_dir = index_dir / first.version
    before = _files(version_dir)
    ix = EventIndex(index_dir)

    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    warehouse = open_warehouse(warehouse_dir)
    added = _add_batch(warehouse, "test-extra-1", plate, "鄂A0T001", shift_days=3)
    assert added > 0
    # Behind the warehouse: the index answers for what it holds, the new batch's files are scanned.
    behind = ix.passes("鄂A0T001")
    assert behind.source == "index+warehouse" and behind.warehouse_files > 0 and len(behind) == added
    assert ix.status()["checkpoint_pass"]["pending_batches"] == 1

    second = build_event_index(warehouse_dir, index_dir, options=SMALL)
    assert second.version == first.version and not second.rebuilt
    assert second.batches == ["test-extra-1"]
    assert second.rows == {"checkpoint_pass": added}
    after = _files(version_dir)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing rewritten
    new_files = sorted(set(after) - set(before))
    assert new_files and all("/bucket=" in f for f in new_files)
    assert {f.split("/")[1] for f in new_files} == {"month=2026-09", "month=2026-10"}  # moved across a month end

    caught_up = ix.passes("鄂A0T001")
    assert caught_up.source == "index" and caught_up.table.equals(behind.table)
    september = ix.passes("鄂A0T001", dt.datetime(2026, 9, 1, tzinfo=TZ), dt.datetime(2026, 10, 1, tzinfo=TZ))
    assert september.files == 1 and 0 < len(september) < added
    assert build_event_index(warehouse_dir, index_dir, options=SMALL).rows == {}  # nothing new: nothing done


def test_records_without_an_id_of_their_own_read_as_their_record_key(tiny_warehouse, reference, tmp_path):
    warehouse_dir, index_dir = tmp_path / "warehouse", tmp_path / "index"
    shutil.copytree(tiny_warehouse.warehouse_dir, warehouse_dir)
    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    added = _add_batch(open_warehouse(warehouse_dir), "test-no-ids", plate, "鄂A0T002", 0, own_ids=False)
    build_event_index(warehouse_dir, index_dir, ["checkpoint_pass"], options=SMALL)
    for ix in (EventIndex(index_dir), EventIndex(tmp_path / "none", warehouse_dir=warehouse_dir)):
        rows = ix.passes("鄂A0T002").rows()
        assert len(rows) == added and all(r["id"] == r["record_key"] for r in rows)


def test_partitions_with_too_many_files_are_compacted(tiny_warehouse, reference, tmp_path):
    warehouse_dir, index_dir = tmp_path / "warehouse", tmp_path / "index"
    shutil.copytree(tiny_warehouse.warehouse_dir, warehouse_dir)
    options = BuildOptions(row_group_size=2048, target_file_rows=30_000, max_files=2)
    build_event_index(warehouse_dir, index_dir, ["checkpoint_pass"], options=options)
    warehouse = open_warehouse(warehouse_dir)
    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    reports = []
    for n in range(3):
        _add_batch(warehouse, f"test-more-{n}", plate, plate, shift_days=0)
        reports.append(build_event_index(warehouse_dir, index_dir, ["checkpoint_pass"], options=options))
    assert [r.compacted for r in reports] == [0, 2, 0]
    ix = EventIndex(index_dir)
    got = ix.passes(plate)
    assert got.source == "index" and got.files <= 2
    original = brute_force(reference, "checkpoint_pass", plate)
    assert len(got) == 4 * len(original)
    version_dir = index_dir / json.loads((index_dir / "current.json").read_text())["version"]
    manifest = json.loads((version_dir / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["tables"]["checkpoint_pass"]["files"]}
    on_disk = {str(p.relative_to(version_dir)) for p in version_dir.rglob("*.parquet")}
    assert {p for p in on_disk if p.startswith("checkpoint_pass/")} == listed  # merged files are gone


def test_rebuild_switches_versions_atomically(tiny_warehouse, reference, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    first = build_event_index(tiny_warehouse.warehouse_dir, index_dir, ["checkpoint_pass"], options=SMALL)
    ix = EventIndex(index_dir)
    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    expected = ix.passes(plate).table

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builder, "_write_places", broken)
    with pytest.raises(OSError):
        build_event_index(tiny_warehouse.warehouse_dir, index_dir, rebuild=True, options=SMALL)
    monkeypatch.undo()
    # The failed rebuild published nothing: the old version is live and whole.
    assert json.loads((index_dir / "current.json").read_text())["version"] == first.version
    assert ix.passes(plate).table.equals(expected)

    second = build_event_index(tiny_warehouse.warehouse_dir, index_dir, rebuild=True, options=SMALL)
    assert second.rebuilt and second.version != first.version
    assert json.loads((index_dir / "current.json").read_text())["version"] == second.version
    assert sorted(p.name for p in index_dir.glob("v*")) == [second.version]  # older versions removed
    again = ix.passes(plate)  # a reader opened before the switch follows it
    assert again.source == "index" and again.table.equals(expected)
    assert ix.status()["hotel_stay"]["indexed"]


def test_an_index_of_another_warehouse_is_not_used(tiny_warehouse, reference, tmp_path):
    index_dir = tmp_path / "index"
    build_event_index(tiny_warehouse.warehouse_dir, index_dir, ["checkpoint_pass"], options=SMALL)
    other = tmp_path / "other"
    shutil.copytree(tiny_warehouse.warehouse_dir, other)
    batch = sorted((other / "_batches").glob("checkpoint_passes-*.json"))[0]
    batch.unlink()  # this warehouse lacks a batch the index holds
    ix = EventIndex(index_dir, warehouse_dir=other)
    plate = keys_of(reference, "checkpoint_pass", 1)[0]
    assert ix.passes(plate).source == "warehouse"
    assert ix.hotel_stays("42000000000000000X").source == "warehouse"  # a table the index does not cover


def test_month_bounds_follow_the_time_zone():
    first, after = month_bounds("2026-12", "Asia/Shanghai")
    assert first == dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)
    assert after == dt.datetime(2026, 12, 31, 16, tzinfo=dt.UTC)
    assert [bucket_of("鄂A12345", 1), bucket_of("", 64)] == [0, bucket_of("", 64)]
    assert len({bucket_of(f"鄂A{n:05d}", 16) for n in range(200)}) == 16


def test_bad_arguments_are_reported(tmp_path, index):
    with pytest.raises(EventIndexError, match="not a warehouse"):
        build_event_index(tmp_path / "nowhere", tmp_path / "index")
    with pytest.raises(EventIndexError, match="no key index"):
        build_event_index(tmp_path, tmp_path / "index", ["person"])
    with pytest.raises(KeyError):
        index[0].lookup("person", "x")


def test_cli_builds_and_reports(tiny_warehouse, tmp_path):
    from policecloud.platform.cli import app

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "warehouse").symlink_to(tiny_warehouse.warehouse_dir)
    runner = CliRunner()
    result = runner.invoke(app, ["--data-dir", str(data_dir), "index", "events", "--table", "hotel_stay"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output and "hotel_stay" in result.output
    status = EventIndex(data_dir / "event_index").status()
    assert status["hotel_stay"]["indexed"] and not status["checkpoint_pass"]["indexed"]
    result = runner.invoke(app, ["--data-dir", str(data_dir), "index", "events", "--table", "person"])
    assert result.exit_code == 2
