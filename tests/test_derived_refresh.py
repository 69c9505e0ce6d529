"""Derived indexes are brought up to date after ingest and resolution, and only existing ones are updated."""

from __future__ import annotations

from policecloud.apps.search.index import open_current
from policecloud.apps.search.query import search
from policecloud.data.derived.events.lookup import EventIndex
from policecloud.data.derived.events.tables import default_index_dir
from policecloud.data.derived.refresh import refresh
from policecloud.data.resolve.cli import run_resolution
from policecloud.data.resolve.master import open_master
from policecloud.platform.config import Settings


def test_refresh_builds_then_updates_every_derived_index(tiny_warehouse, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "warehouse").symlink_to(tiny_warehouse.warehouse_dir)
    (data_dir / "province").symlink_to(tiny_warehouse.province_dir)
    settings = Settings(data_dir=data_dir)
    # Only existing indexes are updated after an ingest: none exists yet, so nothing is built.
    assert refresh(settings, "ingest", only_existing=True) == []
    run_resolution(settings, quiet=True)
    first = {r.name: r.note for r in refresh(settings)}
    assert set(first) == {"event_index", "link_index", "search_index"}
    assert first["search_index"].startswith("full")
    # Nothing changed: everything is up to date, and an update after resolution rewrites nothing.
    again = {r.name: r.note for after in ("ingest", "resolve") for r in refresh(settings, after, only_existing=True)}
    assert again["event_index"] == "up to date"
    assert again["search_index"].startswith("incremental: 0 documents written, 0 removed")
    # The indexes answer: a plate is found by search, and its passes come from the event index.
    con = open_master(data_dir).connect()
    plate = con.execute(
        """SELECT e.key FROM entities e JOIN checkpoint_pass p ON p.plate = e.key
           WHERE e.entity_type = 'vehicle' GROUP BY e.key ORDER BY count(*) DESC LIMIT 1"""
    ).fetchall()[0][0]
    index = open_current(data_dir / "search")
    assert search(index, plate, county_prefixes=None).hits[0].key == plate
    result = EventIndex(default_index_dir(data_dir), warehouse_dir=data_dir / "warehouse").passes(plate)
    assert result.source == "index" and result.rows()
