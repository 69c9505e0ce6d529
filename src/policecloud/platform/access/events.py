"""Typed audit events: one dataclass per event type, with a stable ``name`` (the ``event`` column).

Capabilities declare their own event types the same way (subclass :class:`AuditEvent`, give a ``name``)
and list them in their platform app; :func:`event_types` knows them all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

_REGISTRY: dict[str, type[AuditEvent]] = {}


@dataclass(frozen=True)
class AuditEvent:
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            if cls.name in _REGISTRY and _REGISTRY[cls.name].__qualname__ != cls.__qualname__:
                raise ValueError(f"audit event name {cls.name!r} is already used by {_REGISTRY[cls.name]}")
            _REGISTRY[cls.name] = cls

    def payload(self) -> dict[str, Any]:
        return asdict(self)


def event_types() -> dict[str, type[AuditEvent]]:
    return dict(_REGISTRY)


# Authentication


@dataclass(frozen=True)
class LoginSucceeded(AuditEvent):
    name: ClassVar[str] = "auth.login"
    username: str
    kind: str
    mfa: bool


@dataclass(frozen=True)
class LoginFailed(AuditEvent):
    name: ClassVar[str] = "auth.login_failed"
    username: str
    reason: str  # password, mfa, locked, disabled, unknown_user


@dataclass(frozen=True)
class AccountLocked(AuditEvent):
    name: ClassVar[str] = "auth.lockout"
    username: str
    until: str
    failures: int


@dataclass(frozen=True)
class LoggedOut(AuditEvent):
    name: ClassVar[str] = "auth.logout"
    username: str


@dataclass(frozen=True)
class PasswordChanged(AuditEvent):
    name: ClassVar[str] = "auth.password_change"
    username: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class MfaEnrolmentOffered(AuditEvent):
    """A user whose role needs a second factor gave the right password and was shown a secret to enrol."""

    name: ClassVar[str] = "auth.mfa_enrolment_offered"
    username: str


@dataclass(frozen=True)
class MfaEnrolled(AuditEvent):
    """The user confirmed a code from the offered secret: it is now their second factor."""

    name: ClassVar[str] = "auth.mfa_enrolled"
    username: str


# Reads and writes of personal data


@dataclass(frozen=True)
class PersonalDataRead(AuditEvent):
    name: ClassVar[str] = "data.read"
    resource: str
    query: dict[str, Any]
    result_ids: list[Any]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
    outcome: str  # ok, not_found
    unmasked_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnmaskedRead(AuditEvent):
    """Emitted in addition to the read when any sensitive field was shown in clear."""

    name: ClassVar[str] = "data.unmasked"
    resource: str
    fields: list[str]
    result_ids: list[Any]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class PartnerDisclosure(AuditEvent):
    name: ClassVar[str] = "data.disclosure"
    recipient: str
    agreement: str
    resource: str
    fields: list[str]
    result_ids: list[Any]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class DataExported(AuditEvent):
    name: ClassVar[str] = "data.export"
    resource: str
    query: dict[str, Any]
    result_ids: list[Any]
    format: str
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context
    unmasked_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecordCreated(AuditEvent):
    name: ClassVar[str] = "data.create"
    resource: str
    record_id: Any
    fields: list[str]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class RecordChanged(AuditEvent):
    name: ClassVar[str] = "data.change"
    resource: str
    record_id: Any
    fields: list[str]
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


@dataclass(frozen=True)
class RecordDeleted(AuditEvent):
    name: ClassVar[str] = "data.delete"
    resource: str
    record_id: Any
    purpose: dict[str, str] = field(default_factory=dict, kw_only=True)  # from the request context


# Accounts, permissions and roles


@dataclass(frozen=True)
class UserCreated(AuditEvent):
    name: ClassVar[str] = "user.create"
    username: str
    roles: list[str]
    jurisdiction: str
    # True for a machine, demo or test account set up by the operator: no first-login password change, the
    # second factor enrolled by the operator. Never through the API.
    provisioned: bool = False


@dataclass(frozen=True)
class UserDisabled(AuditEvent):
    name: ClassVar[str] = "user.disable"
    username: str


@dataclass(frozen=True)
class MfaReset(AuditEvent):
    name: ClassVar[str] = "user.mfa_reset"
    username: str
    sessions_ended: int = 0


@dataclass(frozen=True)
class RolesChanged(AuditEvent):
    name: ClassVar[str] = "permission.roles"
    username: str
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class JurisdictionGranted(AuditEvent):
    name: ClassVar[str] = "permission.jurisdiction"
    username: str
    code: str
    reason: str
    valid_until: str = ""  # ISO date, the last day the grant counts


@dataclass(frozen=True)
class JurisdictionRevoked(AuditEvent):
    name: ClassVar[str] = "permission.jurisdiction_revoke"
    username: str
    code: str
    reason: str


@dataclass(frozen=True)
class AgreementCreated(AuditEvent):
    name: ClassVar[str] = "permission.agreement"
    agency: str
    reference: str
    fields: dict[str, list[str]]


@dataclass(frozen=True)
class AccessDenied(AuditEvent):
    name: ClassVar[str] = "access.denied"
    route: str
    reason: str


# The audit log itself


@dataclass(frozen=True)
class AuditSearched(AuditEvent):
    name: ClassVar[str] = "audit.search"
    filters: dict[str, Any]
    result_count: int
    result_seqs: list[int] = field(default_factory=list)  # the entries shown (their payloads hold personal data)


@dataclass(frozen=True)
class AuditVerified(AuditEvent):
    name: ClassVar[str] = "audit.verify"
    ok: bool
    entries: int
    first_broken: int | None


@dataclass(frozen=True)
class AuditCheckpointed(AuditEvent):
    """The head was signed and written outside the database (policecloud.platform.access.audit_checkpoint)."""

    name: ClassVar[str] = "audit.checkpoint"
    seq: int
    hash: str
    key_id: str
    file: str


@dataclass(frozen=True)
class AuditTamperAttempt(AuditEvent):
    name: ClassVar[str] = "audit.tamper_attempt"
    action: str
    target: str
    detail: str = ""
