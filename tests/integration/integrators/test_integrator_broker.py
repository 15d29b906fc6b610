"""An integrator's broker user, as ``smartcity integrators create`` makes it, on a real
RabbitMQ with real pika: it cannot read ``smartcity.events``, cannot publish anywhere, cannot
declare or read another integrator's queues; it does receive the public events, with the
same ids and without personal data, through the copyable consumer of ``smartcity events
tail``. Restricted events never reach the public exchange."""

import json
import uuid
from datetime import UTC, datetime

import eventlet
import pika
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from eventlet.event import Event
from helpers import publish_raw, wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from test_integrator_subscriptions import CARD, occupancy, reservation

from services.platform.service import PlatformService
from shared.broker_rights import EVENTS_EXCHANGE, PUBLIC_EXCHANGE
from shared.contracts.catalogue import personal_fields, spec_for
from smartcity.broker import create_integrator, delete_integrator
from smartcity.cli import main
from smartcity.events_tail import tail


@pytest.fixture
def integrators(rabbit_config):
    admin = rabbit_config["AMQP_URI"]

    class Integrators:
        made: list[str] = []

        def __call__(self, name: str) -> str:
            self.made.append(name)
            return create_integrator(admin, name)

    made = Integrators()
    yield made
    for name in made.made:
        delete_integrator(admin, name)


def refused(uri: str, action) -> None:
    """``action(channel)`` makes the broker close the channel: 403 ACCESS_REFUSED."""
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as closed:
            action(channel)
        assert closed.value.reply_code == 403, closed.value
    finally:
        connection.close()


def feed_imported(subject: str | None) -> dict:
    data = {"feed_id": "bus", "agency": "City Bus", "timezone": "Asia/Shanghai", "counts": {}}
    return {
        "event_id": str(uuid.uuid4()),
        "type": "traffic.feed_imported",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "traffic",
        "subject": subject,
        "request_id": "req-1",
        "data": data,
    }


def created_by_the_cli(config: dict, monkeypatch, tmp_path, name: str) -> dict:
    """``smartcity integrators create <name> --json``, as the operator runs it."""
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    monkeypatch.setenv("SMARTCITY_VAR_DIR", str(tmp_path))  # no saved broker users: AMQP_URI
    result = CliRunner().invoke(main, ["integrators", "create", name, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_an_integrator_user_is_confined_and_receives_public_events_only(
    service_config, runner_factory, integrators, monkeypatch, tmp_path
):
    config = service_config("platform")
    runner_factory(config, PlatformService).start()
    created = created_by_the_cli(config, monkeypatch, tmp_path, "maps")
    integrators.made.append("maps")  # deleted after the test
    maps, bus = created["amqp_uri"], integrators("bus")
    assert "smartcity-integrator-maps%40" in maps  # vhost-aware user name
    with ClusterRpcProxy(config) as cluster:
        key = cluster.platform.authenticate_api_key(created["api_key"])
    assert key["role"] == "integrator"
    connection = pika.BlockingConnection(pika.URLParameters(bus))
    connection.channel().queue_declare("integrator.bus.feed", durable=True)
    connection.close()

    def bind_to_city_events(channel):
        channel.queue_declare("integrator.maps.sneaky", auto_delete=True)
        channel.queue_bind("integrator.maps.sneaky", EVENTS_EXCHANGE, routing_key="#")

    refused(maps, bind_to_city_events)
    for exchange in (PUBLIC_EXCHANGE, EVENTS_EXCHANGE, ""):
        refused(maps, lambda ch, ex=exchange: ch.basic_publish(ex, "traffic.feed_imported", b"{}"))
    refused(maps, lambda ch: ch.basic_publish("", "integrator.maps.sneaky", b"{}"))
    refused(maps, lambda ch: ch.basic_get("integrator.bus.feed"))
    refused(maps, lambda ch: ch.basic_consume("integrator.bus.feed", lambda *_: None))
    refused(maps, lambda ch: ch.queue_declare("integrator.bus.mine"))
    refused(maps, lambda ch: ch.queue_delete("integrator.bus.feed"))
    refused(maps, lambda ch: ch.queue_declare("platform.everything"))

    received: list[dict] = []
    ready = Event()
    consumer = eventlet.spawn(
        tail,
        maps,
        "maps",
        ["#"],
        received.append,
        max_events=3,
        idle_timeout_s=20,
        on_ready=lambda: ready.send(),
    )
    ready.wait()
    amqp = config["AMQP_URI"]
    public = [occupancy("P1"), feed_imported(subject=CARD), feed_imported(subject=None)]
    restricted = [reservation(), reservation()]
    for event in (restricted[0], public[0], restricted[1], public[1], public[2]):
        publish_raw(amqp, event)
    assert consumer.wait() == 3

    by_id = {event["event_id"]: event for event in received}
    assert set(by_id) == {event["event_id"] for event in public}  # same ids, no restricted one
    for event in public:
        got = by_id[event["event_id"]]
        assert got["type"] == event["type"] and got["data"] == event["data"]
        assert not set(personal_fields(spec_for(got["type"]))) & set(got["data"])
        assert got["request_id"] is None
    assert by_id[public[0]["event_id"]]["subject"] == "P1"
    assert by_id[public[1]["event_id"]]["subject"] is None  # a card number is not published

    # Once the platform has processed all five, its public outbox holds the public ones only.
    engine = sa.create_engine(config["DATABASE_URLS"]["platform"])
    try:
        with engine.connect() as conn:
            count = "SELECT count(*) FROM processed_events WHERE consumer = 'platform.webhooks'"
            wait_for(lambda: conn.execute(sa.text(count)).scalar() == 5 or conn.rollback())
            types = conn.execute(sa.text("SELECT type FROM public_outbox")).scalars().all()
    finally:
        engine.dispose()
    assert sorted(types) == sorted(event["type"] for event in public)
