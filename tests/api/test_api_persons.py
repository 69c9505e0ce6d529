"""Person records through the API: purpose, jurisdiction, masking, partners, export, and audit."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from api_support import PURPOSE, Platform

from policecloud.platform.access import audit
from policecloud.platform.store.testing import FakeClock


def _get(platform, headers, path, **params):
    return platform.client.get(path, params=params, headers=headers)


def test_reading_personal_data_without_a_purpose_is_400(platform):
    platform.user("chen.jing", ["analyst"])
    headers = platform.login("chen.jing")
    person = platform.person()
    for response in (
        _get(platform, headers, "/api/persons", q="张"),
        _get(platform, headers, f"/api/persons/{person}"),
        _get(platform, headers, f"/api/persons/{person}", purpose="查一下"),
    ):
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "purpose_required" and "purpose" in body["message"] and "事由" in body["message_zh"]
    assert platform.events("data.read") == []  # nothing was read


def test_purpose_may_come_in_a_percent_encoded_header(platform):
    platform.user("chen.jing", ["analyst"])
    headers = platform.login("chen.jing") | {"X-Purpose": quote("核查在逃人员线索并比对身份")}
    person = platform.person()
    assert _get(platform, headers, f"/api/persons/{person}").status_code == 200
    (read,) = platform.events("data.read")
    assert read["purpose"] == {"kind": "justification", "text": "核查在逃人员线索并比对身份"}


@pytest.mark.parametrize(
    ("role", "id_number", "phone", "address"),
    [
        ("analyst", "4201**********1234", "138****5678", "湖北省武汉市洪山区****"),
        ("dispatcher", "4201**********1234", "13812345678", "湖北省武汉市洪山区珞喻路1037号3栋201室"),
        ("patrol", "420111199001011234", "138****5678", "湖北省武汉市洪山区****"),
        ("investigator", "420111199001011234", "13812345678", "湖北省武汉市洪山区珞喻路1037号3栋201室"),
    ],
)
def test_fields_are_masked_unless_the_role_is_granted_them(platform, role, id_number, phone, address):
    platform.user("officer", [role])
    headers = platform.login("officer")
    person = platform.person()
    record = _get(platform, headers, f"/api/persons/{person}", purpose=PURPOSE).json()
    assert (record["id_number"], record["phone"], record["address"]) == (id_number, phone, address)
    assert record["name"] == "张伟"
    (read,) = platform.events("data.read")
    unmasked = platform.events("data.unmasked")
    if role == "analyst":
        assert read["unmasked_fields"] == [] and unmasked == []
    else:
        assert unmasked and unmasked[0]["result_ids"] == [person] and unmasked[0]["fields"] == read["unmasked_fields"]


def test_every_read_is_audited_with_who_what_results_and_purpose(platform):
    platform.user("chen.jing", ["analyst"])
    headers = platform.login("chen.jing")
    ids = [platform.person(), platform.person("张敏", "420111002"), platform.person("张强", "420502003")]
    found = _get(platform, headers, "/api/persons", q="张", purpose=PURPOSE).json()
    assert sorted(r["id"] for r in found["items"]) == ids[:2]  # 张强 is in Yichang, outside 420111
    (read,) = platform.events("data.read")
    assert read["actor"] == "chen.jing" and read["client"] == "testclient"
    assert read["query"] == {"q": "张", "limit": 20} and sorted(read["result_ids"]) == ids[:2]
    assert read["purpose"] == {"kind": "case", "text": "A4201112026110001"} and read["outcome"] == "ok"
    missing = _get(platform, headers, f"/api/persons/{ids[2]}", purpose=PURPOSE)
    assert missing.status_code == 404 and "辖区" in missing.json()["message_zh"]
    assert platform.events("data.read")[-1]["outcome"] == "not_found"


def test_a_jurisdiction_grant_widens_the_scope(platform):
    platform.user("sec", ["secadmin"], "420000")
    officer = platform.user("chen.jing", ["analyst"])
    outside = platform.person("张强", "420502003")
    headers = platform.login("chen.jing")
    assert _get(platform, headers, f"/api/persons/{outside}", purpose=PURPOSE).status_code == 404
    grant = platform.client.post(
        f"/api/users/{officer}/jurisdictions",
        json={"code": "420502", "reason": "宜昌联合专案需跨区核查"},
        headers=platform.login("sec"),
    )
    assert grant.status_code == 201 and grant.json()["grants"] == ["420502"]
    assert _get(platform, headers, f"/api/persons/{outside}", purpose=PURPOSE).status_code == 200
    assert platform.events("permission.jurisdiction")[0]["code"] == "420502"


def test_partner_reads_are_limited_to_the_agreement_and_logged_as_disclosures(platform):
    platform.agreement("省交通运输厅", "XY-2026-001", {"persons": ["name", "birth_date"]})
    platform.user("partner.a", ["partner"], agency="省交通运输厅")
    platform.user("partner.b", ["partner"], agency="某无协议单位")
    person = platform.person()
    record = _get(platform, platform.login("partner.a"), f"/api/persons/{person}", purpose=PURPOSE).json()
    assert record == {"id": person, "name": "张伟", "birth_date": "1990-01-01"}
    (disclosure,) = platform.events("data.disclosure")
    assert disclosure["recipient"] == "省交通运输厅" and disclosure["agreement"] == "XY-2026-001"
    assert disclosure["fields"] == ["birth_date", "name"] and disclosure["result_ids"] == [person]
    refused = _get(platform, platform.login("partner.b"), f"/api/persons/{person}", purpose=PURPOSE)
    assert refused.status_code == 403 and refused.json()["error"] == "no_agreement"


def test_export_is_masked_and_audited(platform):
    platform.user("chen.jing", ["analyst"])
    person = platform.person()
    response = _get(platform, platform.login("chen.jing"), "/api/persons/export", q="张伟", purpose=PURPOSE)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "4201**********1234" in response.text and "420111199001011234" not in response.text
    (export,) = platform.events("data.export")
    assert export["result_ids"] == [person] and export["format"] == "csv"


def test_create_change_delete_are_audited(platform):
    platform.user("zhou", ["investigator"])
    headers = platform.login("zhou")
    created = platform.client.post(
        "/api/persons",
        params={"purpose": PURPOSE},
        json={"id_number": "420111199202022341", "name": "王芳", "jurisdiction_code": "420111001"},
        headers=headers,
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    changed = platform.client.patch(
        f"/api/persons/{pid}", params={"purpose": PURPOSE}, json={"phone": "13900001111"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["phone"] == "13900001111"
    assert platform.client.delete(f"/api/persons/{pid}", params={"purpose": PURPOSE}, headers=headers).is_success
    kinds = [
        (e["event"], e.get("record_id"), e.get("fields")) for e in platform.events() if e["event"].startswith("data.")
    ]
    assert kinds == [("data.create", pid, ["id_number", "jurisdiction_code", "name"]),
                     ("data.change", pid, ["phone"]), ("data.delete", pid, None)]  # fmt: skip
    outside = platform.client.post(
        "/api/persons",
        params={"purpose": PURPOSE},
        json={"id_number": "420502199202022347", "name": "刘洋", "jurisdiction_code": "420502003"},
        headers=headers,
    )
    assert outside.status_code == 403 and outside.json()["error"] == "outside_jurisdiction"


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_an_action_whose_audit_entry_cannot_be_written_fails(store_engine, monkeypatch):
    platform = Platform(store_engine, FakeClock())
    platform.user("zhou", ["investigator"])
    headers = platform.login("zhou")
    person = platform.person()

    def broken_append(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "append", broken_append)
    deleted = platform.client.delete(f"/api/persons/{person}", params={"purpose": PURPOSE}, headers=headers)
    created = platform.client.post(
        "/api/persons",
        params={"purpose": PURPOSE},
        json={"id_number": "420111199202022341", "name": "王芳", "jurisdiction_code": "420111001"},
        headers=headers,
    )
    assert (deleted.status_code, created.status_code) == (500, 500)
    assert deleted.json()["error"] == "internal_error"
    monkeypatch.undo()
    still_there = platform.client.get(f"/api/persons/{person}", params={"purpose": PURPOSE}, headers=headers)
    assert still_there.status_code == 200
    found = platform.client.get("/api/persons", params={"q": "王芳", "purpose": PURPOSE}, headers=headers).json()
    assert found["count"] == 0
