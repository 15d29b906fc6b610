"""Tables of the test services.

Revision ID: messaging_app_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "messaging_app_0001"
down_revision = None
branch_labels = ("messaging_app",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "penalties",
        sa.Column("source_record_id", sa.String(64), primary_key=True),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("source_record_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
    )
    op.create_table("blocked_subjects", sa.Column("subject_id", sa.String(32), primary_key=True))


def downgrade() -> None:
    op.drop_table("blocked_subjects")
    op.drop_table("ledger_entries")
    op.drop_table("penalties")
