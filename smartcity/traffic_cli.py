"""``smartcity traffic``: the traffic department's operator commands.

smartcity traffic import-gtfs FEED.zip   make a GTFS feed the transit timetable

The import writes straight into the traffic database (``TRAFFIC_DATABASE_URL``, or the
configured default), migrating it first so that it works on a fresh database, and needs no
running service: a city's feed is tens of megabytes, more than an RPC message should carry.
The feed and its ``traffic.feed_imported`` event are committed together; the event is then
published once. If the broker is down it waits in the outbox and the traffic service's relay
sends it when the service next runs.

A feed is read within limits, so that a zip bomb is refused rather than unpacked: the files read
may expand to ``GTFS_MAX_UNCOMPRESSED_BYTES`` (default 512 MiB) in all, each to at most
``GTFS_MAX_COMPRESSION_RATIO`` (default 200) times its compressed size (see
``services.traffic.domain.gtfs_archive``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from shared import config as settings

if TYPE_CHECKING:
    from services.traffic.importer import ImportProgress

EXIT_INVALID_FEED = 2


@contextlib.contextmanager
def _blocking_psycopg2() -> Iterator[None]:
    """psycopg2 as a plain blocking driver for the import, so the importer can use COPY.

    The command line runs under eventlet (see ``smartcity.cli``), which makes psycopg2 green,
    and a green connection refuses COPY. Nothing else runs in this process meanwhile.
    """
    import psycopg2.extensions

    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    try:
        yield
    finally:
        psycopg2.extensions.set_wait_callback(callback)


def _printable(text: str) -> str:
    """``text`` on one line with no control characters: messages quote the feed's values."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class _ByteProgress:
    """A tqdm bar in bytes of the feed, driven by the importer's progress reports."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, report: ImportProgress) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=report.bytes_total, unit="B", unit_scale=True, desc="import")
        if report.file:
            self.bar.set_postfix_str(f"{report.file} {report.rows} rows")
        self.bar.update(report.bytes_done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.group()
def traffic() -> None:
    """The traffic service's data: transit timetable."""


@traffic.command("import-gtfs")
@click.argument("feed", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Name of the feed (default: the file's name).")
def import_gtfs_command(feed: Path, name: str | None) -> None:
    """Make FEED (a GTFS zip) the transit timetable, replacing the one in use.

    A malformed feed is refused in one line naming the file, line and field at fault (exit
    code 2), and the timetable in use stays as it was. So is a feed that would expand past
    GTFS_MAX_UNCOMPRESSED_BYTES (default 512 MiB) or GTFS_MAX_COMPRESSION_RATIO (default 200).
    """
    from sqlalchemy.orm import sessionmaker

    from services.traffic.domain.gtfs_archive import ArchiveLimits
    from services.traffic.handlers import import_gtfs
    from services.traffic.models import Base
    from services.traffic.service import MIGRATIONS
    from shared.db import UnitOfWork, make_engine, migrate
    from shared.errors import ValidationFailed
    from shared.outbox import OutboxRelay
    from smartcity.broker import uri_for
    from smartcity.embedded_db import ensure_databases

    try:
        ArchiveLimits.from_env()  # the importer reads them too; a bad one is said up front
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    ensure_databases(("traffic",))
    engine = make_engine(settings.database_url("traffic"))
    try:
        migrate(engine, "traffic", MIGRATIONS, Base.metadata)
        unit = UnitOfWork(sessionmaker(engine, expire_on_commit=False), "traffic")
        progress = _ByteProgress()
        refused: ValidationFailed | None = None
        try:
            with _blocking_psycopg2():
                summary = import_gtfs(unit, feed, name=name or feed.stem, progress=progress)
        except ValidationFailed as error:
            refused = error
        finally:
            progress.close()
            unit.close()
        if refused is not None:
            message = _printable(refused.message)
            click.echo(f"{feed}: invalid feed: {message}; nothing was changed", err=True)
            sys.exit(EXIT_INVALID_FEED)
        rows = sum(summary.row_counts.values())
        click.echo(
            f"imported feed {summary.feed_id} '{summary.name}' ({summary.timezone}): "
            f"{rows} rows in {summary.seconds:.1f} s"
        )
        for file, count in summary.row_counts.items():
            click.echo(f"  {file:<20} {count:>9}")
        relay = OutboxRelay(engine, uri_for("traffic"))
        relay.publish_pending()
        if relay.pending_count():
            click.echo(
                "the message broker is unreachable: the traffic.feed_imported event will go "
                "out when the traffic service next runs",
                err=True,
            )
        else:
            click.echo("published traffic.feed_imported")
    finally:
        engine.dispose()
