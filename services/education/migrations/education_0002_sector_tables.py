"""The education tables: schools, student cards, teachers, exams, scores and lessons.

Written by hand to match ``services/education/models.py``, including the partial unique index
that allows one current student card per citizen card.

A revision of its own after the skeleton's empty ``education_0001``, so that a database
already at ``education_0001`` gets the tables too.

Revision ID: education_0002
Revises: education_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "education_0002"
down_revision = "education_0001"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "education_schools",
        sa.Column("school_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(64), nullable=False),
        sa.Column("level", sa.String(24), nullable=False),
        sa.Column("pilot", sa.Boolean(), nullable=False),
        sa.Column("pilot_start", sa.Date(), nullable=True),
        sa.Column("updated_at", NOW, nullable=False),
    )
    op.create_table(
        "education_student_cards",
        sa.Column("student_number", sa.String(13), primary_key=True),
        sa.Column("card_number", sa.String(16), nullable=False),
        sa.Column("resident_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "school_id",
            sa.String(32),
            sa.ForeignKey("education_schools.school_id"),
            nullable=False,
        ),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("class_name", sa.String(32), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("previous_number", sa.String(13), nullable=True),
        sa.Column("issued_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
    )
    op.create_index(
        "uq_education_current_card",
        "education_student_cards",
        ["card_number"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'suspended')"),
    )
    op.create_index(
        "ix_education_cards_school_status", "education_student_cards", ["school_id", "status"]
    )
    op.create_table(
        "education_teachers",
        sa.Column("teacher_id", sa.String(32), primary_key=True),
        sa.Column(
            "school_id",
            sa.String(32),
            sa.ForeignKey("education_schools.school_id"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("updated_at", NOW, nullable=False),
    )
    op.create_table(
        "education_exams",
        sa.Column("exam_id", sa.Uuid(), primary_key=True),
        sa.Column(
            "school_id",
            sa.String(32),
            sa.ForeignKey("education_schools.school_id"),
            nullable=False,
        ),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("max_score", sa.Numeric(8, 2), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("published_at", NOW, nullable=True),
    )
    op.create_index(
        "ix_education_exams_subject_grade", "education_exams", ["subject", "grade", "status"]
    )
    op.create_table(
        "education_score_batches",
        sa.Column("batch_id", sa.Uuid(), primary_key=True),
        sa.Column("exam_id", sa.Uuid(), sa.ForeignKey("education_exams.exam_id"), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.UniqueConstraint("exam_id", "content_hash", name="uq_education_batch_content"),
    )
    op.create_table(
        "education_scores",
        sa.Column("exam_id", sa.Uuid(), sa.ForeignKey("education_exams.exam_id"), primary_key=True),
        sa.Column("student_number", sa.String(13), primary_key=True),
        sa.Column(
            "batch_id",
            sa.Uuid(),
            sa.ForeignKey("education_score_batches.batch_id"),
            nullable=False,
        ),
        sa.Column("class_name", sa.String(32), nullable=False),
        sa.Column("item_scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Numeric(9, 2), nullable=False),
    )
    op.create_table(
        "education_lessons",
        sa.Column("lesson_id", sa.Uuid(), primary_key=True),
        sa.Column(
            "school_id",
            sa.String(32),
            sa.ForeignKey("education_schools.school_id"),
            nullable=False,
        ),
        sa.Column(
            "teacher_id",
            sa.String(32),
            sa.ForeignKey("education_teachers.teacher_id"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("media_url", sa.String(500), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.UniqueConstraint("teacher_id", "title", name="uq_education_lesson_title"),
    )
    op.create_index("ix_education_lessons_subject_grade", "education_lessons", ["subject", "grade"])


def downgrade() -> None:
    for table in (
        "education_lessons",
        "education_scores",
        "education_score_batches",
        "education_exams",
        "education_teachers",
        "education_student_cards",
        "education_schools",
    ):
        op.drop_table(table)
