"""Tables of the education service's own database (no other service reads them).

A citizen holds at most one *current* student card (``active`` or ``suspended``): the partial
unique index ``uq_education_current_card`` enforces it in PostgreSQL, whatever races above it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.clock import utcnow

CURRENT_CARD = text("status IN ('active', 'suspended')")


class Base(DeclarativeBase):
    """The education database's metadata: only education tables."""


class School(Base):
    __tablename__ = "education_schools"

    school_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(24))
    pilot: Mapped[bool] = mapped_column(Boolean)
    pilot_start: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StudentCard(Base):
    """One e-student ID. A transfer ends the card (``transferred``) and issues a new one at
    the receiving school, whose ``previous_number`` names the old one."""

    __tablename__ = "education_student_cards"
    __table_args__ = (
        Index(
            "uq_education_current_card",
            "card_number",
            unique=True,
            postgresql_where=CURRENT_CARD,
        ),
        Index("ix_education_cards_school_status", "school_id", "status"),
    )

    student_number: Mapped[str] = mapped_column(String(13), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(16))
    resident_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[str] = mapped_column(ForeignKey("education_schools.school_id"))
    grade: Mapped[int] = mapped_column(SmallInteger)
    class_name: Mapped[str] = mapped_column(String(32))
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(200))
    previous_number: Mapped[str | None] = mapped_column(String(13))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Teacher(Base):
    """A teacher's personal space: profile and classes (lessons link to it)."""

    __tablename__ = "education_teachers"

    teacher_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("education_schools.school_id"))
    name: Mapped[str] = mapped_column(String(200))
    subjects: Mapped[list[str]] = mapped_column(JSON)
    classes: Mapped[list[str]] = mapped_column(JSON)
    bio: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Exam(Base):
    __tablename__ = "education_exams"
    __table_args__ = (Index("ix_education_exams_subject_grade", "subject", "grade", "status"),)

    exam_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    school_id: Mapped[str] = mapped_column(ForeignKey("education_schools.school_id"))
    subject: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(SmallInteger)
    exam_date: Mapped[date] = mapped_column(Date)
    max_score: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScoreBatch(Base):
    """An accepted upload; the same content again (same hash) for the same exam is a no-op."""

    __tablename__ = "education_score_batches"
    __table_args__ = (
        UniqueConstraint("exam_id", "content_hash", name="uq_education_batch_content"),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    exam_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("education_exams.exam_id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Score(Base):
    __tablename__ = "education_scores"

    exam_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("education_exams.exam_id"), primary_key=True
    )
    student_number: Mapped[str] = mapped_column(String(13), primary_key=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("education_score_batches.batch_id"))
    class_name: Mapped[str] = mapped_column(String(32))
    item_scores: Mapped[list[str]] = mapped_column(JSON)
    total: Mapped[Decimal] = mapped_column(Numeric(9, 2))


class Lesson(Base):
    __tablename__ = "education_lessons"
    __table_args__ = (
        UniqueConstraint("teacher_id", "title", name="uq_education_lesson_title"),
        Index("ix_education_lessons_subject_grade", "subject", "grade"),
    )

    lesson_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    school_id: Mapped[str] = mapped_column(ForeignKey("education_schools.school_id"))
    teacher_id: Mapped[str] = mapped_column(ForeignKey("education_teachers.teacher_id"))
    title: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(SmallInteger)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    media_url: Mapped[str] = mapped_column(String(500))
    tags: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
