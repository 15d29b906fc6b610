"""The RabbitMQ series that deploy/ alerts, charts and autoscales on are ones RabbitMQ's
exporter (the rabbitmq_prometheus plugin) really serves, on the endpoint Prometheus scrapes."""

from __future__ import annotations

import os

import pytest
import requests
import yaml
from deploy_metrics import DEPLOY, exposed_names, used_metric_names

EXPORTER = os.environ.get("RABBITMQ_PROMETHEUS_URI", "http://127.0.0.1:15692")


def test_rabbitmq_series_used_in_deploy_are_exported():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "rabbitmq"]
    try:
        response = requests.get(f"{EXPORTER}{job['metrics_path']}", timeout=10)
    except requests.RequestException:
        pytest.skip(
            "RabbitMQ's exporter does not answer: rabbitmq-plugins enable rabbitmq_prometheus"
        )
    response.raise_for_status()
    used = used_metric_names("rabbitmq")
    assert {"rabbitmq_queue_consumers", "rabbitmq_queue_messages_ready"} <= used
    assert used <= exposed_names(response.text), used - exposed_names(response.text)
