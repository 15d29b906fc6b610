"""Credit's batch handler on the real broker: a batch with a duplicate and a poison event
leaves the fast path, and the poison alone goes to the dead letters with its raw body."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from credit_service_support import decision_event
from helpers import pika_url, publish_raw, wait_for

from services.credit.models import CreditRecord
from shared.identity import credit_code_check_char
from shared.outbox import processed_events_table
from smartcity.dead_letters import dead_letter_count, list_dead_letters

PENALTY = "traffic.administrative_penalty_issued"


def enterprise(n: int) -> str:
    first17 = f"91210100{n:09d}"
    return first17 + credit_code_check_char(first17)


@pytest.fixture
def credit_config(service_config) -> dict:
    # The six messages make one batch (its size), gathered for up to a second.
    return service_config(
        "credit", EVENT_RETRY_ATTEMPTS=2, RPC_TIMEOUT=5, EVENT_BATCH_SIZE=6, EVENT_BATCH_LINGER=1.0
    )


def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_rest_stored_once(
    credit, rabbit_config, event_tap
):
    amqp = rabbit_config["AMQP_URI"]
    added = event_tap("credit.record_added")
    good = [
        decision_event(PENALTY, f"TB-{n}", subject_id=enterprise(n), severity="minor")
        for n in range(4)
    ]
    # Valid as an event, refused by the rules (a decision dated in the future): it fails
    # inside the batch's fast path, not before it.
    poison = decision_event(PENALTY, "TB-poison", subject_id=enterprise(9), decided_on="2999-01-01")

    for envelope in [good[0], good[1], poison, good[0], good[2], good[3]]:
        publish_raw(amqp, envelope)

    wait_for(lambda: dead_letter_count(pika_url(amqp), "credit") == 1, timeout=30)
    (letter,) = list_dead_letters(pika_url(amqp), "credit")
    assert letter.event_id == poison["event_id"] and letter.body == poison
    assert "decided_on" in letter.error
    with credit.engine.connect() as conn:
        sources = conn.execute(sa.select(CreditRecord.source_record_id)).scalars().all()
        claimed = conn.execute(sa.select(processed_events_table.c.event_id)).scalars().all()
    assert sorted(sources) == [f"TB-{n}" for n in range(4)]
    assert sorted(str(e) for e in claimed) == sorted(e["event_id"] for e in good)
    announced = sorted(added.next()["data"]["record_id"] for _ in range(4))
    assert added.rest() == []
    assert len(set(announced)) == 4
