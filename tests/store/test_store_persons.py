"""The person registry's queries keep the jurisdiction rule inside the SQL statement, on both engines."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from policecloud.apps.persons import queries as persons
from policecloud.platform.access.jurisdiction import JurisdictionScope
from policecloud.platform.store.base import utcnow
from policecloud.platform.store.models import PersonRecord

PEOPLE = [
    ("420111199001011234", "张伟", "420111001"),  # Hongshan district, a station of it
    ("420102198502023456", "张敏", "420102"),  # Jiang'an district, Wuhan
    ("420502197003034567", "张强", "420502003"),  # Yichang
    ("429004200001015678", "李娜", "429004"),  # Xiantao (directly administered)
]


def _seed(session: Session) -> dict[str, int]:
    ids = {}
    for id_number, name, code in PEOPLE:
        record = PersonRecord(
            id_number=id_number, name=name, jurisdiction_code=code, created_at=utcnow(), updated_at=utcnow()
        )
        session.add(record)
        session.flush()
        ids[name] = record.id
    session.commit()
    return ids


def _names(session: Session, codes: list[str], q: str = "张") -> list[str]:
    scope = JurisdictionScope.of(codes)
    return sorted(p.name for p in persons.search(session, scope.clause(PersonRecord.jurisdiction_code), q))


def test_scope_levels_select_the_right_rows(store_engine):
    with Session(store_engine) as session:
        _seed(session)
        assert _names(session, ["420000"]) == ["张伟", "张强", "张敏"]  # province sees all
        assert _names(session, ["420100"]) == ["张伟", "张敏"]  # Wuhan prefecture
        assert _names(session, ["420111"]) == ["张伟"]  # a county sees its stations
        assert _names(session, ["420111001"]) == ["张伟"]
        assert _names(session, ["420111002"]) == []  # a neighbouring station does not
        assert _names(session, ["420111", "420502"]) == ["张伟", "张强"]  # home plus a grant
        assert _names(session, ["420000"], "李") == ["李娜"]


def test_get_outside_scope_returns_nothing(store_engine):
    with Session(store_engine) as session:
        ids = _seed(session)
        inside = JurisdictionScope.of(["420111"]).clause(PersonRecord.jurisdiction_code)
        outside = JurisdictionScope.of(["420500"]).clause(PersonRecord.jurisdiction_code)
        assert persons.get(session, inside, ids["张伟"]).name == "张伟"
        assert persons.get(session, outside, ids["张伟"]) is None


def test_exact_id_number_and_phone_match(store_engine):
    with Session(store_engine) as session:
        _seed(session)
        scope = JurisdictionScope.of(["420000"]).clause(PersonRecord.jurisdiction_code)
        found = persons.search(session, scope, "420502197003034567")
        assert [p.name for p in found] == ["张强"]
        assert persons.search(session, scope, "42050219700303") == []  # no partial ID-number matching


def test_the_jurisdiction_rule_is_in_the_sql_sent_to_the_database(store_engine):
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(store_engine, "before_cursor_execute", capture)
    try:
        with Session(store_engine) as session:
            _seed(session)
            statements.clear()
            _names(session, ["420502"])
    finally:
        event.remove(store_engine, "before_cursor_execute", capture)
    (sql, params), *_ = [s for s in statements if "person_records" in s[0]]
    assert "jurisdiction_code LIKE" in sql
    assert "420502" in str(params)


def test_like_wildcards_in_queries_are_literal(store_engine):
    with Session(store_engine) as session:
        _seed(session)
        scope = JurisdictionScope.of(["420000"]).clause(PersonRecord.jurisdiction_code)
        assert persons.search(session, scope, "%") == []
        assert persons.search(session, scope, "_") == []
