"""Hooks: how a lower layer lets higher ones act without importing them (datasette's hookspecs are the model).

An app implements a hook by naming it in ``App(hooks={name: function})``; :func:`call` runs every
implementation, in the order of :func:`policecloud.platform.registry.discover_apps`, and returns their results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from policecloud.platform.registry import App, discover_apps

# name -> what an implementation receives and returns
SPECS = {
    "after_ingest": "(settings, batches: list[str]) -> list[StepReport]: brings derived stores up to date",
    "after_resolve": "(settings, run_id: str) -> list[StepReport]: brings derived stores up to date",
    "derived_indexes": "() -> list[DerivedIndex]: the disposable indexes `policecloud index all` builds",
    "warehouse_repaired": "(warehouse) -> list[str]: upgrades an app's own batches; returns notes",
    "on_startup": "(app: FastAPI, settings) -> None: when the API starts",
}


def call(name: str, *args: Any, apps: Iterable[App] | None = None, **kwargs: Any) -> list[Any]:
    if name not in SPECS:
        raise KeyError(f"unknown hook {name!r}; known: {', '.join(SPECS)}")
    return [
        app.hooks[name](*args, **kwargs) for app in (discover_apps() if apps is None else apps) if name in app.hooks
    ]
