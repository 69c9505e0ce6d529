"""Bring every derived store up to date, incrementally: what ``policecloud ingest`` and ``policecloud resolve``
run at their end, and what ``policecloud index all`` and the demo run.

- after an ingest: the event key index (new batches only) and the search index (texts of new batches);
- after a resolution run: the dossier's sorted copies of the new run's links and the search index (documents of
  entities that changed).
Each step is skipped with a note when its input does not exist yet (no warehouse, no master data).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from policecloud.platform.config import Settings


@dataclass
class StepReport:
    name: str
    seconds: float
    note: str


def _event_index(settings: Settings) -> str:
    from policecloud.data.derived.events.build import build_event_index
    from policecloud.data.derived.events.tables import default_index_dir

    report = build_event_index(settings.warehouse_dir, default_index_dir(settings.data_dir))
    if not report.total_rows:
        return "up to date"
    return f"{report.total_rows:,} rows of {len(report.batches)} new batches ({report.rows_per_second:,.0f} rows/s)"


def _link_index(settings: Settings) -> str:
    from policecloud.data.derived.links import build_link_index
    from policecloud.data.resolve.master import current_run

    if current_run(settings.data_dir) is None:
        return "skipped: no master data yet"
    built = build_link_index(settings.data_dir)
    return f"built {', '.join(built)}" if built else "up to date"


def _search_index(settings: Settings) -> str:
    from policecloud.data.resolve.master import current_run, master_root
    from policecloud.apps.search.index import update_index

    master = master_root(settings.data_dir) if current_run(settings.data_dir) else None
    report = update_index(master, settings.warehouse_dir, settings.data_dir / "search")
    note = "" if master else " (texts only: no master data yet)"
    return (
        f"{report.mode}: {report.added:,} documents written, {report.deleted:,} removed, {report.total:,} in all{note}"
    )


STEPS: dict[str, Callable[[Settings], str]] = {
    "event_index": _event_index,
    "link_index": _link_index,
    "search_index": _search_index,
}
AFTER_INGEST = ("event_index", "search_index")
AFTER_RESOLVE = ("link_index", "search_index")


def _exists(settings: Settings, name: str) -> bool:
    from policecloud.data.derived.events.tables import default_index_dir

    if name == "event_index":
        return (default_index_dir(settings.data_dir) / "current.json").exists()
    if name == "search_index":
        return (settings.data_dir / "search" / "current.json").exists()
    return True  # the link copies are cheap: always made for a new master run


def refresh(
    settings: Settings, steps: tuple[str, ...] = tuple(STEPS), on_step=None, only_existing: bool = False
) -> list[StepReport]:
    """Run the named steps in order; a missing warehouse makes the whole refresh a no-op.

    ``only_existing``: update the indexes that were built before, and build no new one (what ``ingest`` and
    ``resolve`` do at their end: building the event index of a large province from scratch is a job of its own).
    """
    reports: list[StepReport] = []
    if not settings.warehouse_dir.exists():
        return reports
    for name in steps:
        if only_existing and not _exists(settings, name):
            continue
        started = time.perf_counter()
        note = STEPS[name](settings)
        reports.append(StepReport(name, time.perf_counter() - started, note))
        if on_step:
            on_step(reports[-1])
    return reports
