"""The credit service's tables: its own ``Base`` and metadata (PostgreSQL).

The check path (``reports.check``) is on other departments' hot path, so each of its
queries has an index: the subject by its key, the subject's counting records, the subject's
standing list entries.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.clock import utcnow


class Base(DeclarativeBase):
    """The credit service's declarative base: its metadata holds only credit tables."""


class Subject(Base):
    """An enterprise, organisation (by credit code) or individual (by resident ID number)."""

    __tablename__ = "credit_subjects"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id", name="uq_credit_subject_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(200))
    card_number: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CreditRecord(Base):
    """One decision a department reported: a permit, penalty, judgment, commendation, …

    ``(source_department, source_record_id)`` is unique: a department re-sending a record
    (an event redelivered, a batch re-run) finds the one already stored.
    """

    __tablename__ = "credit_records"
    __table_args__ = (
        UniqueConstraint("source_department", "source_record_id", name="uq_credit_record_source"),
        Index("ix_credit_records_subject_status", "subject_pk", "status"),
        Index("ix_credit_records_status_valid_until", "status", "valid_until"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_subjects.id"))
    source_department: Mapped[str] = mapped_column(String(64))
    source_record_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    polarity: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    subject: Mapped[Subject] = relationship()


class ListEntry(Base):
    """A subject's stay on the red or black list; kept after removal as the list's history.

    At most one standing entry (``removed_on`` null) per subject and list: a partial unique
    index.
    """

    __tablename__ = "credit_list_entries"
    __table_args__ = (
        Index(
            "uq_credit_list_entries_standing",
            "subject_pk",
            "list_kind",
            unique=True,
            postgresql_where=text("removed_on IS NULL"),
        ),
        Index("ix_credit_list_entries_subject", "subject_pk", "removed_on"),
        Index("ix_credit_list_entries_published", "list_kind", "removed_on", "effective_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_subjects.id"))
    list_kind: Mapped[str] = mapped_column(String(8))
    basis: Mapped[str] = mapped_column(Text)
    basis_record_ids: Mapped[list[str]] = mapped_column(JSON)
    trigger_ids: Mapped[list[str]] = mapped_column(JSON)
    issuing_department: Mapped[str] = mapped_column(String(64))
    measures: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    effective_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    removal_reason: Mapped[str | None] = mapped_column(String(32))

    subject: Mapped[Subject] = relationship()


class Objection(Base):
    """A subject's objection to one of their records, and the source department's decision."""

    __tablename__ = "credit_objections"
    __table_args__ = (Index("ix_credit_objections_record", "record_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_records.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    filed_on: Mapped[date] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(8))
    decision_note: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_on: Mapped[date | None] = mapped_column(Date)

    record: Mapped[CreditRecord] = relationship()


class CreditCheck(Base):
    """One department's credit check of a subject, what it was told, and what it then did.

    The subject is stored by key, not by foreign key: a check of a subject with no file is
    logged too.
    """

    __tablename__ = "credit_checks"
    __table_args__ = (
        Index("ix_credit_checks_subject", "subject_type", "subject_id"),
        Index("ix_credit_checks_department", "requesting_department", "checked_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(18))
    purpose: Mapped[str] = mapped_column(String(32))
    requesting_department: Mapped[str] = mapped_column(String(64))
    checked_on: Mapped[date] = mapped_column(Date)
    level: Mapped[str] = mapped_column(String(2))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    feedback_action: Mapped[str | None] = mapped_column(String(32))
    feedback_note: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
