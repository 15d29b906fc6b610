"""Subjects, a fake platform and an event tap for the credit service tests (imported)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import eventlet
import pika
from helpers import pika_url, wait_for

from services.credit.service import city_today
from shared.contracts.envelope import EVENTS_EXCHANGE, new_envelope

TODAY = city_today()
ENTERPRISE_CODE = "91210100MA0XXXXX0W"
OTHER_ENTERPRISE_CODE = "91210100MA0XXXXX10"
ORGANISATION_CODE = "52210100MJ0XXXXX0E"
RESIDENT_ID = "21010219900307002X"
CARD_NUMBER = "2101000000000012"  # make_card_number(1): the first card the platform issues
UNKNOWN_CARD_NUMBER = "2101000123456786"  # make_card_number(12345678): valid, but nobody's


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def in_days(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def record_payload(source_record_id: str, **overrides: Any) -> dict[str, Any]:
    """A serious penalty (-16) on the enterprise, decided 30 days ago, valid for 3 years."""
    payload: dict[str, Any] = {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "subject_name": "Shenyang Example Trading Co., Ltd.",
        "source_record_id": source_record_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "serious",
        "basis": f"penalty decision {source_record_id}",
        "decided_on": days_ago(30),
        "valid_until": in_days(3 * 365),
    }
    payload.update(overrides)
    return payload


def decision_event(event_type: str, source_record_id: str, **overrides: Any) -> dict[str, Any]:
    """The envelope another department's service publishes for a penalty or commendation."""
    data: dict[str, Any] = {
        "source_record_id": source_record_id,
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "category": "administrative_penalty",
        "severity": "serious",
        "basis": f"decision {source_record_id}",
        "decided_on": days_ago(10),
        "valid_until": in_days(2 * 365),
        "summary": None,
    }
    data.update(overrides)
    source = event_type.split(".", 1)[0]
    return new_envelope(event_type, data, source=source, version=1, subject=data["subject_id"])


def publish_raw(amqp_uri: str, envelope: dict, times: int = 1) -> None:
    """Publish an event as another service would (persistent, to the city's exchange)."""
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True)
    for _ in range(times):
        channel.basic_publish(
            EVENTS_EXCHANGE,
            envelope["type"],
            json.dumps(envelope),
            pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    connection.close()


class EventTap:
    """A subscriber of our own: an exclusive queue bound to some event types, read by polling.

    Bind it before causing the change, or the event has nowhere to go.
    """

    def __init__(self, amqp_uri: str, *event_types: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(pika_url(amqp_uri)))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        for event_type in event_types:
            self.channel.queue_bind(self.queue, EVENTS_EXCHANGE, routing_key=event_type)

    def _get(self) -> dict | None:
        _method, _properties, body = self.channel.basic_get(self.queue, auto_ack=True)
        return json.loads(body) if body is not None else None

    def next(self, timeout: float = 10) -> dict:
        """The next envelope; fails the test when none comes within ``timeout``."""
        return wait_for(self._get, timeout=timeout)

    def rest(self, settle: float = 0.5) -> list[dict]:
        """Every envelope still arriving within ``settle`` seconds (to prove there are none)."""
        eventlet.sleep(settle)
        envelopes = []
        while (envelope := self._get()) is not None:
            envelopes.append(envelope)
        return envelopes

    def close(self) -> None:
        self.connection.close()
