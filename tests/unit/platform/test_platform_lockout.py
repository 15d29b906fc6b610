"""The login backoff on a fixed clock: per (account, address), free tries, then doubling waits."""

from datetime import UTC, datetime, timedelta

from services.platform.domain import (
    BACKOFF_BASE,
    FREE_LOGIN_FAILURES,
    MAX_BACKOFF,
    login_backoff,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_rule_is_five_free_failures_then_thirty_seconds_doubling_to_fifteen_minutes():
    assert FREE_LOGIN_FAILURES == 5
    assert timedelta(seconds=30) == BACKOFF_BASE
    assert timedelta(minutes=15) == MAX_BACKOFF


def test_four_failures_cost_nothing():
    assert login_backoff(4, NOW, NOW) is None
    assert login_backoff(0, None, NOW) is None


def test_the_fifth_failure_makes_the_address_wait_thirty_seconds():
    assert login_backoff(5, NOW, NOW) == 30.0
    assert login_backoff(5, NOW - timedelta(seconds=10), NOW) == 20.0


def test_each_further_failure_doubles_the_wait():
    waits = [login_backoff(failures, NOW, NOW) for failures in range(5, 11)]
    assert waits == [30.0, 60.0, 120.0, 240.0, 480.0, 900.0]


def test_the_wait_is_capped_at_fifteen_minutes_however_many_failures():
    assert login_backoff(10_000, NOW, NOW) == 900.0


def test_the_address_may_try_again_once_the_wait_has_passed():
    last = NOW - timedelta(seconds=30)
    assert login_backoff(5, last, NOW) is None
    assert login_backoff(5, last, NOW - timedelta(seconds=1)) == 1.0
