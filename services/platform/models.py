"""Tables of the platform database: identity, sessions, API clients, audit log, base registries.

No other service reads these tables; they reach the data through the platform's RPC methods.
Every time is stored in UTC (``UTCDateTime``) so that the audit hash chain, which hashes
times as text, computes the same digest whatever the session's time zone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.outbox import outbox_like

BigId = BigInteger()

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first audit entry."""


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored and returned in UTC whatever the database does with zones.

    PostgreSQL keeps the instant and returns it in the session's zone; it comes back as the
    same aware UTC value.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Metadata of the platform database."""


# --- population registry and citizen cards ---------------------------------------------------


class Resident(Base):
    """A resident registered under their real name (the population base registry)."""

    __tablename__ = "residents"

    resident_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(11))
    password_hash: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CitizenCard(Base):
    """The resident's virtual citizen card; at most one per resident.

    ``serial`` is only the row's key. ``card_number`` is drawn at random
    (``shared.identity.random_card_number``) so that no card number tells another; its
    unique constraint turns a collision into a retry. (The column is nullable because card
    numbers used to be filled in after the insert; every row has one.)
    """

    __tablename__ = "citizen_cards"

    serial: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    card_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.resident_id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkedCard(Base):
    """A sector card (student ID, tourist card) that a service linked to a citizen card."""

    __tablename__ = "linked_cards"
    __table_args__ = (UniqueConstraint("kind", "number", name="uq_linked_cards_kind_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("citizen_cards.card_number"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- login ----------------------------------------------------------------------------------


class LoginAttempt(Base):
    """Every login attempt, kept for lock-out and for forensics.

    ``username`` is the account's card number when the account exists (so switching between
    card number and ID number does not reset the count), else the normalised name tried.
    ``outcome`` is ``success``, ``failure`` or ``locked`` (refused without checking the
    password); only failures count towards a lock-out.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(10))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RefreshToken(Base):
    """A refresh token, by the SHA-256 of its value (the value itself is never stored).

    Tokens rotated from one login share a ``family_id``: presenting a revoked member again
    means it was stolen or replayed, and the whole family is revoked.
    """

    __tablename__ = "refresh_tokens"

    token_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("citizen_cards.card_number"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- API clients ----------------------------------------------------------------------------


class ApiClient(Base):
    """A department system, integrator or operator that calls the gateway with an API key.

    The key is ``<key_prefix>_<secret>``; only its SHA-256 is stored and the prefix finds the
    row without scanning.
    """

    __tablename__ = "api_clients"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(64))
    """The organisation inside the department the client speaks for (a hospital's institution
    id, a school's id); sector services confine the client to that unit's data."""
    scopes: Mapped[list[str]] = mapped_column(JSON)
    key_prefix: Mapped[str] = mapped_column(String(20), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- audit log ------------------------------------------------------------------------------


class AuditEntry(Base):
    """One access to a resident's personal data: append-only, hash-chained by ``seq``.

    ``hash = sha256(prev_hash + canonical JSON of the entry)`` (see ``services.platform.audit``).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject_occurred_at", "subject", "occurred_at"),
        Index("ix_audit_entries_department_occurred_at", "department", "occurred_at"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(10))
    resource: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(100))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row that says where the chain ends; appenders lock it to take turns.

    Besides serialising appends it detects a deleted tail: the last row must be ``last_seq``
    with ``last_hash``.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


CHAIN_HEAD_ID = 1


# --- legal entities and housing --------------------------------------------------------------


class LegalEntity(Base):
    """An enterprise or organisation (the legal-entity base registry)."""

    __tablename__ = "legal_entities"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    legal_representative: Mapped[str] = mapped_column(String(50))
    registered_address: Mapped[str] = mapped_column(String(300))
    established_on: Mapped[date] = mapped_column(Date)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Housing(Base):
    """A dwelling and its owner (the housing base registry); one row per dwelling."""

    __tablename__ = "housing"
    __table_args__ = (
        UniqueConstraint(
            "district", "address", "building", "unit", "room", name="uq_housing_dwelling"
        ),
    )

    housing_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    address: Mapped[str] = mapped_column(String(300))
    district: Mapped[str] = mapped_column(String(50))
    building: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    room: Mapped[str] = mapped_column(String(20))
    owner_card_number: Mapped[str] = mapped_column(
        ForeignKey("citizen_cards.card_number"), index=True
    )
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- webhooks -------------------------------------------------------------------------------


class Webhook(Base):
    """An API client's subscription to city events, delivered by HTTP POST to ``url``.

    ``patterns`` are AMQP topic patterns over the event type (``traffic.#``). ``secret`` is
    kept as issued, not hashed: the platform needs the value itself to sign every delivery
    (HMAC-SHA256), so it is as sensitive as the database it sits in.
    """

    __tablename__ = "webhooks"

    webhook_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_clients.client_id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    patterns: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # -- the subscription model (FIWARE Orion's; services/platform/README.md) --
    endpoint: Mapped[str] = mapped_column(String(300), index=True)
    """``scheme://host:port`` of ``url``: the lane one receiver's deliveries queue in."""
    status: Mapped[str] = mapped_column(String(10), default="active")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    throttling_s: Mapped[int] = mapped_column(Integer, default=0)
    filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    max_fails: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    fails_counter: Mapped[int] = mapped_column(Integer, default=0)
    last_notification: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_code: Mapped[int | None] = mapped_column(Integer)
    last_failure: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_reason: Mapped[str | None] = mapped_column(String(500))


class WebhookDelivery(Base):
    """One event on its way to one webhook: ``pending`` until delivered or given up on.

    A pending row is due at ``next_attempt_at``; a sender leases it by pushing that time
    forward, so a sender that dies mid-delivery leaves it to be retried after the lease.
    One row per (webhook, event, generation): a redelivered event is queued once; each replay
    of it is a new generation. ``seq`` is the publish order the sender keeps per subject
    (``order_key``).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "webhook_id", "event_id", "generation", name="uq_webhook_deliveries_generation"
        ),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "webhook_id", "order_key", "seq"),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.webhook_id"))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    order_key: Mapped[str] = mapped_column(String(120))
    generation: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_replay(self) -> bool:
        return self.generation > 0


class EventLogEntry(Base):
    """Every event the platform received, kept ``EVENT_LOG_RETENTION_DAYS`` for replays."""

    __tablename__ = "event_log"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_type: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    envelope: Mapped[dict[str, Any]] = mapped_column(JSON)


public_outbox_table = outbox_like("public_outbox", Base.metadata)
"""Public events, personal fields removed, waiting for the relay to ``smartcity.public``."""
