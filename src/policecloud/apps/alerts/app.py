"""Early warning (预警) and the one map (一张图) as platform apps."""

from __future__ import annotations

from policecloud.apps.alerts import events as aev
from policecloud.apps.alerts import map_data, routes, sink, stream
from policecloud.platform.registry import App, MenuEntry

APPS = [
    App(
        name="alerts",
        zh="预警",
        en="Early warning",
        routers=[routes.router, stream.router, map_data.router],
        menu=[
            MenuEntry("alerts", "预警处置", "Alerts", "/map#alerts", "alerts.read"),
            MenuEntry("watchlists", "布控管理", "Watchlists", "/map#watchlists", "watchlists.manage"),
        ],
        permissions=["events.ingest", "alerts.read", "alerts.handle", "watchlists.read", "watchlists.manage"],
        hooks={"warehouse_repaired": sink.repair_notes},
        audit_events=[
            aev.WatchlistEntryAdded,
            aev.WatchlistEntryRemoved,
            aev.GeofenceAdded,
            aev.GeofenceRemoved,
            aev.AlertHandled,
            aev.AlertStreamOpened,
            aev.DevicesLoaded,
        ],
    ),
]
