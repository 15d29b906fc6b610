"""Initial revision of the tourism database (its sector tables come with the feature issue).

Revision ID: tourism_0001
Revises:
Create Date: 2026-11-28
"""

revision = "tourism_0001"
down_revision = None
branch_labels = ("tourism",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
