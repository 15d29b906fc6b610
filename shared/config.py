"""Configuration from environment variables, with defaults that run on a laptop.

Every knob is an environment variable so that the same image runs in compose, CI and a
developer's shell. ``nameko_config(service)`` turns them into the dict a nameko container reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from shared.services_table import SERVICE_TABLE

SERVICES: tuple[str, ...] = tuple(row.name for row in SERVICE_TABLE if row.department)
"""The sector services, by nameko service name (``shared/services_table.py``)."""

PLATFORM = "platform"
"""The platform service (identity, audit, base registries) behind the gateway."""

GATEWAY = "gateway"

DATABASE_SERVICES: tuple[str, ...] = (*SERVICES, PLATFORM)
"""The services that own a database (the gateway is stateless)."""

PROCESS_ENVIRONMENT: dict[str, str] = {
    # No eventlet green DNS (6-7 MB a process): host names resolve once per connection.
    "EVENTLET_NO_GREENDNS": "yes",
    # -OO: no docstrings in memory (4 MB a process, bench/README.md). Nothing in a service
    # process reads a docstring or relies on an assert; the CLI keeps them for its --help.
    "PYTHONOPTIMIZE": "2",
}
"""The environment every process of the suite runs with: ``smartcity up``, compose's
``x-environment`` and the Kubernetes manifests (unit tests check both)."""

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"

# Each process exposes Prometheus metrics on its own port; these defaults keep the processes
# on one machine apart. In compose every container uses its default (they have their own IPs).
DEFAULT_METRICS_PORTS: dict[str, int] = {row.name: row.metrics_port for row in SERVICE_TABLE}


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class DatabaseNotConfigured(RuntimeError):
    """No database URL for a service: neither configured nor set up by ``smartcity``."""


def var_dir() -> Path:
    """Where the embedded defaults keep their files (the embedded PostgreSQL, logs)."""
    path = Path(env("SMARTCITY_VAR_DIR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def configured_database_url(service: str) -> str | None:
    """``<SERVICE>_DATABASE_URL``, else ``DATABASE_URL_TEMPLATE`` with ``{service}``, else None.

    The template form lets compose and tests give all services one server with a database each:
    ``DATABASE_URL_TEMPLATE=postgresql+psycopg2://postgres@db:5432/{service}``. With neither,
    ``smartcity up`` / ``run`` start the embedded PostgreSQL and set the template themselves.
    """
    explicit = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if explicit:
        return explicit
    template = os.environ.get("DATABASE_URL_TEMPLATE")
    if template:
        return template.format(service=service)
    return None


def database_url(service: str) -> str:
    """The service's database URL; raises ``DatabaseNotConfigured`` with what to do."""
    url = configured_database_url(service)
    if url is None:
        raise DatabaseNotConfigured(
            f"no database for {service}: start it with `smartcity run {service}` (which starts "
            f"the embedded PostgreSQL), or set {service.upper()}_DATABASE_URL or "
            "DATABASE_URL_TEMPLATE"
        )
    return url


def metrics_port(service: str) -> int | None:
    """Port of the Prometheus endpoint; ``METRICS_PORT=off`` disables it, ``0`` picks a free one."""
    raw = os.environ.get(f"{service.upper()}_METRICS_PORT") or os.environ.get("METRICS_PORT")
    if raw == "off":
        return None
    return int(raw) if raw else DEFAULT_METRICS_PORTS.get(service, 9100)


def nameko_config(service: str, **overrides: Any) -> dict[str, Any]:
    """The container config of one service process."""
    config: dict[str, Any] = {
        "AMQP_URI": amqp_uri(),
        "max_workers": int(env("MAX_WORKERS", "10")),
        "DATABASE_URLS": {service: configured_database_url(service)},
        "METRICS_PORT": metrics_port(service),
        "RPC_TIMEOUT": float(env("RPC_TIMEOUT", "10")),
        "CONSUMER_RPC_TIMEOUT": float(env("CONSUMER_RPC_TIMEOUT", "2")),
        "EVENT_RETRY_ATTEMPTS": int(env("EVENT_RETRY_ATTEMPTS", "4")),
        "EVENT_RETRY_BACKOFF": float(env("EVENT_RETRY_BACKOFF", "0.5")),
        # Batch subscribers (``@subscribe(..., batch=True)``): events per commit, how long a
        # batch waits to fill, and the messages in flight per subscriber. A batch costs the same
        # statements whatever its size (credit's fast path), so 50 spend ~20 % less CPU per
        # event than 20 did (bench/README.md, "Event pipeline").
        "EVENT_BATCH_SIZE": int(env("EVENT_BATCH_SIZE", "50")),
        "EVENT_BATCH_LINGER": float(env("EVENT_BATCH_LINGER", "0.005")),
        "EVENT_PREFETCH": int(env("EVENT_PREFETCH", "500")),
        "OUTBOX_POLL_INTERVAL": float(env("OUTBOX_POLL_INTERVAL", "1.0")),
        "MESSAGING_RETENTION_DAYS": float(env("MESSAGING_RETENTION_DAYS", "14")),
    }
    if service == GATEWAY:
        # The gateway is the suite's public door: all interfaces unless GATEWAY_HOST says.
        host = env("GATEWAY_HOST", "0.0.0.0")  # noqa: S104
        config["WEB_SERVER_ADDRESS"] = f"{host}:{gateway_port()}"
        # The cache of public reads (gateway/cache.py): on unless GATEWAY_CACHE=off.
        config["GATEWAY_CACHE"] = env("GATEWAY_CACHE", "on")
    config.update(overrides)
    return config


def gateway_port() -> int:
    return int(env("GATEWAY_PORT", "8000"))
