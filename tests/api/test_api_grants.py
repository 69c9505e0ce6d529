"""Jurisdiction grants through the API (issue 13, finding 1): the reported attack, expiry and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_support import PURPOSE

REASON = "联合专案行动需要跨区核查"


def _person(platform, headers, person_id):
    return platform.client.get(f"/api/persons/{person_id}", params={"purpose": PURPOSE}, headers=headers)


def _grant(platform, headers, user_id, code, **extra):
    body = {"code": code, "reason": REASON, **extra}
    return platform.client.post(f"/api/users/{user_id}/jurisdictions", json=body, headers=headers)


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_prefecture_admin_cannot_grant_the_province_to_an_analyst_or_itself(platform):
    sec_id = platform.user("sec.wuhan", ["secadmin"], "420100")
    analyst_id = platform.user("chen.jing", ["analyst"], "420111")
    county = platform.person("王五", "421126001")  # a county outside Wuhan
    sec, analyst = platform.login("sec.wuhan"), platform.login("chen.jing")
    assert _person(platform, analyst, county).status_code == 404
    wide = _grant(platform, sec, analyst_id, "420000")
    assert wide.status_code == 403 and wide.json()["error"] == "grant_outside_scope" and wide.json()["message_zh"]
    own = _grant(platform, sec, sec_id, "420000")
    assert own.status_code == 403 and own.json()["error"] == "own_account"
    assert _person(platform, analyst, county).status_code == 404  # was 200 after the 201 of the report
    denied = [e["reason"] for e in platform.events("access.denied")]
    assert denied == ["grant_outside_scope", "own_account"]
    assert platform.events("permission.jurisdiction") == []


def test_a_grant_inside_the_scope_lasts_its_days_and_no_longer(platform):
    platform.user("sec.wuhan", ["secadmin"], "420100")
    analyst_id = platform.user("chen.jing", ["analyst"], "420111")
    person = platform.person("张强", "420102003")
    sec = platform.login("sec.wuhan")
    assert _grant(platform, sec, analyst_id, "420102", days=366).status_code == 422  # at most a year
    granted = _grant(platform, sec, analyst_id, "420102", days=2)
    assert granted.status_code == 201 and granted.json()["grants"] == ["420102"]
    (detail,) = granted.json()["grant_details"]
    assert detail["valid_until"] == (platform.clock().date() + timedelta(days=1)).isoformat()  # the last day
    assert platform.events("permission.jurisdiction")[0]["valid_until"] == detail["valid_until"]
    assert _person(platform, platform.login("chen.jing"), person).status_code == 200
    platform.clock.advance(days=2)  # the day after the last one
    assert _person(platform, platform.login("chen.jing"), person).status_code == 404


def test_a_default_grant_ends_after_30_days(platform):
    platform.user("sec.wuhan", ["secadmin"], "420100")
    analyst_id = platform.user("chen.jing", ["analyst"], "420111")
    person = platform.person("张强", "420102003")
    assert _grant(platform, platform.login("sec.wuhan"), analyst_id, "420102").status_code == 201
    platform.clock.advance(days=29)
    assert _person(platform, platform.login("chen.jing"), person).status_code == 200
    platform.clock.advance(days=1)
    assert _person(platform, platform.login("chen.jing"), person).status_code == 404


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_revoked_grant_stops_counting_at_once(platform):
    platform.user("sec.wuhan", ["secadmin"], "420100")
    analyst_id = platform.user("chen.jing", ["analyst"], "420111")
    person = platform.person("张强", "420102003")
    sec, analyst = platform.login("sec.wuhan"), platform.login("chen.jing")
    assert _grant(platform, sec, analyst_id, "420102").status_code == 201
    assert _person(platform, analyst, person).status_code == 200
    url = f"/api/users/{analyst_id}/jurisdictions/420102/revoke"
    assert platform.client.post(url, json={"reason": "短"}, headers=sec).status_code == 400
    revoked = platform.client.post(url, json={"reason": "专案已结束，收回跨区授权"}, headers=sec)
    assert revoked.status_code == 200 and revoked.json()["grants"] == []
    assert revoked.json()["grant_details"][0]["revoked_by"] == "sec.wuhan"
    assert _person(platform, analyst, person).status_code == 404  # the same session, at its next request
    (event,) = platform.events("permission.jurisdiction_revoke")
    assert event["code"] == "420102" and event["reason"] == "专案已结束，收回跨区授权" and event["actor"] == "sec.wuhan"
    again = platform.client.post(url, json={"reason": "专案已结束，收回跨区授权"}, headers=sec)
    assert again.status_code == 404 and again.json()["error"] == "no_such_grant"
    assert platform.client.post(url, json={"reason": "专案已结束，收回跨区授权"}, headers=analyst).status_code == 403
