"""The public AMQP feed: public events, personal fields removed, on ``smartcity.public``.

The platform's ``#`` subscriber writes each ``public`` event it receives, stripped of the
fields the catalogue marks personal, to its ``public_outbox`` in the transaction that claims
the event; ``PublicFeedRelay`` publishes that outbox (the shared outbox relay, pointed at the
public exchange), routing key = event type, same event id. Restricted events never get there.
Integrators' broker users may only read this exchange (``shared.broker_rights``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kombu import Connection, Exchange
from nameko.extensions import DependencyProvider
from sqlalchemy.dialects.postgresql import insert

from services.platform.models import public_outbox_table
from shared import config as settings
from shared.broker_rights import PUBLIC_EXCHANGE
from shared.contracts.catalogue import public_data, spec_for
from shared.db import make_engine
from shared.identity import is_valid_card_number, is_valid_resident_id
from shared.outbox import OutboxRelay

if TYPE_CHECKING:
    from shared.db import UnitOfWork

public_exchange = Exchange(PUBLIC_EXCHANGE, type="topic", durable=True)


def public_envelope(envelope: dict[str, Any]) -> dict[str, Any] | None:
    """What the public feed carries of an event: None for a restricted one; for a public one
    the envelope without personal fields (nor a subject naming a person, nor a request id)."""
    if spec_for(envelope["type"]).classification != "public":
        return None
    subject = envelope.get("subject")
    if isinstance(subject, str) and (
        is_valid_card_number(subject) or is_valid_resident_id(subject)
    ):
        subject = None
    return {
        **envelope,
        "subject": subject,
        "request_id": None,
        "data": public_data(envelope["type"], envelope.get("data") or {}),
    }


def enqueue(uow: UnitOfWork, envelope: dict[str, Any]) -> bool:
    """Put a received event in the public outbox when it is public; True if it was."""
    public = public_envelope(envelope)
    if public is None:
        return False
    uow.session.execute(
        insert(public_outbox_table)
        .values(event_id=uuid.UUID(str(public["event_id"])), type=public["type"], envelope=public)
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    return True


class PublicFeedRelay(DependencyProvider):
    """Runs the outbox relay of ``public_outbox`` towards ``smartcity.public``.

    The ``Database`` provider migrates the database at setup; this relay only polls it.
    """

    def setup(self) -> None:
        config = self.container.config
        service = self.container.service_name
        url = config.get("DATABASE_URLS", {}).get(service) or settings.database_url(service)
        self.engine = make_engine(url)
        self.relay = OutboxRelay(
            self.engine, config["AMQP_URI"], table=public_outbox_table, exchange=public_exchange
        )

    def start(self) -> None:
        config = self.container.config
        # Declared up front, so integrators can bind to it before the first public event.
        with Connection(config["AMQP_URI"], transport_options={"max_retries": 1}) as conn:
            public_exchange(conn).declare()
        interval = float(config.get("OUTBOX_POLL_INTERVAL", 1.0))
        retention = timedelta(days=float(config.get("MESSAGING_RETENTION_DAYS", 14)))
        self.container.spawn_managed_thread(
            lambda: self.relay.run(interval, retention),
            identifier="public_feed_relay",
        )

    def stop(self) -> None:
        self.relay.stop()
        self.engine.dispose()

    kill = stop
