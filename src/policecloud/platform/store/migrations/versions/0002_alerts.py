"""alerts: watchlists, geofences, alerts with hits and notes, event statistics, map devices

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

A hit is unique per (event id, rule): processing an event twice (after a crash, before its offset was
committed) cannot add a second hit or a second alert.
"""

import sqlalchemy as sa
from alembic import op

from policecloud.platform.store.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _validity() -> list[sa.Column]:
    return [
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("jurisdiction_code", sa.String(12), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "watchlist_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        *_validity(),
    )
    op.create_index("ix_watchlist_entry_kind_value", "watchlist_entry", ["kind", "value"])
    op.create_table(
        "geofence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("polygon", sa.Text(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("watched_only", sa.Boolean(), nullable=False),
        *_validity(),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_type", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("place_code", sa.String(24), nullable=False),
        sa.Column("place_name", sa.String(100), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("jurisdiction_code", sa.String(12), nullable=False),
        sa.Column("owner_jurisdiction", sa.String(12), nullable=False),
        sa.Column("event_kind", sa.String(24), nullable=False),
        sa.Column("first_event", sa.String(64), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("assigned_unit", sa.String(24), nullable=True),
        sa.Column("assigned_officer", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_alert_dedup", "alert", ["rule", "subject", "place_code", "last_seen"])
    op.create_index("ix_alert_jurisdiction_code", "alert", ["jurisdiction_code"])
    op.create_table(
        "alert_hit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("event_id", "rule", name="uq_alert_hit_event_rule"),
    )
    op.create_table(
        "alert_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "event_hour",
        sa.Column("hour", UTCDateTime(), primary_key=True),
        sa.Column("kind", sa.String(24), primary_key=True),
        sa.Column("prefecture", sa.String(6), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "event_consumer",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("offset", sa.Integer(), nullable=False),
    )
    op.create_table(
        "map_device",
        sa.Column("code", sa.String(24), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
    )


def downgrade() -> None:
    for table in ("map_device", "event_consumer", "event_hour", "alert_note", "alert_hit", "alert"):
        op.drop_table(table)
    op.drop_index("ix_watchlist_entry_kind_value", table_name="watchlist_entry")
    op.drop_table("geofence")
    op.drop_table("watchlist_entry")
