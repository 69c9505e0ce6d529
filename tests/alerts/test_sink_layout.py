"""The live sink lays its files out as ingestion does, so every read of the warehouse keeps working after the
demo's replay has sealed segments (issue 13, finding 12: a ``day=`` file beside ``source=…/day=…`` files made
every read fail with "Hive partition mismatch")."""

from __future__ import annotations

import shutil

from alerts_support import Platform

from policecloud.alerts import sink, sources
from policecloud.derived.refresh import refresh
from policecloud.ingest.quality import freshness
from policecloud.resolve.cli import run_resolution
from policecloud.warehouse import open_warehouse
from policecloud.warehouse.layout import keys_of

PURPOSE = {"purpose": "case:A4201112026110001"}


def test_after_a_replay_past_segment_seals_every_read_path_works(tiny_warehouse, store_engine, clock, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copytree(tiny_warehouse.warehouse_dir, data_dir / "warehouse")  # the session's copy stays untouched
    (data_dir / "province").symlink_to(tiny_warehouse.province_dir)
    day = sources.days(tiny_warehouse.province_dir / "sources")[0]
    events = sources.day_events(tiny_warehouse.province_dir / "sources", day)[:1300]
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
