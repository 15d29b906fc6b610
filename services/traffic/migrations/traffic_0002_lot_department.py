"""Parking lots belong to the department that registered them: ``parking_lots.department``.

Lots registered before this revision could only have been registered by the traffic
department (the route was open to it alone), so they become traffic's.

Revision ID: traffic_0002
Revises: traffic_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "traffic_0002"
down_revision = "traffic_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parking_lots", sa.Column("department", sa.String(64), nullable=True))
    op.execute("UPDATE parking_lots SET department = 'traffic'")
    op.alter_column("parking_lots", "department", nullable=False)


def downgrade() -> None:
    op.drop_column("parking_lots", "department")
