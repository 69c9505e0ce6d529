"""What every page of every app shares: the Content-Security-Policy and serving a page's files.

The shared front-end code (the login kept in the tab: ``static/shell/common.js``, the style ``shell.css``) and
the vendored libraries (MapLibre, ECharts, Swagger UI under ``static/vendor``) live here once, for every app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from policecloud.platform.api.policy import Access, requires

STATIC = Path(__file__).resolve().parent / "static"
# The page may load only what the platform serves (no external script, style, image or map tile hosts).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; child-src blob:; connect-src 'self'"
)
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def page_response(path: Path) -> Response:
    """An app's HTML page, with the shell's Content-Security-Policy (pages are public: they hold no data)."""
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


def add_asset_routes(
    router: APIRouter,
    directory: Path,
    assets: dict[str, tuple[str, str]],
    *,
    prefix: str,
    cache: str = "no-cache",
    label: str = "Asset",
) -> None:
    """A public GET route per asset: ``{url: (file under directory, media type)}``."""
    for url, (name, media_type) in assets.items():
        _asset_route(router, url, directory / name, media_type, prefix, cache, label)


def _asset_route(router: APIRouter, url: str, path: Path, media_type: str, prefix: str, cache: str, label: str) -> None:
    # A closure per asset: a default argument would become a query parameter of the route.
    def asset(_access: Annotated[Access, requires(public=True)]) -> Response:
        headers = {"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
        return FileResponse(path, media_type=media_type, headers=headers)

    asset.__name__ = prefix + "_" + "".join(c if c.isalnum() else "_" for c in path.name)
    router.add_api_route(url, asset, methods=["GET"], summary=f"{label} {path.name}")


SHARED = {
    "/dossier-assets/common.js": ("shell/common.js", "text/javascript; charset=utf-8"),
    "/dossier-assets/dossier.css": ("shell/shell.css", "text/css; charset=utf-8"),
    "/map/vendor/maplibre-gl.js": ("vendor/maplibre-gl/maplibre-gl.js", "text/javascript; charset=utf-8"),
    "/map/vendor/maplibre-gl.css": ("vendor/maplibre-gl/maplibre-gl.css", "text/css; charset=utf-8"),
    "/map/vendor/echarts.min.js": ("vendor/echarts/echarts.min.js", "text/javascript; charset=utf-8"),
}
router = APIRouter(tags=["shell"])
add_asset_routes(router, STATIC, SHARED, prefix="shell_asset")
