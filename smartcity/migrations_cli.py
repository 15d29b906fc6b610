"""``smartcity migrate`` and ``smartcity db revision``: the commands that need Alembic.

Registered on the ``smartcity`` group by ``smartcity.cli``; the work is in
``smartcity.migrations`` and ``shared.db``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shared import config as settings
from smartcity.registry import PROCESSES, SERVICE_CLASSES


@click.command()
@click.argument("services", nargs=-1, type=click.Choice(sorted(PROCESSES)))
def migrate(services: tuple[str, ...]) -> None:
    """Upgrade the databases of SERVICES (or processes; all when none) to the newest schema.

    Safe when several instances run it at once (an advisory lock per database)."""
    from sqlalchemy.exc import OperationalError

    from smartcity.migrations import migrate_services, services_to_migrate

    wanted = services_to_migrate(services)
    try:
        migrate_services(wanted)
    except OperationalError as exc:
        # One line, not a traceback: the database is down or the URL is wrong.
        click.echo(f"smartcity migrate: a database is unreachable: {exc.orig}".strip(), err=True)
        sys.exit(2)
    click.echo(f"migrated: {', '.join(wanted)}")


@click.group()
def db() -> None:
    """Database migrations of a service."""


@db.command("revision")
@click.argument("service", type=click.Choice(sorted(SERVICE_CLASSES)))
@click.option("-m", "--message", required=True)
def db_revision(service: str, message: str) -> None:
    """Autogenerate a revision from the service's models against its current database."""
    from alembic import command

    from shared.db import alembic_config, make_engine, migrate
    from smartcity.embedded_db import ensure_databases
    from smartcity.registry import load

    ensure_databases((service,))
    service_cls = load(service)
    database = service_cls.db
    engine = make_engine(settings.database_url(service))
    migrate(engine, service, database.versions_dir, database.base.metadata)
    cfg = alembic_config(service, database.versions_dir, database.base.metadata)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.revision(
            cfg,
            message=message,
            autogenerate=True,
            head=f"{service}@head",
            version_path=str(Path(database.versions_dir)),
        )
