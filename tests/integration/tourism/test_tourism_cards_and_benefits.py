"""Resident-tourist cards from the platform's event or the resident's request (exactly one
even when they race), and benefits that follow education's and community's events in any
order, over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from helpers import publish_raw, wait_for
from tourism_support import (
    booking,
    citizen_card_issued,
    disability_decided,
    student_card,
    venue,
)

from shared.contracts.tourism import TouristCard, TouristTicket
from shared.identity import make_card_number
from shared.outbox import processed_events_table


def card_rows(engine, citizen_card: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT card_id FROM tourist_cards WHERE citizen_card = :card"),
            {"card": citizen_card},
        )
        return [row.card_id for row in rows]


def processed(engine, consumer: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(processed_events_table)
            .where(processed_events_table.c.consumer == consumer)
        ).scalar_one()


def test_one_card_per_resident_when_the_event_and_requests_race(tourism, event_tap):
    linked = event_tap("tourism.card_linked")
    citizen_card = make_card_number(4242)
    announcement = citizen_card_issued(citizen_card)

    # The event (delivered twice) and five requests of the resident, all at once.
    requests = [tourism.rpc.request_card.call_async(citizen_card) for _ in range(5)]
    publish_raw(tourism.amqp_uri, announcement, times=2)
    answers = [request.result() for request in requests]

    wait_for(lambda: processed(tourism.engine, "tourism.on_citizen_card_issued") == 1)
    [card_id] = card_rows(tourism.engine, citizen_card)
    assert {answer["card_id"] for answer in answers} == {card_id}
    assert all(TouristCard().validate(answer) == {} for answer in answers)
    assert answers[0]["kind"] == "resident" and answers[0]["citizen_card"] == citizen_card

    envelope = linked.next()
    assert envelope["data"] == {
        "card_number": citizen_card,
        "kind": "tourist_card",
        "linked_number": card_id,
    }
    assert linked.rest() == []  # announced once


def test_benefits_follow_the_departments_events_in_any_order(tourism):
    student = make_card_number(5001)
    late = make_card_number(5002)
    disabled = make_card_number(5003)
    for card in (student, late, disabled):
        tourism.rpc.request_card(card)

    def benefits(card: str) -> list[dict]:
        return tourism.rpc.my_card(card)["benefits"]

    # Issued: the student discount appears, with its source, validity and reason.
    publish_raw(tourism.amqp_uri, student_card("issued", student, 1))
    [benefit] = wait_for(lambda: benefits(student))
    assert benefit["kind"] == "student" and benefit["discount_percent"] == 50
    assert benefit["source"] == "education.student_card_issued"
    assert benefit["valid_until"] is not None and "S-1" in benefit["reason"]

    # Suspended (sequence 2), then a stale re-delivery of the issue (sequence 1): gone.
    publish_raw(tourism.amqp_uri, student_card("suspended", student, 2))
    wait_for(lambda: benefits(student) == [])
    publish_raw(tourism.amqp_uri, student_card("issued", student, 1))
    wait_for(lambda: processed(tourism.engine, "tourism.student_card_steps") == 3)
    assert benefits(student) == []

    # The revocation is processed before the issue it revokes: no benefit is left.
    publish_raw(tourism.amqp_uri, student_card("revoked", late, 2, student="S-2"))
    wait_for(lambda: processed(tourism.engine, "tourism.student_card_steps") == 4)
    publish_raw(tourism.amqp_uri, student_card("issued", late, 1, student="S-2"))
    wait_for(lambda: processed(tourism.engine, "tourism.student_card_steps") == 5)
    assert benefits(late) == []

    # An approved disability certificate: free entry for the holder, shown on the ticket.
    publish_raw(tourism.amqp_uri, disability_decided(disabled, "rejected"))
    publish_raw(tourism.amqp_uri, disability_decided(disabled, "approved"))
    [free] = wait_for(lambda: benefits(disabled))
    assert (free["kind"], free["discount_percent"]) == ("disability", 100)
    assert "approved" in free["reason"]

    tourism.rpc.add_venue("tourism", venue("PALACE"))
    ticket = tourism.rpc.book(disabled, booking("PALACE", visitors=3))
    assert TouristTicket().validate(ticket) == {}
    assert ticket["benefit"] == "disability"
    assert Decimal(ticket["total_price"]) == Decimal("160.00")  # holder free, 2 x 80
    assert [(line["visitors"], line["amount"]) for line in ticket["computation"]] == [
        (1, "0.00"),
        (2, "160.00"),
    ]
    # The student whose card was suspended pays the full price.
    assert tourism.rpc.book(student, booking("PALACE"))["total_price"] == "80.00"
