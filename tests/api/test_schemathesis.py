"""Schema-driven fuzzing of the whole API with Schemathesis: 0 server errors, unauthenticated and as each role.

Every operation of the application's own OpenAPI document gets generated requests — valid ones (positive) and
ones that break the schema (negative) — sent in-process to the ASGI app (no network), as an anonymous client
and with a session of each role of the catalogue. The only check is Schemathesis' ``not_a_server_error``:
whatever the input, the answer is a 2xx–4xx with a reason, never a 5xx. Examples are bounded and derandomized
(the same requests every run; about a minute on two cores), and a partner agreement, a person record and a
valid purpose header make the generated requests reach past the first refusals.
"""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
import schemathesis
from api_support import PURPOSE, Platform
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from policecloud.access import roles as role_catalogue

ROLES = list(role_catalogue.catalogue().roles)
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
AGENCY = "省交通运输厅"


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


@pytest.mark.parametrize("role", [None, *ROLES])
def test_no_generated_request_is_a_server_error(fuzzed, role):
    if role is None:
        identity: dict[str, str] = {}
    else:
        user_id = fuzzed.user(f"fuzz.{role}", [role], agency=AGENCY if role == "partner" else None)
        identity = fuzzed.issue_token(user_id, f"fuzz-token-of-{role}-0123456789")
    schema = schemathesis.openapi.from_dict(fuzzed.app.openapi())
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, count in EXAMPLES.items():

            @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                nonlocal sent
                sent += 1
                response = _send(fuzzed, case, identity)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as failure:  # collect every failing operation, then report them all
                    key = f"{case.operation.label} -> {response.status_code}"
                    failures[key] += 1
                    examples.setdefault(key, f"{case.path_parameters} {case.query} {str(case.body)[:200]}: {failure}")

            with contextlib.suppress(Unsatisfiable):  # no negative case exists for an operation without inputs
                run()
    assert sent > 100
    assert not failures, "\n".join(f"{k} ×{n}: {examples[k][:600]}" for k, n in failures.items())
