"""Kubernetes manifests of the suite, generated from ``shared/services_table.py``.

``python -m smartcity.k8s > deploy/k8s/suite.yaml`` writes them; a unit test checks that the
committed file is current, so a new row in the services table is a new Deployment without
editing YAML by hand.

One Deployment per suite process (one nameko service each), each with its own broker user (the
``smartcity-<name>`` users of ``smartcity broker setup``), readiness and liveness probes, and
resource requests from the measured idle RSS (bench/README.md "Memory"); an initContainer
migrates the database
first (``smartcity migrate``). The RabbitMQ and PostgreSQL they use are the
city's own (a managed service or an operator such as the RabbitMQ cluster operator), named by
the ``smartcity-backing`` ConfigMap and the ``smartcity-secrets`` Secret.
"""

from __future__ import annotations

from typing import Any

import yaml

from shared.config import PROCESS_ENVIRONMENT
from shared.services_table import suite_processes

GATEWAY = "gateway"
TOKEN_PROCESSES = (GATEWAY, "platform")
"""The processes that sign (platform) or verify (gateway) access tokens."""
NAMESPACE = "smartcity"
IMAGE = "smartcity:latest"
METRICS_PORT = 9100
GATEWAY_PORT = 8000

MEMORY_REQUEST = "96Mi"
"""Measured idle RSS 65-70 MB per process, plus headroom for a burst of workers; a migration
(the initContainer) peaks at about 78 MB."""
MEMORY_LIMIT = "384Mi"
CPU_REQUEST = "100m"
CPU_LIMIT = "1"


def _amqp_uri(user: str) -> str:
    # Kubernetes expands $(VAR) from variables defined earlier in the same container.
    password = f"$({user.upper()}_AMQP_PASSWORD)"
    return f"amqp://smartcity-{user}:{password}@$(RABBITMQ_HOST):5672/"


def _password_env(user: str) -> dict[str, Any]:
    return {
        "name": f"{user.upper()}_AMQP_PASSWORD",
        "valueFrom": {
            "secretKeyRef": {"name": "smartcity-secrets", "key": f"{user}-amqp-password"}
        },
    }


def _environment(process: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "RABBITMQ_HOST", "valueFrom": _backing("rabbitmq-host")},
        {"name": "POSTGRES_HOST", "valueFrom": _backing("postgres-host")},
        {
            "name": "POSTGRES_PASSWORD",
            "valueFrom": {
                "secretKeyRef": {"name": "smartcity-secrets", "key": "postgres-password"}
            },
        },
        _password_env(process),
        {
            "name": "DATABASE_URL_TEMPLATE",
            "value": "postgresql+psycopg2://postgres:$(POSTGRES_PASSWORD)"
            "@$(POSTGRES_HOST):5432/{service}",
        },
        {"name": "METRICS_PORT", "value": str(METRICS_PORT)},
        {"name": "LOG_FORMAT", "value": "json"},
        {"name": "LOG_LEVEL", "value": "INFO"},
        *({"name": name, "value": value} for name, value in PROCESS_ENVIRONMENT.items()),
    ]
    env.append({"name": "AMQP_URI", "value": _amqp_uri(process)})
    if process in TOKEN_PROCESSES:
        # The platform signs access tokens, the gateway verifies them: one secret for both.
        env.append(
            {
                "name": "JWT_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "smartcity-secrets", "key": "jwt-secret"}},
            }
        )
    if process == GATEWAY:
        env += [
            {"name": "GATEWAY_PORT", "value": str(GATEWAY_PORT)},
            {"name": "REDIS_URL", "valueFrom": _backing("redis-url")},
        ]
    return env


def _backing(key: str) -> dict[str, Any]:
    return {"configMapKeyRef": {"name": "smartcity-backing", "key": key}}


