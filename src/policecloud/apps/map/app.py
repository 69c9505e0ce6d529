"""The one map (一张图) as a platform app: the dashboard page and the province's boundaries."""

from __future__ import annotations

from policecloud.apps.map import pages
from policecloud.platform.registry import App, MenuEntry

APP = App(
    name="map",
    zh="一张图",
    en="One map",
    routers=[pages.router],
    menu=[MenuEntry("map", "一张图", "One map", "/map", "map.view")],
    permissions=["map.view"],
)
