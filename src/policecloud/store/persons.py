"""The person registry's queries. The caller's jurisdiction scope is part of every statement's WHERE clause,
so rows outside it never leave the database (nothing is filtered afterwards in Python)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from policecloud.store.models import PersonRecord

FIELDS = ("id", "id_number", "name", "sex", "birth_date", "phone", "address", "jurisdiction_code")
EDITABLE = ("id_number", "name", "sex", "birth_date", "phone", "address", "jurisdiction_code")
MAX_RESULTS = 50


def match_clause(q: str) -> ColumnElement[bool]:
    q = q.strip()
    return or_(
        PersonRecord.name.contains(q, autoescape=True),
        PersonRecord.id_number == q.upper(),
        PersonRecord.phone == q,
    )


def search(session: Session, scope: ColumnElement[bool], q: str, limit: int = MAX_RESULTS) -> list[PersonRecord]:
    stmt = (
        select(PersonRecord)
        .where(scope, match_clause(q))
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
