"""Tickets over real RPC and PostgreSQL: a day is never oversold under concurrent bookings,
gate codes are one-time and checked, cancellations keep to their rules, flags follow credit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from helpers import publish_raw, wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from tourism_support import (
    CLEAN_OPERATOR,
    OTHER_OPERATOR,
    TODAY,
    booking,
    list_changed,
    venue,
)

from services.credit.service import CreditService
from services.tourism.domain import ticket_codes
from services.tourism.service import TourismService
from shared.errors import (
    Conflict,
    Forbidden,
    GatewayTimeout,
    NotFound,
    ServiceUnavailable,
    Unprocessable,
    ValidationFailed,
)
from shared.identity import make_card_number


def scalar(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_fifty_concurrent_bookings_for_the_last_ten_places_sell_exactly_ten(
    tourism, runner_factory
):
    tourism.rpc.add_venue("tourism", venue("TOWER", daily_capacity=15))
    cards = [make_card_number(7000 + n) for n in range(51)]
    for card in cards:
        tourism.rpc.request_card(card)
    tourism.rpc.book(cards[50], booking("TOWER", visitors=5))  # 10 places left
    # A second instance of the service on the same database shares the RPC queue.
    runner_factory(tourism.config, TourismService).start()

    # 50 bookings in flight at once: two instances run up to 20 each in parallel transactions.
    pending = [tourism.rpc.book.call_async(card, booking("TOWER")) for card in cards[:50]]
    sold, refused = 0, []
    for reply in pending:
        try:
            reply.result()
            sold += 1
        except Conflict as error:
            refused.append(error)
    assert sold == 10 and len(refused) == 40
    assert all(
        error.fields == {"visitors": ["only 0 place(s) left on that day"]} for error in refused
    )
    day = (TODAY + timedelta(days=1)).isoformat()
    assert scalar(tourism.engine, "SELECT sold FROM venue_days WHERE visit_date = :d", d=day) == 15
    assert scalar(tourism.engine, "SELECT sum(visitors) FROM tickets") == 15


def test_gate_admits_once_and_refuses_forged_reused_and_other_venue_codes(tourism, event_tap):
    used = event_tap("tourism.ticket_used")
    for venue_id in ("GARDEN", "MUSEUM"):
        tourism.rpc.add_venue("tourism", venue(venue_id))
    holder, other = make_card_number(8001), make_card_number(8002)
    with pytest.raises(Unprocessable) as no_card:
        tourism.rpc.book(holder, booking("GARDEN"))
    assert list(no_card.value.fields) == ["card"]
    for card in (holder, other):
        tourism.rpc.request_card(card)
    ticket = tourism.rpc.book(holder, booking("GARDEN", days_ahead=0, visitors=2))
    code = ticket["code"]

    with pytest.raises(Forbidden, match="another venue"):
        tourism.rpc.validate_ticket("MUSEUM", code)
    admitted = tourism.rpc.validate_ticket("GARDEN", code)
    assert (admitted["ticket_id"], admitted["visitors"]) == (ticket["ticket_id"], 2)
    assert used.next()["data"]["ticket_id"] == ticket["ticket_id"]
    with pytest.raises(Conflict, match="already used"):
        tourism.rpc.validate_ticket("GARDEN", code)

    header, payload, signature = code.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    forged_by_key = ticket_codes.sign(
        ticket_codes.read(code, "tourism-test-secret-of-at-least-32-characters"),
        "someone-elses-secret-of-at-least-32-chars",
    )
    for forged in (f"{header}.{payload}.{flipped}", forged_by_key, "not-a-code"):
        with pytest.raises(ValidationFailed) as refused:
            tourism.rpc.validate_ticket("GARDEN", forged)
        assert list(refused.value.fields) == ["code"]

    # Cancelling: only before the visit date, and only one's own ticket.
    later = tourism.rpc.book(holder, booking("MUSEUM", days_ahead=3))
    with pytest.raises(NotFound):
        tourism.rpc.cancel_ticket(other, later["ticket_id"])
    with pytest.raises(NotFound):
        tourism.rpc.my_ticket_qr(other, later["ticket_id"])
    assert tourism.rpc.my_tickets(other)["items"] == []
    assert tourism.rpc.cancel_ticket(holder, later["ticket_id"])["status"] == "cancelled"
    with pytest.raises(Conflict):
        tourism.rpc.cancel_ticket(holder, ticket["ticket_id"])  # used already
    today = tourism.rpc.book(holder, booking("MUSEUM", days_ahead=0))
    with pytest.raises(Conflict, match="before its visit date"):
        tourism.rpc.cancel_ticket(holder, today["ticket_id"])
    with pytest.raises(Conflict, match="cancelled"):
        tourism.rpc.validate_ticket("MUSEUM", later["code"])
    assert "<svg" in tourism.rpc.my_ticket_qr(holder, today["ticket_id"])

    stats = tourism.rpc.statistics("tourism", TODAY.isoformat(), (TODAY + timedelta(5)).isoformat())
    assert {
        (d["venue_id"], d["visitors_booked"], d["visitors_entered"]) for d in stats["days"]
    } == {
        ("GARDEN", 2, 2),
        ("MUSEUM", 1, 0),
    }
    assert stats["total_sales"] == "240.00"  # 2 x 80 + 80; the cancelled ticket counts nowhere


def test_a_black_listed_operators_venue_is_flagged_by_credit(tourism):
    # Three negative records within 12 months put the other operator on credit's black list.
    for number in (1, 2, 3):
        tourism.credit.add_record(
            "market_supervision",
            {
                "subject_type": "enterprise",
                "subject_id": OTHER_OPERATOR,
                "source_record_id": f"MS-{number}",
                "category": "administrative_penalty",
                "polarity": "negative",
                "severity": "minor",
                "basis": f"decision MS-{number}",
                "decided_on": (TODAY - timedelta(days=10 * number)).isoformat(),
                "valid_until": (TODAY + timedelta(days=700)).isoformat(),
            },
        )
    flagged = tourism.rpc.add_venue("tourism", venue("MARKET", operator_credit_code=OTHER_OPERATOR))
    assert flagged["credit_flag"] == "black_list"  # checked through credit at registration
    clean = tourism.rpc.add_venue("tourism", venue("HOTEL", category="hotel"))
    assert clean["credit_flag"] is None

    publish_raw(tourism.amqp_uri, list_changed(CLEAN_OPERATOR, "added"))
    wait_for(lambda: tourism.rpc.venue("HOTEL")["credit_flag"] == "black_list")
    publish_raw(tourism.amqp_uri, list_changed(CLEAN_OPERATOR, "removed"))
    wait_for(lambda: tourism.rpc.venue("HOTEL")["credit_flag"] is None)
    assert tourism.rpc.venue("MARKET")["credit_flag"] == "black_list"


def test_a_venue_is_not_registered_while_credit_cannot_check_its_operator(
    service_config, runner_factory
):
    config = service_config("tourism", CONSUMER_RPC_TIMEOUT=0.5)
    runner_factory(config, TourismService).start()
    with ClusterRpcProxy(config) as cluster:
        # Credit never ran: refused at once, 503.
        with pytest.raises(ServiceUnavailable, match="credit is not running"):
            cluster.tourism.add_venue("tourism", venue("LONELY"))
        # Credit ran and stopped: its queue waits, the check's deadline passes, 504.
        credit = runner_factory(service_config("credit"), CreditService)
        credit.start()
        credit.stop()
        with pytest.raises(GatewayTimeout, match="credit"):
            cluster.tourism.add_venue("tourism", venue("LONELY"))
        with pytest.raises(NotFound):
            cluster.tourism.venue("LONELY")  # nothing was written
