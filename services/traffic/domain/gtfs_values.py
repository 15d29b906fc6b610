"""GTFS value converters: a CSV cell (a string) to its value, or ``ValueError`` with a message
an operator's feed admin can act on. Times of day become seconds since the start of the
service day ("noon minus 12 h"), which keeps times past midnight such as ``25:10:00`` exact.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
_DATE = re.compile(r"^\d{8}$")


def parse_gtfs_time(value: str) -> int:
    """Seconds since the start of the service day for a GTFS time ``H:MM:SS`` (H may be ≥ 24)."""
    match = _TIME.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a time H:MM:SS (minutes and seconds 00-59)")
    hours, minutes, seconds = (int(group) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_gtfs_date(value: str) -> dt.date:
    """A GTFS service date ``YYYYMMDD``."""
    if not _DATE.match(value):
        raise ValueError(f"'{value}' is not a date YYYYMMDD")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"'{value}' is not a real date") from None


def as_text(value: str) -> str:
    return value


MAX_INTEGER = 2**31 - 1  # the database's INTEGER


def as_integer(low: int, high: int = MAX_INTEGER) -> Callable[[str], int]:
    def convert(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"'{value}' is not an integer") from None
        if not low <= number <= high:
            raise ValueError(f"{number} is not between {low} and {high}")
        return number

    return convert


def as_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite number")
    return number


def as_degrees(limit: int) -> Callable[[str], float]:
    def convert(value: str) -> float:
        number = as_number(value)
        if not -limit <= number <= limit:
            raise ValueError(f"{value} is not between -{limit} and {limit}")
        return number

    return convert


def as_flag(value: str) -> bool:
    if value not in ("0", "1"):
        raise ValueError(f"'{value}' is not 0 or 1")
    return value == "1"


def as_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not an IANA time zone such as Asia/Shanghai") from None
    return value


_REMEMBERED_VALUES = 65_536  # per column: times, sequences and flags repeat on every trip


def remembered_values(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """``convert`` remembering its results (a bounded number): a big feed's stop times hold
    the same few thousand times and sequence numbers millions of times."""
    known: dict[str, Any] = {}

    def remembered(value: str) -> Any:
        try:
            return known[value]
        except KeyError:
            result = convert(value)  # a ValueError is raised each time, never remembered
            if len(known) < _REMEMBERED_VALUES:
                known[value] = result
            return result

    return remembered


def format_gtfs_time(seconds: int) -> str:
    """``parse_gtfs_time`` backwards: ``H:MM:SS`` (hours may pass 24), two-digit hours."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def format_gtfs_cell(value: Any) -> str:
    """A stored value as a GTFS CSV cell: dates ``YYYYMMDD``, booleans 1/0, empty for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value)
