"""The search index as a derived index (``derived_indexes`` hook): updated after every ingest and resolution."""

from __future__ import annotations

from policecloud.data.derived.refresh import DerivedIndex
from policecloud.platform.config import Settings


def _search_index(settings: Settings) -> str:
    from policecloud.apps.search.index import update_index
    from policecloud.data.resolve.master import current_run, master_root

    master = master_root(settings.data_dir) if current_run(settings.data_dir) else None
    report = update_index(master, settings.warehouse_dir, settings.data_dir / "search")
    note = "" if master else " (texts only: no master data yet)"
    return (
        f"{report.mode}: {report.added:,} documents written, {report.deleted:,} removed, {report.total:,} in all{note}"
    )


def declared() -> list[DerivedIndex]:
    exists = lambda settings: (settings.data_dir / "search" / "current.json").exists()  # noqa: E731
    return [DerivedIndex("search_index", _search_index, exists, frozenset({"ingest", "resolve"}))]
