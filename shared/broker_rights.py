"""Who may do what on the broker: the one table of access rights, and the RabbitMQ rules it makes.

Every process connects as its own RabbitMQ user. The table below says, for each of them, which
RPC methods it may call, which events it may publish (always only under its own name) and which
event patterns it may subscribe to. ``broker_rules`` turns one row into RabbitMQ permissions and
topic permissions, which the broker then enforces for every message:

- RPC: nameko publishes a request to the ``nameko-rpc`` topic exchange with the routing key
  ``<service>.<method>``, so the topic permission on that exchange is the list of methods the
  caller was granted (plus the reply routing keys, which are UUIDs).
- Events: a publisher may write to ``smartcity.events`` only routing keys ``<itself>.*``; a
  subscriber may bind only the patterns of its row.
- Queues: a service may declare and consume only its own queues (``rpc-<name>``,
  ``<name>.*``, its RPC reply queues).

Consumers also check the broker-validated ``user_id`` of each event against the event's
``source`` (``shared.messaging``), so a message that reached a queue some other way (the
default exchange) is not believed either.

This is pure data and string work: the ``smartcity broker`` command applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

RPC_EXCHANGE = "nameko-rpc"
EVENTS_EXCHANGE = "smartcity.events"
PUBLIC_EXCHANGE = "smartcity.public"
"""The integrators' feed: public events only, personal fields removed (the platform publishes
it, ``services/platform/public_feed.py``); integrators' broker users may only read it."""
INTEGRATOR_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")

OPERATOR = "operator"
GATEWAY = "gateway"

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_METHOD = "[a-z_][a-z0-9_]*"

SECTOR_SERVICES = ("traffic", "health", "education", "community", "tourism", "credit")
SERVED = ("platform", *SECTOR_SERVICES)
"""Every service that answers RPC and publishes events."""

OPERATOR_ONLY_RPC = ("platform.create_client", "platform.revoke_client", "platform.list_clients")
"""Methods that create or reveal credentials: the operator's CLI, and the gateway on behalf of
an authenticated operator (``POST /api/v1/clients``), never a department's service."""


@dataclass(frozen=True)
class Principal:
    """One broker user: what it may call, publish and subscribe to."""

    name: str
    calls: tuple[str, ...] = ()
    """RPC grants, ``<service>.<method>`` or ``<service>.*``."""
    subscribes: tuple[str, ...] = ()
    """Binding patterns on ``smartcity.events`` (AMQP topic syntax)."""
    serves: bool = True
    """Answers RPC and publishes its own events (False: a caller only)."""
    everything: bool = False
    """The operator: every queue and method of the vhost (dead letters, replays, clients)."""
    public_feed: bool = False
    """Publishes the public event types to ``smartcity.public`` (the platform)."""
    notes: str = ""


ACCESS_RIGHTS: tuple[Principal, ...] = (
    Principal(
        "platform",
        subscribes=("*.card_linked", "*.personal_data_accessed", "#"),
        public_feed=True,
        notes="identity, audit and registries; '#' feeds subscriptions and the public feed",
    ),
    Principal(
        "credit",
        calls=("platform.resolve_card",),
        subscribes=(
            "*.administrative_penalty_issued",
            "*.commendation_issued",
            "platform.legal_entity_registered",
        ),
        notes="resolves the card numbers named in penalty events",
    ),
    Principal("traffic"),
    Principal(
        "health",
        calls=("platform.verify_card",),
        notes="checks the citizen card a Patient is registered under",
    ),
    Principal(
        "education",
        calls=("platform.verify_card",),
        notes="checks a citizen card and its holder's name before issuing a student card",
    ),
    Principal("community", calls=("credit.check", "credit.record_check_feedback")),
    Principal(
        "tourism",
        calls=("credit.check",),
        subscribes=(
            "platform.citizen_card_issued",
            "education.student_card_issued",
            "education.student_card_suspended",
            "education.student_card_revoked",
            "community.application_decided",
            "credit.list_changed",
        ),
        notes="checks venue operators with credit; cards and benefits follow others' events",
    ),
    Principal(
        GATEWAY,
        calls=tuple(f"{service}.*" for service in SERVED),
        # The events that invalidate its cache of public reads (gateway/cache.py
        # INVALIDATED_BY), each instance on an exclusive queue of its own.
        subscribes=(
            "traffic.feed_imported",
            "traffic.realtime_updated",
            "credit.list_changed",
            "tourism.venue_occupancy_changed",
        ),
        serves=False,
        notes="the HTTP edge: authorises each request itself, then calls on the caller's behalf; "
        "hears the events that empty its cache",
    ),
    Principal(
        OPERATOR,
        everything=True,
        serves=False,
        notes="the operator's CLI: status, dead letters and replays, API clients, audit",
    ),
)


def principal(name: str) -> Principal:
    for row in ACCESS_RIGHTS:
        if row.name == name:
            return row
    raise KeyError(f"{name} has no row in the broker access rights")


def broker_username(name: str, vhost: str = "/") -> str:
    """The RabbitMQ user of a principal. Users are broker-wide and permissions per vhost, so a
    vhost other than ``/`` is part of the name: several suites can share one broker."""
    return f"smartcity-{name}" if vhost in ("", "/") else f"smartcity-{name}@{vhost}"


def principal_of_username(username: str, vhost: str = "/") -> str | None:
    """The inverse of ``broker_username`` for this vhost; None for any other user."""
    suffix = "" if vhost in ("", "/") else f"@{vhost}"
    if not (username.startswith("smartcity-") and username.endswith(suffix)):
        return None
    name = username[len("smartcity-") : len(username) - len(suffix) or None]
    return name if any(row.name == name for row in ACCESS_RIGHTS) else None


