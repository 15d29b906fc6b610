"""Reading transit data: GTFS static feeds (a zip of CSV files) and GTFS-Realtime messages.

Static feeds are streamed file by file with the ``csv`` module and validated as they are read,
so a city-sized ``stop_times.txt`` never has to sit in memory and a bad feed is rejected with
the exact file, line and field at fault (``ValidationFailed`` with ``fields={"feed": [...]}`` and
``file``/``line``/``field`` in its extra data). The zip is read within the size, ratio and line
limits of ``gtfs_archive.ArchiveLimits``, and no text value may hold a NUL character. Rows come
out as dicts keyed by the model attribute names of ``services.traffic.models``, so the importer
can bulk-insert them as they are. Times of day become seconds since the start of the service
day ("noon minus 12 h"), which keeps GTFS times past midnight such as ``25:10:00`` exact.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ValidationFailed

from .gtfs_archive import ArchiveError, ArchiveLimits, FeedArchive, FeedSource, MemberLines
from .gtfs_values import (
    as_degrees,
    as_flag,
    as_integer,
    as_number,
    as_text,
    as_timezone,
    parse_gtfs_date,
    parse_gtfs_time,
    remembered_values,
)

Row = dict[str, Any]

# Files in the order they are read: each file's references point only at files read before it.
FEED_FILES = (
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "shapes.txt",
    "trips.txt",
    "stop_times.txt",
    "frequencies.txt",
)
REQUIRED_FILES = ("agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt")


def feed_error(
    message: str, file: str | None = None, line: int | None = None, field: str | None = None
) -> ValidationFailed:
    """The error for a rejected feed, locating the fault as precisely as is known."""
    where = ", ".join(
        part
        for part in (
            file,
            f"line {line}" if line is not None else None,
            f"field {field}" if field else None,
        )
        if part
    )
    text = f"{where}: {message}" if where else message
    return ValidationFailed(
        text, fields={"feed": [text]}, extra={"file": file, "line": line, "field": field}
    )


def _refused(error: ArchiveError) -> ValidationFailed:
    return feed_error(error.message, error.file, error.line)


@dataclass(frozen=True)
class Column:
    """One CSV column: how to convert it and under which model attribute it is stored."""

    name: str
    convert: Callable[[str], Any] = as_text
    required: bool = False  # a value must be present on every row
    key: str | None = None  # model attribute, when it differs from the GTFS name
    default: Any = None  # stored when the value is blank or the column absent


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[Column, ...]
    required_columns: tuple[str, ...] = ()  # columns the header must have (beyond required)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

TABLES: dict[str, TableSpec] = {
    "agency.txt": TableSpec(
        (
            Column("agency_id", default=""),
            Column("agency_name", required=True),
            Column("agency_url", required=True),
            Column("agency_timezone", as_timezone, required=True),
            Column("agency_lang"),
            Column("agency_phone"),
        )
    ),
    "stops.txt": TableSpec(
        (
            Column("stop_id", required=True),
            Column("stop_code"),
            Column("stop_name"),
            Column("stop_desc"),
            Column("stop_lat", as_degrees(90)),
            Column("stop_lon", as_degrees(180)),
            Column("zone_id"),
            Column("location_type", as_integer(0, 4), default=0),
            Column("parent_station"),
            Column("wheelchair_boarding", as_integer(0, 2)),
            Column("platform_code"),
        ),
        required_columns=("stop_name", "stop_lat", "stop_lon"),
    ),
    "routes.txt": TableSpec(
        (
            Column("route_id", required=True),
            Column("agency_id"),
            Column("route_short_name"),
            Column("route_long_name"),
            Column("route_desc"),
            Column("route_type", as_integer(0), required=True),
            Column("route_color"),
            Column("route_text_color"),
            Column("route_sort_order", as_integer(0)),
        )
    ),
    "calendar.txt": TableSpec(
        (
            Column("service_id", required=True),
            *(Column(day, as_flag, required=True) for day in _WEEKDAYS),
            Column("start_date", parse_gtfs_date, required=True),
            Column("end_date", parse_gtfs_date, required=True),
        )
    ),
    "calendar_dates.txt": TableSpec(
        (
            Column("service_id", required=True),
            Column("date", parse_gtfs_date, required=True),
            Column("exception_type", as_integer(1, 2), required=True),
        )
    ),
    "shapes.txt": TableSpec(
        (
            Column("shape_id", required=True),
            Column("shape_pt_lat", as_degrees(90), required=True),
            Column("shape_pt_lon", as_degrees(180), required=True),
            Column("shape_pt_sequence", as_integer(0), required=True),
            Column("shape_dist_traveled", as_number),
        )
    ),
    "trips.txt": TableSpec(
        (
            Column("route_id", required=True),
            Column("service_id", required=True),
            Column("trip_id", required=True),
            Column("trip_headsign"),
            Column("trip_short_name"),
            Column("direction_id", as_integer(0, 1)),
            Column("block_id"),
            Column("shape_id"),
            Column("wheelchair_accessible", as_integer(0, 2)),
        )
    ),
    "stop_times.txt": TableSpec(
        (
            Column("trip_id", required=True),
            Column("arrival_time", parse_gtfs_time, key="arrival_s"),
            Column("departure_time", parse_gtfs_time, key="departure_s"),
            Column("stop_id", required=True),
            Column("stop_sequence", as_integer(0), required=True),
            Column("stop_headsign"),
            Column("pickup_type", as_integer(0, 3)),
            Column("drop_off_type", as_integer(0, 3)),
            Column("shape_dist_traveled", as_number),
            Column("timepoint", as_integer(0, 1)),
        ),
        required_columns=("arrival_time", "departure_time"),
    ),
    "frequencies.txt": TableSpec(
        (
            Column("trip_id", required=True),
            Column("start_time", parse_gtfs_time, required=True, key="start_s"),
            Column("end_time", parse_gtfs_time, required=True, key="end_s"),
            Column("headway_secs", as_integer(1), required=True),
            Column("exact_times", as_integer(0, 1), default=0),
        )
    ),
}


class _FileRows:
    """Typed rows of one CSV member of the zip, with the line number of the current row."""

    def __init__(self, lines: MemberLines, spec: TableSpec, max_columns: int):
        self.file = lines.file
        self.line = 1
        self._lines = lines
        self._spec = spec
        self._max_columns = max_columns
        self._reader = csv.reader(lines)

    def bytes_read(self) -> int:
        return self._lines.bytes_read()

    def close(self) -> None:
        self._lines.close()

    def error(self, message: str, field: str | None = None) -> ValidationFailed:
        return feed_error(message, self.file, self.line, field)

    def __iter__(self) -> Iterator[Row]:
        try:
            yield from self._rows()
        except ArchiveError as exc:
            raise _refused(exc) from None
        except csv.Error as exc:
            line = self._reader.line_num
            raise feed_error(f"is not valid CSV ({exc})", self.file, line) from None

    def _nul_error(self, record: list[str], names: list[str] | None) -> ValidationFailed:
        """PostgreSQL cannot store a NUL in text, and no GTFS value has a use for one."""
        message = "contains a NUL character, which no value may hold"
        line = self._lines.nul_line
        if names is None:
            return feed_error(f"the header {message}", self.file, line)
        position = next(index for index, value in enumerate(record) if "\0" in value)
        field = names[position] if position < len(names) else None
        return feed_error(message, self.file, line, field)

    def _rows(self) -> Iterator[Row]:
        lines = self._lines
        header = next(self._reader, None)
        if header is None:
            if self.file in REQUIRED_FILES:
                raise feed_error("is empty (no header line)", self.file, 1)
            return  # an empty optional file is as good as none
        lines.record_done()
        names = [name.strip() for name in header]
        if lines.nul_line is not None:
            raise self._nul_error(header, None)
        if len(names) > self._max_columns:
            raise feed_error(
                f"has {len(names)} columns, more than {self._max_columns}", self.file, 1
            )
        for required in (
            *(column.name for column in self._spec.columns if column.required),
            *self._spec.required_columns,
        ):
            if required not in names:
                raise feed_error("required column is missing", self.file, 1, required)
        # Columns absent from the header take their default on every row.
        absent = {column.key or column.name: column.default for column in self._spec.columns}
        plan = []
        for column in self._spec.columns:
            if column.name in names:
                key = column.key or column.name
                del absent[key]
                convert = None if column.convert is as_text else remembered_values(column.convert)
                plan.append((key, names.index(column.name), convert, column))
        width = len(names)
        last_line = self._reader.line_num
        for record in self._reader:
            lines.record_done()
            # A record spans several lines when a quoted value holds a line break: name its first.
            self.line, last_line = last_line + 1, self._reader.line_num
            if lines.nul_line is not None:
                raise self._nul_error(record, names)
            if not record or record == [""]:
                continue
            if len(record) != width:
                if len(record) > width:
                    raise self.error(f"has {len(record)} values but the header has {width}")
                record += [""] * (width - len(record))  # trailing blank values left out
            row: Row = dict(absent)
            for key, position, convert, column in plan:
                value = record[position].strip()
                if not value:
                    if column.required:
                        raise self.error("a value is required", column.name)
                    row[key] = column.default
                elif convert is None:
                    row[key] = value
                else:
                    try:
                        row[key] = convert(value)
                    except ValueError as exc:
                        raise self.error(str(exc), column.name) from None
            yield row


@dataclass
class FeedTable:
    """The rows of one feed file, to be consumed before the next file is read."""

    file: str
    rows: Iterator[Row]


class GtfsReader:
    """Streams and validates a GTFS zip, file by file in ``FEED_FILES`` order.

    Use ``for table in reader.tables(): for row in table.rows: ...``; each table must be
    consumed before the next one is requested, because later files are checked against the
    ids of earlier ones (a stop time's stop, a trip's route and service...). ``limits``
    default to ``ArchiveLimits.from_env()``.

    With ``check_row_keys=False`` the keys of ``stop_times.txt`` and ``shapes.txt`` rows
    (trip and sequence, shape and sequence) are not checked for duplicates: that would hold
    every row's key in memory, and the importer lets the database's primary key find them
    (it then reads the feed again with the check on, to name the line).
    ``max_departure_s`` and ``max_dwell_s`` of the stop times read are kept up to date.
    """

    def __init__(
        self,
        source: FeedSource,
        limits: ArchiveLimits | None = None,
        check_row_keys: bool = True,
    ):
        self.check_row_keys = check_row_keys
        self.max_departure_s = 0
        self.max_dwell_s = 0
        try:
            self._archive = FeedArchive(source, TABLES, limits or ArchiveLimits.from_env())
        except ArchiveError as exc:
            raise _refused(exc) from None
        self._members = self._archive.members
        try:
            self._check_required_files()
        except ValidationFailed:
            self._archive.close()
            raise
        self.bytes_total = self._archive.bytes_total
        self._bytes_done_before = 0
        self._current: _FileRows | None = None
        self.timezone: str | None = None  # agency_timezone of the first agency, once read
        self.files = [name for name in FEED_FILES if name in self._members]

    def _check_required_files(self) -> None:
        for name in REQUIRED_FILES:
            if name not in self._members:
                raise feed_error("required file is missing from the feed", name)
        if "calendar.txt" not in self._members and "calendar_dates.txt" not in self._members:
            raise feed_error("the feed needs calendar.txt or calendar_dates.txt", "calendar.txt")

    def close(self) -> None:
        self._archive.close()

    def bytes_done(self) -> int:
        """Uncompressed bytes read so far, for progress reporting."""
        current = self._current.bytes_read() if self._current else 0
        return self._bytes_done_before + current

    def tables(self) -> Iterator[FeedTable]:
        checks = _ReferenceChecks(self)
        max_columns = self._archive.limits.max_columns
        for name in self.files:
            try:
                lines = self._archive.open_lines(name, self._bytes_done_before)
            except ArchiveError as exc:
                raise _refused(exc) from None
            rows = _FileRows(lines, TABLES[name], max_columns)
            self._current = rows
            yield FeedTable(name, checks.check(rows))
            self._bytes_done_before += rows.bytes_read()
            rows.close()
            self._current = None


class _ReferenceChecks:
    """Rules that span rows and files: unique ids and references to earlier files."""

    def __init__(self, reader: GtfsReader):
        self._reader = reader
        self.agency_ids: set[str] = set()
        self.stop_ids: set[str] = set()
        self.route_ids: set[str] = set()
        self.service_ids: set[str] = set()
        self.shape_ids: set[str] = set()
        self.trip_ids: set[str] = set()
        self.has_shapes = False
        self.parent_stations: list[tuple[int, str]] = []  # (line, stop_id), checked after stops

    def check(self, rows: _FileRows) -> Iterator[Row]:
        rule = {
            "agency.txt": self._agency,
            "stops.txt": self._stop,
            "routes.txt": self._route,
            "calendar.txt": self._calendar,
            "calendar_dates.txt": self._calendar_date,
            "shapes.txt": self._shape,
            "trips.txt": self._trip,
            "stop_times.txt": self._stop_time,
            "frequencies.txt": self._frequency,
        }[rows.file]
        seen: set[Any] = set()
        for row in rows:
            rule(rows, row, seen)
            yield row
        if rows.file == "agency.txt" and not seen:
            raise feed_error("the feed has no agency", rows.file, rows.line)
        if rows.file == "stops.txt":  # parents may be listed after their children
            for line, parent in self.parent_stations:
                if parent not in self.stop_ids:
                    raise feed_error(f"unknown stop '{parent}'", rows.file, line, "parent_station")

    @staticmethod
    def _unique(rows: _FileRows, seen: set[Any], key: Any, field: str, what: str) -> None:
        if key in seen:
            raise rows.error(f"duplicate {what}", field)
        seen.add(key)

    def _agency(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, row["agency_id"], "agency_id", "agency_id")
        if self._reader.timezone is None:
            self._reader.timezone = row["agency_timezone"]
        self.agency_ids.add(row["agency_id"])

    def _stop(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, row["stop_id"], "stop_id", "stop_id")
        self.stop_ids.add(row["stop_id"])
        if row["location_type"] <= 2:  # stops, stations and entrances need a position and name
            for required in ("stop_name", "stop_lat", "stop_lon"):
                if row[required] is None:
                    raise rows.error("a value is required for this location_type", required)
        if row["parent_station"]:
            self.parent_stations.append((rows.line, row["parent_station"]))

    def _route(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, row["route_id"], "route_id", "route_id")
        self.route_ids.add(row["route_id"])
        if not (row["route_short_name"] or row["route_long_name"]):
            raise rows.error("route_short_name or route_long_name is required", "route_short_name")
        agency = row["agency_id"]
        if agency is not None and agency not in self.agency_ids:
            raise rows.error(f"unknown agency '{agency}'", "agency_id")

    def _calendar(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, row["service_id"], "service_id", "service_id")
        self.service_ids.add(row["service_id"])
        if row["end_date"] < row["start_date"]:
            raise rows.error("end_date is before start_date", "end_date")

    def _calendar_date(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, (row["service_id"], row["date"]), "date", "service_id and date")
        self.service_ids.add(row["service_id"])

    def _shape(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        if self._reader.check_row_keys:
            key = (row["shape_id"], row["shape_pt_sequence"])
            self._unique(rows, seen, key, "shape_pt_sequence", "shape_id and shape_pt_sequence")
        self.shape_ids.add(row["shape_id"])
        self.has_shapes = True

    def _trip(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, row["trip_id"], "trip_id", "trip_id")
        self.trip_ids.add(row["trip_id"])
        if row["route_id"] not in self.route_ids:
            raise rows.error(f"unknown route '{row['route_id']}'", "route_id")
        if row["service_id"] not in self.service_ids:
            raise rows.error(f"unknown service '{row['service_id']}'", "service_id")
        shape = row["shape_id"]
        if shape is not None and self.has_shapes and shape not in self.shape_ids:
            raise rows.error(f"unknown shape '{shape}'", "shape_id")

    def _stop_time(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        if self._reader.check_row_keys:
            key = (row["trip_id"], row["stop_sequence"])
            self._unique(rows, seen, key, "stop_sequence", "trip_id and stop_sequence")
        if row["trip_id"] not in self.trip_ids:
            raise rows.error(f"unknown trip '{row['trip_id']}'", "trip_id")
        if row["stop_id"] not in self.stop_ids:
            raise rows.error(f"unknown stop '{row['stop_id']}'", "stop_id")
        # A stop given only one of the two times arrives and leaves at that time.
        if row["arrival_s"] is None:
            row["arrival_s"] = row["departure_s"]
        elif row["departure_s"] is None:
            row["departure_s"] = row["arrival_s"]
        elif row["departure_s"] < row["arrival_s"]:
            raise rows.error("departure_time is before arrival_time", "departure_time")
        departure = row["departure_s"]
        if departure is not None:
            reader = self._reader
            if departure > reader.max_departure_s:
                reader.max_departure_s = departure
            if departure - row["arrival_s"] > reader.max_dwell_s:
                reader.max_dwell_s = departure - row["arrival_s"]

    def _frequency(self, rows: _FileRows, row: Row, seen: set[Any]) -> None:
        self._unique(rows, seen, (row["trip_id"], row["start_s"]), "start_time", "trip start_time")
        if row["trip_id"] not in self.trip_ids:
            raise rows.error(f"unknown trip '{row['trip_id']}'", "trip_id")
        if row["end_s"] <= row["start_s"]:
            raise rows.error("end_time is not after start_time", "end_time")


@dataclass
class GtfsFeed:
    """A whole feed in memory (for tests and small feeds); keys as in ``TABLES``."""

    timezone: str
    tables: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self, file: str) -> list[Row]:
        return self.tables.get(file, [])


def load_feed(source: FeedSource, limits: ArchiveLimits | None = None) -> GtfsFeed:
    """Read and validate a whole feed into memory. Raises ``ValidationFailed`` if malformed."""
    reader = GtfsReader(source, limits)
    try:
        tables = {table.file: list(table.rows) for table in reader.tables()}
    finally:
        reader.close()
    return GtfsFeed(timezone=reader.timezone or "UTC", tables=tables)
