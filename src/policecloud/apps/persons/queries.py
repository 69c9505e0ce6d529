"""The person registry's queries. The caller's jurisdiction scope is part of every statement's WHERE clause,
so rows outside it never leave the database (nothing is filtered afterwards in Python)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from policecloud.platform.store.models import PersonRecord

FIELDS = ("id", "id_number", "name", "sex", "birth_date", "phone", "address", "jurisdiction_code")
EDITABLE = ("id_number", "name", "sex", "birth_date", "phone", "address", "jurisdiction_code")
MAX_RESULTS = 50
# The fields a search text is matched against: the name by substring, the ID number and phone exactly.
SEARCHABLE = frozenset({"name", "id_number", "phone"})


def match_clause(q: str, fields: frozenset[str] = SEARCHABLE) -> ColumnElement[bool]:
    """Rows whose searchable ``fields`` match ``q``; only those fields (a partner matches only on the fields its
    agreement shares, so a name-only agreement cannot test whether an ID number or phone is on file)."""
    q = q.strip()
    tests = {
        "name": lambda: PersonRecord.name.contains(q, autoescape=True),
        "id_number": lambda: PersonRecord.id_number == q.upper(),
        "phone": lambda: PersonRecord.phone == q,
    }
    chosen = [make() for name, make in tests.items() if name in fields]
    if not chosen:
        raise ValueError(f"no searchable field among {sorted(fields)}")
    return or_(*chosen)


def search(
    session: Session,
    scope: ColumnElement[bool],
    q: str,
    limit: int = MAX_RESULTS,
    fields: frozenset[str] = SEARCHABLE,
) -> list[PersonRecord]:
    stmt = (
        select(PersonRecord)
        .where(scope, match_clause(q, fields))
        .order_by(PersonRecord.id)
        .limit(max(1, min(limit, MAX_RESULTS)))
    )
    return list(session.execute(stmt).scalars())


def get(session: Session, scope: ColumnElement[bool], person_id: int) -> PersonRecord | None:
    stmt = select(PersonRecord).where(scope, PersonRecord.id == person_id)
    return session.execute(stmt).scalar_one_or_none()


def to_dict(person: PersonRecord) -> dict[str, Any]:
    out = {name: getattr(person, name) for name in FIELDS}
    if isinstance(out["birth_date"], date):
        out["birth_date"] = out["birth_date"].isoformat()
    return out
