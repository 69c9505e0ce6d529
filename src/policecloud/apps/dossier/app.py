"""Dossiers and tracking (数据追踪 / 全息档案) as a platform app: its API, pages, menu entry and audit events."""

from __future__ import annotations

from policecloud.apps.dossier import events as dev
from policecloud.apps.dossier import pages as dossier_pages
from policecloud.apps.dossier import routes
from policecloud.platform.registry import App, MenuEntry

APP = App(
    name="dossier",
    zh="数据追踪",
    en="Dossiers",
    routers=[routes.router, dossier_pages.router],
    menu=[MenuEntry("dossier", "云搜索 · 全息档案", "Search & dossiers", "/search", "dossier.read")],
    permissions=["dossier.read", "dossier.analyze"],
    audit_events=[dev.DossierRead, dev.DossierPathSearched, dev.DossierLookup],
)
