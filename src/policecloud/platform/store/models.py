"""Tables of the operational store's core: users, roles, sessions, grants, partners, audit, persons.

Capabilities add their own tables on the same :class:`~policecloud.platform.store.base.Base` with their own migrations.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from policecloud.platform.store.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    # The 30-second TOTP step last accepted: a code is never accepted twice (replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    # A secret offered to the user at login while no second factor is enrolled; it becomes ``totp_secret``
    # only once the user confirms a code from it (enrolment by the user alone, never by an administrator).
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    # Set on every new account: until the user chooses their own password, a session can only change it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # GB/T 2260 division code (6 digits) or police-station code (9 digits) of the user's unit.
    jurisdiction_code: Mapped[str] = mapped_column(String(12), index=True)
    partner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("partner_agencies.id"), default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    grants: Mapped[list[JurisdictionGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(64), default="")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class JurisdictionGrant(Base):
    """An explicit grant widening a user's scope beyond their own jurisdiction (e.g. a joint operation)."""

    __tablename__ = "jurisdiction_grants"
    __table_args__ = (UniqueConstraint("user_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_by: Mapped[str] = mapped_column(String(64), default="")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Last day (UTC) the grant counts; a grant always ends (at most a year after it was given).
    valid_until: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(64), default=None)
    revoke_reason: Mapped[str | None] = mapped_column(Text, default=None)

    user: Mapped[User] = relationship(back_populates="grants")

    def active(self, today: date) -> bool:
        """Whether the grant widens the user's scope on ``today``: not revoked and not past its last day."""
        return self.revoked_at is None and today <= self.valid_until


class AuthSession(Base):
    """A server-side login session; the client holds only an opaque token whose SHA-256 is stored here."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="web")  # web (cookie) or api (bearer)
    client: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PartnerAgency(Base):
    __tablename__ = "partner_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)


class SharingAgreement(Base):
    """What a partner agency may receive: ``fields`` is JSON ``{"table": ["field", ...]}``."""

    __tablename__ = "sharing_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("partner_agencies.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    fields: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[date | None] = mapped_column(Date, default=None)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log (see policecloud.platform.access.audit)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, hashed as written
    actor: Mapped[str] = mapped_column(String(64), default="")
    client: Mapped[str] = mapped_column(String(64), default="")
    event: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as written
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


GENESIS_HASH = "0" * 64  # the "previous hash" of the first entry (the migration writes it into audit_head)


class AuditHead(Base):
    """The last sequence number and hash of the chain; one row, locked by each append."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class PersonRecord(Base):
    """The operational person registry: the first personal data the platform protects."""

    __tablename__ = "person_records"
    __table_args__ = (Index("ix_person_records_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(1), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    jurisdiction_code: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
