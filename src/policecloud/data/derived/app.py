"""The derived indexes of the data layers (event key index, dossier link copies) as a platform app: it declares
them through ``derived_indexes`` and answers the ``after_ingest`` / ``after_resolve`` hooks by updating every
declared index that exists (building a large one from scratch is a job of its own: ``policecloud index``)."""

from __future__ import annotations

from collections.abc import Sequence

from policecloud.data.derived import steps
from policecloud.data.derived.refresh import StepReport, refresh
from policecloud.platform.config import Settings
from policecloud.platform.registry import App


def after_ingest(settings: Settings, batches: Sequence[str]) -> list[StepReport]:
    """New batches were committed: the indexes read them incrementally (no new batch, nothing to do)."""
    return refresh(settings, "ingest", only_existing=True) if batches else []


def after_resolve(settings: Settings, run_id: str) -> list[StepReport]:
    """A new master-data run: the link copies and the search documents of the entities that changed."""
    return refresh(settings, "resolve", only_existing=True)


APP = App(
    name="derived",
    zh="派生索引",
    en="Derived indexes",
    hooks={"derived_indexes": steps.declared, "after_ingest": after_ingest, "after_resolve": after_resolve},
)
