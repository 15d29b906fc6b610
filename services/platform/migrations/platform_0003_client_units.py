"""API clients speak for a unit of their department (a hospital, a school); sector cards of
longer kinds (``disability_certificate``).

Revision ID: platform_0003
Revises: platform_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "platform_0003"
down_revision = "platform_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_clients", sa.Column("unit", sa.String(64), nullable=True))
    op.alter_column(
        "linked_cards", "kind", type_=sa.String(30), existing_type=sa.String(20), nullable=False
    )


def downgrade() -> None:
    op.alter_column(
        "linked_cards", "kind", type_=sa.String(20), existing_type=sa.String(30), nullable=False
    )
    op.drop_column("api_clients", "unit")
