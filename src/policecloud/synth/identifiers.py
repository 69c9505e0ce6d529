"""Valid identifiers for the synthetic province, plus the check-character arithmetic the mess step needs.

ID numbers, plates, VINs and credit codes come from the foundation's generators
(``policecloud.data.model.types.*.generate``); this module adapts them to the generator's vocabulary (plate
kinds with colours) and keeps the check-character functions used to corrupt values on purpose, and the
mobile numbers with their operator (which cell reports need).
"""

from __future__ import annotations

import random
from datetime import date

from policecloud.data.model.types import id_number as _id_type
from policecloud.data.model.types import plate as _plate_type
from policecloud.data.model.types import uscc as _uscc_type
from policecloud.data.model.types import vin as _vin_type

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number(rng: random.Random, division: str, birth: date, male: bool) -> str:
    """An 18-digit citizen ID number: birthplace division, birth date, sequence (odd for men), check."""
    return _id_type.generate(rng, division=division, birth_date=birth, sex="male" if male else "female")


def legacy15(id18: str) -> str:
    """The first-generation 15-digit form of an 18-digit number (two-digit year, no check character)."""
    return id18[:6] + id18[8:17]


DIGITS = "0123456789"


def plate(rng: random.Random, province: str, issuer: str, kind: str = "small") -> str:
    """A plate number. kind: small (blue), large (yellow), nev_small, nev_large (green)."""
    if kind.startswith("nev_"):
        return _plate_type.generate(rng, province, issuer, kind="new_energy", size=kind[4:])
    return _plate_type.generate(rng, province, issuer, kind="ordinary")


PLATE_COLOUR = {"small": "蓝", "large": "黄", "nev_small": "渐变绿", "nev_large": "黄绿"}
PLATE_TYPE_CODE = {"small": "02", "large": "01", "nev_small": "52", "nev_large": "51"}


def vin(rng: random.Random, wmi: str, model_year: int) -> str:
    return _vin_type.generate(rng, wmi=wmi, year=model_year)


def uscc(rng: random.Random, division: str, authority: str = "9", kind: str = "1") -> str:
    """A unified social credit code: authority, kind, division, organization code, check."""
    return _uscc_type.generate(rng, division=division, authority=authority, kind=kind)


# Mobile prefixes of the three operators (a representative subset) and their relative shares.
MOBILE_PREFIXES = {
    "China Mobile": (
        "134",
        "135",
        "136",
        "137",
        "138",
        "139",
        "147",
        "150",
        "151",
        "152",
        "157",
        "158",
        "159",
        "178",
        "182",
        "183",
        "184",
        "187",
        "188",
        "195",
        "198",
    ),
    "China Unicom": ("130", "131", "132", "145", "155", "156", "166", "175", "176", "185", "186", "196"),
    "China Telecom": ("133", "149", "153", "173", "177", "180", "181", "189", "190", "191", "193", "199"),
}
OPERATOR_SHARE = {"China Mobile": 0.58, "China Unicom": 0.2, "China Telecom": 0.22}


def mobile(rng: random.Random) -> tuple[str, str]:
    """(number, operator)."""
    operator = rng.choices(list(OPERATOR_SHARE), weights=list(OPERATOR_SHARE.values()))[0]
    return rng.choice(MOBILE_PREFIXES[operator]) + "".join(rng.choices(DIGITS, k=8)), operator


def landline(rng: random.Random, area_code: str) -> str:
    digits = 8 if area_code == "027" else 7
    return f"{area_code}-{rng.choice('2345678')}" + "".join(rng.choices(DIGITS, k=digits - 1))
