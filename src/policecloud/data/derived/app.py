"""The derived indexes of the data layers (event key index, dossier link copies) as a platform app: it answers
the ``after_ingest`` / ``after_resolve`` hooks by refreshing every declared index."""

from __future__ import annotations

from policecloud.data.derived import steps
from policecloud.data.derived.refresh import refresh
from policecloud.platform.registry import App

APP = App(
    name="derived",
    zh="派生索引",
    en="Derived indexes",
    hooks={
        "derived_indexes": steps.declared,
        "after_ingest": lambda settings, batches=(): refresh(settings, "ingest", only_existing=True),
        "after_resolve": lambda settings, run_id=None: refresh(settings, "resolve", only_existing=True),
    },
)
