"""deploy/: the generated Kubernetes manifests are current and complete, and the alerts and the
dashboard use only series the suite exports (RabbitMQ's are checked against the live exporter
in tests/integration/test_deploy_metrics.py)."""

from __future__ import annotations

import yaml
from deploy_metrics import DEPLOY, exported_suite_metric_names, used_metric_names

from shared.config import PROCESS_ENVIRONMENT
from shared.services_table import suite_processes
from smartcity import k8s


def test_committed_manifests_are_generated_from_the_services_table():
    assert (DEPLOY / "k8s" / "suite.yaml").read_text() == k8s.render()


def test_every_suite_process_is_a_probed_deployment_with_resources():
    documents = list(yaml.safe_load_all((DEPLOY / "k8s" / "suite.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == set(suite_processes())
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["run", name, "--no-migrate"]
        (migrate,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert migrate["args"] == ["migrate", name]
        assert migrate["image"] == container["image"] and migrate["env"] == container["env"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["httpGet"]["path"], (name, probe)
        assert container["resources"]["requests"]["memory"]
        env = {item["name"]: item for item in container["env"]}
        assert f"smartcity-{name}:" in env["AMQP_URI"]["value"]
        for variable, value in PROCESS_ENVIRONMENT.items():  # as `smartcity up` runs them
            assert env[variable]["value"] == value, (name, variable)


def test_prometheus_scrapes_every_suite_process_and_loads_the_alerts():
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert (DEPLOY / "prometheus" / config["rule_files"][0]).exists()
    (suite_job,) = [job for job in config["scrape_configs"] if job["job_name"] == "smartcity"]
    assert set(suite_job["dns_sd_configs"][0]["names"]) == set(suite_processes())


def test_alerts_and_dashboard_use_only_exported_suite_metrics():
    used = used_metric_names("smartcity")
    assert used, "deploy/ names no suite metric"
    assert used <= exported_suite_metric_names(), used - exported_suite_metric_names()


def test_every_alert_says_what_is_wrong():
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    rules = [rule for group in alerts["groups"] for rule in group["rules"]]
    assert {
        "OutboxBacklog",
        "DeadLettersGrowing",
        "HighErrorRate",
        "ServiceWithoutConsumers",
        "SlowRpc",
    } <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert rule["annotations"]["summary"] and rule["labels"]["severity"], rule["alert"]
