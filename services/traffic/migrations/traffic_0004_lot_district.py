"""Parking lots name their district (沈阳市 urban district or county): ``parking_lots.district``.

Lots registered before this revision have none (NULL): their department may register the
district later; the by-district figures count them under ``unassigned`` until then.

Revision ID: traffic_0004
Revises: traffic_0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "traffic_0004"
down_revision = "traffic_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parking_lots", sa.Column("district", sa.String(32), nullable=True))
    op.create_index("ix_parking_lots_district", "parking_lots", ["district"])


def downgrade() -> None:
    op.drop_index("ix_parking_lots_district", table_name="parking_lots")
    op.drop_column("parking_lots", "district")
