"""The metric names that deploy/ (alerts, dashboard, autoscaling) relies on, and the names the
suite's own processes export: shared by the unit test (our series) and the integration test
(RabbitMQ's exporter)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import generate_latest

from shared.observability import ContainerMetrics

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
_METRIC = re.compile(r"\b((?:smartcity|rabbitmq)_[a-z0-9_]+)\b")


def _expressions() -> list[str]:
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    dashboard = json.loads((DEPLOY / "grafana" / "smartcity-suite.json").read_text())
    return [
        *(rule["expr"] for group in alerts["groups"] for rule in group["rules"]),
        *(target["expr"] for panel in dashboard["panels"] for target in panel["targets"]),
        (DEPLOY / "k8s" / "hpa-credit-queue-depth.yaml").read_text(),
        (DEPLOY / "k8s" / "prometheus-adapter-rules.yaml").read_text(),
    ]


def used_metric_names(prefix: str) -> set[str]:
    """Every ``<prefix>_…`` series named in deploy/ (expressions and autoscaling)."""
    return {
        name
        for text in _expressions()
        for name in _METRIC.findall(text)
        if name.startswith(f"{prefix}_")
    }


def exported_suite_metric_names() -> set[str]:
    """The series a suite process exports once each of its metrics has a sample."""
    metrics = ContainerMetrics()
    metrics.calls.labels("svc", "ep", "ok").inc()
    metrics.latency.labels("svc", "ep").observe(0.01)
    metrics.errors.labels("svc", "ep", "Error").inc()
    metrics.event_retries.labels("svc", "consumer").inc()
    metrics.dead_letters.labels("svc", "consumer").inc()
    metrics.outbox_backlog.labels("svc").set(1)
    exposition = generate_latest(metrics.registry).decode()
    return exposed_names(exposition)


def exposed_names(exposition: str) -> set[str]:
    """Series names of a Prometheus text exposition (samples and ``# TYPE`` lines)."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            names.add(name)
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
