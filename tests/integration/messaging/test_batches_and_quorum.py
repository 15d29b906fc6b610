"""Batch subscribers, quorum queues and their delivery limit, and the classic → quorum migration,
on the real broker and database."""

import json
import uuid

import pika
import pytest
import sqlalchemy as sa
from helpers import calls_handled, pika_url, publish_raw, wait_for
from messaging_app.app import (
    BatchLedgerService,
    BlockedSubject,
    LedgerEntry,
    LedgerService,
    penalty_payload,
)

from shared.contracts.envelope import new_envelope
from shared.db import make_engine
from shared.event_queues import DELIVERY_LIMIT
from shared.outbox import processed_events_table
from smartcity.broker import BrokerSetupFailed, migrate_event_queues, vhost_of
from smartcity.dead_letters import dead_letter_count, list_dead_letters

BLOCKED = "91110000600037341L"
ROUTING_KEY = "inspection.administrative_penalty_issued"


def penalty(record_id: str, subject_id: str) -> dict:
    return new_envelope(
        ROUTING_KEY, penalty_payload(record_id, subject_id), source="inspection", version=1
    )


def subject(n: int) -> str:
    return f"SUBJECT-{n}"


def test_a_failing_event_is_retried_alone_while_the_rest_of_its_batch_commits_once(
    service_config, start, rabbit_config, rows_of
):
    amqp = rabbit_config["AMQP_URI"]
    # Seven messages make one batch (its size); the lone retried copy waits out the linger.
    config = service_config(
        "batchledger", EVENT_BATCH_SIZE=7, EVENT_BATCH_LINGER=1.0, EVENT_RETRY_ATTEMPTS=2
    )
    runner = start(config, BatchLedgerService)
    engine = make_engine(config["DATABASE_URLS"]["batchledger"])
    with engine.begin() as conn:
        conn.execute(sa.insert(BlockedSubject.__table__).values(subject_id=BLOCKED))
    good = [penalty(f"B-{n}", subject(n)) for n in range(5)]
    poison = penalty("B-poison", BLOCKED)

    for envelope in [*good[:3], poison, *good[3:]]:
        publish_raw(amqp, envelope)
    publish_raw(amqp, good[0])  # a duplicate inside the same batch

    wait_for(lambda: dead_letter_count(pika_url(amqp), "batchledger") == 1, timeout=30)
    entries = rows_of(config, LedgerEntry)
    assert sorted(e.event_id for e in entries) == sorted(e["event_id"] for e in good)
    with engine.connect() as conn:
        marks = conn.execute(sa.select(processed_events_table.c.event_id)).scalars().all()
    assert sorted(str(m) for m in marks) == sorted(e["event_id"] for e in good)
    (letter,) = list_dead_letters(pika_url(amqp), "batchledger")
    assert letter.event_id == poison["event_id"] and letter.body == poison
    assert "is blocked" in letter.error and letter.attempts == 2
    # One batch of seven, then the retried copy alone: no event applied twice.
    assert calls_handled(runner, BatchLedgerService, "record_penalties") == 2
    engine.dispose()


def test_event_queues_are_quorum_queues_with_a_delivery_limit(
    service_config, start, rabbit_config, rabbit_manager
):
    start(service_config("ledger"), LedgerService)
    vhost = vhost_of(rabbit_config["AMQP_URI"])

    queues = {q["name"]: q for q in rabbit_manager.get_queues(vhost)}

    consumer_queue = queues["ledger.record_penalty"]
    assert consumer_queue["type"] == "quorum"
    assert consumer_queue["arguments"]["x-delivery-limit"] == DELIVERY_LIMIT
    assert consumer_queue["arguments"]["x-dead-letter-exchange"] == "ledger.dead_letters"
    assert queues["ledger.dead_letters"]["type"] == "quorum"
    assert queues["ledger.retry"]["type"] == "quorum"
    assert queues["ledger.retry"]["arguments"]["x-dead-letter-strategy"] == "at-least-once"


def test_a_message_handed_out_up_to_the_delivery_limit_is_parked_not_handled(
    service_config, start, rabbit_config, rows_of
):
    amqp = rabbit_config["AMQP_URI"]
    config = service_config("ledger")
    start(config, LedgerService).stop()  # its queues exist; nobody consumes now
    envelope = penalty("L-1", subject(1))
    publish_raw(amqp, envelope)
    # As if consumers had died holding it, again and again: returned to the queue each time.
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp)))
    channel = connection.channel()
    for _ in range(DELIVERY_LIMIT):
        method, _properties, _body = channel.basic_get("ledger.record_penalty")
        channel.basic_nack(method.delivery_tag, requeue=True)
    connection.close()

    start(config, LedgerService)

    wait_for(lambda: dead_letter_count(pika_url(amqp), "ledger") == 1, timeout=20)
    (letter,) = list_dead_letters(pika_url(amqp), "ledger")
    assert letter.event_id == envelope["event_id"]
    assert f"delivered {DELIVERY_LIMIT + 1} times" in letter.error
    assert rows_of(config, LedgerEntry) == []


def _classic_queue_with(amqp: str, name: str, messages: int) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.queue_declare(name, durable=True)  # what an older release declared
    for _ in range(messages):
        channel.basic_publish("", name, json.dumps(penalty(uuid.uuid4().hex, subject(2))))
    connection.close()


def _message_count(amqp: str, name: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp)))
    count = connection.channel().queue_declare(name, passive=True).method.message_count
    connection.close()
    return count


def _drain(amqp: str, name: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp)))
    channel = connection.channel()
    while (method := channel.basic_get(name)[0]) is not None:
        channel.basic_ack(method.delivery_tag)
    connection.close()


def test_setup_migrates_an_empty_classic_event_queue_and_refuses_one_holding_messages(
    rabbit_config, rabbit_manager
):
    amqp = rabbit_config["AMQP_URI"]
    vhost = vhost_of(amqp)
    _classic_queue_with(amqp, "credit.on_penalty_issued", messages=1)

    with pytest.raises(BrokerSetupFailed) as refused:
        migrate_event_queues(amqp)

    message = str(refused.value)
    assert "credit.on_penalty_issued" in message and "1 message(s)" in message
    assert "\n" not in message and "drain it" in message.lower()
    assert rabbit_manager.get_queue(vhost, "credit.on_penalty_issued")["type"] == "classic"
    assert _message_count(amqp, "credit.on_penalty_issued") == 1  # nothing was deleted

    _drain(amqp, "credit.on_penalty_issued")
    assert "credit.on_penalty_issued" in migrate_event_queues(amqp)

    migrated = rabbit_manager.get_queue(vhost, "credit.on_penalty_issued")
    assert migrated["type"] == "quorum"
    assert migrate_event_queues(amqp) == []  # nothing left to do
    # Bound as the service binds it: a penalty published now waits in the new queue.
    publish_raw(amqp, penalty("M-1", subject(3)))
    wait_for(lambda: _message_count(amqp, "credit.on_penalty_issued") == 1)
