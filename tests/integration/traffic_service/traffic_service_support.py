"""Data and helpers of the traffic service tests (imported by them and their conftest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from google.transit import gtfs_realtime_pb2

from shared.identity import credit_code_check_char

SAMPLE_ZIP = Path(__file__).resolve().parents[2] / "data" / "gtfs" / "sample_gtfs.zip"
SAMPLE_AGENCY = "Demo Transit Authority"
# Rows of each file of sample_gtfs.zip (unzip -p ... | wc -l, less the header line).
SAMPLE_COUNTS = {
    "agency.txt": 1,
    "stops.txt": 9,
    "routes.txt": 5,
    "calendar.txt": 2,
    "calendar_dates.txt": 1,
    "shapes.txt": 0,
    "trips.txt": 11,
    "stop_times.txt": 28,
    "frequencies.txt": 11,
}

OPERATOR_CODE = "91210100MA0KC1234" + credit_code_check_char("91210100MA0KC1234")
# Shenyang Railway Station square.
LOT_LAT, LOT_LON = 41.7948, 123.3953
TUESDAY_0755 = "2007-06-05T07:55:00"  # a weekday of the sample feed, local time


def lot_payload(lot_id: str, capacity: int, **overrides: object) -> dict:
    return {
        "lot_id": lot_id,
        "name": f"Lot {lot_id}",
        "lat": LOT_LAT,
        "lon": LOT_LON,
        "capacity": capacity,
        "price_per_hour": "3.50",
        "operator_credit_code": OPERATOR_CODE,
        **overrides,
    }


def utc_iso(moment: dt.datetime) -> str:
    """A naive UTC time as the service writes parking times."""
    return moment.replace(tzinfo=dt.UTC).isoformat(timespec="seconds")


def realtime_message(
    delays: dict[str, int] | None = None, alerts: dict[str, str] | None = None
) -> bytes:
    """A full-dataset FeedMessage of 2007-06-05 08:00 PDT: ``{trip_id: delay_s}`` as trip-level
    delays on that day, and ``{alert_id: header}`` as network-wide alerts."""
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    message.header.timestamp = 1_181_055_600
    for trip_id, seconds in (delays or {}).items():
        entity = message.entity.add(id=f"delay-{trip_id}")
        entity.trip_update.trip.trip_id = trip_id
        entity.trip_update.trip.start_date = "20070605"
        entity.trip_update.delay = seconds
    for alert_id, header in (alerts or {}).items():
        alert = message.entity.add(id=alert_id).alert
        alert.header_text.translation.add(text=header)
        alert.active_period.add(start=1_181_000_000, end=1_181_100_000)
        alert.informed_entity.add(stop_id="BULLFROG")
    return message.SerializeToString()