def _probes(process: str) -> dict[str, Any]:
    if process == "gateway":
        # /readyz answers once the edge reaches its callees; /healthz is the edge alone.
        ready = {"httpGet": {"path": "/readyz", "port": GATEWAY_PORT}}
        live = {"httpGet": {"path": "/healthz", "port": GATEWAY_PORT}}
    else:
        # The metrics endpoint starts after the database is migrated and the broker is up.
        ready = live = {"httpGet": {"path": "/metrics", "port": METRICS_PORT}}
    return {
        "readinessProbe": {**ready, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {
            **live,
            "initialDelaySeconds": 30,
            "periodSeconds": 20,
            "failureThreshold": 3,
        },
        "startupProbe": {**ready, "periodSeconds": 5, "failureThreshold": 36},
    }


_HARDENED: dict[str, Any] = {
    "securityContext": {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
    },
    # A read-only image: only /tmp and the var directory (SMARTCITY_VAR_DIR) are written.
    "volumeMounts": [
        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - a pod-private emptyDir
        {"name": "var", "mountPath": "/var/lib/smartcity"},
    ],
}


def deployment(process: str, services: tuple[str, ...]) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": process, "app.kubernetes.io/part-of": "smartcity"}
    ports = [{"name": "metrics", "containerPort": METRICS_PORT}]
    if process == "gateway":
        ports.append({"name": "http", "containerPort": GATEWAY_PORT})
    env = _environment(process)
    container = {
        "name": process,
        "image": IMAGE,
        # The initContainer migrated the database: the service only checks its schema.
        "args": ["run", process, "--no-migrate"],
        "env": env,
        "ports": ports,
        **_probes(process),
        "resources": {
            "requests": {"cpu": CPU_REQUEST, "memory": MEMORY_REQUEST},
            "limits": {"cpu": CPU_LIMIT, "memory": MEMORY_LIMIT},
        },
        **_HARDENED,
    }
    # Migrations run before the service starts, in a container of their own (Alembic then
    # never sits in the service's memory); an advisory lock per database lets replicas
    # migrate at once.
    migrate = {
        "name": "migrate",
        "image": IMAGE,
        "args": ["migrate", process],
        "env": env,
        "resources": {
            "requests": {"cpu": CPU_REQUEST, "memory": MEMORY_REQUEST},
            "limits": {"cpu": CPU_LIMIT, "memory": MEMORY_LIMIT},
        },
        **_HARDENED,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": process, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            # Two of what every request goes through (the edge; the platform authenticates).
            "replicas": 2 if process in TOKEN_PROCESSES else 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": process}},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(METRICS_PORT),
                        "smartcity/services": ",".join(services),
                    },
                },
                "spec": {
                    # Callers stop before callees; nameko finishes running workers on SIGTERM.
                    "terminationGracePeriodSeconds": 30,
                    "initContainers": [migrate],
                    "containers": [container],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {}},
                        {"name": "var", "emptyDir": {}},
                    ],
                },
            },
        },
    }


def _gateway_service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "gateway", "namespace": NAMESPACE},
        "spec": {
            "selector": {"app.kubernetes.io/name": "gateway"},
            "ports": [{"name": "http", "port": 80, "targetPort": GATEWAY_PORT}],
        },
    }


def _backing_config() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "smartcity-backing", "namespace": NAMESPACE},
        "data": {
            "rabbitmq-host": "rabbitmq.smartcity.svc",
            "postgres-host": "postgres.smartcity.svc",
            "redis-url": "redis://redis.smartcity.svc:6379/0",
        },
    }


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        _backing_config(),
    ]
    # Callees first, in `smartcity up`'s start order.
    for process, services in suite_processes().items():
        documents.append(deployment(process, services))
    documents.append(_gateway_service())
    return documents


HEADER = """\
# Generated by `python -m smartcity.k8s` from shared/services_table.py: do not edit by hand.
# Before applying: create the Secret smartcity-secrets (keys <user>-amqp-password for each
# broker user, postgres-password, jwt-secret; `smartcity broker passwords` prints them) and run
# `smartcity broker setup` once against the cluster's RabbitMQ. See deploy/README.md.
"""


class _PlainDumper(yaml.SafeDumper):
    """No ``&id001`` anchors: each manifest reads on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render() -> str:
    return HEADER + yaml.dump_all(manifests(), Dumper=_PlainDumper, sort_keys=False, width=100)


if __name__ == "__main__":
    print(render(), end="")
