"""Cloud search (云搜索) as a platform app: its API route and permission.

No menu entry yet: the search page comes with the web pages of the dossiers.
"""

from __future__ import annotations

from policecloud.apps.search import routes as search
from policecloud.apps.search.index_step import declared
from policecloud.platform.access import events as ev
from policecloud.platform.registry import App

APP = App(
    name="search",
    zh="云搜索",
    en="Cloud search",
    routers=[search.router],
    permissions=["search.read"],
    audit_events=[ev.PersonalDataRead, ev.UnmaskedRead],
    hooks={"derived_indexes": declared},
)
