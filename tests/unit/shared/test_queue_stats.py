"""The ops overview's figures and alerts from given queue statistics and health answers."""

from shared.queue_stats import QueueStat, alerts_of, service_row

HEALTHY = {"status": "ok", "database": "ok", "outbox_backlog": 0, "outbox_lag_seconds": 0.0}


def queues(**messages: int) -> dict[str, QueueStat]:
    return {
        name.replace("__", "."): QueueStat(name.replace("__", "."), count, 1)
        for name, count in messages.items()
    }


def kinds(row: dict, health: dict | None, stats: dict) -> list[str]:
    return [alert["kind"] for alert in alerts_of(row, health, stats)]


def test_a_healthy_service_raises_nothing():
    stats = queues(credit__dead_letters=0, credit__retry=0)
    row = service_row("credit", 2, HEALTHY, stats)
    assert row["status"] == "ok" and row["instances"] == 2 and row["dead_letters"] == 0
    assert kinds(row, HEALTHY, stats) == []


def test_a_degraded_database_is_a_service_down_with_the_reason():
    health = {**HEALTHY, "status": "degraded", "database": "unreachable", "outbox_backlog": None}
    row = service_row("credit", 1, health, {})
    assert row["status"] == "down"
    [alert] = alerts_of(row, health, {})
    assert alert["kind"] == "service_down" and "unreachable" in alert["detail"]


def test_a_long_wait_alerts_even_with_a_small_backlog():
    health = {**HEALTHY, "outbox_backlog": 3, "outbox_lag_seconds": 120.0}
    row = service_row("credit", 1, health, {})
    assert kinds(row, health, {}) == ["outbox_backlog"]
    big = {**HEALTHY, "outbox_backlog": 500, "outbox_lag_seconds": 1.0}
    assert kinds(service_row("credit", 1, big, {}), big, {}) == ["outbox_backlog"]


def test_no_instance_is_down_and_unconsumed_and_its_dead_letters_still_count():
    stats = queues(credit__dead_letters=4)
    row = service_row("credit", 0, None, stats)
    assert row["outbox_backlog"] is None and row["event_lag_seconds"] is None
    assert row["dead_letters"] == 4
    assert kinds(row, None, stats) == ["service_down", "no_consumers", "dead_letters"]
