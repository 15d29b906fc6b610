"""The per-address counters behind the failure budgets, and the auth caches, on their own."""

from gateway.auth import _TtlCache
from gateway.ratelimit import AUTH_FAILURES, LOGIN_FAILURES, REGISTRATIONS, _MemoryCounter


def test_a_peek_counts_nothing_and_keys_and_windows_are_apart():
    counter = _MemoryCounter()
    assert counter.hit("login_failures:10.0.0.1", 600, 0) == 0
    assert counter.hit("login_failures:10.0.0.1", 600) == 1
    assert counter.hit("login_failures:10.0.0.1", 600) == 2
    assert counter.hit("login_failures:10.0.0.1", 600, 0) == 2
    assert counter.hit("login_failures:10.0.0.2", 600, 0) == 0
    assert counter.hit("login_failures:10.0.0.1", 60, 0) == 0  # another window length


def test_budgets_are_named_apart_with_sane_defaults():
    budgets = (LOGIN_FAILURES, AUTH_FAILURES, REGISTRATIONS)
    assert len({budget.name for budget in budgets}) == 3
    assert all(budget.default > 0 and budget.window_s > 0 for budget in budgets)


def test_ttl_cache_forgets_after_its_ttl():
    cache = _TtlCache(ttl_s=0.0)
    cache.put("key", True)
    assert cache.get("key") is None
    lasting = _TtlCache(ttl_s=60.0)
    lasting.put("key", False)
    assert lasting.get("key") is False
    assert lasting.get("other") is None
