"""The tiny app as the platform sees it: its router, its menu entry, its audit event, a hook."""

from __future__ import annotations

from policecloud.platform.registry import App, MenuEntry
from tiny_app import routes
from tiny_app.events import TinyPinged

STARTED: list[str] = []  # what the on_startup hook saw (the test reads it)

APP = App(
    name="tiny",
    zh="小应用",
    en="Tiny app",
    routers=[routes.router],
    menu=[MenuEntry("tiny", "小应用", "Tiny app", "/tiny")],
    audit_events=[TinyPinged],
    hooks={"on_startup": lambda app, settings: STARTED.append(app.title)},
)
