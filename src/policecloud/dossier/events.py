"""Audit event types of the dossiers (listed in the app; the audit log records them like the core's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from policecloud.access.events import AuditEvent

MAX_LISTED = 500  # entity ids listed per event; ``disclosed_total`` counts them all


@dataclass(frozen=True)
class DossierRead(AuditEvent):
    """A dossier view: which entity, which part, why, and every entity the answer disclosed."""

    name: ClassVar[str] = "dossier.read"
    view: str  # profile, records, timeline, relations, trajectory
    entity_id: str
    entity_type: str | None
    query: dict[str, Any]
    disclosed: list[str]
    disclosed_total: int
    purpose: dict[str, str]
    outcome: str  # ok, not_found
    unmasked_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DossierPathSearched(AuditEvent):
    """A search for the chain of relations between two entities."""

    name: ClassVar[str] = "dossier.path"
    from_id: str
    to_id: str
    max_depth: int
    found: bool
    path: list[str]
    explored: int
    purpose: dict[str, str]
    outcome: str  # ok, not_found


@dataclass(frozen=True)
class DossierLookup(AuditEvent):
    """An exact lookup of an identifier (plate, ID number, phone, credit code, VIN) or a name."""

    name: ClassVar[str] = "dossier.lookup"
    query: str
    mode: str
    result_ids: list[str]
    purpose: dict[str, str]


def disclosed_ids(answer: Any) -> list[str]:
    """Every entity id an answer carries (under an ``entity_id`` key anywhere in it), sorted."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("entity_id"), str):
                found.add(value["entity_id"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer)
    return sorted(found)
