"""The web shell as a platform app: the home page (``/``). It has no menu entry: it is the menu."""

from __future__ import annotations

from policecloud.platform.registry import App
from policecloud.platform.web import home, shell

APP = App(name="home", zh="首页", en="Home", routers=[home.router, shell.router])
