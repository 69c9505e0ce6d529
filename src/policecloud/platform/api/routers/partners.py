"""Data-sharing agreements with partner agencies (security administrator)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from policecloud.platform.access import events as ev
from policecloud.platform.access.errors import AccessError, invalid
from policecloud.platform.api.policy import Access, requires
from policecloud.platform.store.models import PartnerAgency, SharingAgreement

router = APIRouter(prefix="/api/partners", tags=["partners"])


class AgreementIn(BaseModel):
    agency: str = Field(max_length=128)
    reference: str = Field(max_length=64, description="The agreement's number")
    fields: dict[str, list[str]] = Field(description='Tables and fields shared, e.g. {"persons": ["name"]}')
    valid_until: date | None = None


def shareable_tables(request: Request) -> dict[str, set[str]]:
    tables: dict[str, set[str]] = {}
    for app in request.app.state.apps:
        for table, fields in app.shareable.items():
            tables.setdefault(table, set()).update(fields)
    return tables


@router.get("/agreements", summary="Data-sharing agreements")
def list_agreements(access: Annotated[Access, requires("partners.manage")]) -> dict[str, object]:
    rows = access.db.execute(
        select(SharingAgreement, PartnerAgency.name).join(PartnerAgency).order_by(SharingAgreement.id)
    ).all()
    access.commit()
    return {
        "agreements": [
            {
                "id": a.id,
                "agency": name,
                "reference": a.reference,
                "fields": json.loads(a.fields),
                "valid_until": a.valid_until.isoformat() if a.valid_until else None,
                "revoked": a.revoked,
            }
            for a, name in rows
        ]
    }


@router.post("/agreements", status_code=201, summary="Record a data-sharing agreement")
def create_agreement(
    body: AgreementIn, request: Request, access: Annotated[Access, requires("partners.manage")]
) -> dict[str, object]:
    known = shareable_tables(request)
    for table, fields in body.fields.items():
        unknown = sorted(set(fields) - known.get(table, set()))
        if table not in known or unknown:
            raise invalid(
                "not_shareable",
                f"Not shareable: table {table!r}" + (f" fields {unknown}" if unknown else ""),
                f"不可共享：表 {table!r}" + (f" 字段 {unknown}" if unknown else ""),
            )
    if access.db.execute(select(SharingAgreement).where(SharingAgreement.reference == body.reference)).first():
        raise AccessError(409, "agreement_exists", "That agreement number exists.", "该协议编号已存在。")
    agency = access.db.execute(select(PartnerAgency).where(PartnerAgency.name == body.agency)).scalar_one_or_none()
    if agency is None:
        agency = PartnerAgency(name=body.agency)
        access.db.add(agency)
        access.db.flush()
    fields = {t: sorted(set(f)) for t, f in body.fields.items()}
    agreement = SharingAgreement(
        agency_id=agency.id,
        reference=body.reference,
        fields=json.dumps(fields, ensure_ascii=False, sort_keys=True),
        valid_until=body.valid_until,
        created_by=access.actor.name,
    )
    access.db.add(agreement)
    access.db.flush()
    access.audit(ev.AgreementCreated(body.agency, body.reference, fields))
    access.commit()
    return {"id": agreement.id, "agency": body.agency, "reference": body.reference, "fields": fields}
