"""Loading transit data into the database: GTFS feeds in bulk, GTFS-Realtime messages as they come.

A feed is loaded beside the one in use under a new ``feed_id``; only when every file has been
read and validated are the old feed's rows deleted and the new feed marked active, all in one
transaction. Readers therefore see the old timetable or the new one, never half of each, and a
malformed feed (``ValidationFailed`` naming file, line and field) changes nothing: the load runs
in a SAVEPOINT that is rolled back. The caller owns the transaction and commits it. A feed that
would expand past its ``ArchiveLimits`` (size, compression ratio, line length) is refused the
same way, before or while it is decompressed.

Import streams: memory holds one chunk of rows and the ids later files refer to (stops,
trips...), never a whole file. Each file goes in as one PostgreSQL COPY fed chunk by chunk
when psycopg2 is in blocking mode (the CLI), otherwise as one multi-row ``INSERT`` per chunk
(nameko's green workers), never an ORM object per row. Duplicate keys of the two biggest files
(stop times, shape points) are left to the primary key; only when it fires is the feed read a
second time, with those keys checked, to name the file, line and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from zoneinfo import ZoneInfo

import psycopg2.errors
import psycopg2.extensions
from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.traffic.domain.gtfs import FeedSource, GtfsReader, Row
from services.traffic.domain.gtfs_archive import ArchiveLimits
from services.traffic.domain.realtime import parse_realtime
from services.traffic.domain.schedule import ScheduledStop, resolve_delays
from services.traffic.models import FEED_TABLES, Base, Feed, ServiceAlert, StopTime, TripDelay
from services.traffic.queries import active_feed
from shared.clock import naive_utcnow

DEFAULT_CHUNK_ROWS = 10_000
_IN_CLAUSE_CHUNK = 500  # ids per ``IN (...)``, well under every driver's parameter limit


@dataclass(frozen=True)
class ImportProgress:
    """Reported after every chunk, and once at the end with ``file`` "": enough to drive a
    progress bar in bytes (``tqdm(total=bytes_total)``, advanced to ``bytes_done``)."""

    file: str
    rows: int  # rows of ``file`` loaded so far
    bytes_done: int  # uncompressed bytes of the feed read so far
    bytes_total: int


@dataclass(frozen=True)
class ImportSummary:
    feed_id: int
    name: str
    timezone: str
    row_counts: dict[str, int]
    replaced_feed_ids: list[int]
    seconds: float


def import_feed(
    session: Session,
    source: FeedSource,
    name: str = "gtfs",
    progress: Callable[[ImportProgress], None] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    limits: ArchiveLimits | None = None,
) -> ImportSummary:
    """Load a GTFS zip (path, bytes or binary file) and make it the active timetable.

    Raises ``ValidationFailed`` (``fields={"feed": [message]}``, extra ``file``/``line``/
    ``field``) for a malformed feed, leaving the database as it was. Does not commit.
    ``limits`` default to ``ArchiveLimits.from_env()``.
    """
    started = time.perf_counter()
    try:
        return _load(session, source, name, progress, chunk_rows, limits, started)
    except (IntegrityError, psycopg2.errors.UniqueViolation):
        # A row key repeated in stop_times.txt or shapes.txt, which streaming leaves to the
        # primary key: read the feed again with the keys checked, to name file, line, field.
        _raise_duplicate_row(source, limits)
        raise


def _load(
    session: Session,
    source: FeedSource,
    name: str,
    progress: Callable[[ImportProgress], None] | None,
    chunk_rows: int,
    limits: ArchiveLimits | None,
    started: float,
) -> ImportSummary:
    reader = GtfsReader(source, limits, check_row_keys=False)
    try:
        with session.begin_nested():
            # Serialise concurrent imports: each one replaces every feed it can see.
            previous = list(session.scalars(select(Feed.feed_id).with_for_update()))
            feed = Feed(name=name, timezone="UTC", active=False, imported_at=naive_utcnow())
            session.add(feed)
            session.flush()
            write = _bulk_writer(session)
            counts: dict[str, int] = {}
            for table in reader.tables():
                counted = _Counted(table.file, reader, progress)
                rows = _with_feed_id(table.rows, feed.feed_id)
                write(FEED_TABLES[table.file], _chunks(rows, chunk_rows, counted))
                counts[table.file] = counted.rows
            _delete_feeds(session, previous)
            _analyze(session)
            feed.timezone = reader.timezone or "UTC"
            feed.row_counts = counts
            feed.max_departure_s = reader.max_departure_s
            feed.max_dwell_s = reader.max_dwell_s
            feed.active = True
            session.flush()
    finally:
        reader.close()
    if progress:
        progress(ImportProgress("", 0, reader.bytes_total, reader.bytes_total))
    return ImportSummary(
        feed_id=feed.feed_id,
        name=name,
        timezone=feed.timezone,
        row_counts=counts,
        replaced_feed_ids=previous,
        seconds=time.perf_counter() - started,
    )


def _raise_duplicate_row(source: FeedSource, limits: ArchiveLimits | None) -> None:
    if hasattr(source, "seek"):
        source.seek(0)
    reader = GtfsReader(source, limits, check_row_keys=True)
    try:
        for table in reader.tables():
            for _ in table.rows:
                pass
    finally:
        reader.close()


class _Counted:
    """Rows of one file loaded so far, reported to ``progress`` after every chunk."""

    def __init__(
        self,
        file: str,
        reader: GtfsReader,
        progress: Callable[[ImportProgress], None] | None,
    ):
        self.file = file
        self.rows = 0
        self._reader = reader
        self._progress = progress

    def chunk_done(self, rows: int) -> None:
        self.rows += rows
        if self._progress:
            reader = self._reader
            self._progress(
                ImportProgress(self.file, self.rows, reader.bytes_done(), reader.bytes_total)
            )


def _with_feed_id(rows: Iterator[Row], feed_id: int) -> Iterator[Row]:
    for row in rows:
        row["feed_id"] = feed_id
        yield row


def _chunks(rows: Iterator[Row], size: int, counted: _Counted) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk
        counted.chunk_done(len(chunk))


def _delete_feeds(session: Session, feed_ids: list[int]) -> None:
    if not feed_ids:
        return
    for model in reversed(FEED_TABLES.values()):
        session.execute(delete(model).where(model.feed_id.in_(feed_ids)))  # type: ignore[attr-defined]
    session.execute(delete(Feed).where(Feed.feed_id.in_(feed_ids)))


def _analyze(session: Session) -> None:
    """Fresh statistics for the planner, in the import's transaction: arrivals' index scans
    are chosen from them, and a table that grew a hundredfold would otherwise be planned as
    the small one it was until autovacuum comes by."""
    if session.get_bind().dialect.name == "postgresql":
        for model in FEED_TABLES.values():
            session.execute(text(f"ANALYZE {model.__tablename__}"))


Writer = Callable[[type[Base], Iterator[list[Row]]], None]


def _bulk_writer(session: Session) -> Writer:
    """The fastest way this database takes many rows: one streamed COPY per file on psycopg2,
    else executemany per chunk (which SQLAlchemy sends as multi-row INSERTs)."""
    if _can_copy(session):
        return _copy_writer(session)

    def insert_rows(model: type[Base], chunks: Iterator[list[Row]]) -> None:
        for chunk in chunks:
            session.execute(insert(model), chunk)

    return insert_rows


def _can_copy(session: Session) -> bool:
    """COPY needs psycopg2 in blocking mode: made green for eventlet (nameko's workers), a
    psycopg2 connection has a wait callback and refuses ``copy_expert``."""
    return psycopg2.extensions.get_wait_callback() is None


class _CsvStream:
    """A file for ``copy_expert`` whose ``read`` renders the next chunk of rows as CSV: the
    whole file goes in one COPY while only one chunk is ever in memory."""

    def __init__(self, chunks: Iterator[list[Row]], names: list[str]):
        self._chunks = chunks
        self._values = operator.itemgetter(*names)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_ALL)
        # psycopg2 turns an exception raised in ``read`` into its own QueryCanceled: the
        # original (a ValidationFailed naming the line) is kept to be raised instead.
        self.failure: Exception | None = None

    def read(self, size: int = -1) -> str:
        try:
            chunk = next(self._chunks, None)
        except Exception as exc:
            self.failure = exc
            raise
        if chunk is None:
            return ""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerows(map(self._values, chunk))
        return self._buffer.getvalue()

    readline = read


def _copy_writer(session: Session) -> Writer:
    connection = session.connection().connection.driver_connection
    quote = session.get_bind().dialect.identifier_preparer

    def copy_rows(model: type[Base], chunks: Iterator[list[Row]]) -> None:
        table = model.__table__
        names = [column.name for column in table.columns]
        # Every value is quoted and None is written as "", so FORCE_NULL turns exactly the
        # empty values of nullable columns into NULL (blank GTFS values are None already).
        nullable = [quote.quote(column.name) for column in table.columns if column.nullable]
        options = "FORMAT csv" + (f", FORCE_NULL ({', '.join(nullable)})" if nullable else "")
        columns = ", ".join(quote.quote(name) for name in names)
        statement = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN WITH ({options})"
        stream = _CsvStream(chunks, names)
        with connection.cursor() as cursor:
            try:
                cursor.copy_expert(statement, stream, size=1 << 16)
            except psycopg2.errors.QueryCanceled:
                if stream.failure is not None:
                    raise stream.failure from None
                raise

    return copy_rows


# --- GTFS-Realtime ---------------------------------------------------------------------------


def store_realtime(
    session: Session, message: bytes, received_at: dt.datetime | None = None
) -> dict[str, int]:
    """Store the predictions and alerts of a GTFS-Realtime ``FeedMessage`` for ``arrivals``.

    A full-dataset message replaces all live data; a differential one replaces the predictions
    of the trips it names and the alerts it carries. Invalid protobuf raises
    ``invalid("feed_message", ...)``; with no timetable imported, ``NotFound``. Does not
    commit. Returns how many predictions were stored and ignored (unknown trip or stop) and how
    many alerts were stored.
    """
    update = parse_realtime(message)
    feed = active_feed(session)
    received_at = received_at or naive_utcnow()
    stops_by_trip = _scheduled_stops(session, feed.feed_id, {d.trip_id for d in update.delays})
    message_time = update.timestamp or int(received_at.replace(tzinfo=dt.UTC).timestamp())
    delays = resolve_delays(update.delays, stops_by_trip, ZoneInfo(feed.timezone), message_time)

    if update.full_dataset:
        session.execute(delete(TripDelay))
        session.execute(delete(ServiceAlert))
    else:
        for trip_ids in _batches(sorted(update.trip_ids)):
            session.execute(delete(TripDelay).where(TripDelay.trip_id.in_(trip_ids)))
        alert_ids = sorted(alert.alert_id for alert in update.alerts)
        for batch in _batches(alert_ids):
            session.execute(delete(ServiceAlert).where(ServiceAlert.alert_id.in_(batch)))
    if delays:
        session.execute(
            insert(TripDelay),
            [
                {
                    "trip_id": delay.trip_id,
                    "service_date": delay.service_date,
                    "start_time_s": delay.start_time_s,
                    "stop_sequence": delay.stop_sequence,
                    "delay_s": delay.delay_s,
                    "skipped": delay.skipped,
                    "received_at": received_at,
                }
                for delay in delays
            ],
        )
    if update.alerts:
        session.execute(
            insert(ServiceAlert),
            [
                {
                    "alert_id": alert.alert_id,
                    "header": alert.header,
                    "description": alert.description,
                    "cause": alert.cause,
                    "effect": alert.effect,
                    "active_periods": [list(period) for period in alert.active_periods],
                    "route_ids": list(alert.route_ids),
                    "stop_ids": list(alert.stop_ids),
                    "trip_ids": list(alert.trip_ids),
                    "received_at": received_at,
                }
                for alert in update.alerts
            ],
        )
    session.flush()
    return {
        "delays": len(delays),
        "ignored": len(update.delays) - len(delays),
        "alerts": len(update.alerts),
    }


def _batches(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN_CLAUSE_CHUNK):
        yield values[start : start + _IN_CLAUSE_CHUNK]


def _scheduled_stops(
    session: Session, feed_id: int, trip_ids: Iterable[str]
) -> dict[str, list[ScheduledStop]]:
    stops: dict[str, list[ScheduledStop]] = defaultdict(list)
    for batch in _batches(sorted(trip_ids)):
        rows = session.execute(
            select(
                StopTime.trip_id,
                StopTime.stop_sequence,
                StopTime.stop_id,
                StopTime.arrival_s,
                StopTime.departure_s,
            )
            .where(StopTime.feed_id == feed_id, StopTime.trip_id.in_(batch))
            .order_by(StopTime.trip_id, StopTime.stop_sequence)
        )
        for trip_id, sequence, stop_id, arrival_s, departure_s in rows:
            stops[trip_id].append(ScheduledStop(sequence, stop_id, arrival_s, departure_s))
    return stops
