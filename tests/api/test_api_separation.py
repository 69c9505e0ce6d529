"""三员分立 through the API (issue 13, finding 6): administrators hold no personal-data role and never act on an
administrator's account; reset-MFA hands out no secret; the user enrols the second factor and changes the
initial password at first login."""

from __future__ import annotations

import itertools

import pytest
from api_support import PASSWORD, PURPOSE

from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.access.credentials import totp_now

ADMINS = sorted(n for n in role_catalogue.roles() if role_catalogue.is_admin_role(n))
READERS = sorted(n for n, r in role_catalogue.roles().items() if r.sees_personal_data and n not in ADMINS)
NEW_PASSWORD = "my own password 7"


def test_the_catalogue_has_what_the_rule_is_about():
    assert ADMINS == ["auditor", "secadmin", "sysadmin"]
    assert {"analyst", "investigator", "partner"} <= set(READERS) and "feed" not in READERS


@pytest.mark.parametrize(("admin", "reader"), list(itertools.product(ADMINS, READERS)))
def test_an_admin_role_excludes_every_personal_data_role(admin, reader):
    with pytest.raises(Exception) as err:
        role_catalogue.check_separation_of_duties([admin, reader])
    assert getattr(err.value, "code", None) == "separation_of_duties" and "三员分立" in err.value.zh


def test_the_reported_pairs_are_refused_through_the_api(platform):
    platform.user("sec", ["secadmin"], "420000")
    target = platform.user("zhao", ["citizen"], "420100")
    headers = platform.login("sec")
    for pair in (["auditor", "investigator"], ["sysadmin", "analyst"]):
        refused = platform.client.put(f"/api/users/{target}/roles", json={"roles": pair}, headers=headers)
        assert refused.status_code == 409 and refused.json()["error"] == "separation_of_duties"


def test_admin_roles_are_not_given_through_the_api(platform):
    platform.user("sec", ["secadmin"], "420000")
    target = platform.user("zhao", ["citizen"], "420100")
    for role in ADMINS:
        refused = platform.client.put(f"/api/users/{target}/roles", json={"roles": [role]},
                                      headers=platform.login("sec"))  # fmt: skip
        assert refused.status_code == 403 and refused.json()["error"] == "admin_roles_by_operator"
        platform.clock.advance(seconds=30)  # a fresh TOTP step for the next login


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_no_admin_acts_on_another_admins_account(platform):
    platform.user("sys", ["sysadmin"], "420000")
    platform.user("sec", ["secadmin"], "420000")
    others = {name: platform.user(name, [role], "420100") for name, role in
              [("sys.two", "sysadmin"), ("sec.two", "secadmin"), ("aud", "auditor")]}  # fmt: skip
    sys_headers, sec_headers = platform.login("sys"), platform.login("sec")
    for uid in others.values():
        for action in ("disable", "reset-mfa"):
            refused = platform.client.post(f"/api/users/{uid}/{action}", headers=sys_headers)
            assert refused.status_code == 403 and refused.json()["error"] == "admin_account", (uid, action)
        roles = platform.client.put(f"/api/users/{uid}/roles", json={"roles": ["citizen"]}, headers=sec_headers)
        assert roles.status_code == 403 and roles.json()["error"] == "admin_account"
        grant = platform.client.post(f"/api/users/{uid}/jurisdictions", headers=sec_headers,
                                     json={"code": "420102", "reason": "联合专案行动需要跨区核查"})  # fmt: skip
        assert grant.status_code == 403 and grant.json()["error"] == "admin_account"
    assert platform.events("user.disable") == [] and platform.events("user.mfa_reset") == []
    assert platform.events("permission.roles") == [] and platform.events("permission.jurisdiction") == []
    assert len([e for e in platform.events("access.denied") if e["reason"] == "admin_account"]) == 12
    # The auditor can still log in: the system administrator could not switch the audit off.
    assert platform.client.get("/api/auth/me", headers=platform.login("aud")).status_code == 200


def test_reset_mfa_gives_the_admin_no_secret_and_ends_the_users_sessions(platform):
    platform.user("sys", ["sysadmin"], "420000")
    uid = platform.user("li.ming", ["investigator"], "420111")
    user_headers = platform.login("li.ming")
    assert platform.client.get("/api/auth/me", headers=user_headers).status_code == 200
    reset = platform.client.post(f"/api/users/{uid}/reset-mfa", headers=platform.login("sys"))
    assert reset.status_code == 200 and reset.json() == {"username": "li.ming", "mfa_enrolled": False,
                                                         "sessions_ended": 1}  # fmt: skip
    assert "totp" not in reset.text
    assert platform.client.get("/api/auth/me", headers=user_headers).status_code == 401
    (event,) = platform.events("user.mfa_reset")
    assert event["sessions_ended"] == 1 and event["actor"] == "sys"
    # The old secret is gone: the user (who alone knows the password) is offered a new one at login.
    body = {"username": "li.ming", "password": PASSWORD, "client": "api",
            "totp": totp_now(platform.secrets["li.ming"], platform.clock())}  # fmt: skip
    offered = platform.client.post("/api/auth/login", json={k: v for k, v in body.items() if k != "totp"})
    assert offered.status_code == 401 and offered.json()["error"] == "mfa_enrolment_required"
    assert offered.json()["totp_secret"] != platform.secrets["li.ming"]
    assert platform.client.post("/api/auth/login", json=body).status_code == 401  # the old factor no longer works


