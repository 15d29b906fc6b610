"""The sample GTFS feed parsed in memory, and builders of schedule inputs and broken feeds."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from services.traffic.domain.gtfs import GtfsFeed, load_feed
from services.traffic.domain.schedule import (
    FrequencyWindow,
    ScheduledStop,
    ServiceCalendar,
    ServiceException,
    StopCall,
    TripInfo,
)

GTFS_DATA = Path(__file__).resolve().parents[2] / "data" / "gtfs"
SAMPLE_ZIP = GTFS_DATA / "sample_gtfs.zip"


@pytest.fixture(scope="session")
def sample_files() -> dict[str, bytes]:
    """The files of Google's sample feed, by name."""
    with zipfile.ZipFile(SAMPLE_ZIP) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def make_zip(sample_files: dict[str, bytes]) -> Callable[..., bytes]:
    """``make_zip(stops_txt="...", drop=["stops.txt"])``: the sample feed with files replaced
    (keyword ``name_txt`` for ``name.txt``) or left out, as zip bytes."""

    def make(drop: tuple[str, ...] = (), **replacements: str | bytes) -> bytes:
        files = {name: data for name, data in sample_files.items() if name not in drop}
        for key, content in replacements.items():
            name = key.removesuffix("_txt") + ".txt"
            files[name] = content.encode() if isinstance(content, str) else content
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    return make


@pytest.fixture(scope="session")
def sample_feed() -> GtfsFeed:
    return load_feed(SAMPLE_ZIP)


@pytest.fixture(scope="session")
def timetable(sample_feed: GtfsFeed) -> Callable[[str], dict[str, Any]]:
    """``timetable(stop_id)``: the keyword arguments of ``upcoming_arrivals`` for one stop
    of the sample feed, built the way ``queries.arrivals`` builds them from the database."""
    routes = {row["route_id"]: row for row in sample_feed.rows("routes.txt")}
    stop_times = sample_feed.rows("stop_times.txt")
    first_departures: dict[str, int] = {}
    for row in sorted(stop_times, key=lambda row: row["stop_sequence"]):
        first_departures.setdefault(row["trip_id"], row["departure_s"])
    trips = {
        row["trip_id"]: TripInfo(
            trip_id=row["trip_id"],
            route_id=row["route_id"],
            service_id=row["service_id"],
            route_short_name=routes[row["route_id"]]["route_short_name"],
            headsign=row["trip_headsign"],
            first_departure_s=first_departures[row["trip_id"]],
        )
        for row in sample_feed.rows("trips.txt")
    }

    def build(stop_id: str) -> dict[str, Any]:
        return {
            "calls": [
                StopCall(
                    row["trip_id"],
                    row["stop_sequence"],
                    row["arrival_s"],
                    row["departure_s"],
                    row["stop_headsign"],
                )
                for row in stop_times
                if row["stop_id"] == stop_id
            ],
            "trips": trips,
            "calendars": [ServiceCalendar.from_row(r) for r in sample_feed.rows("calendar.txt")],
            "exceptions": [
                ServiceException.from_row(r) for r in sample_feed.rows("calendar_dates.txt")
            ],
            "frequencies": [
                FrequencyWindow.from_row(r) for r in sample_feed.rows("frequencies.txt")
            ],
        }

    return build


@pytest.fixture(scope="session")
def scheduled_stops(sample_feed: GtfsFeed) -> dict[str, list[ScheduledStop]]:
    """Every trip's stops in order, as ``importer.store_realtime`` reads them."""
    stops: dict[str, list[ScheduledStop]] = {}
    for row in sorted(
        sample_feed.rows("stop_times.txt"), key=lambda r: (r["trip_id"], r["stop_sequence"])
    ):
        stops.setdefault(row["trip_id"], []).append(
            ScheduledStop(
                row["stop_sequence"], row["stop_id"], row["arrival_s"], row["departure_s"]
            )
        )
    return stops
