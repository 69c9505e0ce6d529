"""Audit event types of the dossiers (listed in the app; the audit log records them like the core's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from policecloud.platform.access.events import AuditEvent

MAX_LISTED = 500  # entity ids listed per event; ``disclosed_total`` counts them all


@dataclass(frozen=True)
class DossierRead(AuditEvent):
    """A dossier view: which entity, which part, why, every entity the answer disclosed (named in it, or linked
    to a record it showed: see ``policecloud.apps.dossier.disclosure``) and the records it showed."""

    name: ClassVar[str] = "dossier.read"
    view: str  # profile, records, timeline, relations, trajectory
    entity_id: str
    entity_type: str | None
    query: dict[str, Any]
    disclosed: list[str]
    disclosed_total: int
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
    outcome: str  # ok, not_found
    unmasked_fields: list[str] = field(default_factory=list)
    # The warehouse records whose values the answer showed (``batch:row``), at most MAX_LISTED, and how many.
    records: list[str] = field(default_factory=list)
    records_total: int = 0


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
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
    outcome: str  # ok, not_found


@dataclass(frozen=True)
class DossierLookup(AuditEvent):
    """An exact lookup of an identifier (plate, ID number, phone, credit code, VIN) or a name."""

    name: ClassVar[str] = "dossier.lookup"
    query: str
    mode: str
    result_ids: list[str]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