def _login(platform, username, password, totp=None):
    body = {"username": username, "password": password, "client": "api"}
    if totp:
        body["totp"] = totp
    return platform.client.post("/api/auth/login", json=body)


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_first_login_enrols_the_factor_and_changes_the_password_before_anything_else(platform):
    """The reported chain: an account the system administrator created is of no use to them."""
    platform.user("sys", ["sysadmin"], "420100")
    platform.user("sec", ["secadmin"], "420100")
    created = platform.client.post(
        "/api/users",
        json={"username": "liu.yang", "password": "initial password 1", "jurisdiction": "420111003"},
        headers=platform.login("sys"),
    )
    assert created.status_code == 201 and "totp" not in created.text and created.json()["must_change_password"]
    uid = created.json()["id"]
    assert platform.client.put(f"/api/users/{uid}/roles", json={"roles": ["analyst"]},
                               headers=platform.login("sec")).status_code == 200  # fmt: skip
    person = platform.person("张伟", "420111003")

    offered = _login(platform, "liu.yang", "initial password 1")
    assert offered.status_code == 401 and offered.json()["error"] == "mfa_enrolment_required"
    secret = offered.json()["totp_secret"]
    assert offered.json()["totp_uri"].startswith("otpauth://totp/") and offered.json()["message_zh"]
    assert _login(platform, "liu.yang", "initial password 1").json()["totp_secret"] == secret  # the same offer
    wrong = "000000" if totp_now(secret, platform.clock()) != "000000" else "111111"
    assert _login(platform, "liu.yang", "initial password 1", wrong).status_code == 401
    assert _login(platform, "liu.yang", "wrong password 99", totp_now(secret, platform.clock())).status_code == 401

    opened = _login(platform, "liu.yang", "initial password 1", totp_now(secret, platform.clock()))
    assert opened.status_code == 200 and opened.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {opened.json()['token']}"}
    for method, path in [("GET", f"/api/persons/{person}"), ("GET", "/api/persons"), ("GET", "/api/users")]:
        refused = platform.client.request(method, path, params={"purpose": PURPOSE}, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "password_change_required", path
    me = platform.client.get("/api/auth/me", headers=headers).json()
    assert me["must_change_password"] is True and me["permissions"] == [] and me["scope"] == []
    assert platform.client.get("/api/menu", headers=headers).json()["entries"] == []
    change = {"current_password": "initial password 1", "new_password": NEW_PASSWORD}
    changed = platform.client.post("/api/auth/password", headers=headers, json=change)
    assert changed.status_code == 200
    assert platform.client.get("/api/auth/me", headers=headers).status_code == 401  # every session ended

    platform.clock.advance(seconds=30)
    again = _login(platform, "liu.yang", NEW_PASSWORD, totp_now(secret, platform.clock()))
    assert again.status_code == 200 and again.json()["must_change_password"] is False
    headers = {"Authorization": f"Bearer {again.json()['token']}"}
    assert (
        platform.client.get(f"/api/persons/{person}", params={"purpose": PURPOSE}, headers=headers).status_code == 200
    )
    assert [e["event"] for e in platform.events() if e["event"].startswith("auth.mfa")] == [
        "auth.mfa_enrolment_offered", "auth.mfa_enrolment_offered", "auth.mfa_enrolled",
    ]  # fmt: skip
    (created_event,) = [e for e in platform.events("user.create") if e["username"] == "liu.yang"]
    assert created_event["provisioned"] is False and created_event["actor"] == "sys"


def test_a_user_without_a_role_needing_mfa_only_changes_the_password(platform):
    platform.user("wang.fang", ["citizen"], first_login=True)
    opened = _login(platform, "wang.fang", PASSWORD)
    assert opened.status_code == 200 and opened.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {opened.json()['token']}"}
    same = platform.client.post("/api/auth/password", headers=headers,
                                json={"current_password": PASSWORD, "new_password": PASSWORD})  # fmt: skip
    assert same.status_code == 400
    platform.client.post("/api/auth/password", headers=headers,
                         json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})  # fmt: skip
    assert _login(platform, "wang.fang", NEW_PASSWORD).json()["must_change_password"] is False
