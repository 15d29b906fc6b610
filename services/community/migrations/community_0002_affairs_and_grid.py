"""The community tables: the affairs catalogue, documents, applications and their history,
pending credit feedback, grid cells and incidents.

Revision ID: community_0002
Revises: community_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "community_0002"
down_revision = "community_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_affair_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("required_documents", sa.JSON(), nullable=False),
        sa.Column("form_schema", sa.JSON(), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("credit_check", sa.Boolean(), nullable=False),
        sa.Column("credit_purpose", sa.String(length=32), nullable=True),
        sa.Column("issues_card", sa.String(length=32), nullable=True),
        sa.Column("valid_years", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version", name="uq_community_affair_version"),
    )
    op.create_table(
        "community_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("card_number", sa.String(length=16), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("affair_code", sa.String(length=64), nullable=False),
        sa.Column("affair_version", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_from", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("fast_tracked", sa.Boolean(), nullable=False),
        sa.Column("credit_check_id", sa.String(length=36), nullable=True),
        sa.Column("credit_verdict", sa.String(length=16), nullable=True),
        sa.Column("credit_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("certificate_number", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_community_applications_card", "community_applications", ["card_number"], unique=False
    )
    op.create_index(
        "ix_community_applications_unit_status",
        "community_applications",
        ["unit", "status"],
        unique=False,
    )
    op.create_table(
        "community_credit_feedback",
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("action_taken", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("check_id"),
    )
    op.create_table(
        "community_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_card", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_community_documents_owner", "community_documents", ["owner_card"], unique=False
    )
    op.create_table(
        "community_grid_cells",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=False),
        sa.Column("polygon", sa.JSON(), nullable=False),
        sa.Column("grid_worker", sa.String(length=64), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("special_care", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "community_application_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["community_applications.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_community_transitions_application",
        "community_application_transitions",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "community_incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cell_id", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("photo_ref", sa.String(length=200), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("reporter_role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["community_grid_cells.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_community_incidents_cell_category",
        "community_incidents",
        ["cell_id", "category"],
        unique=False,
    )
    op.create_index(
        "ix_community_incidents_reporter", "community_incidents", ["reporter"], unique=False
    )


def downgrade() -> None:
    op.drop_table("community_incidents")
    op.drop_table("community_grid_cells")
    op.drop_table("community_credit_feedback")
    op.drop_table("community_application_transitions")
    op.drop_table("community_documents")
    op.drop_table("community_applications")
    op.drop_table("community_affair_versions")
