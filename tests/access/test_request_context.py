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


def test_one_jurisdiction_definition_rendered_for_each_engine(duck):
    from sqlalchemy import column, select
    from sqlalchemy.dialects import sqlite

    scope = JurisdictionScope.of(["420111", "420200"])
    codes = ["420111001", "420102", "420201", "430000", None]
    # DuckDB SQL text, with and without the rows that have no code
    duck.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES " + ", ".join(f"({c!r})" if c else "(NULL)" for c in codes) + ") v(c)"
    )
    inside = {r[0] for r in duck.execute(f"SELECT c FROM t WHERE {scope.duckdb_sql('c')}").fetchall()}
    assert inside == {c for c in codes if scope.covers(c)} == {"420111001", "420201"}
    wide = {
        r[0] for r in duck.execute(f"SELECT c FROM t WHERE {scope.duckdb_sql('c', unknown_inside=True)}").fetchall()
    }
    assert wide == inside | {None}
    # SQLAlchemy: the same prefixes
    sql = str(select(column("c")).where(scope.clause(column("c"))).compile(dialect=sqlite.dialect()))
    assert sql.count("LIKE") == 2
    # The search index: the prefixes as terms of its jurisdiction field
    assert scope.index_terms() == ["420111", "4202"]


def test_with_purpose_keeps_the_caller_and_changes_only_the_purpose():
    console = RequestContext.console(None, login="importer")
    assert (console.user, console.client, console.via) == ("cli:importer", "local", "cli")
    for_entry = console.with_purpose(parse_purpose("case:A4201112026110001"))
    assert for_entry.actor == console.actor and for_entry.roles == console.roles and for_entry.scope == console.scope
    assert for_entry.stamp(ev.RecordDeleted("persons", 1)).purpose == {"kind": "case", "text": "A4201112026110001"}
    assert console.purpose is None  # the command's own context is unchanged
