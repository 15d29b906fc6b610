"""Initial revision of the health database (its sector tables come with the feature issue).

Revision ID: health_0001
Revises:
Create Date: 2026-11-28
"""

revision = "health_0001"
down_revision = None
branch_labels = ("health",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
