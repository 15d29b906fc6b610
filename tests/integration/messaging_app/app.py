"""Two small services that exercise the shared messaging machinery for real.

``inspection`` issues administrative penalties (state change + shared penalty event in one
transaction); ``ledger`` consumes every ``*.administrative_penalty_issued`` idempotently and
refuses subjects on its ``blocked_subjects`` table (so a test can make the handler fail, then
fix the cause and replay the dead letter). For a penalty of an individual, ``ledger`` first
asks ``registry`` (by RPC, as credit asks the platform), so a test can stop the callee.
"""

from datetime import date
from pathlib import Path

import eventlet
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from sqlalchemy import Date, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import Database
from shared.messaging import Event, EventFailures, apply_each, subscribe
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class Penalty(Base):
    __tablename__ = "penalties"
    source_record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(32))
    decided_on: Mapped[date] = mapped_column(Date)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source_record_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(32))


class BlockedSubject(Base):
    __tablename__ = "blocked_subjects"
    subject_id: Mapped[str] = mapped_column(String(32), primary_key=True)


def penalty_payload(record_id: str, subject_id: str, subject_type: str = "enterprise") -> dict:
    return {
        "source_record_id": record_id,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "category": "administrative_penalty",
        "severity": "serious",
        "basis": "Decision 1/2026",
        "decided_on": "2026-11-01",
        "valid_until": "2029-11-01",
    }


def issue_penalty(uow, record_id: str, subject_id: str) -> dict:
    """The service-layer operation: one transaction, state and event together."""
    uow.session.add(
        Penalty(source_record_id=record_id, subject_id=subject_id, decided_on=date(2026, 11, 1))
    )
    envelope = uow.publish(
        "inspection.administrative_penalty_issued",
        penalty_payload(record_id, subject_id),
        subject=subject_id,
    )
    uow.commit()
    return envelope


class InspectionService(ServiceBase):
    name = "inspection"
    db = Database(Base, MIGRATIONS)

    @rpc
    def issue(self, record_id: str, subject_id: str) -> dict:
        return issue_penalty(self.db, record_id, subject_id)


class RegistryService(ServiceBase):
    name = "registry"
    db = Database(Base, MIGRATIONS)

    @rpc
    def resolve(self, subject_id: str) -> str:
        return subject_id


class LedgerService(ServiceBase):
    name = "ledger"
    db = Database(Base, MIGRATIONS)
    registry = RpcProxy("registry")
    config = Config()
    handling_delay_s = 0.0

    @subscribe("*.administrative_penalty_issued")
    def record_penalty(self, event: Event) -> None:
        if self.handling_delay_s:
            eventlet.sleep(self.handling_delay_s)
        subject_id = event.data["subject_id"]
        if event.data["subject_type"] == "individual":
            subject_id = call_with_deadline(
                self.registry.resolve,
                subject_id,
                timeout=consumer_rpc_timeout(self.config),
                service="registry",
            )
        if self.db.session.get(BlockedSubject, subject_id):
            raise RuntimeError(f"subject {subject_id} is blocked")
        if not self.db.claim(event.event_id, "ledger.record_penalty"):
            return
        self.db.session.add(
            LedgerEntry(
                event_id=event.event_id,
                subject_id=subject_id,
                source_record_id=event.data["source_record_id"],
            )
        )
        self.db.commit()

    @rpc
    def entries(self) -> list[dict]:
        rows = self.db.session.scalars(select(LedgerEntry)).all()
        return [
            {
                "event_id": r.event_id,
                "source_record_id": r.source_record_id,
                "subject_id": r.subject_id,
            }
            for r in rows
        ]


class BatchLedgerService(ServiceBase):
    """``ledger``'s handler as a batch subscriber: one commit per batch, an event per savepoint."""

    name = "batchledger"
    db = Database(Base, MIGRATIONS)

    @subscribe("*.administrative_penalty_issued", batch=True)
    def record_penalties(self, events: list[Event]) -> EventFailures:
        return apply_each(self.db, events, self._record)

    def _record(self, event: Event) -> None:
        subject_id = event.data["subject_id"]
        if self.db.session.get(BlockedSubject, subject_id):
            raise RuntimeError(f"subject {subject_id} is blocked")
        if self.db.claim(event.event_id, "batchledger.record_penalties"):
            self.db.session.add(
                LedgerEntry(
                    event_id=event.event_id,
                    subject_id=subject_id,
                    source_record_id=event.data["source_record_id"],
                )
            )
