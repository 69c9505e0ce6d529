"""accounts: bounded, expiring, revocable jurisdiction grants; first-login password change; MFA enrolment

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Grants made before this revision had no end: they are given one of 30 days from the upgrade, so a joint
operation in progress keeps working while the security administrator reviews them (``policecloud user list``).
Existing accounts are not asked to change their password; new ones are.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from policecloud.platform.store.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEGACY_GRANT_DAYS = 30


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch would rebuild the users table on SQLite, and dropping the old one would cascade
    # to every table that references users (roles, sessions, grants).
    op.add_column("users", sa.Column("totp_pending_secret", sa.String(64), nullable=True))
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("jurisdiction_grants", sa.Column("valid_until", sa.Date(), nullable=True))
    op.add_column("jurisdiction_grants", sa.Column("revoked_at", UTCDateTime(), nullable=True))
    op.add_column("jurisdiction_grants", sa.Column("revoked_by", sa.String(64), nullable=True))
    op.add_column("jurisdiction_grants", sa.Column("revoke_reason", sa.Text(), nullable=True))
    legacy_end = datetime.now(UTC).date() + timedelta(days=LEGACY_GRANT_DAYS)
    op.get_bind().execute(
        sa.text("UPDATE jurisdiction_grants SET valid_until = :end WHERE valid_until IS NULL"), {"end": legacy_end}
    )
    # jurisdiction_grants is referenced by no table: rebuilding it (SQLite) to make the column NOT NULL is safe.
    with op.batch_alter_table("jurisdiction_grants") as batch:
        batch.alter_column("valid_until", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("jurisdiction_grants") as batch:
        batch.drop_column("revoke_reason")
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
        batch.drop_column("valid_until")
    # DROP COLUMN in place (SQLite 3.35+), for the same reason as above: no rebuild of users.
    op.drop_column("users", "must_change_password")
    op.drop_column("users", "totp_pending_secret")
