"""The authenticated caller as the access rules see it: roles, permissions, scope, unmasked fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from policecloud.platform.access import roles as role_catalogue
from policecloud.platform.access.jurisdiction import JurisdictionScope
from policecloud.platform.store.models import PartnerAgency, SharingAgreement, User


@dataclass(frozen=True)
class PartnerTerms:
    """The data-sharing agreements in force for a partner user's agency."""

    agency: str
    references: tuple[str, ...]
    fields: dict[str, frozenset[str]]

    def fields_for(self, table: str) -> frozenset[str]:
        return self.fields.get(table, frozenset())


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    roles: frozenset[str]
    permissions: frozenset[str]
    scope: JurisdictionScope
    unmasked: frozenset[str]
    partner: PartnerTerms | None = None
    # A new account before its first password change: no roles, no permissions, no scope — the session can
    # only change the password (and log out, or ask who it is).
    must_change_password: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def is_partner(self) -> bool:
        return "partner" in self.roles


def principal_for(session: Session, user: User, today: date) -> Principal:
    """The caller as the rules see them on ``today``: grants count only while in force (not revoked, not past
    their last day), and an account that must still change its password gets nothing at all."""
    if user.must_change_password:
        return Principal(
            user_id=user.id,
            username=user.username,
            roles=frozenset(),
            permissions=frozenset(),
            scope=JurisdictionScope(()),
            unmasked=frozenset(),
            must_change_password=True,
        )
    names = frozenset(user.role_names)
    partner = None
    if "partner" in names:
        partner = partner_terms(session, user.partner_agency_id, today)
    return Principal(
        user_id=user.id,
        username=user.username,
        roles=names,
        permissions=role_catalogue.permissions_of(names),
        scope=JurisdictionScope.of([user.jurisdiction_code, *(g.code for g in user.grants if g.active(today))]),
        unmasked=role_catalogue.unmasked_fields_of(names) & role_catalogue.catalogue().masked_fields,
        partner=partner,
    )


def partner_terms(session: Session, agency_id: int | None, today: date) -> PartnerTerms:
    if agency_id is None:
        return PartnerTerms("", (), {})
    agency = session.get(PartnerAgency, agency_id)
    rows = session.execute(
        select(SharingAgreement).where(SharingAgreement.agency_id == agency_id, SharingAgreement.revoked.is_(False))
    ).scalars()
    fields: dict[str, set[str]] = {}
    refs = []
    for agreement in rows:
        if agreement.valid_until is not None and agreement.valid_until < today:
            continue
        refs.append(agreement.reference)
        for table, names in json.loads(agreement.fields).items():
            fields.setdefault(table, set()).update(names)
    return PartnerTerms(
        agency.name if agency else "",
        tuple(sorted(refs)),
        {t: frozenset(f) for t, f in fields.items()},
    )
