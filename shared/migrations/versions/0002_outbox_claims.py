"""Outbox claims: a relay leases a batch, publishes it outside any transaction, then marks it.

Revision ID: messaging_0002
Revises: messaging_0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "messaging_0002"
down_revision = "messaging_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "claimed_until")
