"""Bring every derived store up to date, incrementally: what ``policecloud ingest`` and ``policecloud resolve``
run at their end (through the ``after_ingest`` / ``after_resolve`` hooks this package implements), and what
``policecloud index all`` and the demo run.

The indexes are whatever the apps declare through the ``derived_indexes`` hook (the event key index and the
dossier link copies here in ``data.derived``, the search index in ``apps.search``): this module names none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from policecloud.platform import hooks
from policecloud.platform.config import Settings


@dataclass
class StepReport:
    name: str
    seconds: float
    note: str


@dataclass(frozen=True)
class DerivedIndex:
    """A disposable index an app declares (``derived_indexes`` hook): how to bring it up to date, whether it was
    built before, and after which runs (``"ingest"``, ``"resolve"``) it is updated."""

    name: str
    build: Callable[[Settings], str]
    exists: Callable[[Settings], bool]
    after: frozenset[str]  # "ingest", "resolve"


def indexes(settings: Settings) -> list[DerivedIndex]:
    """Every declared index, in app order (the event index, the link copies, then the apps' own)."""
    return [index for found in hooks.call("derived_indexes", extra=settings.apps) for index in found]


def refresh(
    settings: Settings, after: str | None = None, on_step=None, only_existing: bool = False
) -> list[StepReport]:
    """Run the indexes (those run ``after`` an ingest or a resolution, or all) in order."""
    reports: list[StepReport] = []
    if not settings.warehouse_dir.exists():
        return reports
    for index in indexes(settings):
        if after is not None and after not in index.after:
            continue
        if only_existing and not index.exists(settings):
            continue
        started = time.perf_counter()
        note = index.build(settings)
        reports.append(StepReport(index.name, time.perf_counter() - started, note))
        if on_step:
            on_step(reports[-1])
    return reports
