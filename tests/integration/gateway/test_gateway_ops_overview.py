"""``GET /api/v1/ops/overview``: what operators and leaders see of the running suite, read from
the real broker (passive declares) and each service's ``health`` RPC."""

from datetime import date

import pika
from gateway_samples import ENTERPRISE_CODE
from helpers import pika_url, publish_raw, wait_for

from shared.clock import city_today
from shared.contracts.envelope import EVENTS_EXCHANGE, new_envelope
from shared.contracts.ops import OpsOverview

OVERVIEW = "/api/v1/ops/overview"


def penalty(n: int) -> dict:
    return new_envelope(
        "traffic.administrative_penalty_issued",
        {
            "source_record_id": f"OPS-{n}",
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE_CODE,
            "category": "administrative_penalty",
            "severity": "minor",
            "basis": "Rule 7",
            "decided_on": city_today().isoformat(),
            "valid_until": date(city_today().year + 2, 1, 1).isoformat(),
        },
        source="traffic",
        version=1,
        subject=ENTERPRISE_CODE,
    )


def overview(stack, key: str) -> dict:
    response = stack.call("GET", OVERVIEW, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert OpsOverview().validate(body) == {}
    return body


def rows(body: dict) -> dict[str, dict]:
    return {row["service"]: row for row in body["services"]}


def alerts(body: dict, service: str) -> set[str]:
    return {alert["kind"] for alert in body["alerts"] if alert["service"] == service}


def test_operators_and_leaders_see_each_service_and_nobody_else_may(stack):
    operator = stack.client("operator")
    leader = stack.client("leadership")
    body = overview(stack, leader)
    assert overview(stack, operator)["services"][0]["service"] == "platform"

    credit = rows(body)["credit"]
    assert credit["status"] == "ok"
    assert credit["instances"] == 1
    assert credit["outbox_backlog"] == 0
    assert credit["event_lag_seconds"] == 0.0
    assert credit["dead_letters"] == 0  # declared at start, empty
    assert credit["event_queue_depth"] == 0
    assert alerts(body, "credit") == set()
    # Traffic does not run in this stack: down, nothing consumes its RPC queue.
    traffic = rows(body)["traffic"]
    assert traffic["status"] == "down" and traffic["instances"] == 0
    assert traffic["outbox_backlog"] is None and traffic["event_lag_seconds"] is None
    assert alerts(body, "traffic") == {"service_down", "no_consumers"}

    department = stack.client("department", "traffic", scopes=("credit.records",))
    assert stack.call("GET", OVERVIEW, department).status_code == 403
    _card, resident = stack.resident()
    assert stack.call("GET", OVERVIEW, resident).status_code == 403
    assert stack.call("GET", OVERVIEW).status_code == 401


def test_a_dead_letter_raises_an_alert(stack, rabbit_config):
    operator = stack.client("operator")
    connection = pika.BlockingConnection(pika.URLParameters(pika_url(rabbit_config["AMQP_URI"])))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(
        EVENTS_EXCHANGE,
        "traffic.administrative_penalty_issued",
        b"not json",
        pika.BasicProperties(content_type="application/json", delivery_mode=2),
    )
    connection.close()

    body = wait_for(
        lambda: (
            (found := overview(stack, operator)) and rows(found)["credit"]["dead_letters"] and found
        )
    )
    assert rows(body)["credit"]["dead_letters"] == 1
    # The platform reads every event ("#") and dead-letters it too.
    [alert] = [
        a for a in body["alerts"] if a["kind"] == "dead_letters" and a["service"] == "credit"
    ]
    assert alert == {
        "kind": "dead_letters",
        "service": "credit",
        "detail": "1 in credit.dead_letters",
    }


def test_events_waiting_for_a_stopped_service_are_counted(stack, rabbit_config):
    operator = stack.client("operator")
    assert rows(overview(stack, operator))["credit"]["instances"] == 1  # seen running once
    stack.runners["credit"].stop()
    publish_raw(rabbit_config["AMQP_URI"], penalty(1), times=5)

    credit = rows(body := overview(stack, operator))["credit"]
    assert credit["instances"] == 0 and credit["status"] == "down"
    assert credit["event_queue_depth"] == 5
    assert {"service_down", "no_consumers"} <= alerts(body, "credit")
