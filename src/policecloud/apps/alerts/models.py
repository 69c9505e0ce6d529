"""Tables of early warning (预警) in the operational store; created by migration 0002_alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from policecloud.platform.store.base import Base, UTCDateTime

WATCH_KINDS = ("person", "vehicle", "phone")
ALERT_STATUSES = ("new", "acknowledged", "closed")


class WatchlistEntry(Base):
    """A person (ID number), vehicle (plate) or phone to look out for, owned by a jurisdiction."""

    __tablename__ = "watchlist_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))  # normalized with the element type of the kind
    reason: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(64), default="")  # e.g. the case or 布控 number
    owner: Mapped[str] = mapped_column(String(64))
    jurisdiction_code: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    __table_args__ = (Index("ix_watchlist_entry_kind_value", "kind", "value"),)


class Geofence(Base):
    """A polygon (lon/lat ring, JSON) with a daily time window: watched targets — or, when ``watched_only``
    is false, any vehicle — seen inside it during the window raise an alert."""

    __tablename__ = "geofence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    polygon: Mapped[str] = mapped_column(Text)
    start_minute: Mapped[int] = mapped_column(Integer, default=0)  # local time of day, minutes
    end_minute: Mapped[int] = mapped_column(Integer, default=1440)
    watched_only: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(64))
    jurisdiction_code: Mapped[str] = mapped_column(String(12))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Alert(Base):
    """One alert: a watched target seen at one place; further sightings within the window are its hits."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_type: Mapped[str] = mapped_column(String(16))  # person, vehicle, phone, geofence
    rule: Mapped[str] = mapped_column(String(32))  # "watch:<entry id>" or "fence:<geofence id>"
    subject: Mapped[str] = mapped_column(String(32))  # plate, ID number or phone
    reason: Mapped[str] = mapped_column(String(200))
    place_code: Mapped[str] = mapped_column(String(24))  # checkpoint, hotel (USCC) or camera code
    place_name: Mapped[str] = mapped_column(String(100), default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(12))  # where the event happened (county)
    owner_jurisdiction: Mapped[str] = mapped_column(String(12))  # whose watchlist entry / geofence
    event_kind: Mapped[str] = mapped_column(String(24))
    first_event: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    hits: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="new")
    assigned_unit: Mapped[str | None] = mapped_column(String(24), nullable=True)
    assigned_officer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    __table_args__ = (
        Index("ix_alert_dedup", "rule", "subject", "place_code", "last_seen"),
        Index("ix_alert_jurisdiction_code", "jurisdiction_code"),
    )


class AlertHit(Base):
    """One event that matched a rule. Unique per (event, rule): a redelivered event adds nothing."""

    __tablename__ = "alert_hit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"))
    event_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    __table_args__ = (UniqueConstraint("event_id", "rule", name="uq_alert_hit_event_rule"),)


class AlertNote(Base):
    """A step of an alert's lifecycle (status change, assignment or remark), with who and when."""

    __tablename__ = "alert_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    author: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # acknowledge, close, assign, note
    text: Mapped[str] = mapped_column(Text, default="")


class EventHour(Base):
    """Accepted events per hour, kind and prefecture, for the dashboard's statistics."""

    __tablename__ = "event_hour"
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    prefecture: Mapped[str] = mapped_column(String(6), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ConsumerOffset(Base):
    """The last event offset whose effects are in the store, committed in the same transaction as them."""

    __tablename__ = "event_consumer"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    offset: Mapped[int] = mapped_column(Integer)


class MapDevice(Base):
    """Checkpoints, cameras and police units shown on the map (loaded from the registries)."""

    __tablename__ = "map_device"
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # checkpoint, camera, unit, hotel
    name: Mapped[str] = mapped_column(String(100))
    county_code: Mapped[str] = mapped_column(String(6))
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
