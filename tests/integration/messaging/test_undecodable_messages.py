"""Messages a service cannot even decode end in its dead letters, raw body kept."""

import json

import pika
from click.testing import CliRunner
from helpers import pika_url, wait_for
from messaging_app.app import LedgerService, penalty_payload
from nameko.testing.utils import get_extension

from shared.contracts.envelope import EVENTS_EXCHANGE, new_envelope
from shared.messaging import dead_letter_queue_name
from shared.observability import ContainerMetrics
from smartcity.cli import main
from smartcity.dead_letters import dead_letter_count

ROUTING_KEY = "inspection.administrative_penalty_issued"
VALID_BODY = json.dumps(
    new_envelope(
        ROUTING_KEY,
        penalty_payload("P-1", "91110000600037341L"),
        source="inspection",
        version=1,
    )
).encode()
UNDECODABLE = [
    (b'{"event_id": "unterminated', "application/json"),  # invalid JSON
    (b"\xff\xfe\x00 not utf-8", "application/json"),  # not UTF-8
    (VALID_BODY, "text/plain"),  # not the JSON content type
]


def publish_bytes(amqp_uri: str, body: bytes, content_type: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True)
    channel.basic_publish(
        EVENTS_EXCHANGE,
        ROUTING_KEY,
        body,
        pika.BasicProperties(content_type=content_type, delivery_mode=2),
    )
    connection.close()


def dead_letter_bodies(amqp_uri: str, service: str) -> list[tuple[bytes, str]]:
    """Bodies and content types as stored, looked at without taking them."""
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
    channel = connection.channel()
    found = []
    while True:
        method, properties, body = channel.basic_get(dead_letter_queue_name(service))
        if method is None:
            break
        found.append((body, properties.content_type))
    connection.close()  # unacknowledged: they stay in the queue
    return found


def test_undecodable_messages_are_dead_lettered_with_their_raw_body(
    service_config, start, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    runner = start(service_config("ledger"), LedgerService)

    for body, content_type in UNDECODABLE:
        publish_bytes(amqp, body, content_type)

    wait_for(lambda: dead_letter_count(pika_url(amqp), "ledger") == len(UNDECODABLE))
    assert sorted(dead_letter_bodies(amqp, "ledger")) == sorted(UNDECODABLE)
    metrics = get_extension(next(iter(runner.containers)), ContainerMetrics)
    counted = metrics.registry.get_sample_value(
        "smartcity_dead_letters_total", {"service": "ledger", "consumer": "ledger.record_penalty"}
    )
    assert counted == len(UNDECODABLE)


class LedgerAsCredit(LedgerService):
    """The ledger under a name the CLI knows (``dlq`` takes only the suite's services)."""

    name = "credit"


def test_dlq_list_shows_undecodable_letters_and_why(service_config, start, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    start(service_config("credit"), LedgerAsCredit)
    publish_bytes(amqp, b"\xff\xfe\x00 not utf-8", "application/json")
    wait_for(lambda: dead_letter_count(pika_url(amqp), "credit") == 1)

    result = CliRunner().invoke(main, ["dlq", "list", "credit"], env={"AMQP_URI": pika_url(amqp)})

    assert result.exit_code == 0, result.output
    assert "credit.record_penalty" in result.output
    assert "body is not UTF-8" in result.output
