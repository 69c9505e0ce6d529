"""Every API route × every role (and anonymous) × inside/outside the data's jurisdiction, against the
specification in permission_matrix.yaml. New routes join automatically: a route the application serves
but the specification does not name fails the test, as does a route without a declared access policy."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Annotated

import pytest
import yaml
from fastapi import APIRouter

from policecloud.apps.alerts.testing import seed_target
from policecloud.apps.dossier.testing import seed_target as seed_dossier_target
from policecloud.apps.search.testing import seed_target as seed_search_target
from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.api import create_app
from policecloud.platform.api.introspect import api_routes, openapi_operations
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.registry import App, discover_apps
from policecloud.platform.store.testing import fast_settings

SPEC = yaml.safe_load((Path(__file__).parent / "permission_matrix.yaml").read_text(encoding="utf-8"))["routes"]
INSIDE, OUTSIDE, DATA_STATION = "420111", "420502", "420111001"
ROLES = ["anonymous", *role_catalogue.roles()]


def test_every_route_declares_a_policy_and_is_specified(platform):
    routes = api_routes(platform.app)
    assert {r.key for r in routes} == openapi_operations(platform.app), "routes outside the platform apps"
    missing_policy = [r.key for r in routes if r.policy is None]
    assert missing_policy == [], f"routes without requires(...): {missing_policy}"
    unspecified = sorted({r.key for r in routes} - set(SPEC))
    assert unspecified == [], f"routes missing from permission_matrix.yaml: {unspecified}"
    stale = sorted(set(SPEC) - {r.key for r in routes})
    assert stale == [], f"permission_matrix.yaml names routes that do not exist: {stale}"
    for key, spec in SPEC.items():
        assert set(spec.get("allow", [])) <= set(role_catalogue.roles()), key
        assert spec["outside"] in ("allow", "hidden", "deny"), key


def test_a_new_apps_routes_join_the_matrix_and_must_declare_a_policy(store_engine, clock):
    guarded, unguarded = APIRouter(), APIRouter()

    @guarded.get("/api/new-app/things")
    def things(_access: Annotated[Access, requires("persons.read", personal_data=True)]) -> dict:
        return {}

    @unguarded.get("/api/new-app/open")
    def wide_open() -> dict:
        return {}

    new_app = App("new-app", "新应用", "New app", routers=[guarded])
    app = create_app(fast_settings(), engine=store_engine, clock=clock, apps=[*discover_apps(), new_app])
    keys = {r.key for r in api_routes(app)}
    assert "GET /api/new-app/things" in keys and "GET /api/new-app/things" not in SPEC  # the matrix test would fail
    with pytest.raises(ValueError, match="without an access policy"):
        create_app(
            fast_settings(), engine=store_engine, clock=clock, apps=[App("bad", "坏", "Bad", routers=[unguarded])]
        )


class World:
    """Users of every role inside and outside the jurisdiction, plus fresh targets per cell."""

    def __init__(self, platform) -> None:
        self.p = platform
        self.counter = itertools.count(1)
        platform.agreement("省交通运输厅", "XY-2026-001", {"persons": ["name", "sex", "birth_date"]})
        platform.user("login.target", ["citizen"])
        self.users: dict[tuple[str, str], int] = {}
        for role, (where, code) in itertools.product(role_catalogue.roles(), [("in", INSIDE), ("out", OUTSIDE)]):
            agency = "省交通运输厅" if role == "partner" else None
            self.users[(role, where)] = platform.user(f"{role}.{where}", [role], code, agency)

    def headers(self, role: str, where: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        return self.p.issue_token(self.users[(role, where)], f"token-{role}-{where}-{next(self.counter)}")

    def request(self, key: str, spec: dict) -> tuple[str, str, dict, dict | None, int | None]:
        method, path = key.split(" ", 1)
        n = next(self.counter)
        target = None
        if "{person_id}" in path or spec.get("list") in ("items", "csv"):
            target = self.p.person(code=DATA_STATION)
            path = path.replace("{person_id}", str(target))
        if "{user_id}" in path or spec.get("list") == "users":
            target = self.p.user(f"target.{n}", ["citizen"], "420111002")
            path = path.replace("{user_id}", str(target))
            if "{code}" in path:  # revoking a grant: the target holds one in force
                path = path.replace("{code}", self.p.grant(target, "420111001"))
        path = path.replace("{seq}", "1")
        if seeded := seed_target(path, spec.get("list"), self.p.engine, DATA_STATION, self.p.clock()):
            target, path = seeded  # early-warning routes: a fresh alert, watchlist entry or geofence
        if found := seed_search_target(path, self.p.app, DATA_STATION):
            target = found  # cloud search: a fresh entity in an in-memory index
        if dossier := seed_dossier_target(path, self.p.app, DATA_STATION[:6]):
            target, path = dossier  # dossiers: the mini province's vehicle, in the data's county
        request = spec.get("request", {})
        fill = lambda v: v.replace("{unique}", str(n)) if isinstance(v, str) else v  # noqa: E731
        params = {k: fill(v) for k, v in request.get("query", {}).items()}
        body = request.get("json")
        if body is not None:
            body = {k: fill(v) for k, v in body.items()}
        return method, path, params, body, target


def _listed(response, spec: dict, target: int) -> bool:
    if spec["list"] == "csv":
        return str(target) in [row["id"] for row in csv.DictReader(io.StringIO(response.text))]
    rows = response.json()[spec["list"]]
    return target in [row["id"] for row in rows]


def _outcome(response, spec: dict, target: int | None) -> str:
    """allow, hidden, deny or unauthenticated — what the caller actually got."""
    status = response.status_code
    if status == 401:
        return "unauthenticated"
    if status == 403:
        return "deny"
    if status == 404:
        return "hidden"
    assert 200 <= status < 300, (status, response.text)
    if spec.get("list") and target is not None and not _listed(response, spec, target):
        return "hidden"
    return "allow"


def _expected(spec: dict, role: str, where: str) -> str:
    if spec.get("public"):
        return "allow"
    if role == "anonymous":
        return "unauthenticated"
    if role not in spec.get("allow", []):
        return "deny"
    return "allow" if where == "in" else spec["outside"]


@pytest.mark.parametrize("store_kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_permission_matrix(platform):
    world = World(platform)
    rank = {"unauthenticated": 0, "deny": 0, "hidden": 1, "allow": 2}
    wrong, unexpected_allows, cells = [], 0, 0
    for key, spec in SPEC.items():
        for role, where in itertools.product(ROLES, ("in", "out")):
            method, path, params, body, target = world.request(key, spec)
            response = platform.client.request(
                method, path, params=params, json=body, headers=world.headers(role, where)
            )
            got, want = _outcome(response, spec, target), _expected(spec, role, where)
            cells += 1
            if response.status_code >= 400:  # every refusal explains itself, in JSON, in both languages
                error = response.json()
                assert error["error"] and error["message"] and error["message_zh"], (key, role, error)
            if got != want:
                wrong.append(f"{key} as {role} ({where}side): expected {want}, got {got} ({response.status_code})")
                unexpected_allows += rank[got] > rank[want]
    assert cells == len(SPEC) * len(ROLES) * 2
    assert unexpected_allows == 0, "\n".join(wrong)
    assert wrong == [], "\n".join(wrong)
