"""One request context for every entry point: the audit event's purpose comes from it, never from the event."""

from __future__ import annotations

import pytest

from policecloud.platform.access import events as ev
from policecloud.platform.access.context import RequestContext
from policecloud.platform.access.jurisdiction import JurisdictionScope
from policecloud.platform.access.principal import Principal
from policecloud.platform.access.purpose import parse_purpose

PRINCIPAL = Principal(
    user_id=1, username="wang.li", roles=frozenset({"analyst"}), permissions=frozenset({"search.read"}),
    scope=JurisdictionScope.of(["420111"]), unmasked=frozenset(),
)  # fmt: skip


def test_every_entry_point_builds_the_same_context():
    purpose = parse_purpose("case:A4201112026110001")
    http = RequestContext.of(PRINCIPAL, purpose, "10.0.0.7", "http")
    websocket = RequestContext.of(PRINCIPAL, purpose, "10.0.0.7", "websocket")
    assert (http.user, http.roles, http.scope, http.purpose, http.client) == (
        websocket.user, websocket.roles, websocket.scope, websocket.purpose, websocket.client,
    )  # fmt: skip
    assert http.actor.name == "wang.li" and http.actor.client == "10.0.0.7"
    console = RequestContext.console(purpose, JurisdictionScope.of(["420111"]))
    assert console.user.startswith("cli:") and console.client == "local" and console.via == "cli"
    assert RequestContext.of(None, None, "10.0.0.7", "http").user == "anonymous"


def test_the_purpose_of_an_event_is_stamped_from_the_context():
    context = RequestContext.of(PRINCIPAL, parse_purpose("incident:J2026-0001"), "10.0.0.7", "http")
    read = context.stamp(ev.PersonalDataRead("persons", {"q": "x"}, [1], "ok"))
    assert read.purpose == {"kind": "incident", "text": "J2026-0001"}
    assert context.stamp(ev.LoginFailed("x", "password")) == ev.LoginFailed("x", "password")  # no purpose field
    no_purpose = RequestContext.of(PRINCIPAL, None, "10.0.0.7", "http")
    assert no_purpose.stamp(ev.RecordDeleted("persons", 1)).purpose == {}


def test_an_event_cannot_bring_its_own_purpose_through_a_request():
    context = RequestContext.of(PRINCIPAL, parse_purpose("case:A4201112026110001"), "10.0.0.7", "http")
    with pytest.raises(ValueError, match="comes from the request context"):
        context.stamp(ev.UnmaskedRead("persons", ["phone"], [1], purpose={"kind": "case", "text": "OTHER1"}))
