"""The gateway cache's rules without a broker: tags, generations, expiry, broker rights."""

import datetime as dt
import re
import time
from types import SimpleNamespace

import pytest

from gateway.cache import (
    ARRIVALS,
    CREDIT_LISTS,
    INVALIDATED_BY,
    MAX_TTL_S,
    TIMETABLE,
    Cacheable,
    Miss,
    ResponseCache,
    next_city_midnight,
)
from gateway.routes.traffic import ARRIVALS_BUCKET_S, arrivals_expiry
from shared.broker_rights import EVENTS_EXCHANGE, broker_rules, principal
from shared.clock import CITY_TIMEZONE
from shared.contracts.catalogue import CATALOGUE

ARRIVALS_READ = Cacheable(tags=(ARRIVALS,))
TIMETABLE_READ = Cacheable(tags=(TIMETABLE,))


class _Counter:
    def labels(self, *_args):
        return self

    def inc(self):
        pass


@pytest.fixture
def cache() -> ResponseCache:
    cache = ResponseCache()
    cache.container = SimpleNamespace(config={})
    cache.metrics = SimpleNamespace(registry=None)
    cache.enabled = True
    cache._entries, cache._generations, cache._epoch = {}, {}, 0
    cache.lookups = cache.invalidations = _Counter()
    cache.live = True
    return cache


def _fill(cache: ResponseCache, key: str, spec: Cacheable, body: bytes) -> None:
    miss = cache.lookup(key, spec)
    assert isinstance(miss, Miss)
    cache.store(miss, spec, body, time.time() + 60)


def test_an_event_drops_the_answers_of_its_tags_only(cache):
    _fill(cache, "/arrivals", ARRIVALS_READ, b"a")
    _fill(cache, "/routes", TIMETABLE_READ, b"r")
    cache.invalidate("traffic.realtime_updated")
    assert isinstance(cache.lookup("/arrivals", ARRIVALS_READ), Miss)
    assert cache.lookup("/routes", TIMETABLE_READ) == b"r"
    cache.invalidate("traffic.feed_imported")
    assert isinstance(cache.lookup("/routes", TIMETABLE_READ), Miss)


def test_an_answer_read_before_an_invalidation_is_not_stored_after_it(cache):
    miss = cache.lookup("/arrivals", ARRIVALS_READ)
    cache.invalidate("traffic.realtime_updated")  # the change's event, while the RPC ran
    cache.store(miss, ARRIVALS_READ, b"old", time.time() + 60)
    assert isinstance(cache.lookup("/arrivals", ARRIVALS_READ), Miss)


def test_a_flush_also_voids_lookups_in_flight_and_nothing_is_served_while_not_live(cache):
    miss = cache.lookup("/routes", TIMETABLE_READ)
    cache.flush()
    cache.store(miss, TIMETABLE_READ, b"old", time.time() + 60)
    assert isinstance(cache.lookup("/routes", TIMETABLE_READ), Miss)
    _fill(cache, "/routes", TIMETABLE_READ, b"r")
    cache.live = False
    assert cache.lookup("/routes", TIMETABLE_READ) is None


def test_a_write_through_this_instance_drops_its_area_at_once(cache):
    _fill(cache, "/lists/black", Cacheable(tags=(CREDIT_LISTS,)), b"l")
    _fill(cache, "/routes", TIMETABLE_READ, b"r")
    cache.written("credit")
    assert isinstance(cache.lookup("/lists/black", Cacheable(tags=(CREDIT_LISTS,))), Miss)
    assert cache.lookup("/routes", TIMETABLE_READ) == b"r"


def test_an_expired_or_already_past_answer_is_not_served(cache):
    miss = cache.lookup("/a", ARRIVALS_READ)
    cache.store(miss, ARRIVALS_READ, b"past", time.time() - 1)
    assert isinstance(cache.lookup("/a", ARRIVALS_READ), Miss)


def test_arrivals_from_now_end_with_the_clock_bucket_or_the_first_departure():
    now = 1_800_000_003.0
    call = SimpleNamespace(query={"at": None})
    later = dt.datetime.fromtimestamp(now + 3600, dt.UTC).isoformat()
    assert (
        arrivals_expiry(call, {"valid_until": later}, now)
        == (now // ARRIVALS_BUCKET_S + 1) * ARRIVALS_BUCKET_S
    )
    soon = dt.datetime.fromtimestamp(now + 2, dt.UTC).isoformat()
    assert arrivals_expiry(call, {"valid_until": soon}, now) == now + 2
    fixed = SimpleNamespace(query={"at": dt.datetime(2007, 6, 5, 7, 55)})
    assert arrivals_expiry(fixed, {"valid_until": soon}, now) == now + MAX_TTL_S


def test_published_lists_end_at_the_city_midnight():
    now = dt.datetime(2026, 12, 2, 15, 59, 30, tzinfo=dt.UTC).timestamp()  # 23:59:30 city
    ends = dt.datetime.fromtimestamp(next_city_midnight(None, None, now), CITY_TIMEZONE)
    assert (ends.date(), ends.time()) == (dt.date(2026, 12, 3), dt.time())


def test_the_gateway_may_bind_exactly_its_invalidations_on_a_queue_of_its_own():
    row = principal("gateway")
    assert set(row.subscribes) == set(INVALIDATED_BY)
    assert all(event in CATALOGUE for event in INVALIDATED_BY)
    rules = broker_rules(row)
    queue = "gateway.cache.0123456789abcdef0123456789abcdef"
    assert all(re.fullmatch(p, queue) for p in (rules.configure, rules.write, rules.read))
    assert not re.fullmatch(rules.configure, "rpc-gateway")
    assert not re.fullmatch(rules.read, "credit.dead_letters")
    write, read = rules.topics[EVENTS_EXCHANGE]
    assert write == "^$"  # still publishes nothing
    assert all(re.fullmatch(read, event) for event in INVALIDATED_BY)
    assert not re.fullmatch(read, "*.personal_data_accessed")
    assert not re.fullmatch(read, "#")
