"""``smartcity status`` on a real vhost: the same figures as the ops overview, in a table or as
its JSON document."""

import json
import os
import subprocess
import sys

from helpers import pika_url

from services.credit.service import CreditService
from services.platform.service import PlatformService
from shared.contracts.ops import OpsOverview


def status(rabbit_config: dict, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AMQP_URI": pika_url(rabbit_config["AMQP_URI"]),
        "SMARTCITY_VAR_DIR": str(tmp_path),  # no broker users made here: as the vhost's guest
    }
    return subprocess.run(
        [sys.executable, "-m", "smartcity", "status", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_status_counts_instances_and_says_what_is_down(
    service_config, runner_factory, rabbit_config, tmp_path
):
    runner_factory(service_config("platform"), PlatformService).start()
    credit = service_config("credit")
    for _instance in range(2):  # two competing instances of credit on one database
        runner_factory(credit, CreditService).start()

    result = status(rabbit_config, tmp_path, "--json")
    assert result.returncode == 1, result.stderr  # traffic and the others are not running
    overview = json.loads(result.stdout)
    assert OpsOverview().validate(overview) == {}
    rows = {row["service"]: row for row in overview["services"]}
    assert rows["credit"]["instances"] == 2 and rows["credit"]["status"] == "ok"
    assert rows["credit"]["event_queue_depth"] == 0
    assert rows["credit"]["event_lag_seconds"] == 0.0
    assert rows["platform"]["instances"] == 1
    assert rows["traffic"] == {
        "service": "traffic",
        "status": "down",
        "instances": 0,
        "outbox_backlog": None,
        "event_queue_depth": None,
        "event_lag_seconds": None,
        "dead_letters": None,
    }
    assert {
        "kind": "no_consumers",
        "service": "traffic",
        "detail": "nothing consumes rpc-traffic",
    } in overview["alerts"]

    table = status(rabbit_config, tmp_path).stdout.splitlines()
    credit_line = next(line for line in table if line.startswith("credit"))
    assert credit_line.split()[:4] == ["credit", "ok", "2", "0"]
    assert any(line.startswith("ALERT service_down") and "traffic" in line for line in table)
