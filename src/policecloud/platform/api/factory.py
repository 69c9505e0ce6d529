"""The FastAPI application factory: settings in, application out; routers come from the platform's apps."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from sqlalchemy import Engine

from policecloud import __version__
from policecloud.platform import hooks
from policecloud.platform.access.auth import Clock, system_clock
from policecloud.platform.api import body_limit, login_limits
from policecloud.platform.api.csrf import install_csrf_check
from policecloud.platform.api.docs import install_docs
from policecloud.platform.api.errors import install_error_handlers
from policecloud.platform.api.introspect import api_routes
from policecloud.platform.api.security_headers import install_security_headers
from policecloud.platform.config import Settings
from policecloud.platform.registry import App, discover_apps
from policecloud.platform.store import make_engine, make_sessionmaker


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock = system_clock,
    apps: Sequence[App] | None = None,
) -> FastAPI:
    """Build the API. The store must already be migrated (``policecloud db upgrade``; ``serve`` does it)."""
    app = FastAPI(
        title="policecloud API",
        description="警务云 — every read of personal data is authorized, justified and audited.",
        version=__version__,
        docs_url=None,  # /docs is served from vendored files (policecloud.platform.api.docs), not a CDN
        redoc_url=None,
    )
    engine = engine or make_engine(settings.operational_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.clock = clock
    app.state.apps = list(discover_apps(settings.apps) if apps is None else apps)
    for platform_app in app.state.apps:
        for router in platform_app.routers:
            app.include_router(router)
    install_error_handlers(app)
    login_limits.install(app, settings)  # 429 before Argon2 for a client or account past its login rate
    body_limit.install(app, settings)  # outside the login limits and the app: 413 before any body is parsed
    install_docs(app)
    install_security_headers(app)
    install_csrf_check(app)
    unguarded = [r.key for r in api_routes(app) if r.policy is None]
    if unguarded:
        # Refuse to serve a route whose access rule nobody stated (see policecloud.platform.api.policy.requires).
        raise ValueError(f"routes without an access policy (requires(...)): {unguarded}")
    hooks.call("on_startup", app, settings, apps=app.state.apps)
    return app
