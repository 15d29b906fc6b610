"""The lock-out rule on a fixed clock: 5 failures in 15 minutes lock until the oldest ages out."""

from datetime import UTC, datetime, timedelta

from services.platform.domain import LOCKOUT_WINDOW, MAX_LOGIN_FAILURES, lockout_remaining

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_the_rule_is_five_failures_in_fifteen_minutes():
    assert MAX_LOGIN_FAILURES == 5
    assert timedelta(minutes=15) == LOCKOUT_WINDOW


def test_four_failures_do_not_lock():
    assert lockout_remaining(minutes_ago(1, 2, 3, 4), NOW) is None


def test_five_failures_lock_until_the_oldest_is_fifteen_minutes_old():
    # Oldest failure 10 min ago: it leaves the window in 15 - 10 = 5 min = 300 s.
    assert lockout_remaining(minutes_ago(1, 2, 3, 4, 10), NOW) == 300.0


def test_only_the_five_newest_failures_decide_when_it_opens():
    # Six failures: the 5th newest is 8 min ago, so 15 - 8 = 7 min = 420 s, not 15 - 12.
    assert lockout_remaining(minutes_ago(12, 8, 4, 3, 2, 1), NOW) == 420.0


def test_failures_older_than_the_window_do_not_count():
    # Only 1, 2, 3 and 4 min ago lie within the window: four, so not locked.
    assert lockout_remaining(minutes_ago(1, 2, 3, 4, 15, 20), NOW) is None


def test_lock_opens_exactly_when_the_window_passes():
    failures = minutes_ago(1, 2, 3, 4, 10)
    # 5 min later the oldest failure is exactly 15 min old: outside the window (strictly after).
    assert lockout_remaining(failures, NOW + timedelta(minutes=5)) is None
    assert lockout_remaining(failures, NOW + timedelta(minutes=4)) == 60.0
