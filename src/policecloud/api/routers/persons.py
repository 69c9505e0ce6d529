"""The person registry (人员信息): search, view, create, change, delete and export person records.

Every request carries a purpose; rows are limited to the caller's jurisdiction in SQL; sensitive fields are
masked unless the role is granted them; partners see only their agreement's fields; everything is audited
with the result ids, in the same transaction.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from policecloud.access import events as ev
from policecloud.access.errors import AccessError, not_found
from policecloud.access.masking import MASKERS, mask_record
from policecloud.api.policy import Access, requires
from policecloud.store import persons
from policecloud.store.models import PersonRecord

RESOURCE = "persons"
router = APIRouter(prefix="/api/persons", tags=["persons"])


class PersonIn(BaseModel):
    id_number: str = Field(min_length=15, max_length=18)
    name: str = Field(min_length=1, max_length=64)
    sex: str = Field(default="", max_length=1)
    birth_date: date | None = None
    phone: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=500)
    jurisdiction_code: str = Field(min_length=6, max_length=12)


class PersonPatch(BaseModel):
    id_number: str | None = Field(default=None, min_length=15, max_length=18)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    sex: str | None = Field(default=None, max_length=1)
    birth_date: date | None = None
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    jurisdiction_code: str | None = Field(default=None, min_length=6, max_length=12)


def _disclose(
    access: Access, records: list[PersonRecord], query: dict[str, Any], event_cls: type = ev.PersonalDataRead
):
    """Shape rows for the caller (mask / agreement fields) and audit the disclosure; returns the rows."""
    user = access.user
    purpose = access.purpose.as_dict() if access.purpose else {}
    ids = [r.id for r in records]
    rows = [persons.to_dict(r) for r in records]
    if user.is_partner:
        allowed = user.partner.fields_for(RESOURCE) if user.partner else frozenset()
        if not allowed:
            raise access.refuse(
                AccessError(
                    403,
                    "no_agreement",
                    "Your agency has no data-sharing agreement in force for person records.",
                    "贵单位没有有效的人员信息共享协议。",
                )
            )
        shown = sorted(allowed)
        rows = [{k: v for k, v in row.items() if k in allowed or k == "id"} for row in rows]
        access.audit(
            ev.PartnerDisclosure(user.partner.agency, ",".join(user.partner.references), RESOURCE, shown, ids, purpose)
        )
        unmasked = sorted(allowed & MASKERS.keys())
    else:
        unmasked = sorted(user.unmasked & MASKERS.keys())
        rows = [mask_record(row, user.unmasked) for row in rows]
    if event_cls is ev.DataExported:
        access.audit(ev.DataExported(RESOURCE, query, ids, "csv", purpose, unmasked))
    else:
        access.audit(ev.PersonalDataRead(RESOURCE, query, ids, purpose, "ok" if ids else "not_found", unmasked))
    if unmasked and ids:
        access.audit(ev.UnmaskedRead(RESOURCE, unmasked, ids, purpose))
    return rows


@router.get("", summary="Search person records by name, ID number or phone")
def search(
    access: Annotated[Access, requires("persons.read", personal_data=True, jurisdiction=True)],
    q: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=persons.MAX_RESULTS)] = 20,
) -> dict[str, object]:
    records = persons.search(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), q, limit)
    rows = _disclose(access, records, {"q": q, "limit": limit})
    access.commit()
    return {"items": rows, "count": len(rows)}


@router.get("/export", summary="Export matching person records as CSV (masked as for viewing)")
def export(
    access: Annotated[Access, requires("persons.export", personal_data=True, jurisdiction=True)],
    q: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    scope = access.user.scope.clause(PersonRecord.jurisdiction_code)
    records = persons.search(access.db, scope, q, persons.MAX_RESULTS)
    rows = _disclose(access, records, {"q": q}, ev.DataExported)
    access.commit()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(persons.FIELDS))
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/{person_id}", summary="One person record")
def get_person(
    person_id: int, access: Annotated[Access, requires("persons.read", personal_data=True, jurisdiction=True)]
) -> dict[str, object]:
    record = persons.get(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), person_id)
    rows = _disclose(access, [record] if record else [], {"id": person_id})
    access.commit()
    if not rows:
        raise not_found("person record", "人员记录")
    return rows[0]


def _check_code(access: Access, code: str) -> None:
    if not access.user.scope.covers(code):
        raise access.refuse(
            AccessError(
                403,
                "outside_jurisdiction",
                f"Jurisdiction {code} is outside yours.",
                f"辖区 {code} 不在您的管辖范围内。",
            )
        )


@router.post("", status_code=201, summary="Create a person record in your jurisdiction")
def create_person(
    body: PersonIn, access: Annotated[Access, requires("persons.write", personal_data=True, jurisdiction=True)]
) -> dict[str, object]:
    _check_code(access, body.jurisdiction_code)
    record = PersonRecord(**body.model_dump(), created_at=access.now, updated_at=access.now)
    access.db.add(record)
    access.db.flush()
    access.audit(ev.RecordCreated(RESOURCE, record.id, sorted(body.model_fields_set), access.purpose.as_dict()))
    access.commit()
    return mask_record(persons.to_dict(record), access.user.unmasked)


@router.patch("/{person_id}", summary="Change a person record")
def change_person(
    person_id: int,
    body: PersonPatch,
    access: Annotated[Access, requires("persons.write", personal_data=True, jurisdiction=True)],
) -> dict[str, object]:
    record = persons.get(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), person_id)
    if record is None:
        raise not_found("person record", "人员记录")
    changes = body.model_dump(exclude_unset=True)
    if "jurisdiction_code" in changes:
        _check_code(access, changes["jurisdiction_code"])
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = access.now
    access.db.flush()
    access.audit(ev.RecordChanged(RESOURCE, record.id, sorted(changes), access.purpose.as_dict()))
    access.commit()
    return mask_record(persons.to_dict(record), access.user.unmasked)


@router.delete("/{person_id}", summary="Delete a person record")
def delete_person(
    person_id: int, access: Annotated[Access, requires("persons.write", personal_data=True, jurisdiction=True)]
) -> dict[str, object]:
    record = persons.get(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), person_id)
    if record is None:
        raise not_found("person record", "人员记录")
    access.db.delete(record)
    access.db.flush()
    access.audit(ev.RecordDeleted(RESOURCE, person_id, access.purpose.as_dict()))
    access.commit()
    return {"deleted": person_id}
