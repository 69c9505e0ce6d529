"""Logging in over HTTP: MFA step, cookie flags, bearer tokens, lockout, idle expiry, logout."""

from __future__ import annotations

from api_support import PASSWORD

from policecloud.platform.access.credentials import totp_now


def test_login_asks_for_the_totp_code_then_sets_a_secure_http_only_cookie(platform):
    platform.user("li.ming", ["investigator"])
    body = {"username": "li.ming", "password": PASSWORD}
    first = platform.client.post("/api/auth/login", json=body)
    assert first.status_code == 401 and first.json()["error"] == "mfa_required"
    assert "6-digit" in first.json()["message"] and "动态口令" in first.json()["message_zh"]
    body["totp"] = totp_now(platform.secrets["li.ming"], platform.clock())
    second = platform.client.post("/api/auth/login", json=body)
    assert second.status_code == 200 and "token" not in second.json()
    cookie = second.headers["set-cookie"].lower()
    assert "pc_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    me = platform.client.get("/api/auth/me")  # the client sends the cookie back
    assert me.status_code == 200 and me.json()["username"] == "li.ming"
    assert me.json()["unmasked_fields"] == ["address", "id_number", "phone"]


def test_api_clients_get_a_bearer_token(platform):
    platform.user("wang.fang", ["citizen"])
    response = platform.client.post(
        "/api/auth/login", json={"username": "wang.fang", "password": PASSWORD, "client": "api"}
    )
    assert response.status_code == 200 and response.json()["token_type"] == "bearer"
    assert "set-cookie" not in response.headers
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    assert platform.client.get("/api/auth/me", headers=headers).json()["roles"][0]["zh"] == "公众用户"
    assert platform.client.get("/api/auth/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_lockout_over_http(platform):
    platform.user("wang.fang", ["citizen"])
    statuses = [
        platform.client.post(
            "/api/auth/login", json={"username": "wang.fang", "password": "wrong password 1"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 423, 423]
    locked = platform.client.post("/api/auth/login", json={"username": "wang.fang", "password": PASSWORD})
    assert locked.status_code == 423 and "锁定" in locked.json()["message_zh"]
    platform.clock.advance(minutes=10, seconds=1)
    assert platform.client.post("/api/auth/login", json={"username": "wang.fang", "password": PASSWORD}).is_success
    assert len(platform.events("auth.lockout")) == 1


def test_idle_session_expires_and_activity_keeps_it(platform):
    platform.user("wang.fang", ["citizen"])
    headers = platform.login("wang.fang")
    platform.clock.advance(minutes=25)
    assert platform.client.get("/api/menu", headers=headers).status_code == 200
    platform.clock.advance(minutes=25)
    assert platform.client.get("/api/menu", headers=headers).status_code == 200
    platform.clock.advance(minutes=31)
    expired = platform.client.get("/api/menu", headers=headers)
    assert expired.status_code == 401 and expired.json()["error"] == "session_expired"


def test_logout_ends_the_session(platform):
    platform.user("wang.fang", ["citizen"])
    headers = platform.login("wang.fang")
    assert platform.client.post("/api/auth/logout", headers=headers).status_code == 200
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 401
    assert [e["event"] for e in platform.events()][-2:] == ["auth.login", "auth.logout"]


def test_login_events_record_who_and_from_where(platform):
    platform.user("wang.fang", ["citizen"])
    platform.login("wang.fang")
    platform.client.post("/api/auth/login", json={"username": "wang.fang", "password": "nope nope 123"})
    ok, failed = platform.events("auth.login")[0], platform.events("auth.login_failed")[0]
    assert ok["actor"] == "wang.fang" and ok["client"] == "testclient" and ok["kind"] == "api"
    assert failed["reason"] == "password"


def test_password_change_needs_the_current_password_and_ends_sessions(platform):
    platform.user("wang.fang", ["citizen"])
    headers = platform.login("wang.fang")
    wrong = platform.client.post(
        "/api/auth/password",
        json={"current_password": "not it at all 1", "new_password": "new horse 77"},
        headers=headers,
    )
    assert wrong.status_code == 403 and wrong.json()["error"] == "wrong_password"
    weak = platform.client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=headers
    )
    assert weak.status_code == 400 and weak.json()["error"] == "weak_password"
    changed = platform.client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "new horse 77"}, headers=headers
    )
    assert changed.status_code == 200
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 401
    old = platform.client.post("/api/auth/login", json={"username": "wang.fang", "password": PASSWORD})
    assert old.status_code == 401
    assert platform.client.post(
        "/api/auth/login", json={"username": "wang.fang", "password": "new horse 77"}
    ).is_success
    outcomes = [(e["ok"], e["reason"]) for e in platform.events("auth.password_change")]
    assert outcomes == [(False, "wrong_password"), (True, "")]
