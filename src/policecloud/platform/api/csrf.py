"""Cross-site request refusal for requests that change something with the session cookie.

The session cookie is ``SameSite=Strict``, so a browser does not send it from another *site*; but another
origin of the same site (a sibling host name, another port) still gets it sent, and body-less admin POSTs
(``/api/users/{id}/disable``) need no JSON a form could not forge. So an unsafe request (POST, PUT, PATCH,
DELETE) that carries the session cookie and no bearer token must come from the platform's own origin:

- its ``Origin`` (browsers send it on every such request), else its ``Referer``, must name the host the
  request was sent to (the ``Host`` header, default ports ignored); ``Origin: null`` (sandboxed or privacy
  contexts) is refused;
- ``Sec-Fetch-Site: cross-site`` or ``same-site`` without a matching ``Origin`` is refused.

A request with neither header is let through: no browser sends an unsafe request without ``Origin``, so it
comes from a program holding the cookie itself — as trusted as a bearer token. Bearer-token requests are not
checked: a page on another origin cannot set ``Authorization`` without a CORS preflight, which the platform
never grants. Refusals are 403 ``cross_site_request`` with the usual bilingual JSON body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI

from policecloud.platform.api.policy import SESSION_COOKIE
from policecloud.platform.api.security_headers import ASGIApp, Scope, security_headers

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}
REFUSAL = {
    "error": "cross_site_request",
    "message": "Refused: the request did not come from this platform's own pages.",
    "message_zh": "请求被拒绝：该请求并非来自本平台的页面。",
}


def _netloc(scheme: str, host_port: str) -> str:
    """``host[:port]`` lower-cased, without the scheme's default port."""
    host_port = host_port.strip().lower()
    host, sep, port = host_port.rpartition(":")
    if sep and port.isdigit() and not host_port.endswith("]") and _DEFAULT_PORTS.get(scheme) == port:
        return host
    return host_port


def _origin_netloc(value: str) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return _netloc(parts.scheme, parts.netloc)


def has_session_cookie(cookie_header: str) -> bool:
    return any(part.split("=", 1)[0].strip() == SESSION_COOKIE for part in cookie_header.split(";"))


def cross_site(headers: dict[str, str], scheme: str) -> str | None:
    """Why a cookie-authenticated unsafe request with these (lower-case) headers is cross-site, or None."""
    own = _netloc(scheme, headers.get("host", ""))
    origin = headers.get("origin")
    if origin is not None:
        if origin.strip().lower() == "null":
            return "Origin: null"
        return None if _origin_netloc(origin) == own else f"Origin {origin[:100]!r}"
    referer = headers.get("referer")
    if referer is not None:
        return None if _origin_netloc(referer) == own else f"Referer {referer[:100]!r}"
    if headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return "Sec-Fetch-Site " + headers["sec-fetch-site"][:20]
    return None


class CrossSiteRefusal:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        bearer = headers.get("authorization", "").lower().startswith("bearer ")
        if bearer or not has_session_cookie(headers.get("cookie", "")):
            await self.app(scope, receive, send)
            return
        reason = cross_site(headers, scope.get("scheme", "http"))
        if reason is None:
            await self.app(scope, receive, send)
            return
        log.warning("refused a cross-site %s %s (%s)", scope["method"], scope.get("path", ""), reason)
        body = json.dumps(REFUSAL, ensure_ascii=False).encode("utf-8")
        base = {"content-type": "application/json", "content-length": str(len(body))}
        out = {**base, **security_headers(base)}
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def install_csrf_check(app: FastAPI) -> None:
    app.add_middleware(CrossSiteRefusal)
