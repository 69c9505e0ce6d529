"""Accepted events reach the warehouse: one batch per sealed log segment, idempotent, with lineage."""

from __future__ import annotations

from alerts_support import checkpoint_pass

from policecloud.data.warehouse import open_warehouse


def test_accepted_events_reach_the_warehouse_once(platform):
    feed = platform.user("gateway", ["feed"], "420000")
    stay = {"kind": "hotel_stay", "id": "LG1", "time": "2026-10-03 21:00:00", "hotel": "91420107MA2NW7P71H",
            "id_number": "421024196508216628", "name": "王佳红", "room": "301"}  # fmt: skip
    platform.post_events(feed, [checkpoint_pass(1, "鄂A12345"), stay, checkpoint_pass(2, "鄂A54321")])
    platform.process()
    assert platform.service.flush_warehouse() == ["events-000000000000"]
    assert platform.service.flush_warehouse() == []  # nothing new: nothing written
    warehouse = open_warehouse(platform.settings.warehouse_dir)
    passes = warehouse.sql(
        f"SELECT id, plate, source, batch, row FROM {warehouse.scan('checkpoint_pass')} ORDER BY row"
    )
    assert passes == [
        ("checkpoint_pass:P1", "鄂A12345", "live", "events-000000000000", 0),
        ("checkpoint_pass:P2", "鄂A54321", "live", "events-000000000000", 2),
    ]
    stays = warehouse.sql(f"SELECT id_number, hotel_id, row FROM {warehouse.scan('hotel_stay')}")
    assert stays == [("421024196508216628", "91420107MA2NW7P71H", 1)]
    platform.post_events(feed, [checkpoint_pass(3, "鄂A12345")])  # a new segment after the seal
    assert platform.service.flush_warehouse() == ["events-000000000003"]
