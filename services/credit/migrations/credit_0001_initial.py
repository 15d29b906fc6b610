"""The credit tables: subjects, records, list entries, objections and the check log.

Written by hand to match ``services/credit/models.py``, including the partial unique index on
standing list entries (its ``WHERE``).

Revision ID: credit_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "credit_0001"
down_revision = None
branch_labels = ("credit",)
depends_on = None

STANDING_ONLY = "removed_on IS NULL"


def upgrade() -> None:
    op.create_table(
        "credit_subjects",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("card_number", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subject_type", "subject_id", name="uq_credit_subject_key"),
    )
    op.create_table(
        "credit_records",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subject_pk", sa.Uuid(), sa.ForeignKey("credit_subjects.id"), nullable=False),
        sa.Column("source_department", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("polarity", sa.String(8), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("basis", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "source_department", "source_record_id", name="uq_credit_record_source"
        ),
    )
    op.create_index("ix_credit_records_subject_status", "credit_records", ["subject_pk", "status"])
    op.create_index(
        "ix_credit_records_status_valid_until", "credit_records", ["status", "valid_until"]
    )
    op.create_table(
        "credit_list_entries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subject_pk", sa.Uuid(), sa.ForeignKey("credit_subjects.id"), nullable=False),
        sa.Column("list_kind", sa.String(8), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("basis_record_ids", sa.JSON(), nullable=False),
        sa.Column("trigger_ids", sa.JSON(), nullable=False),
        sa.Column("issuing_department", sa.String(64), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removal_reason", sa.String(32), nullable=True),
    )
    # At most one standing entry per subject and list; removed entries stay as history.
    op.create_index(
        "uq_credit_list_entries_standing",
        "credit_list_entries",
        ["subject_pk", "list_kind"],
        unique=True,
        postgresql_where=sa.text(STANDING_ONLY),
    )
    op.create_index(
        "ix_credit_list_entries_subject", "credit_list_entries", ["subject_pk", "removed_on"]
    )
    op.create_index(
        "ix_credit_list_entries_published",
        "credit_list_entries",
        ["list_kind", "removed_on", "effective_on"],
    )
    op.create_table(
        "credit_objections",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("record_id", sa.Uuid(), sa.ForeignKey("credit_records.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(8), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("corrections", sa.JSON(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_credit_objections_record", "credit_objections", ["record_id"])
    op.create_table(
        "credit_checks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(18), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("requesting_department", sa.String(64), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(2), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_action", sa.String(32), nullable=True),
        sa.Column("feedback_note", sa.Text(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_credit_checks_subject", "credit_checks", ["subject_type", "subject_id"])
    op.create_index(
        "ix_credit_checks_department",
        "credit_checks",
        ["requesting_department", "checked_on"],
    )


def downgrade() -> None:
    op.drop_table("credit_checks")
    op.drop_table("credit_objections")
    op.drop_table("credit_list_entries")
    op.drop_table("credit_records")
    op.drop_table("credit_subjects")
