"""Tables of the tourism service's own database (no other service reads them).

Times are naive UTC (``shared.clock.naive_utcnow``); visit dates and opening hours are the
city's calendar and clock. Money is ``Numeric(12, 2)``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Time,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Metadata of the tourism database."""


class TouristCard(Base):
    """A resident-tourist card (from a citizen card) or a visitor card (from a passport or ID).

    At most one card per citizen card and one per visitor document: the unique constraints
    decide when the citizen-card event and the resident's request race.
    """

    __tablename__ = "tourist_cards"
    __table_args__ = (
        UniqueConstraint("citizen_card", name="uq_tourist_cards_citizen_card"),
        UniqueConstraint("document_type", "document_number", name="uq_tourist_cards_document"),
    )

    card_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    citizen_card: Mapped[str | None] = mapped_column(String(16))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    holder_name: Mapped[str | None] = mapped_column(String(200))
    document_type: Mapped[str | None] = mapped_column(String(16))
    document_number: Mapped[str | None] = mapped_column(String(32))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Benefit(Base):
    """A benefit a department's event gives a citizen card, one row per source document.

    ``sequence`` is the latest lifecycle step seen of that document (a student card's
    ``sequence``; 1 for a decided application): an older step arriving later changes nothing.
    """

    __tablename__ = "benefits"
    __table_args__ = (
        UniqueConstraint("kind", "reference", name="uq_benefits_kind_reference"),
        Index("ix_benefits_citizen_card", "citizen_card"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(200))
    citizen_card: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    sequence: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Venue(Base):
    """A scenic spot, hotel, restaurant or shop, registered by the tourism department."""

    __tablename__ = "venues"
    __table_args__ = (
        Index("ix_venues_operator", "operator_credit_code"),
        Index("ix_venues_lat_lon", "lat", "lon"),
    )

    venue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    department: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opens_at: Mapped[dt.time] = mapped_column(Time)
    closes_at: Mapped[dt.time] = mapped_column(Time)
    daily_capacity: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    operator_credit_code: Mapped[str] = mapped_column(String(18))
    black_listed: Mapped[bool] = mapped_column(Boolean)
    present: Mapped[int | None] = mapped_column(Integer)
    occupancy_observed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class VenueDay(Base):
    """The places of one venue on one day: what booking locks and counts against."""

    __tablename__ = "venue_days"

    venue_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("venues.venue_id"), primary_key=True
    )
    visit_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_card", "card_id"),
        Index("ix_tickets_venue_date", "venue_id", "visit_date"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    venue_id: Mapped[str] = mapped_column(String(64), ForeignKey("venues.venue_id"))
    card_id: Mapped[str] = mapped_column(String(32), ForeignKey("tourist_cards.card_id"))
    visit_date: Mapped[dt.date] = mapped_column(Date)
    visitors: Mapped[int] = mapped_column(Integer)
    total_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    computation: Mapped[list] = mapped_column(JSON)
    benefit: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    booked_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
