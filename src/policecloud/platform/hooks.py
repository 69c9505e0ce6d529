"""Hooks: how a lower layer lets higher ones act without importing them (datasette's hookspecs are the model).

Ingestion does not import the derived indexes, nor the warehouse repair the alerts' live sink: they call a hook,
and whoever implements it acts. An app implements a hook by naming it in ``App(hooks={name: function})``;
:func:`call` runs every implementation, in the order of :func:`policecloud.platform.registry.discover_apps`
(core, data layers, apps, then the extra packages), and returns their results in a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from policecloud.platform.registry import App, discover_apps

# name -> what an implementation receives and returns, and who calls it
SPECS = {
    "after_ingest": "(settings, batches: list[str]) -> list[StepReport]: `policecloud ingest` committed these batches",
    "after_resolve": "(settings, run_id: str) -> list[StepReport]: `policecloud resolve` wrote a new master run",
    "derived_indexes": "() -> list[DerivedIndex]: the disposable indexes `policecloud index all` builds",
    "warehouse_repaired": "(warehouse) -> list[str]: `policecloud warehouse repair` ran; upgrade own batches, say so",
    "on_startup": "(app: FastAPI, settings) -> None: the API application is assembled (create_app), before serving",
}


def call(name: str, *args: Any, apps: Iterable[App] | None = None, extra: Iterable[str] = (), **kwargs: Any) -> list:
    """Every implementation's result, in app order. ``apps`` (default: every discovered app, with the packages of
    ``extra``) is what the API factory passes: the apps it mounted."""
    if name not in SPECS:
        raise KeyError(f"unknown hook {name!r}; known: {', '.join(SPECS)}")
    found = discover_apps(extra) if apps is None else apps
    return [app.hooks[name](*args, **kwargs) for app in found if name in app.hooks]
