"""Masking of sensitive personal-data fields for roles not granted them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MASK = "*"
# Everything up to the county-level unit of a Chinese address stays visible; the rest is hidden.
_COUNTY = re.compile(r"[区县旗]")
_CITY = re.compile(r"市")


def mask_id_number(value: str) -> str:
    """4201**********1234: the province and prefecture stay, as do the last four characters."""
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if len(value) <= 7:
        return MASK * len(value)
    return value[:3] + MASK * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """湖北省武汉市洪山区****: the area down to the county stays, the street, number and room do not."""
    if not value:
        return value
    keep = min(6, len(value) // 2)
    for pattern in (_COUNTY, _CITY):
        if (m := pattern.search(value, 2)) and m.end() < len(value):
            keep = m.end()
            break
    return value[:keep] + MASK * 4


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "address": mask_address,
}


def mask_record(record: Mapping[str, Any], unmasked: Iterable[str]) -> dict[str, Any]:
    """A copy of ``record`` with every maskable field not in ``unmasked`` masked."""
    allowed = set(unmasked)
    out = dict(record)
    for field, masker in MASKERS.items():
        value = out.get(field)
        if field not in allowed and isinstance(value, str) and value:
            out[field] = masker(value)
    return out
