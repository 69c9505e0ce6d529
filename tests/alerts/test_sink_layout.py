"""The live sink lays its files out as ingestion does, so every read of the warehouse keeps working after the
demo's replay has sealed segments (issue 13, finding 12: a ``day=`` file beside ``source=…/day=…`` files made
every read fail with "Hive partition mismatch")."""

from __future__ import annotations

import shutil

from alerts_support import Platform

from policecloud.apps.alerts import sink, sources
from policecloud.apps.alerts.replay import event_time
from policecloud.data.derived.refresh import refresh
from policecloud.data.ingest.quality import freshness
from policecloud.data.resolve.cli import run_resolution
from policecloud.data.warehouse import open_warehouse
from policecloud.data.warehouse.layout import keys_of

PURPOSE = {"purpose": "case:A4201112026110001"}


def test_after_a_replay_past_segment_seals_every_read_path_works(tiny_warehouse, store_engine, clock, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copytree(tiny_warehouse.warehouse_dir, data_dir / "warehouse")  # the session's copy stays untouched
    (data_dir / "province").symlink_to(tiny_warehouse.province_dir)
    day = sources.days(tiny_warehouse.province_dir / "sources")[0]
    everything = sources.day_events(tiny_warehouse.province_dir / "sources", day)
    passes = [e for e in everything if e["kind"] == "checkpoint_pass"][:1200]
    stays = [e for e in everything if e["kind"] == "hotel_stay"][:100]
    events = sorted(passes + stays, key=event_time)
    assert len(stays) > 10
    with Platform(store_engine, clock, data_dir, event_segment_events=500) as platform:
        feed = platform.user("gateway", ["feed"], "420000")
        accepted = 0
        for start in range(0, len(events), 250):
            accepted += platform.post_events(feed, events[start : start + 250])["accepted"]
        platform.process()
        sealed = platform.service.flush_warehouse(seal=True)
        assert len(sealed) == 3  # two segments sealed by size, the last one by the flush

        warehouse = open_warehouse(data_dir / "warehouse")
        assert warehouse.misplaced() == []
        live = [f for b in warehouse.batches() if b.batch_id in sealed for fs in b.files.values() for f in fs]
        assert live and {keys_of(f) for f in live} == {("source", "day")}
        assert all("/source=live/" in f for f in live)
        # ... and with the columns ingestion gives the same tables (names and types), nothing of its own
        for table in ("checkpoint_pass", "hotel_stay"):
            ingested = dict(warehouse.sql(
                f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {warehouse.scan(table)} "
                f"WHERE source <> 'live')"
            ))  # fmt: skip
            mine = warehouse.sql(f"DESCRIBE SELECT * EXCLUDE (source, day) FROM read_parquet("
                                 f"'{data_dir}/warehouse/{table}/source=live/*/*.parquet')")  # fmt: skip
            assert {name: kind for name, kind, *_ in mine}.items() <= ingested.items(), table
        tables = ", ".join(f"(SELECT count(*) FROM {warehouse.scan(t)} WHERE source = 'live')" for t in sink.TABLES
                           if t in warehouse.tables())  # fmt: skip
        assert sum(warehouse.sql(f"SELECT {tables}")[0]) == accepted

        # Every read path of the warehouse: freshness, resolution, the derived indexes (index all) ...
        assert {row["source"] for row in freshness(warehouse)} >= {"checkpoint_passes"}
        run_resolution(platform.settings, quiet=True)
        notes = {r.name: r.note for r in refresh(platform.settings)}
        assert set(notes) == {"event_index", "link_index", "search_index"}

        # ... and the API over them: search, a vehicle's dossier and its trajectory from the event index.
        analyst = platform.user("analyst", ["analyst"], "420000")
        plate = next(e["plate"] for e in events if e["kind"] == "checkpoint_pass" and e.get("plate"))
        found = platform.client.get("/api/search", params={"q": plate, **PURPOSE}, headers=analyst)
        assert found.status_code == 200, found.text
        looked = platform.client.get("/api/dossier/lookup", params={"q": plate, **PURPOSE}, headers=analyst)
        assert looked.status_code == 200, looked.text
        vehicle = next(i["entity_id"] for i in looked.json()["items"] if i["entity_type"] == "vehicle")
        for part in ("", "/timeline", "/trajectory"):
            answer = platform.client.get(f"/api/dossier/{vehicle}{part}", params=PURPOSE, headers=analyst)
            assert answer.status_code == 200, (part, answer.text)
        assert answer.json()["total"] > 0


def _old_sink_batch(root, batch_id: str = "events-000000000000") -> None:
    """What the sink wrote before issue 13: ``<table>/day=…/`` files with its own column names."""
    import datetime as dt
    import json

    import duckdb

    old = {
        "checkpoint_pass": "SELECT 'checkpoint_pass:L1' AS id, TIMESTAMPTZ '2026-10-01 08:00:00+08' AS time, "
        "'4201110001' AS place, '420111' AS county, '鄂A12345' AS plate, '2' AS plate_color, 3 AS direction, "
        "61 AS speed",
        "hotel_stay": "SELECT 'hotel_stay:L2' AS id, TIMESTAMPTZ '2026-10-01 09:00:00+08' AS time, "
        "'91420107MA2NW7P71H' AS place, '420107' AS county, '某旅馆' AS place_name, '421024196508216628' AS id_number, "
        "'王佳红' AS name, NULL AS phone, '301' AS room",
    }
    files, columns = {}, {}
    for row, (table, query) in enumerate(old.items()):
        name = f"{table}/day=2026-10-01/{batch_id}_{row}_0.parquet"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        full = f"SELECT *, 'live' AS source, '{batch_id}' AS batch, {row} AS row FROM ({query})"
        duckdb.sql(f"COPY ({full}) TO '{root / name}' (FORMAT parquet)")
        files[table] = [name]
        columns[table] = [d[0] for d in duckdb.sql(f"DESCRIBE {full}").fetchall()] + ["day"]
    seq = 1 + max(json.loads(p.read_text())["seq"] for p in (root / "_batches").glob("*.json"))
    record = {"batch_id": batch_id, "seq": seq, "committed_at": dt.datetime.now(dt.UTC).isoformat(), "files": files,
              "rows": {t: 1 for t in files}, "columns": columns, "supersedes": [],
              "meta": {"source": "live", "segment": "segment-000000000000.jsonl"}}  # fmt: skip
    (root / "_batches" / f"{batch_id}.json").write_text(json.dumps(record))


def test_a_warehouse_the_old_sink_wrote_is_repaired_then_every_read_path_works(tiny_warehouse, tmp_path):
    from typer.testing import CliRunner

    from policecloud.data.warehouse import DuckDBWarehouse
    from policecloud.platform.cli import app
    from policecloud.platform.config import Settings

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copytree(tiny_warehouse.warehouse_dir, data_dir / "warehouse")
    (data_dir / "province").symlink_to(tiny_warehouse.province_dir)
    _old_sink_batch(data_dir / "warehouse")
    assert len(DuckDBWarehouse(data_dir / "warehouse").misplaced()) == 2

    repaired = CliRunner().invoke(app, ["--data-dir", str(data_dir), "warehouse", "repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "2 file(s) moved" in repaired.output and "columns renamed" in repaired.output
    again = CliRunner().invoke(app, ["--data-dir", str(data_dir), "warehouse", "repair"])
    assert again.exit_code == 0 and "nothing to repair" in again.output and "renamed" not in again.output

    warehouse = open_warehouse(data_dir / "warehouse")
    stays = warehouse.sql(
        f'SELECT id, start, "end", hotel_id, id_number, source, day::VARCHAR FROM {warehouse.scan("hotel_stay")} '
        "WHERE source = 'live'"
    )
    assert [s[3:] for s in stays] == [("91420107MA2NW7P71H", "421024196508216628", "live", "2026-10-01")]
    passes = warehouse.sql(
        f"SELECT checkpoint_id, plate_color, direction, speed FROM {warehouse.scan('checkpoint_pass')} "
        "WHERE source = 'live'"
    )
    assert passes == [("4201110001", "blue", "northbound", 61.0)]
    assert freshness(warehouse)
    settings = Settings(data_dir=data_dir)
    run_resolution(settings, quiet=True)
    assert {r.name for r in refresh(settings)} == {"event_index", "link_index", "search_index"}
