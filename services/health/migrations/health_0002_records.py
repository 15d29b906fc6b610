"""The health tables: FHIR resources (JSONB with search columns), patient demographics for
statistics, consent terms for the access check, remote consultations.

Written by hand to match ``services/health/models.py``.

Revision ID: health_0002
Revises: health_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "health_0002"
down_revision = "health_0001"
branch_labels = None
depends_on = None

AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fhir_resources",
        sa.Column("resource_type", sa.String(40), primary_key=True),
        sa.Column("resource_id", sa.String(64), primary_key=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("last_updated", AWARE, nullable=False),
        sa.Column("resource", JSONB(), nullable=False),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("card_number", sa.String(32), nullable=True),
        sa.Column("author_organization_id", sa.String(64), nullable=True),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("code", sa.String(200), nullable=True),
        sa.Column("date", AWARE, nullable=True),
    )
    op.create_index("ix_fhir_resources_patient", "fhir_resources", ["patient_id", "resource_type"])
    op.create_index("ix_fhir_resources_card", "fhir_resources", ["card_number", "resource_type"])
    op.create_index(
        "ix_fhir_resources_author", "fhir_resources", ["author_organization_id", "resource_type"]
    )
    op.create_index("ix_fhir_resources_code", "fhir_resources", ["resource_type", "code"])
    op.create_table(
        "patient_demographics",
        sa.Column("patient_id", sa.String(64), primary_key=True),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("gender", sa.String(16), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("district", sa.String(100), nullable=True),
    )
    op.create_index(
        "uq_patient_per_institution",
        "patient_demographics",
        ["organization_id", "card_number"],
        unique=True,
    )
    op.create_table(
        "consent_grants",
        sa.Column("consent_id", sa.String(64), primary_key=True),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("organization_id", sa.String(64), nullable=False),
        sa.Column("provision", sa.String(8), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("starts_at", AWARE, nullable=True),
        sa.Column("ends_at", AWARE, nullable=True),
        sa.Column("purpose", sa.String(20), nullable=True),
    )
    op.create_index(
        "ix_consent_grants_card_org", "consent_grants", ["card_number", "organization_id"]
    )
    op.create_index("ix_consent_grants_org", "consent_grants", ["organization_id"])
    op.create_table(
        "consultations",
        sa.Column("consultation_id", sa.String(36), primary_key=True),
        sa.Column("patient_id", sa.String(64), nullable=False),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("requesting_organization_id", sa.String(64), nullable=False),
        sa.Column("assigned_organization_id", sa.String(64), nullable=True),
        sa.Column("specialist", sa.String(200), nullable=True),
        sa.Column("specialty", sa.String(80), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", AWARE, nullable=False),
        sa.Column("due_at", AWARE, nullable=False),
        sa.Column("assigned_at", AWARE, nullable=True),
        sa.Column("answered_at", AWARE, nullable=True),
        sa.Column("closed_at", AWARE, nullable=True),
    )
    op.create_index("ix_consultations_open_due", "consultations", ["state", "due_at"])
    op.create_index("ix_consultations_requester", "consultations", ["requesting_organization_id"])


def downgrade() -> None:
    for table in ("consultations", "consent_grants", "patient_demographics", "fhir_resources"):
        op.drop_table(table)