@dataclass(frozen=True)
class BrokerRules:
    """RabbitMQ permissions of one user on one vhost (regular expressions)."""

    configure: str
    write: str
    read: str
    topics: dict[str, tuple[str, str]] = field(default_factory=dict)
    """exchange → (write, read) routing-key patterns."""


def broker_rules(row: Principal) -> BrokerRules:
    if row.everything:
        everything = {
            RPC_EXCHANGE: (".*", ".*"),
            EVENTS_EXCHANGE: (".*", ".*"),
            PUBLIC_EXCHANGE: (".*", ".*"),
        }
        return BrokerRules(".*", ".*", ".*", everything)
    name = re.escape(row.name)
    exchanges = f"{re.escape(RPC_EXCHANGE)}|{re.escape(EVENTS_EXCHANGE)}"
    if row.public_feed:
        exchanges += f"|{re.escape(PUBLIC_EXCHANGE)}"
    own_queues = [rf"rpc\.reply-{name}-.+"]
    if row.serves:
        own_queues += [f"rpc-{name}", rf"{name}\..+"]
    elif row.subscribes:  # a caller that listens (the gateway's cache): its own queues only
        own_queues.append(rf"{name}\..+")
    resources = f"^({'|'.join([*own_queues, exchanges])})$"
    rpc_write = [_grant_pattern(grant) for grant in row.calls]
    rpc_read = [_UUID]  # the reply queue's binding
    if row.serves:
        rpc_write.append(_UUID)  # replies go to the caller's reply routing key
        rpc_read.append(rf"{name}\.\*")  # nameko binds rpc-<name> with "<name>.*"
    events_write = rf"^{name}\.{_METHOD}$" if row.serves else "^$"
    events_read = _alternatives(re.escape(pattern) for pattern in row.subscribes)
    topics = {
        RPC_EXCHANGE: (_alternatives(rpc_write), _alternatives(rpc_read)),
        EVENTS_EXCHANGE: (events_write, events_read),
    }
    if row.public_feed:
        topics[PUBLIC_EXCHANGE] = (_alternatives(_public_types()), "^$")
    return BrokerRules(configure=resources, write=resources, read=resources, topics=topics)


def _public_types() -> list[str]:
    """Routing keys of the public feed: the public types (a shared one under any service)."""
    from shared.contracts.catalogue import CATALOGUE

    return [
        re.escape(spec.type).replace(re.escape("*."), "[a-z][a-z_]*\\.")
        for spec in CATALOGUE.values()
        if spec.classification == "public"
    ]


# --- integrators: one broker user each, confined to the public feed ---------------------------


def integrator_username(name: str, vhost: str = "/") -> str:
    """``smartcity-integrator-<name>`` (with ``@<vhost>`` off the default vhost)."""
    if not INTEGRATOR_NAME.match(name):
        raise ValueError(f"integrator name {name!r}: 2-31 of a-z, 0-9 and '-', a letter first")
    return broker_username(f"integrator-{name}", vhost)


def integrator_queue_prefix(name: str) -> str:
    """Integrator ``name`` may declare and consume only queues starting so."""
    return f"integrator.{name}."


def integrator_rules(name: str) -> BrokerRules:
    """Declare, bind and consume its own queues (``integrator.<name>.*``); bind them to
    ``smartcity.public`` only (read there, any routing key). No write to any exchange (not
    even the default one), no read of ``smartcity.events`` or of anyone else's queue."""
    integrator_username(name)  # checks the name
    queues = re.escape(integrator_queue_prefix(name)) + ".+"
    return BrokerRules(
        configure=f"^{queues}$",
        write=f"^{queues}$",  # queue.bind needs write on the queue, read on the exchange
        read=f"^({queues}|{re.escape(PUBLIC_EXCHANGE)})$",
        topics={
            PUBLIC_EXCHANGE: ("^$", ".*"),
            EVENTS_EXCHANGE: ("^$", "^$"),
            RPC_EXCHANGE: ("^$", "^$"),
        },
    )


def _grant_pattern(grant: str) -> str:
    service, _, method = grant.partition(".")
    if service not in SERVED or not method:
        raise ValueError(f"RPC grant {grant!r}: expected '<service>.<method>' or '<service>.*'")
    if method == "*":
        return rf"{re.escape(service)}\.{_METHOD}"
    return re.escape(grant)


def _alternatives(patterns: object) -> str:
    patterns = list(patterns)  # type: ignore[call-overload]
    return f"^({'|'.join(patterns)})$" if patterns else "^$"


def identity_of(amqp_uri: str) -> tuple[str, str]:
    """The user and vhost an AMQP URI connects as (``guest`` and ``/`` when it says neither)."""
    url = urlparse(amqp_uri)
    vhost = unquote(url.path[1:]) if len(url.path) > 1 else "/"
    return unquote(url.username or "guest"), vhost


def sender_problem(
    event_type: str, source: str, sender: str | None, receiver_uri: str
) -> str | None:
    """Why an event may not be believed, or None.

    The broker sets and checks ``user_id``: it names the user that really published. An event
    is believed from its source's own user, from the receiver itself (its retries) and from
    the operator (replayed dead letters). A receiver that runs as no user of the table (a
    broker that was never set up) has nobody to tell apart: nothing is enforced then.
    """
    if not event_type.startswith(f"{source}."):
        return f"event {event_type} does not belong to its source {source}"
    username, vhost = identity_of(receiver_uri)
    if principal_of_username(username, vhost) is None:
        return None
    trusted = {broker_username(source, vhost), username, broker_username(OPERATOR, vhost)}
    if sender not in trusted:
        return f"published by {sender or 'an unnamed user'}, who may not speak for {source}"
    return None
