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
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from policecloud.apps.persons import queries as persons
from policecloud.data.model import types
from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError, not_found
from policecloud.platform.access.masking import MASKERS, mask_record
from policecloud.platform.api.ids import RecordId
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.store.models import PersonRecord

RESOURCE = "persons"
router = APIRouter(prefix="/api/persons", tags=["persons"])


_JURISDICTION = r"^[0-9]{6}(?:[0-9]{3}){0,2}$"  # a division (6), police-station (9) or unit (12) code
# Fields a record cannot be without; the others may be cleared with null.
_REQUIRED = ("id_number", "name", "jurisdiction_code")


def _element(type_name: str, value: str) -> str:
    """``value`` checked and normalized by the model's element type (as ingestion does), or a ValueError."""
    checked = types.get(type_name).check(value)
    if checked.reason:
        raise ValueError(f"not a valid {type_name} ({checked.reason})")
    if type_name == "sex":
        return str(checked.details["code"])  # stored as the GB/T 2261.1 code (1 male, 2 female, …)
    return str(checked.value)


class _PersonFields(BaseModel):
    """Shared checks of a record's values: ID number, sex and phone by their element types."""

    @field_validator("id_number", check_fields=False)
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return None if value is None else _element("id_number", value)

    @field_validator("sex", "phone", check_fields=False)
    @classmethod
    def _optional_element(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return value if value is None else ""
        return _element(info.field_name, value)

    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            raise ValueError("the name is blank")
        return value


class PersonIn(_PersonFields):
    id_number: str = Field(min_length=15, max_length=18)
    name: str = Field(min_length=1, max_length=64)
    sex: str = Field(default="", max_length=8)
    birth_date: date | None = None
    phone: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=500)
    jurisdiction_code: str = Field(pattern=_JURISDICTION)


class PersonPatch(_PersonFields):
    id_number: str | None = Field(default=None, min_length=15, max_length=18)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    sex: str | None = Field(default=None, max_length=8)
    birth_date: date | None = None
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    jurisdiction_code: str | None = Field(default=None, pattern=_JURISDICTION)

    @model_validator(mode="after")
    def _required_not_cleared(self) -> PersonPatch:
        cleared = [name for name in _REQUIRED if name in self.model_fields_set and getattr(self, name) is None]
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null (a record always has them)")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields given, with null turned into the column's empty value ("" for text)."""
        out = self.model_dump(exclude_unset=True)
        return {k: ("" if v is None and k in ("sex", "phone", "address") else v) for k, v in out.items()}


def _no_agreement() -> AccessError:
    return AccessError(
        403,
        "no_agreement",
        "Your agency has no data-sharing agreement in force for person records.",
        "贵单位没有有效的人员信息共享协议。",
    )


def _disclose(
    access: Access, records: list[PersonRecord], query: dict[str, Any], event_cls: type = ev.PersonalDataRead
):
    """Shape rows for the caller (mask / agreement fields) and audit the disclosure; returns the rows."""
    user = access.user
    ids = [r.id for r in records]
    rows = [persons.to_dict(r) for r in records]
    if user.is_partner:
        allowed = user.partner.fields_for(RESOURCE) if user.partner else frozenset()
        if not allowed:
            raise access.refuse(_no_agreement())
        shown = sorted(allowed)
        rows = [{k: v for k, v in row.items() if k in allowed or k == "id"} for row in rows]
        access.audit(ev.PartnerDisclosure(user.partner.agency, ",".join(user.partner.references), RESOURCE, shown, ids))
        unmasked = sorted(allowed & MASKERS.keys())
    else:
        unmasked = sorted(user.unmasked & MASKERS.keys())
        rows = [mask_record(row, user.unmasked) for row in rows]
    if event_cls is ev.DataExported:
        access.audit(ev.DataExported(RESOURCE, query, ids, "csv", unmasked))
    else:
        access.audit(ev.PersonalDataRead(RESOURCE, query, ids, "ok" if ids else "not_found", unmasked))
    if unmasked and ids:
        access.audit(ev.UnmaskedRead(RESOURCE, unmasked, ids))
    return rows


