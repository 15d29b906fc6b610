"""Opening hours in the city's local time; a closing time before the opening one is overnight."""

from __future__ import annotations

import datetime as dt


def is_open(opens_at: dt.time, closes_at: dt.time, local_time: dt.time) -> bool:
    """Whether a venue with these hours is open at ``local_time`` (closing time excluded)."""
    if opens_at < closes_at:
        return opens_at <= local_time < closes_at
    return local_time >= opens_at or local_time < closes_at
