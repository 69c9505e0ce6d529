"""Schema-driven fuzzing of the whole API with Schemathesis: 0 server errors, unauthenticated and as each role.

Every operation of the application's own OpenAPI document gets generated requests — valid ones (positive) and
ones that break the schema (negative) — sent in-process to the ASGI app (no network), as an anonymous client
and with a session of each role of the catalogue. The only check is Schemathesis' ``not_a_server_error``:
whatever the input, the answer is a 2xx–4xx with a reason, never a 5xx.

Bounded to about a minute or two on two cores: every identity sends a few random cases to every operation
(refusals included), and each operation's *coverage* cases (Schemathesis' boundary values, e.g. integers past
2^63, nulls, empty and over-long strings) are sent once, by the first identity allowed to use it, so they reach
the code behind the permission check. The seed is fixed: the same requests every run. A partner
agreement, a person record and a valid purpose header let the generated requests reach past the first refusals.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
import schemathesis
from api_support import PURPOSE, Platform
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import derive_operation_seed
from schemathesis.generation.hypothesis.builder import HypothesisTestConfig, HypothesisTestMode, create_test

from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.api.introspect import api_routes
from policecloud.platform.api.policy import Policy

ROLES = list(role_catalogue.catalogue().roles)
IDENTITIES = [None, *ROLES]  # None: no session at all
RANDOM_CASES = {"owner": 10, "other": 2}  # random cases per operation (each positive or negative)
AGENCY = "省交通运输厅"
SEED = 20261207  # a fixed seed: the same requests every run, whatever the test's source looks like


def coverage_owner(policy: Policy) -> str | None:
    """The first identity allowed past the policy: it sends the operation's coverage cases."""
    if policy.public or policy.refuse_all:
        return None
    for role in ROLES:
        if policy.permission is None or policy.permission in role_catalogue.permissions_of(frozenset({role})):
            return role
    return None


@pytest.fixture
def fuzzed(store_engine, clock, tmp_path):
    platform = Platform(store_engine, clock, data_dir=tmp_path / "data")
    platform.agreement(AGENCY, "XY-2026-001", {"persons": ["name", "birth_date"]})
    platform.person()
    yield platform
    service = getattr(platform.app.state, "alerts", None)  # started by a generated POST /api/events
    if service is not None:
        service.close()


def _send(platform: Platform, case, identity: dict[str, str]):
    """The case as an HTTP request through the platform's in-process client."""
    kwargs = case.as_transport_kwargs(base_url="https://testserver")
    headers = {**kwargs.pop("headers", {}), **identity}
    if not any(k.lower() == "x-purpose" for k in headers):
        headers["X-Purpose"] = PURPOSE
    if "data" in kwargs:
        kwargs["content"] = kwargs.pop("data")
    kwargs.pop("cookies", None)
    return platform.client.request(headers=headers, **kwargs)


@pytest.mark.parametrize("role", IDENTITIES, ids=[r or "anonymous" for r in IDENTITIES])
def test_no_generated_request_is_a_server_error(fuzzed, role):
    identity: dict[str, str] = {}
    if role is not None:
        user_id = fuzzed.user(f"fuzz.{role}", [role], agency=AGENCY if role == "partner" else None)
        identity = fuzzed.issue_token(user_id, f"fuzz-token-of-{role}-0123456789")
    owners = {r.key: coverage_owner(r.policy) for r in api_routes(fuzzed.app) if r.policy is not None}
    schema = schemathesis.openapi.from_dict(fuzzed.app.openapi())
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    sent = Counter[str]()

    def check(case) -> None:
        response = _send(fuzzed, case, identity)
        sent[case.operation.label] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (AssertionError, FailureGroup) as failure:  # collect every failing operation, report them all
            key = f"{case.operation.label} -> {response.status_code}"
            failures[key] += 1
            examples.setdefault(key, f"{case.path_parameters} {case.query} {str(case.body)[:200]}: {failure}")

    for result in schema.get_all_operations():
        operation = result.ok()
        owner = owners.get(operation.label) == role
        modes = [HypothesisTestMode.FUZZING] + ([HypothesisTestMode.COVERAGE] if owner else [])
        limits = settings(
            max_examples=RANDOM_CASES["owner" if owner else "other"], database=None, deadline=None,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        config = HypothesisTestConfig(
            project=schema.config,
            modes=modes,
            settings=limits,
            seed=derive_operation_seed(SEED, f"{role} {operation.label}"),
        )
        with contextlib.suppress(Unsatisfiable):  # no negative case exists for an operation without inputs
            create_test(operation=operation, test_func=check, config=config)()
    assert len(sent) >= 50  # every operation was tried
    assert not failures, "\n".join(f"{k} ×{n}: {examples[k][:600]}" for k, n in failures.items())
