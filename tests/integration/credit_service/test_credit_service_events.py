"""Other departments' penalty and commendation events become credit records, exactly once.

Weights (services/credit/rules.json): negative serious -16, minor -6; positive minor +2.
Levels: A from 90, B from 75, C from 60, D below.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from credit_service_support import (
    ENTERPRISE_CODE,
    RESIDENT_ID,
    UNKNOWN_CARD_NUMBER,
    decision_event,
)
from helpers import pika_url, publish_raw, wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import Session

from services.credit.models import CreditRecord, Subject
from shared.contracts.credit import SubjectReport
from shared.outbox import processed_events_table
from smartcity.dead_letters import list_dead_letters


def claimed_events(engine: sa.Engine, consumer: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(processed_events_table.c.event_id).where(
                processed_events_table.c.consumer == consumer
            )
        )
        return sorted(str(row.event_id) for row in rows)


def stored_records(engine: sa.Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(
            sa.select(
                CreditRecord.source_department,
                CreditRecord.source_record_id,
                CreditRecord.polarity,
            ).order_by(CreditRecord.source_record_id)
        )
        return [tuple(row) for row in rows]


def test_a_penalty_from_traffic_lands_once_when_delivered_twice_and_sent_again(
    credit, rabbit_config, event_tap
):
    added = event_tap("credit.record_added")
    first = decision_event("traffic.administrative_penalty_issued", "TR-2026-001")
    # The source re-publishes the same decision under a new event id (e.g. a batch re-run).
    resent = {**first, "event_id": str(uuid.uuid4())}

    publish_raw(rabbit_config["AMQP_URI"], first, times=2)
    publish_raw(rabbit_config["AMQP_URI"], resent)

    consumer = "credit.on_penalty_issued"
    wait_for(lambda: len(claimed_events(credit.engine, consumer)) == 2)
    announced = added.next()
    assert added.rest() == []  # one record_added for three deliveries
    # event ids are claimed once each; the resent one found the stored record
    assert claimed_events(credit.engine, consumer) == sorted(
        [first["event_id"], resent["event_id"]]
    )
    assert stored_records(credit.engine) == [("traffic", "TR-2026-001", "negative")]

    report = credit.rpc.subject_report("enterprise", ENTERPRISE_CODE)
    assert SubjectReport().validate(report) == {}
    [record] = report["records"]
    assert (record["department"], record["category"], record["severity"]) == (
        "traffic",
        "administrative_penalty",
        "serious",
    )
    assert (report["score"], report["level"]) == (84.0, "B")  # 100 - 16 = 84: B (75-89)
    assert announced["source"] == "credit"
    assert announced["subject"] == ENTERPRISE_CODE
    assert announced["data"] == {
        "record_id": record["record_id"],
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "department": "traffic",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "serious",
    }


def test_a_penalty_on_a_citizen_card_is_resolved_through_the_platform(
    credit, rabbit_config, event_tap
):
    audit = event_tap("credit.personal_data_accessed")
    event = decision_event(
        "health.administrative_penalty_issued",
        "HE-17",
        subject_type="individual",
        subject_id=credit.card_number,
        severity="minor",
    )

    publish_raw(rabbit_config["AMQP_URI"], event)

    wait_for(lambda: stored_records(credit.engine))
    with Session(credit.engine) as session:
        subject = session.scalars(sa.select(Subject)).one()
        assert (subject.subject_type, subject.subject_id, subject.card_number) == (
            "individual",
            RESIDENT_ID,
            credit.card_number,
        )
    # The resident reads their own file: the read is audited under their card number.
    resident_context = {"actor": credit.card_number, "actor_role": "resident", "request_id": "r-1"}
    with ClusterRpcProxy(credit.config, context_data=resident_context) as as_resident:
        report = as_resident.credit.subject_report("individual", RESIDENT_ID)
    assert [(r["department"], r["subject_id"]) for r in report["records"]] == [
        ("health", RESIDENT_ID)
    ]
    assert report["score"] == 94.0  # 100 - 6 (minor)
    # Storing the record wrote the person's file: audited by ID number (the platform files it
    # under their card), with the record's category as purpose.
    written = audit.next()
    assert (written["subject"], written["data"]["subject"]) == (RESIDENT_ID, RESIDENT_ID)
    assert (written["data"]["action"], written["data"]["resource"]) == ("write", "credit_record")
    assert written["data"]["purpose"] == "administrative_penalty"
    accessed = audit.next()
    assert accessed["subject"] == credit.card_number
    assert accessed["request_id"] == "r-1"
    assert accessed["data"] == {
        "actor": credit.card_number,
        "actor_role": "resident",
        "department": None,
        "subject": credit.card_number,
        "action": "read",
        "resource": "credit_report",
        "purpose": "service",
    }


def test_a_commendation_is_positive_and_a_bad_decision_is_dead_lettered(credit, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    commendation = decision_event(
        "community.commendation_issued", "CO-5", category="commendation", severity="minor"
    )
    # a penalty category cannot be a commendation: the rules allow it only as negative
    contradictory = decision_event("community.commendation_issued", "CO-6")
    unknown_resident = decision_event(
        "community.commendation_issued",
        "CO-7",
        category="commendation",
        subject_type="individual",
        subject_id=UNKNOWN_CARD_NUMBER,
    )

    for envelope in (commendation, contradictory, unknown_resident):
        publish_raw(amqp, envelope)

    def two_dead_letters() -> list:
        letters = list_dead_letters(pika_url(amqp), "credit")
        return letters if len(letters) == 2 else []

    letters = wait_for(two_dead_letters)
    errors = {letter.event_id: letter.error for letter in letters}
    assert errors == {
        contradictory["event_id"]: "shared.errors.ValidationFailed: "
        "polarity: a administrative_penalty record must be negative",
        unknown_resident["event_id"]: "shared.errors.Unprocessable: "
        "subject_id: no resident holds this citizen card",
    }
    # Client errors fail the same way every time: parked after the first attempt, no retries.
    assert {letter.attempts for letter in letters} == {1}
    assert stored_records(credit.engine) == [("community", "CO-5", "positive")]
    report = credit.rpc.subject_report("enterprise", ENTERPRISE_CODE)
    # +2 for a minor commendation, clamped to the ceiling of 100
    assert [(c["points"], c["polarity"]) for c in report["contributions"]] == [(2.0, "positive")]
    assert report["score"] == 100.0
