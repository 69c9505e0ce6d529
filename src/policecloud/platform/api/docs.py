"""``/docs``: Swagger UI from vendored files, so the API reference works on a police network without internet.

FastAPI's default page loads Swagger UI from a public CDN (blank where there is none). Here the page is
FastAPI's own ``get_swagger_ui_html`` pointed at ``swagger-ui-dist`` 5.36.0, vendored unmodified under
``web/static/vendor/swagger-ui`` (see its VERSION file), and served with a Content-Security-Policy that allows
the platform's own origin plus the page's one inline start-up script, by its SHA-256 hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from policecloud.platform.api.policy import Access, requires

VENDOR = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def docs_html(openapi_url: str, title: str) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="/docs-assets/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},  # the default validator is a public web service
    )
    html = bytes(page.body).decode("utf-8")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets (create the app with ``docs_url=None``)."""
    router = APIRouter(include_in_schema=False)
    title = f"{app.title} — Swagger UI"

    @router.get("/docs")
    def docs(_access: Annotated[Access, requires(public=True)]) -> HTMLResponse:
        return docs_html(app.openapi_url or "/openapi.json", title)

    def asset_route(name: str, media_type: str) -> None:
        def asset(_access: Annotated[Access, requires(public=True)]) -> Response:
            return FileResponse(VENDOR / name, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

        asset.__name__ = "docs_asset_" + re.sub(r"\W", "_", name)
        router.add_api_route(f"/docs-assets/{name}", asset, methods=["GET"])

    for name, media_type in ASSETS.items():
        asset_route(name, media_type)
    app.include_router(router)
