"""Run by ``bench.pipeline`` in a child process: one credit instance, or a publisher's relay.

A script rather than a module of ``bench``, so that ``PYTHONPATH`` can point it at another
checkout's code (main's, for "before" figures), as ``bench/import_child.py`` does.

    python bench/pipeline_child.py credit AMQP_URI DATABASE_URL
    python bench/pipeline_child.py relay AMQP_URI DATABASE_URL

Prints ``ready`` once started and runs until SIGTERM.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore")  # eventlet's deprecation notice, on import

import eventlet  # noqa: E402

eventlet.monkey_patch()

import signal  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from shared.config import nameko_config  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.outbox import OutboxRelay, messaging_metadata  # noqa: E402
from smartcity.migrations import migrate_service_class  # noqa: E402
from smartcity.registry import load  # noqa: E402

RELAY_POLL_S = 0.05
"""The publishing side has no commit in this process to wake its relay: it polls, often."""


def serve_credit(amqp_uri: str, database_url: str) -> None:
    config = nameko_config(
        "credit", AMQP_URI=amqp_uri, METRICS_PORT=None, DATABASE_URLS={"credit": database_url}
    )
    migrate_service_class(load("credit"), database_url)  # the service only checks its schema
    runner = ServiceRunner(config)
    runner.add_service(load("credit"))
    runner.start()
    _ready_until_sigterm(runner.stop)
    runner.wait()


def serve_relay(amqp_uri: str, database_url: str) -> None:
    engine = make_engine(database_url)
    messaging_metadata.create_all(engine)  # the publisher's outbox, idempotent
    relay = OutboxRelay(engine, amqp_uri)
    _ready_until_sigterm(relay.stop)
    relay.run(RELAY_POLL_S)
    engine.dispose()


def _ready_until_sigterm(stop: object) -> None:
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(stop))
    print("ready", flush=True)


if __name__ == "__main__":
    role, uri, url = sys.argv[1:4]
    {"credit": serve_credit, "relay": serve_relay}[role](uri, url)
