"""Initial revision of the community database (its sector tables come with the feature issue).

Revision ID: community_0001
Revises:
Create Date: 2026-11-28
"""

revision = "community_0001"
down_revision = None
branch_labels = ("community",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
