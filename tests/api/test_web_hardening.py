"""Web hardening (issue 13, finding 11): security headers on every response, /docs without any outside host,
and cookie-authenticated changes refused when they come from another origin."""

from __future__ import annotations

import re

import pytest
from api_support import PASSWORD, PURPOSE

from policecloud.platform.api.security_headers import complete_policy

BASE = "https://testserver"


def _directives(policy: str) -> dict[str, str]:
    return {p.split()[0]: p.strip() for p in policy.split(";") if p.strip()}


@pytest.mark.parametrize(
    "path",
    ["/api/health", "/map", "/search", "/dossier/P0123456789abcdef", "/docs", "/openapi.json", "/no/such/page",
     "/map/vendor/echarts.min.js", "/api/persons?q=x"],
)  # fmt: skip
def test_every_response_has_the_security_headers(platform, path):
    response = platform.client.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("no-referrer", "same-origin")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert "http:" not in response.headers["content-security-policy"].replace("'self'", "")


def test_a_page_keeps_its_own_policy_and_gains_what_it_lacks(platform):
    page = _directives(platform.client.get("/map").headers["content-security-policy"])
    assert page["script-src"] == "script-src 'self'" and page["worker-src"] == "worker-src 'self' blob:"
    assert page["frame-ancestors"] == "frame-ancestors 'none'" and page["object-src"] == "object-src 'none'"
    assert complete_policy("default-src 'none'; frame-ancestors 'self'") == (
        "default-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )


def test_swagger_ui_is_served_from_vendored_files_only(platform):
    page = platform.client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    # Every URL the page names is the platform's own (no CDN, no favicon host, no validator service).
    assert re.findall(r"(?:https?:)?//[\w.-]+", page.text) == []
    assert "validatorUrl" in page.text and '"validatorUrl": null' in page.text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert asset.startswith("/docs-assets/")
        fetched = platform.client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 500, asset
    policy = _directives(page.headers["content-security-policy"])
    assert re.fullmatch(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy["script-src"])  # the start-up script


def _web_login(platform, username: str) -> None:
    """Log in as a browser does: the client keeps the session cookie."""
    body = {"username": username, "password": PASSWORD, "client": "web"}
    if username in platform.secrets:
        from policecloud.platform.access.credentials import totp_now

        body["totp"] = totp_now(platform.secrets[username], platform.clock())
    response = platform.client.post("/api/auth/login", json=body, headers={"Origin": BASE})
    assert response.status_code == 200, response.text
    assert platform.client.cookies.get("pc_session")


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/page"},
     {"Origin": "https://testserver.evil.example"}, {"Origin": "http://testserver:8443"},
     {"Sec-Fetch-Site": "same-site"}],
)  # fmt: skip
def test_a_cookie_authenticated_change_from_another_origin_is_refused(platform, headers):
    platform.user("it.admin", ["sysadmin"])
    victim = platform.user("li.na", ["analyst"])
    _web_login(platform, "it.admin")
    refused = platform.client.post(f"/api/users/{victim}/disable", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "cross_site_request" and refused.json()["message_zh"]
    assert refused.headers["x-frame-options"] == "DENY"
    assert platform.events("user.disable") == []  # nothing happened
    # The same request from the platform's own page goes through.
    done = platform.client.post(f"/api/users/{victim}/disable", headers={"Origin": BASE})
    assert done.status_code == 200, done.text


def test_same_origin_pages_and_bearer_clients_are_not_refused(platform):
    zhou = platform.user("zhou", ["investigator"])
    _web_login(platform, "zhou")
    body = {"id_number": "420111199202022341", "name": "王芳", "jurisdiction_code": "420111001"}
    own_page = platform.client.post(
        "/api/persons", params={"purpose": PURPOSE}, json=body, headers={"Referer": f"{BASE}/persons"}
    )
    assert own_page.status_code == 201, own_page.text
    # A bearer token cannot be set by another origin's page: no origin check (the cookie is ignored then).
    token = platform.issue_token(zhou, "a-bearer-token-of-zhou")
    other = platform.client.delete(
        f"/api/persons/{own_page.json()['id']}", params={"purpose": PURPOSE},
        headers={**token, "Origin": "https://evil.example"},
    )  # fmt: skip
    assert other.status_code == 200
    # Reads are never refused for their origin (they change nothing).
    assert platform.client.get("/api/auth/me", headers={"Origin": "https://evil.example"}).status_code == 200
