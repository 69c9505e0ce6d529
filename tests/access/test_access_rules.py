"""Roles and separation of duties, jurisdictions, purposes and masking."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from policecloud.platform.access import accounts, audit, roles
from policecloud.platform.access.errors import AccessError
from policecloud.platform.access.jurisdiction import Jurisdiction, JurisdictionScope
from policecloud.platform.access.masking import mask_address, mask_id_number, mask_phone, mask_record
from policecloud.platform.access.purpose import parse_purpose
from policecloud.platform.store.testing import fast_settings

TRIAD = ("sysadmin", "secadmin", "auditor")
REQUIRED_ROLES = {
    "sysadmin", "secadmin", "auditor", "analyst", "dispatcher", "patrol", "investigator", "traffic", "partner",
    "citizen",
}  # fmt: skip


def test_catalogue_has_the_required_roles_with_labels():
    catalogue = roles.roles()
    assert set(catalogue) >= REQUIRED_ROLES
    for role in catalogue.values():
        assert role.zh and role.en


@pytest.mark.parametrize("pair", list(itertools.combinations(TRIAD, 2)))
def test_admin_triad_roles_are_mutually_exclusive(pair):
    with pytest.raises(AccessError) as err:
        roles.check_separation_of_duties(pair)
    assert err.value.code == "separation_of_duties"
    assert "三员分立" in err.value.zh and all(p in err.value.en for p in pair)


def test_other_combinations_are_allowed():
    roles.check_separation_of_duties(["sysadmin", "feed"])  # an admin with a role that sees no personal data
    roles.check_separation_of_duties(["investigator", "traffic", "patrol"])


def test_separation_is_enforced_when_creating_and_when_assigning(store_engine):
    settings = fast_settings()
    actor = audit.Actor("sec.admin")
    with Session(store_engine) as session:
        with pytest.raises(AccessError, match="Separation of duties"):
            accounts.create_user(
                session, settings, actor, username="zhao", password="long password 1", jurisdiction="420000",
                roles=["sysadmin", "auditor"],
            )  # fmt: skip
        user, _ = accounts.create_user(
            session, settings, actor, username="zhao", password="long password 1", jurisdiction="420000",
            roles=["sysadmin"],
        )  # fmt: skip
        session.commit()
        with pytest.raises(AccessError) as err:
            accounts.set_roles(session, actor, user, ["sysadmin", "secadmin"])
        assert err.value.status == 409
        session.rollback()
        assert accounts.get_user(session, "zhao").role_names == ["sysadmin"]
        with pytest.raises(AccessError) as err:
            accounts.set_roles(session, audit.Actor("zhao"), user, ["citizen"])
        assert err.value.code == "own_roles"


def test_roles_seeing_personal_data_require_mfa():
    for role in roles.roles().values():
        if role.sees_personal_data:
            assert role.requires_mfa, role.name
    assert not roles.role("citizen").requires_mfa


def test_unknown_role_is_a_clear_error():
    with pytest.raises(AccessError, match="Unknown role 'chief'"):
        roles.role("chief")


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("420000", "province", "42", None),
        ("420100", "prefecture", "4201", "420000"),
        ("420111", "county", "420111", "420100"),
        ("420111003", "station", "420111003", "420111"),
        ("429004", "county", "429004", "429000"),
    ],
)
def test_jurisdiction_levels(code, level, prefix, parent):
    j = Jurisdiction.parse(code)
    assert (j.level, j.prefix) == (level, prefix)
    assert (j.parent.code if j.parent else None) == parent


@pytest.mark.parametrize("bad", ["", "4201", "42011100", "abcdef", "000000", "4201110031"])
def test_bad_jurisdiction_codes_are_refused(bad):
    with pytest.raises(AccessError) as err:
        Jurisdiction.parse(bad)
    assert err.value.status == 400


def test_scope_merges_grants_and_covers_descendants():
    scope = JurisdictionScope.of(["420111", "420111003", "420500"])
    assert scope.prefixes == ("420111", "4205")
    assert scope.covers("420111003") and scope.covers("420502") and not scope.covers("420102")
    assert not JurisdictionScope(()).covers("420111")


@pytest.mark.parametrize(
    ("raw", "kind", "text"),
    [
        ("case:A4201112026110001", "case", "A4201112026110001"),
        ("incident: J420111-2026-000123", "incident", "J420111-2026-000123"),
        ("核查在逃人员线索，需比对身份", "justification", "核查在逃人员线索，需比对身份"),
        ("  checking a   missing person report  ", "justification", "checking a missing person report"),
    ],
)
def test_valid_purposes(raw, kind, text):
    purpose = parse_purpose(raw)
    assert (purpose.kind, purpose.text) == (kind, text)


@pytest.mark.parametrize("raw", [None, "", "   ", "查一下", "too short", "case:", "case:A1", "incident:!!!!!!"])
def test_missing_or_short_purposes_are_refused(raw):
    with pytest.raises(AccessError) as err:
        parse_purpose(raw)
    assert err.value.status == 400
    assert err.value.code in ("purpose_required", "purpose_invalid")
    assert err.value.zh and err.value.en


def test_masking_formats():
    assert mask_id_number("420111199001011234") == "4201**********1234"
    assert mask_id_number("42011119900101X") == "4201*******101X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_address("湖北省武汉市洪山区珞喻路1037号3栋201室") == "湖北省武汉市洪山区****"
    assert mask_address("湖北省仙桃市干河街道15号") == "湖北省仙桃市****"


def test_mask_record_keeps_granted_fields():
    record = {"id": 7, "name": "张伟", "id_number": "420111199001011234", "phone": "13812345678", "address": ""}
    masked = mask_record(record, {"phone"})
    assert masked == {"id": 7, "name": "张伟", "id_number": "4201**********1234", "phone": "13812345678", "address": ""}
    assert record["id_number"] == "420111199001011234"  # the input is not changed


def test_role_unmasked_fields_are_maskable_fields():
    maskable = roles.catalogue().masked_fields
    for role in roles.roles().values():
        assert role.unmasked <= maskable, role.name
