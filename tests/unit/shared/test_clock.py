"""The city's calendar runs eight hours ahead of UTC, all year."""

from datetime import UTC, date, datetime

from shared import clock


def test_the_city_day_starts_at_16_00_utc():
    assert clock.city_date(datetime(2025, 6, 14, 15, 59, tzinfo=UTC)) == date(2025, 6, 14)
    assert clock.city_date(datetime(2025, 6, 14, 16, 0, tzinfo=UTC)) == date(2025, 6, 15)


def test_a_naive_moment_is_utc():
    assert clock.city_date(datetime(2025, 12, 31, 16, 0)) == date(2026, 1, 1)


def test_now_is_utc_aware_and_naive_utc_matches_it():
    aware, naive = clock.utcnow(), clock.naive_utcnow()
    assert aware.utcoffset().total_seconds() == 0
    assert naive.tzinfo is None
    assert abs((naive - aware.replace(tzinfo=None)).total_seconds()) < 60
