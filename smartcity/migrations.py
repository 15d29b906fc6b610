"""``smartcity migrate``: upgrade service databases, in an interpreter of their own.

A service process only checks that its schema is current (``shared.schema_version``); Alembic,
11 MB above SQLAlchemy that would stay resident, is imported here instead. ``smartcity up``
migrates every database before it starts the suite, ``smartcity run <process>`` migrates its
services' databases in a child process before it starts them (``--no-migrate`` skips that, for
a deployment that runs ``smartcity migrate`` as a step of its own: compose, an initContainer).
``shared.db.migrate`` holds a PostgreSQL advisory lock per service database, so several
instances may migrate at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable

from shared import config as settings
from smartcity.registry import PROCESSES


class MigrationFailed(SystemExit):
    """``smartcity migrate`` exited non-zero (it printed why)."""


def services_to_migrate(names: Iterable[str]) -> tuple[str, ...]:
    """Services or processes (``gateway`` → ``platform``) → the services with a database, in
    the order given; every service with a database when ``names`` is empty."""
    names = tuple(names)
    if not names:
        return settings.DATABASE_SERVICES
    wanted: list[str] = []
    for name in names:
        for service in PROCESSES[name]:
            if service in settings.DATABASE_SERVICES and service not in wanted:
                wanted.append(service)
    return tuple(wanted)


def migrate_service_class(service_cls: type, url: str) -> None:
    """Upgrade the database at ``url`` for a nameko service class (its ``db`` provider names
    the models and the versions folder) and add its reference data (``Database.seed``). Tests
    that start services in-process call this first, as ``smartcity run`` does in its child; a
    class without a database is skipped."""
    from shared.db import Database, make_engine, migrate

    database = getattr(service_cls, "db", None)
    if not isinstance(database, Database):
        return
    engine = make_engine(url)
    try:
        migrate(engine, service_cls.name, database.versions_dir, database.base.metadata)
        # Reference data too (community's catalogue), so that the service's start-up finds it
        # stored and loads nothing to check it (jsonschema).
        database.seed(engine)
    finally:
        engine.dispose()


def migrate_services(services: tuple[str, ...]) -> None:
    """Upgrade each service's database to the heads of its branches (this interpreter)."""
    from smartcity.embedded_db import ensure_databases
    from smartcity.registry import load

    ensure_databases(services)
    for service in services:
        migrate_service_class(load(service), settings.database_url(service))


def migrate_in_child(services: tuple[str, ...]) -> None:
    """``smartcity migrate <services>`` in a child interpreter, so that this one never imports
    Alembic; raises ``MigrationFailed`` if it fails. The caller has joined the embedded
    database first (``ensure_databases``), so the child finds it in the environment."""
    if not services:
        return
    done = subprocess.run(
        [sys.executable, "-m", "smartcity", "migrate", *services], env=os.environ.copy()
    )
    if done.returncode != 0:
        raise MigrationFailed(
            f"smartcity: migrating {', '.join(services)} failed (exit {done.returncode})"
        )
