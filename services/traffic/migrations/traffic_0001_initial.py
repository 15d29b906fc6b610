"""The traffic tables: the GTFS timetable, GTFS-Realtime predictions and alerts, parking.

Written by hand to match ``services/traffic/models.py`` (a test compares the migrated schema
with the models on PostgreSQL and SQLite).

Revision ID: traffic_0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "traffic_0001"
down_revision = None
branch_labels = ("traffic",)
depends_on = None

RESERVATION_STATUSES = ("reserved", "checked_in", "cancelled", "no_show", "completed")

# Timetable tables, parents first; dropped in the reverse order.
TIMETABLE_TABLES = (
    "gtfs_agencies",
    "gtfs_stops",
    "gtfs_routes",
    "gtfs_calendars",
    "gtfs_calendar_dates",
    "gtfs_shape_points",
    "gtfs_trips",
    "gtfs_stop_times",
    "gtfs_frequencies",
)


def _feed_id() -> sa.Column:
    return sa.Column(
        "feed_id",
        sa.Integer(),
        sa.ForeignKey("gtfs_feeds.feed_id", ondelete="CASCADE"),
        primary_key=True,
    )


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _string(name: str, nullable: bool = True, primary_key: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable, primary_key=primary_key)


def _integer(name: str, nullable: bool = True, primary_key: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable, primary_key=primary_key)


def upgrade() -> None:
    _create_timetable()
    _create_realtime()
    _create_parking()


def _create_timetable() -> None:
    op.create_table(
        "gtfs_feeds",
        sa.Column("feed_id", sa.Integer(), primary_key=True, autoincrement=True),
        _string("name", nullable=False),
        _string("timezone", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("row_counts", sa.JSON(), nullable=False),
    )
    op.create_table(
        "gtfs_agencies",
        _feed_id(),
        _string("agency_id", nullable=False, primary_key=True),
        _text("agency_name", nullable=False),
        _text("agency_url", nullable=False),
        _string("agency_timezone", nullable=False),
        _string("agency_lang"),
        _string("agency_phone"),
    )
    op.create_table(
        "gtfs_stops",
        _feed_id(),
        _string("stop_id", nullable=False, primary_key=True),
        _string("stop_code"),
        _text("stop_name"),
        _text("stop_desc"),
        sa.Column("stop_lat", sa.Float(), nullable=True),
        sa.Column("stop_lon", sa.Float(), nullable=True),
        _string("zone_id"),
        _integer("location_type", nullable=False),
        _string("parent_station"),
        _integer("wheelchair_boarding"),
        _string("platform_code"),
    )
    op.create_index("ix_gtfs_stops_position", "gtfs_stops", ["feed_id", "stop_lat", "stop_lon"])
    op.create_table(
        "gtfs_routes",
        _feed_id(),
        _string("route_id", nullable=False, primary_key=True),
        _string("agency_id"),
        _string("route_short_name"),
        _text("route_long_name"),
        _text("route_desc"),
        _integer("route_type", nullable=False),
        _string("route_color"),
        _string("route_text_color"),
        _integer("route_sort_order"),
    )
    op.create_table(
        "gtfs_calendars",
        _feed_id(),
        _string("service_id", nullable=False, primary_key=True),
        *(
            sa.Column(day, sa.Boolean(), nullable=False)
            for day in (
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            )
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
    )
    op.create_table(
        "gtfs_calendar_dates",
        _feed_id(),
        _string("service_id", nullable=False, primary_key=True),
        sa.Column("date", sa.Date(), nullable=False, primary_key=True),
        _integer("exception_type", nullable=False),
    )
    op.create_table(
        "gtfs_shape_points",
        _feed_id(),
        _string("shape_id", nullable=False, primary_key=True),
        _integer("shape_pt_sequence", nullable=False, primary_key=True),
        sa.Column("shape_pt_lat", sa.Float(), nullable=False),
        sa.Column("shape_pt_lon", sa.Float(), nullable=False),
        sa.Column("shape_dist_traveled", sa.Float(), nullable=True),
    )
    op.create_table(
        "gtfs_trips",
        _feed_id(),
        _string("trip_id", nullable=False, primary_key=True),
        _string("route_id", nullable=False),
        _string("service_id", nullable=False),
        _text("trip_headsign"),
        _string("trip_short_name"),
        _integer("direction_id"),
        _string("block_id"),
        _string("shape_id"),
        _integer("wheelchair_accessible"),
    )
    op.create_index("ix_gtfs_trips_service", "gtfs_trips", ["feed_id", "service_id"])
    op.create_index("ix_gtfs_trips_route", "gtfs_trips", ["feed_id", "route_id"])
    op.create_table(
        "gtfs_stop_times",
        _feed_id(),
        _string("trip_id", nullable=False, primary_key=True),
        _integer("stop_sequence", nullable=False, primary_key=True),
        _string("stop_id", nullable=False),
        _integer("arrival_s"),
        _integer("departure_s"),
        _text("stop_headsign"),
        _integer("pickup_type"),
        _integer("drop_off_type"),
        sa.Column("shape_dist_traveled", sa.Float(), nullable=True),
        _integer("timepoint"),
    )
    op.create_index("ix_gtfs_stop_times_stop", "gtfs_stop_times", ["feed_id", "stop_id"])
    op.create_table(
        "gtfs_frequencies",
        _feed_id(),
        _string("trip_id", nullable=False, primary_key=True),
        _integer("start_s", nullable=False, primary_key=True),
        _integer("end_s", nullable=False),
        _integer("headway_secs", nullable=False),
        _integer("exact_times", nullable=False),
    )


def _create_realtime() -> None:
    op.create_table(
        "rt_delays",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _string("trip_id", nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        _integer("start_time_s"),
        _integer("stop_sequence"),
        _integer("delay_s"),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rt_delays_trip", "rt_delays", ["trip_id"])
    op.create_table(
        "rt_alerts",
        _string("alert_id", nullable=False, primary_key=True),
        _text("header", nullable=False),
        _text("description", nullable=False),
        _string("cause", nullable=False),
        _string("effect", nullable=False),
        sa.Column("active_periods", sa.JSON(), nullable=False),
        sa.Column("route_ids", sa.JSON(), nullable=False),
        sa.Column("stop_ids", sa.JSON(), nullable=False),
        sa.Column("trip_ids", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )


def _create_parking() -> None:
    op.create_table(
        "parking_lots",
        sa.Column("lot_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("price_per_hour", sa.Numeric(10, 2), nullable=False),
        sa.Column("operator_credit_code", sa.String(18), nullable=False),
        sa.CheckConstraint("capacity >= 0", name="ck_parking_lots_capacity"),
    )
    op.create_index("ix_parking_lots_position", "parking_lots", ["lat", "lon"])
    op.create_table(
        "parking_occupancy",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("lot_id", sa.String(64), sa.ForeignKey("parking_lots.lot_id"), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_parking_occupancy_lot_time", "parking_occupancy", ["lot_id", "observed_at"])
    statuses = ", ".join(f"'{status}'" for status in RESERVATION_STATUSES)
    op.create_table(
        "parking_reservations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("lot_id", sa.String(64), sa.ForeignKey("parking_lots.lot_id"), nullable=False),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"status IN ({statuses})", name="ck_parking_reservations_status"),
        sa.CheckConstraint("starts_at < ends_at", name="ck_parking_reservations_window"),
    )
    op.create_index(
        "ix_parking_reservations_lot_window",
        "parking_reservations",
        ["lot_id", "starts_at", "ends_at"],
    )
    op.create_index(
        "ix_parking_reservations_card", "parking_reservations", ["card_number", "status"]
    )
    op.create_index(
        "ix_parking_reservations_status_start", "parking_reservations", ["status", "starts_at"]
    )


def downgrade() -> None:
    for table in ("parking_reservations", "parking_occupancy", "parking_lots"):
        op.drop_table(table)
    for table in ("rt_alerts", "rt_delays"):
        op.drop_table(table)
    for table in reversed(TIMETABLE_TABLES):
        op.drop_table(table)
    op.drop_table("gtfs_feeds")
