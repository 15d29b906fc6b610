"""Tables of the health service's own database (no other service reads them).

Resources are stored as validated FHIR JSON (JSONB) beside the columns they are searched and
checked by; the JSON is the truth, the columns are derived from it on every write.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Metadata of the health database."""


class FhirResource(Base):
    """One FHIR resource, current version only (``version_id`` counts the updates)."""

    __tablename__ = "fhir_resources"

    resource_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    last_updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    resource: Mapped[dict] = mapped_column(JSONB, nullable=False)
    patient_id: Mapped[str | None] = mapped_column(String(64))
    card_number: Mapped[str | None] = mapped_column(String(32))
    """The resident the record is about (its Patient's citizen card)."""
    author_organization_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(200))
    date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_fhir_resources_patient", "patient_id", "resource_type"),
        Index("ix_fhir_resources_card", "card_number", "resource_type"),
        Index("ix_fhir_resources_author", "author_organization_id", "resource_type"),
        Index("ix_fhir_resources_code", "resource_type", "code"),
    )


class PatientDemographics(Base):
    """What statistics need of a Patient (kept with the Patient on every write)."""

    __tablename__ = "patient_demographics"

    patient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), nullable=False)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_date: Mapped[date | None] = mapped_column(Date)
    district: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("uq_patient_per_institution", "organization_id", "card_number", unique=True),
    )


class ConsentGrant(Base):
    """The terms of one Consent resource, for the access check."""

    __tablename__ = "consent_grants"

    consent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_number: Mapped[str] = mapped_column(String(32), nullable=False)
    organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    provision: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purpose: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        Index("ix_consent_grants_card_org", "card_number", "organization_id"),
        Index("ix_consent_grants_org", "organization_id"),
    )


class Consultation(Base):
    """A remote consultation request and its answer."""

    __tablename__ = "consultations"

    consultation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(64), nullable=False)
    card_number: Mapped[str] = mapped_column(String(32), nullable=False)
    requesting_organization_id: Mapped[str] = mapped_column(String(64), nullable=False)
    assigned_organization_id: Mapped[str | None] = mapped_column(String(64))
    specialist: Mapped[str | None] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(80), nullable=False)
    urgency: Mapped[str] = mapped_column(String(16), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_consultations_open_due", "state", "due_at"),
        Index("ix_consultations_requester", "requesting_organization_id"),
    )
