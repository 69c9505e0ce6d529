"""The platform shell's API: health and the menu of apps the caller may open (一屏功能展示)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from policecloud import __version__
from policecloud.api.policy import Access, requires

router = APIRouter(prefix="/api", tags=["platform"])


@router.get("/health", summary="Liveness check")
def health(_access: Annotated[Access, requires(public=True)]) -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/menu", summary="Menu entries of every app the caller's permissions open")
def menu(request: Request, access: Annotated[Access, requires()]) -> dict[str, object]:
    user = access.user
    access.commit()
    entries = []
    for app in request.app.state.apps:
        for entry in app.menu:
            if entry.permission is None or user.can(entry.permission):
                entries.append({"app": app.name, "key": entry.key, "zh": entry.zh, "en": entry.en, "path": entry.path})
    return {"entries": entries}