def _searchable(access: Access) -> frozenset[str]:
    """The fields the caller's search text may match. A partner matches only on fields its agreement shares
    (a name-only agreement must not reveal whether an ID number or phone is on file); others on all."""
    user = access.user
    if not user.is_partner:
        return persons.SEARCHABLE
    allowed = user.partner.fields_for(RESOURCE) if user.partner else frozenset()
    if not allowed:
        raise access.refuse(_no_agreement())
    fields = allowed & persons.SEARCHABLE
    if not fields:
        raise access.refuse(
            AccessError(
                403,
                "not_searchable",
                "Your agency's agreement shares no field person records can be searched by (name, ID number, phone).",
                "贵单位的共享协议不含可用于查询的字段（姓名、身份证号、电话）。",
            )
        )
    return fields


def _search_query(access: Access, fields: frozenset[str], **query: Any) -> dict[str, Any]:
    """The query as audited; a partner's names the fields it was matched on."""
    return {**query, "matched_on": sorted(fields)} if access.user.is_partner else query


@router.get("", summary="Search person records by name, ID number or phone")
def search(
    access: Annotated[Access, requires("persons.read", personal_data=True, jurisdiction=True)],
    q: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=persons.MAX_RESULTS)] = 20,
) -> dict[str, object]:
    fields = _searchable(access)
    scope = access.user.scope.clause(PersonRecord.jurisdiction_code)
    records = persons.search(access.db, scope, q, limit, fields)
    rows = _disclose(access, records, _search_query(access, fields, q=q, limit=limit))
    access.commit()
    return {"items": rows, "count": len(rows)}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet will show as text: one starting like a formula (= + - @ tab CR) gets a leading
    apostrophe, so ``=HYPERLINK(...)`` in a record cannot run when an export is opened (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@router.get("/export", summary="Export matching person records as CSV (masked as for viewing)")
def export(
    access: Annotated[Access, requires("persons.export", personal_data=True, jurisdiction=True)],
    q: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    fields = _searchable(access)
    scope = access.user.scope.clause(PersonRecord.jurisdiction_code)
    records = persons.search(access.db, scope, q, persons.MAX_RESULTS, fields)
    rows = _disclose(access, records, _search_query(access, fields, q=q), ev.DataExported)
    access.commit()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else list(persons.FIELDS))
    writer.writeheader()
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/{person_id}", summary="One person record")
def get_person(
    person_id: RecordId, access: Annotated[Access, requires("persons.read", personal_data=True, jurisdiction=True)]
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
    access.audit(ev.RecordCreated(RESOURCE, record.id, sorted(body.model_fields_set)))
    access.commit()
    return mask_record(persons.to_dict(record), access.user.unmasked)


@router.patch("/{person_id}", summary="Change a person record")
def change_person(
    person_id: RecordId,
    body: PersonPatch,
    access: Annotated[Access, requires("persons.write", personal_data=True, jurisdiction=True)],
) -> dict[str, object]:
    record = persons.get(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), person_id)
    if record is None:
        raise not_found("person record", "人员记录")
    changes = body.changes()
    if "jurisdiction_code" in changes:
        _check_code(access, changes["jurisdiction_code"])
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = access.now
    access.db.flush()
    access.audit(ev.RecordChanged(RESOURCE, record.id, sorted(changes)))
    access.commit()
    return mask_record(persons.to_dict(record), access.user.unmasked)


@router.delete("/{person_id}", summary="Delete a person record")
def delete_person(
    person_id: RecordId, access: Annotated[Access, requires("persons.write", personal_data=True, jurisdiction=True)]
) -> dict[str, object]:
    record = persons.get(access.db, access.user.scope.clause(PersonRecord.jurisdiction_code), person_id)
    if record is None:
        raise not_found("person record", "人员记录")
    access.db.delete(record)
    access.db.flush()
    access.audit(ev.RecordDeleted(RESOURCE, person_id))
    access.commit()
    return {"deleted": person_id}
