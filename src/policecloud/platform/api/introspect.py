"""Every API route with its declared access policy, read from the application itself (for tests and docs)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute

from policecloud.platform.api.policy import Policy, policy_of


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    policy: Policy | None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _policy(route: APIRoute) -> Policy | None:
    found = [p for d in route.dependant.dependencies if d.call is not None and (p := policy_of(d.call)) is not None]
    return found[0] if len(found) == 1 else None


def api_routes(app: FastAPI) -> list[RouteInfo]:
    """Routes of the platform's apps (mounted as they are) plus any route declared on the app directly."""
    routes: list[APIRoute] = [r for r in app.router.routes if isinstance(r, APIRoute)]
    for platform_app in app.state.apps:
        for router in platform_app.routers:
            routes.extend(r for r in router.routes if isinstance(r, APIRoute))
    out = []
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            out.append(RouteInfo(method, route.path, _policy(route)))
    return sorted(out, key=lambda r: (r.path, r.method))


def openapi_operations(app: FastAPI) -> set[str]:
    """``METHOD path`` of every operation the OpenAPI document advertises."""
    return {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
