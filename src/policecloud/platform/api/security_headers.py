"""Security headers on every HTTP response (pages, assets, JSON, errors), added in one place.

- ``Content-Security-Policy``: a route may set its own (the pages do, to allow what they load); whatever it
  says, the directives that forbid framing and foreign form targets are added when missing, so
  ``frame-ancestors 'none'`` is on every page. A response without one gets :data:`DEFAULT_CSP` (the
  platform's own origin only, as the map and dossier pages use).
- ``X-Frame-Options: DENY`` (older browsers' frame-ancestors), ``X-Content-Type-Options: nosniff`` (a JSON
  answer or a vendored script is never sniffed into HTML), ``Referrer-Policy: same-origin`` (addresses carry
  purposes and search terms: they never leave the platform in a Referer; same-origin requests keep theirs,
  which the cross-site check of :mod:`policecloud.platform.api.csrf` may fall back on).

A plain ASGI middleware (not ``BaseHTTPMiddleware``): it only edits the response start, so streaming
responses and WebSockets pass through untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

# Added to any policy that lacks them (a page's own policy included).
REQUIRED_DIRECTIVES = {
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "object-src": "'none'",
}
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; child-src blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
STATIC_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def complete_policy(policy: str) -> str:
    """``policy`` with every :data:`REQUIRED_DIRECTIVES` entry it does not state itself."""
    stated = {part.split()[0].lower() for part in policy.split(";") if part.strip()}
    missing = [f"{name} {value}" for name, value in REQUIRED_DIRECTIVES.items() if name not in stated]
    return "; ".join([policy.strip().rstrip(";"), *missing]) if missing else policy


def security_headers(existing: dict[str, str]) -> dict[str, str]:
    """The headers to set on a response whose headers (lower-case names) are ``existing``."""
    out = {name: value for name, value in STATIC_HEADERS.items() if name not in existing}
    policy = existing.get("content-security-policy")
    out["content-security-policy"] = complete_policy(policy) if policy else DEFAULT_CSP
    return out


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                existing = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
                extra = security_headers(existing)
                kept = [(k, v) for k, v in raw if k.decode("latin-1").lower() not in extra]
                message["headers"] = kept + [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
