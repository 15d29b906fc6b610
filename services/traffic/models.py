"""Tables of the traffic service's own database: the transit timetable, live data and parking.

Timetable tables mirror the GTFS files, keyed by ``feed_id`` first so that a new feed can be
loaded beside the one in use and swapped in one transaction (see ``importer.py``). References
between timetable tables (a stop time's stop, a trip's route...) are checked by the importer
while it reads the feed rather than by foreign keys, so that bulk loading stays fast; every
table still references its feed. Times of day are integer seconds since the start of the service
day, because GTFS times run past 24:00:00. Only portable SQL types are used.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.traffic.domain.parking import RESERVATION_STATUSES


class Base(DeclarativeBase):
    """Declarative base of the traffic service alone: its metadata is its database."""


def _feed_fk() -> Mapped[int]:
    return mapped_column(
        Integer, ForeignKey("gtfs_feeds.feed_id", ondelete="CASCADE"), primary_key=True
    )


class Feed(Base):
    """One imported GTFS feed. Queries read the newest ``active`` one."""

    __tablename__ = "gtfs_feeds"

    feed_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String)
    timezone: Mapped[str] = mapped_column(String)  # agency_timezone: local times of the feed
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    row_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Measured while importing, so that arrivals know how far to look without a scan: the
    # latest departure (how many service days before today can still have vehicles to come)
    # and the longest dwell (departure less arrival) at any stop. None: imported before
    # traffic_0003; ``queries`` then measures them once.
    max_departure_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_dwell_s: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Agency(Base):
    __tablename__ = "gtfs_agencies"

    feed_id: Mapped[int] = _feed_fk()
    agency_id: Mapped[str] = mapped_column(String, primary_key=True)  # "" when not given
    agency_name: Mapped[str] = mapped_column(Text)
    agency_url: Mapped[str] = mapped_column(Text)
    agency_timezone: Mapped[str] = mapped_column(String)
    agency_lang: Mapped[str | None] = mapped_column(String)
    agency_phone: Mapped[str | None] = mapped_column(String)


class Stop(Base):
    __tablename__ = "gtfs_stops"
    __table_args__ = (Index("ix_gtfs_stops_position", "feed_id", "stop_lat", "stop_lon"),)

    feed_id: Mapped[int] = _feed_fk()
    stop_id: Mapped[str] = mapped_column(String, primary_key=True)
    stop_code: Mapped[str | None] = mapped_column(String)
    stop_name: Mapped[str | None] = mapped_column(Text)
    stop_desc: Mapped[str | None] = mapped_column(Text)
    stop_lat: Mapped[float | None] = mapped_column(Float)
    stop_lon: Mapped[float | None] = mapped_column(Float)
    zone_id: Mapped[str | None] = mapped_column(String)
    location_type: Mapped[int] = mapped_column(Integer, default=0)  # 0 stop, 1 station, ...
    parent_station: Mapped[str | None] = mapped_column(String)
    wheelchair_boarding: Mapped[int | None] = mapped_column(Integer)
    platform_code: Mapped[str | None] = mapped_column(String)


class Route(Base):
    __tablename__ = "gtfs_routes"

    feed_id: Mapped[int] = _feed_fk()
    route_id: Mapped[str] = mapped_column(String, primary_key=True)
    agency_id: Mapped[str | None] = mapped_column(String)
    route_short_name: Mapped[str | None] = mapped_column(String)
    route_long_name: Mapped[str | None] = mapped_column(Text)
    route_desc: Mapped[str | None] = mapped_column(Text)
    route_type: Mapped[int] = mapped_column(Integer)
    route_color: Mapped[str | None] = mapped_column(String)
    route_text_color: Mapped[str | None] = mapped_column(String)
    route_sort_order: Mapped[int | None] = mapped_column(Integer)


class Calendar(Base):
    __tablename__ = "gtfs_calendars"

    feed_id: Mapped[int] = _feed_fk()
    service_id: Mapped[str] = mapped_column(String, primary_key=True)
    monday: Mapped[bool] = mapped_column(Boolean)
    tuesday: Mapped[bool] = mapped_column(Boolean)
    wednesday: Mapped[bool] = mapped_column(Boolean)
    thursday: Mapped[bool] = mapped_column(Boolean)
    friday: Mapped[bool] = mapped_column(Boolean)
    saturday: Mapped[bool] = mapped_column(Boolean)
    sunday: Mapped[bool] = mapped_column(Boolean)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)


class CalendarDate(Base):
    __tablename__ = "gtfs_calendar_dates"

    feed_id: Mapped[int] = _feed_fk()
    service_id: Mapped[str] = mapped_column(String, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    exception_type: Mapped[int] = mapped_column(Integer)  # 1 added, 2 removed


class ShapePoint(Base):
    __tablename__ = "gtfs_shape_points"

    feed_id: Mapped[int] = _feed_fk()
    shape_id: Mapped[str] = mapped_column(String, primary_key=True)
    shape_pt_sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    shape_pt_lat: Mapped[float] = mapped_column(Float)
    shape_pt_lon: Mapped[float] = mapped_column(Float)
    shape_dist_traveled: Mapped[float | None] = mapped_column(Float)


class Trip(Base):
    __tablename__ = "gtfs_trips"
    __table_args__ = (
        Index("ix_gtfs_trips_service", "feed_id", "service_id"),
        Index("ix_gtfs_trips_route", "feed_id", "route_id"),
    )

    feed_id: Mapped[int] = _feed_fk()
    trip_id: Mapped[str] = mapped_column(String, primary_key=True)
    route_id: Mapped[str] = mapped_column(String)
    service_id: Mapped[str] = mapped_column(String)
    trip_headsign: Mapped[str | None] = mapped_column(Text)
    trip_short_name: Mapped[str | None] = mapped_column(String)
    direction_id: Mapped[int | None] = mapped_column(Integer)
    block_id: Mapped[str | None] = mapped_column(String)
    shape_id: Mapped[str | None] = mapped_column(String)
    wheelchair_accessible: Mapped[int | None] = mapped_column(Integer)


class StopTime(Base):
    __tablename__ = "gtfs_stop_times"
    # Arrivals read the calls of one stop in arrival order from a time on (traffic_0003);
    # departure_s is in the index so the "not yet left" filter needs no table row.
    __table_args__ = (
        Index("ix_gtfs_stop_times_stop_arrival", "feed_id", "stop_id", "arrival_s", "departure_s"),
    )

    feed_id: Mapped[int] = _feed_fk()
    trip_id: Mapped[str] = mapped_column(String, primary_key=True)
    stop_sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    stop_id: Mapped[str] = mapped_column(String)
    arrival_s: Mapped[int | None] = mapped_column(Integer)  # None: untimed stop
    departure_s: Mapped[int | None] = mapped_column(Integer)
    stop_headsign: Mapped[str | None] = mapped_column(Text)
    pickup_type: Mapped[int | None] = mapped_column(Integer)
    drop_off_type: Mapped[int | None] = mapped_column(Integer)
    shape_dist_traveled: Mapped[float | None] = mapped_column(Float)
    timepoint: Mapped[int | None] = mapped_column(Integer)


class Frequency(Base):
    __tablename__ = "gtfs_frequencies"

    feed_id: Mapped[int] = _feed_fk()
    trip_id: Mapped[str] = mapped_column(String, primary_key=True)
    start_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    end_s: Mapped[int] = mapped_column(Integer)
    headway_secs: Mapped[int] = mapped_column(Integer)
    exact_times: Mapped[int] = mapped_column(Integer, default=0)


# Loading order of the timetable: the same as the files are read.
FEED_TABLES: dict[str, type[Base]] = {
    "agency.txt": Agency,
    "stops.txt": Stop,
    "routes.txt": Route,
    "calendar.txt": Calendar,
    "calendar_dates.txt": CalendarDate,
    "shapes.txt": ShapePoint,
    "trips.txt": Trip,
    "stop_times.txt": StopTime,
    "frequencies.txt": Frequency,
}


# --- GTFS-Realtime ---------------------------------------------------------------------------


class TripDelay(Base):
    """A live prediction for one run of a trip, matched to the timetable (``schedule.Delay``).

    Not tied to a feed version: producers name trips by the ids the agency publishes, which
    survive a re-import of the same timetable.
    """

    __tablename__ = "rt_delays"
    __table_args__ = (Index("ix_rt_delays_trip", "trip_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trip_id: Mapped[str] = mapped_column(String)
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    start_time_s: Mapped[int | None] = mapped_column(Integer)
    stop_sequence: Mapped[int | None] = mapped_column(Integer)  # None: the whole run
    delay_s: Mapped[int | None] = mapped_column(Integer)  # None: no data
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RealtimeVersion(Base):
    """One row: how many statements have changed ``rt_delays``. A trigger of the database
    (traffic_0005) raises it in the writing transaction, whoever writes, so that arrivals can
    hold the predictions in memory and read only this on each request (``live_delays``)."""

    __tablename__ = "rt_version"
    __table_args__ = (CheckConstraint("id = 1", name="ck_rt_version_one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class ServiceAlert(Base):
    """A service alert (works, diversions...), with what it concerns and when it is active."""

    __tablename__ = "rt_alerts"

    alert_id: Mapped[str] = mapped_column(String, primary_key=True)
    header: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(String)
    effect: Mapped[str] = mapped_column(String)
    active_periods: Mapped[list[Any]] = mapped_column(JSON)  # [[start, end], ...] POSIX or null
    route_ids: Mapped[list[str]] = mapped_column(JSON)
    stop_ids: Mapped[list[str]] = mapped_column(JSON)
    trip_ids: Mapped[list[str]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


# --- Parking ---------------------------------------------------------------------------------
# Parking times are naive UTC (see parking.py).


class ParkingLot(Base):
    __tablename__ = "parking_lots"
    __table_args__ = (
        Index("ix_parking_lots_position", "lat", "lon"),
        Index("ix_parking_lots_district", "district"),
        CheckConstraint("capacity >= 0", name="ck_parking_lots_capacity"),
    )

    lot_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    price_per_hour: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    operator_credit_code: Mapped[str] = mapped_column(String(18))  # unified social credit code
    department: Mapped[str] = mapped_column(String(64))  # registered it; alone may update it
    district: Mapped[str | None] = mapped_column(String(32))  # one of SHENYANG_DISTRICTS


class OccupancyReading(Base):
    """A sensor count of occupied spaces; the latest one at or before a time is the state."""

    __tablename__ = "parking_occupancy"
    __table_args__ = (Index("ix_parking_occupancy_lot_time", "lot_id", "observed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lot_id: Mapped[str] = mapped_column(String(64), ForeignKey("parking_lots.lot_id"))
    occupied: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Reservation(Base):
    __tablename__ = "parking_reservations"
    __table_args__ = (
        Index("ix_parking_reservations_lot_window", "lot_id", "starts_at", "ends_at"),
        Index("ix_parking_reservations_card", "card_number", "status"),
        # The no-show sweep's question every minute: which are still reserved and due?
        Index("ix_parking_reservations_status_start", "status", "starts_at"),
        CheckConstraint(
            f"status IN ({', '.join(repr(status) for status in RESERVATION_STATUSES)})",
            name="ck_parking_reservations_status",
        ),
        CheckConstraint("starts_at < ends_at", name="ck_parking_reservations_window"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    lot_id: Mapped[str] = mapped_column(String(64), ForeignKey("parking_lots.lot_id"))
    card_number: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # one of RESERVATION_STATUSES
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
