"""The application shell: OpenAPI docs, JSON errors, the platform's apps and menu, administration and audit."""

from __future__ import annotations

from api_support import PURPOSE

from policecloud.platform.access import events as ev
from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.registry import discover_apps


def test_openapi_docs_are_served(platform):
    assert platform.client.get("/docs").status_code == 200
    spec = platform.client.get("/openapi.json").json()
    assert "/api/persons" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/persons"]["get"]["parameters"]}
    assert {"q", "purpose", "x-purpose"} <= params


def test_every_4xx_is_json_with_a_clear_message(platform):
    platform.user("wang.fang", ["citizen"])
    headers = platform.login("wang.fang")
    cases = [
        (platform.client.get("/api/nowhere"), 404, "not_found"),
        (platform.client.put("/api/health"), 405, "method_not_allowed"),
        (platform.client.post("/api/auth/login", json={"username": "x"}), 422, "invalid_request"),
        (
            platform.client.post("/api/auth/login", json={"username": "x", "password": "y", "client": "fax"}),
            422,
            "invalid_request",
        ),
        (platform.client.get("/api/auth/me"), 401, "not_authenticated"),
        (platform.client.get("/api/users", headers=headers), 403, "forbidden"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"] == code and body["message"] and body["message_zh"]
    assert "password" in cases[2][0].json()["message"]


def test_platform_apps_are_discovered_and_consistent():
    apps = discover_apps()
    names = [a.name for a in apps]
    assert {"platform", "admin", "audit", "persons"} <= set(names)
    known = set(role_catalogue.permissions())
    for app in apps:
        assert set(app.permissions) <= known, app.name
        for entry in app.menu:
            assert entry.permission is None or entry.permission in known
        for event_type in app.audit_events:
            assert ev.event_types()[event_type.name] is event_type


def test_menu_shows_only_the_apps_a_role_may_open(platform):
    platform.user("chen.jing", ["analyst"])
    platform.user("aud", ["auditor"])
    analyst = {
        e["key"] for e in platform.client.get("/api/menu", headers=platform.login("chen.jing")).json()["entries"]
    }
    auditor = {e["key"] for e in platform.client.get("/api/menu", headers=platform.login("aud")).json()["entries"]}
    assert analyst == {"persons", "alerts", "map", "dossier"} and auditor == {"audit"}


def test_separation_of_duties_through_the_api(platform):
    platform.user("sec", ["secadmin"], "420000")
    target = platform.user("zhao", ["citizen"], "420100")
    headers = platform.login("sec")
    both = platform.client.put(f"/api/users/{target}/roles", json={"roles": ["sysadmin", "auditor"]}, headers=headers)
    assert both.status_code == 409 and both.json()["error"] == "separation_of_duties"
    one = platform.client.put(f"/api/users/{target}/roles", json={"roles": ["analyst"]}, headers=headers)
    assert one.status_code == 200 and one.json()["roles"] == ["analyst"]
    (change,) = platform.events("permission.roles")
    assert change["before"] == ["citizen"] and change["after"] == ["analyst"] and change["actor"] == "sec"
    own = platform.client.put("/api/users/1/roles", json={"roles": ["analyst"]}, headers=headers)
    assert own.status_code == 403 and own.json()["error"] == "own_roles"


def test_account_administration_is_audited(platform):
    platform.user("sys", ["sysadmin"], "420100")
    headers = platform.login("sys")
    created = platform.client.post(
        "/api/users",
        json={"username": "liu.yang", "password": "long password 12", "jurisdiction": "420111003"},
        headers=headers,
    )
    assert created.status_code == 201 and created.json()["roles"] == []
    uid = created.json()["id"]
    reset = platform.client.post(f"/api/users/{uid}/reset-mfa", headers=headers).json()
    assert reset == {"username": "liu.yang", "mfa_enrolled": False, "sessions_ended": 0}  # no secret to the admin
    assert platform.client.post(f"/api/users/{uid}/disable", headers=headers).json()["disabled"] is True
    events = [e["event"] for e in platform.events() if e["event"].startswith("user.")]
    assert events == ["user.create", "user.create", "user.mfa_reset", "user.disable"]
    outside = platform.client.post(
        "/api/users",
        json={"username": "far", "password": "long password 12", "jurisdiction": "420502"},
        headers=headers,
    )
    assert outside.status_code == 403


def test_auditor_searches_and_verifies_the_log(platform):
    platform.user("aud", ["auditor"])
    headers = platform.login("aud")
    platform.client.post("/api/auth/login", json={"username": "nobody", "password": "whatever 123"})
    found = platform.client.get(
        "/api/audit", params={"event": "auth.login_failed", "purpose": PURPOSE}, headers=headers
    )
    assert found.status_code == 200
    (entry,) = found.json()["entries"]
    assert entry["payload"] == {"username": "nobody", "reason": "unknown_user"} and len(entry["hash"]) == 64
    verified = platform.client.get("/api/audit/verify", headers=headers).json()
    assert verified["ok"] is True and verified["first_broken"] is None
    assert [e["event"] for e in platform.events()][-2:] == ["audit.search", "audit.verify"]
    assert platform.client.get("/api/audit", headers=headers).status_code == 400  # purpose needed here too


def test_attempts_to_alter_the_log_are_refused_and_logged(platform):
    platform.user("aud", ["auditor"])
    headers = platform.login("aud")
    for response in (
        platform.client.delete("/api/audit/1", headers=headers),
        platform.client.patch("/api/audit/1", headers=headers),
    ):
        assert response.status_code == 403 and response.json()["error"] == "append_only"
    attempts = platform.events("audit.tamper_attempt")
    assert [(a["action"], a["target"], a["actor"]) for a in attempts] == [
        ("DELETE", "/api/audit/1", "aud"),
        ("PATCH", "/api/audit/1", "aud"),
    ]
    verified = platform.client.get("/api/audit/verify", headers=headers).json()
    assert verified["ok"] is True


def test_denials_are_audited(platform):
    platform.user("wang.fang", ["citizen"])
    response = platform.client.get(
        "/api/persons", params={"q": "张", "purpose": PURPOSE}, headers=platform.login("wang.fang")
    )
    assert response.status_code == 403
    (denial,) = platform.events("access.denied")
    assert denial["route"] == "GET /api/persons" and denial["actor"] == "wang.fang"
