"""The tourism service: nameko entrypoints only; the use cases live in ``handlers.py``.

Each entrypoint is one unit of work and one commit. The gateway validates requests by their
contracts (``shared.contracts.tourism``) and passes who calls explicitly: a resident's
citizen card, a department, a gate's unit (its venue id).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.tourism import cards, handlers, indicators, tickets, venues
from services.tourism.code_key import ticket_secret
from services.tourism.models import Base, TouristCard
from shared.clock import city_today, naive_utcnow
from shared.contracts.common import load
from shared.contracts.tourism import TOURISM_DEPARTMENT, TourismLoadRequest
from shared.db import Database
from shared.identity import credit_code_subject_type
from shared.messaging import Event, subscribe
from shared.rpc import call_with_deadline, consumer_rpc_timeout, rpc
from shared.service import ServiceBase

MIGRATIONS = Path(__file__).parent / "migrations"

CREDIT_PURPOSE = "administrative_approval"
"""What tourism asks credit about when it admits a venue to the platform."""
VISITORS_DAYS_BACK = timedelta(days=90)
VISITORS_DAYS_AHEAD = timedelta(days=30)
"""The window of ``daily_visitors``: a season back, and the bookings already made ahead."""


class TourismService(ServiceBase):
    name = "tourism"
    db = Database(Base, MIGRATIONS)
    credit = RpcProxy("credit")
    config = Config()

    # --- cards --------------------------------------------------------------------------

    @subscribe("platform.citizen_card_issued")
    def on_citizen_card_issued(self, event: Event) -> None:
        consumer = f"{self.name}.on_citizen_card_issued"
        self.db.commit_retrying(
            lambda: handlers.issue_from_citizen_card(self.db, event, consumer, naive_utcnow())
        )

    @rpc
    def request_card(self, citizen_card: str) -> dict[str, Any]:
        """The resident's card (issued now if they had none); the caller is authenticated."""
        return self.db.commit_retrying(
            lambda: handlers.request_card(self.db, citizen_card, naive_utcnow(), city_today())
        )

    @rpc
    def my_card(self, citizen_card: str) -> dict[str, Any]:
        card = handlers.my_card(self.db, citizen_card, city_today())
        self.db.commit()
        return card

    @rpc
    def register_visitor(self, department: str, data: dict[str, Any]) -> dict[str, Any]:
        """A visitor card from a passport or ID number: ``{"card": ..., "created": bool}``."""
        card, created = self.db.commit_retrying(
            lambda: handlers.register_visitor(
                self.db, data, department, naive_utcnow(), city_today()
            )
        )
        return {"card": card, "created": created}

    # --- benefits -----------------------------------------------------------------------

    @subscribe("education.student_card_issued")
    def on_student_card_issued(self, event: Event) -> None:
        self._student_card_step(event)

    @subscribe("education.student_card_suspended")
    def on_student_card_suspended(self, event: Event) -> None:
        self._student_card_step(event)

    @subscribe("education.student_card_revoked")
    def on_student_card_revoked(self, event: Event) -> None:
        self._student_card_step(event)

    def _student_card_step(self, event: Event) -> None:
        # One consumer name for the three steps: an event id is claimed once by either.
        consumer = f"{self.name}.student_card_steps"
        self.db.commit_retrying(
            lambda: handlers.student_card_step(self.db, event, consumer, naive_utcnow())
        )

    @subscribe("community.application_decided")
    def on_application_decided(self, event: Event) -> None:
        consumer = f"{self.name}.on_application_decided"
        self.db.commit_retrying(
            lambda: handlers.application_decided(self.db, event, consumer, naive_utcnow())
        )

    # --- venues -------------------------------------------------------------------------

    @rpc
    def add_venue(self, department: str, data: dict[str, Any]) -> dict[str, Any]:
        """Register a venue after a credit check of its operator (flagged if black-listed)."""
        code = data["operator_credit_code"]
        check = call_with_deadline(
            self.credit.check,
            credit_code_subject_type(code),
            code,
            CREDIT_PURPOSE,
            TOURISM_DEPARTMENT,
            timeout=consumer_rpc_timeout(self.config),
            service="credit",
        )
        black_listed = any(entry["list"] == "black" for entry in check["lists"])
        venue = venues.add_venue(self.db.session, department, data, black_listed)
        result = venues.venue_dict(venue, naive_utcnow())
        self.db.commit()
        return result

    @rpc
    def venue(self, venue_id: str) -> dict[str, Any]:
        return venues.venue_dict(venues.get_venue(self.db.session, venue_id), naive_utcnow())

    @rpc
    def search_venues(self, query: dict[str, Any]) -> dict[str, Any]:
        return venues.search(self.db.read_session, query, naive_utcnow())

    @rpc
    def record_presence(self, venue_id: str, gate_unit: str | None, present: int) -> dict:
        result = handlers.record_presence(self.db, venue_id, gate_unit, present, naive_utcnow())
        self.db.commit()
        return result

    @subscribe("credit.list_changed")
    def on_credit_list_changed(self, event: Event) -> None:
        consumer = f"{self.name}.on_credit_list_changed"
        self.db.commit_retrying(lambda: handlers.credit_list_changed(self.db, event, consumer))

    # --- tickets ------------------------------------------------------------------------

    @rpc
    def book(self, citizen_card: str, data: dict[str, Any]) -> dict[str, Any]:
        """A resident books on their resident-tourist card."""
        card = handlers.resident_card_for(self.db, citizen_card)
        return self._book(card, data)

    @rpc
    def book_for_visitor(self, card_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The service centre books on a visitor's card."""
        return self._book(cards.visitor_card(self.db.session, card_id), data)

    def _book(self, card: TouristCard, data: dict[str, Any]) -> dict[str, Any]:
        ticket = handlers.book(self.db, card, data, city_today(), naive_utcnow(), ticket_secret())
        self.db.commit()
        return ticket

    @rpc
    def my_tickets(self, citizen_card: str, limit: int = 50, offset: int = 0) -> dict:
        page = handlers.my_tickets(self.db, citizen_card, limit, offset, ticket_secret())
        self.db.commit()
        return page

    @rpc
    def my_ticket_qr(self, citizen_card: str, ticket_id: str) -> str:
        svg = handlers.my_ticket_qr(self.db, citizen_card, ticket_id, ticket_secret())
        self.db.commit()
        return svg

    @rpc
    def cancel_ticket(self, citizen_card: str, ticket_id: str) -> dict[str, Any]:
        ticket = handlers.cancel_ticket(
            self.db, citizen_card, ticket_id, city_today(), naive_utcnow(), ticket_secret()
        )
        self.db.commit()
        return ticket

    @rpc
    def validate_ticket(self, gate_unit: str | None, code: str) -> dict[str, Any]:
        admitted = handlers.validate_at_gate(
            self.db, code, gate_unit, city_today(), naive_utcnow(), ticket_secret()
        )
        self.db.commit()
        return admitted

    @rpc
    def daily_visitors(self) -> dict[str, Any]:
        """Every venue's visitors booked and entered per day, from ``VISITORS_DAYS_BACK`` days
        ago to ``VISITORS_DAYS_AHEAD`` days ahead: counts only (open data, leaders)."""
        today = city_today()
        start, end = today - VISITORS_DAYS_BACK, today + VISITORS_DAYS_AHEAD
        days = tickets.statistics(self.db.session, None, start, end)["days"]
        return {"date_from": start.isoformat(), "date_to": end.isoformat(), "days": days}

    @rpc
    def statistics(self, department: str, date_from: str, date_to: str) -> dict[str, Any]:
        return tickets.statistics(
            self.db.session, department, date.fromisoformat(date_from), date.fromisoformat(date_to)
        )

    @rpc
    def tourism_load(self, days: int = 7) -> dict[str, Any]:
        """Tickets sold per day over ``days`` days and each venue's load today (counts only)."""
        request = load(TourismLoadRequest, {"days": days})
        return indicators.tourism_load(self.db.session, city_today(), request["days"])
