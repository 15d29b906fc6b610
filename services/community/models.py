"""Tables of the community service's own database (no other service reads them).

Document contents are not in these rows: they are files named by their SHA-256 under the
documents directory (``documents.py``); the rows hold who owns them and what they are.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.clock import utcnow


class Base(DeclarativeBase):
    """Metadata of the community database."""


class AffairVersion(Base):
    """One published version of a standardised affair item (never edited once published)."""

    __tablename__ = "community_affair_versions"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_community_affair_version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(64))
    eligibility: Mapped[list[str]] = mapped_column(JSON)
    required_documents: Mapped[list[str]] = mapped_column(JSON)
    form_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    time_limit_days: Mapped[int] = mapped_column(Integer)
    credit_check: Mapped[bool] = mapped_column(Boolean)
    credit_purpose: Mapped[str | None] = mapped_column(String(32))
    issues_card: Mapped[str | None] = mapped_column(String(32))
    valid_years: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """An uploaded document of a resident; its bytes are the file named by ``sha256``."""

    __tablename__ = "community_documents"
    __table_args__ = (Index("ix_community_documents_owner", "owner_card"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_card: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Application(Base):
    """A resident's application for an affair, under the affair version it was filed under."""

    __tablename__ = "community_applications"
    __table_args__ = (
        Index("ix_community_applications_card", "card_number"),
        Index("ix_community_applications_unit_status", "unit", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    card_number: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(String(18))
    affair_code: Mapped[str] = mapped_column(String(64))
    affair_version: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_ids: Mapped[list[str]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counted_from: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    fast_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_check_id: Mapped[str | None] = mapped_column(String(36))
    credit_verdict: Mapped[str | None] = mapped_column(String(16))
    credit_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[date | None] = mapped_column(Date)
    certificate_number: Mapped[str | None] = mapped_column(String(32))


class Transition(Base):
    """One step of an application's history: who moved it from where to where, when and why."""

    __tablename__ = "community_application_transitions"
    __table_args__ = (Index("ix_community_transitions_application", "application_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("community_applications.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CreditFeedback(Base):
    """What we did after a credit check, to be told to credit (retried until it answers)."""

    __tablename__ = "community_credit_feedback"

    check_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    action_taken: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GridCell(Base):
    """A cell of the community grid, its grid worker and its base data (counts only)."""

    __tablename__ = "community_grid_cells"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(50))
    polygon: Mapped[dict[str, Any]] = mapped_column(JSON)
    grid_worker: Mapped[str] = mapped_column(String(64))
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    special_care: Mapped[int] = mapped_column(Integer, default=0)


class Incident(Base):
    """An incident reported in a cell, followed to closure within its category's time limit."""

    __tablename__ = "community_incidents"
    __table_args__ = (
        Index("ix_community_incidents_cell_category", "cell_id", "category"),
        Index("ix_community_incidents_reporter", "reporter"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    cell_id: Mapped[str] = mapped_column(String(32), ForeignKey("community_grid_cells.id"))
    category: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    photo_ref: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000))
    reporter: Mapped[str] = mapped_column(String(64))
    reporter_role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
