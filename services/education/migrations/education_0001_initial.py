"""Initial revision of the education database (its sector tables come with the feature issue).

Revision ID: education_0001
Revises:
Create Date: 2026-11-28
"""

revision = "education_0001"
down_revision = None
branch_labels = ("education",)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
