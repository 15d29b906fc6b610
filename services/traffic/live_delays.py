"""The stored real-time predictions, held in memory per version for ``timetable.arrivals``.

Predictions change only when a GTFS-Realtime message is stored, every few tens of seconds at
most, while arrivals are read far more often. The database counts every statement that
changes ``rt_delays`` (``rt_version``, raised by a trigger in the writing transaction), and
each read of arrivals reads that version with the feed (``arrival_reads.feed_at_stop``): the
predictions are read again only when it has moved, by whichever process or instance wrote.

They are read after the version, so what is held is never older than the version it is held
under; when a write lands in between, the next read sees a newer version and reads again.
Only the newest version of each database is kept: its size is that of the live feed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.traffic.arrival_reads import database_key
from services.traffic.domain.schedule import Delay
from services.traffic.models import TripDelay

_ALL_DELAYS = select(
    TripDelay.trip_id,
    TripDelay.stop_sequence,
    TripDelay.delay_s,
    TripDelay.skipped,
    TripDelay.service_date,
    TripDelay.start_time_s,
)


@dataclass(frozen=True)
class LiveDelays:
    """Predictions by trip, and the range of their delays (0 when there are none), by which
    arrivals widen the window of calls they look at."""

    by_trip: dict[str, tuple[Delay, ...]]
    earliest_s: int
    latest_s: int

    def of_trips(self, trip_ids: Iterable[str]) -> list[Delay]:
        return [delay for trip_id in trip_ids for delay in self.by_trip.get(trip_id, ())]


_HELD: dict[str, tuple[int, LiveDelays]] = {}


def live_delays(session: Session, version: int) -> LiveDelays:
    """The predictions stored in ``session``'s database as of ``version`` (or later)."""
    database = database_key(session)
    held = _HELD.get(database)
    if held is not None and held[0] == version:
        return held[1]
    # The statement selects exactly ``Delay``'s fields.
    stored = [Delay(**row._asdict()) for row in session.connection().execute(_ALL_DELAYS)]
    by_trip: dict[str, list[Delay]] = defaultdict(list)
    for delay in stored:
        by_trip[delay.trip_id].append(delay)
    sizes = [delay.delay_s for delay in stored if delay.delay_s is not None]
    delays = LiveDelays(
        {trip_id: tuple(each) for trip_id, each in by_trip.items()},
        min(sizes, default=0),
        max(sizes, default=0),
    )
    _HELD[database] = (version, delays)
    return delays
