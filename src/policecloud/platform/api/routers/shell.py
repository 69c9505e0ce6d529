"""The platform shell's API: health and the menu of apps the caller may open (一屏功能展示)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.routing import Match

from policecloud import __version__
from policecloud.platform.api.policy import Access, requires

router = APIRouter(prefix="/api", tags=["platform"])


@router.get("/health", summary="Liveness check")
def health(_access: Annotated[Access, requires(public=True)]) -> dict[str, str]:
    return {"status": "ok", "version": __version__}


def _serves_page(request: Request, path: str) -> bool:
    """Whether the platform answers a GET at ``path`` (an entry without a page is reached by its API). Asked
    of the router as a request would be routed, included routers and path parameters alike."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b"", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


@router.get("/menu", summary="Menu entries of every app the caller's permissions open")
def menu(request: Request, access: Annotated[Access, requires()]) -> dict[str, object]:
    """Only the entries the caller's permissions open; ``page`` says whether the platform serves a page at the
    entry's path (the home page offers the API documentation for the others)."""
    user = access.user
    access.commit()
    entries = []
    for app in request.app.state.apps:
        for entry in app.menu:
            if entry.permission is None or user.can(entry.permission):
                entries.append(
                    {"app": app.name, "app_zh": app.zh, "app_en": app.en, "key": entry.key, "zh": entry.zh,
                     "en": entry.en, "path": entry.path, "page": _serves_page(request, entry.path.split("#", 1)[0])}
                )  # fmt: skip
    return {"entries": entries}
