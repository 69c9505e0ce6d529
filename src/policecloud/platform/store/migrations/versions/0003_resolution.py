"""resolution: manual judgements on pairs of source records (same / not the same / unsure)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from policecloud.platform.store.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolution_judgement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity_type", sa.String(16), nullable=False),
        sa.Column("left_key", sa.String(120), nullable=False),
        sa.Column("right_key", sa.String(120), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retracted_at", UTCDateTime(), nullable=True),
        sa.Column("retracted_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_resolution_judgement_pair", "resolution_judgement", ["left_key", "right_key"])


def downgrade() -> None:
    op.drop_index("ix_resolution_judgement_pair", "resolution_judgement")
    op.drop_table("resolution_judgement")
