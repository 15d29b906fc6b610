"""docker-compose.yml keeps its promises to operators, checked without a Docker engine.

The file is parsed with PyYAML (anchors and ``<<`` merges resolved, as compose does) and held
against the code: the services that exist, the processes ``smartcity run`` knows, the database
each service reads from its environment, and the databases the PostgreSQL init script creates.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared import config
from shared.broker_rights import ACCESS_RIGHTS
from smartcity import broker
from smartcity.registry import PROCESSES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
BACKING_SERVICES = ("rabbitmq", "postgres")
CLUSTER_SERVICES = ("rabbitmq-2", "rabbitmq-3", "rabbitmq-lb")
"""The cluster profile's RabbitMQ nodes 2 and 3 and their load balancer (node 1: ``rabbitmq``)."""
CLUSTER_NODES = ("rabbitmq", "rabbitmq-2", "rabbitmq-3")
TOOLS = ("broker-setup", "operator")
"""One-shot and on-demand containers of the operator's CLI (not ``smartcity run``)."""
INIT_SCRIPT_DIR = "/docker-entrypoint-initdb.d/"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The suite's long-running processes (not RabbitMQ, PostgreSQL or the operator's tools)."""
    return {
        name: spec
        for name, spec in compose["services"].items()
        if name not in (*BACKING_SERVICES, *CLUSTER_SERVICES, *TOOLS)
    }


def interpolated(value: object) -> str:
    """A value as compose hands it to the container (``${VARIABLE…}`` filled in)."""
    return re.sub(r"\$\{[^}]*\}", "secret", str(value))


def process_of(spec: dict[str, Any]) -> str:
    """The ``smartcity run <process>`` a service's command starts (the image's entrypoint is
    ``smartcity``)."""
    command = spec["command"]
    assert command[0] == "run" and len(command) == 2, command
    return command[1]


def init_script_path(compose: dict[str, Any]) -> Path:
    """The host file that the postgres service mounts as its init script."""
    for volume in compose["services"]["postgres"]["volumes"]:
        source, target = volume.split(":")[:2]
        if target.startswith(INIT_SCRIPT_DIR):
            return ROOT / source
    raise AssertionError(f"postgres mounts no init script into {INIT_SCRIPT_DIR}")


def created_databases(compose: dict[str, Any]) -> set[str]:
    sql = init_script_path(compose).read_text()
    return set(re.findall(r"^\s*CREATE DATABASE\s+(\w+)\s*;", sql, re.IGNORECASE | re.MULTILINE))


def service_folders() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))


def test_the_image_entrypoint_is_the_smartcity_cli() -> None:
    # The compose commands are smartcity arguments ("run", "<process>"), which only works if
    # the image's entrypoint is the smartcity script.
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = re.search(r"^ENTRYPOINT\s+(.+)$", dockerfile, re.MULTILINE)
    assert entrypoint is not None
    assert json.loads(entrypoint.group(1)) == ["smartcity"]


@pytest.mark.parametrize("service", service_folders())
def test_every_service_folder_runs_in_compose(
    service: str, app_services: dict[str, dict[str, Any]]
) -> None:
    # Every service has a compose service (a process) of its own.
    run_by_compose = {s for spec in app_services.values() for s in PROCESSES[process_of(spec)]}
    assert service in run_by_compose, f"services/{service} is run by no compose service"


def test_every_sector_service_and_the_gateway_are_in_compose(
    app_services: dict[str, dict[str, Any]],
) -> None:
    # The six sector services may not all have a service.py yet; compose must still run them.
    assert {*config.SERVICES, config.GATEWAY} <= set(app_services)


def test_every_compose_command_is_a_known_process(
    app_services: dict[str, dict[str, Any]],
) -> None:
    processes = {name: process_of(spec) for name, spec in app_services.items()}
    assert {name: p for name, p in processes.items() if p not in PROCESSES} == {}


def test_only_the_gateway_publishes_ports(compose: dict[str, Any]) -> None:
    # Not the broker, not the database: they are reached inside the compose network only.
    publishing = sorted(name for name, spec in compose["services"].items() if spec.get("ports"))
    assert publishing == ["gateway"]
    assert "8000:8000" in compose["services"]["gateway"]["ports"]


def test_no_guest_user_and_no_default_password_ship(compose: dict[str, Any]) -> None:
    assert "guest:" not in COMPOSE_FILE.read_text()
    rabbit = compose["services"]["rabbitmq"]["environment"]
    assert rabbit["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_ADMIN_PASSWORD:?")
    postgres = compose["services"]["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def broker_user(uri: str) -> str:
    return uri.split("://", 1)[1].split(":", 1)[0]


def test_every_process_connects_as_its_own_broker_user(
    app_services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in app_services.items():
        for service in PROCESSES[process_of(spec)]:
            env = spec["environment"]
            uri = env.get(f"{service.upper()}_AMQP_URI") or env["AMQP_URI"]
            assert broker_user(uri) == f"smartcity-{service}", (name, service)


def test_every_process_runs_with_the_suites_process_environment(
    app_services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in app_services.items():
        for variable, value in config.PROCESS_ENVIRONMENT.items():
            assert spec["environment"].get(variable) == value, (name, variable)


def test_broker_setup_gets_every_users_password_and_the_rest_only_their_own(
    compose: dict[str, Any], app_services: dict[str, dict[str, Any]]
) -> None:
    setup = compose["services"]["broker-setup"]
    assert setup["command"] == ["broker", "setup"]
    expected = {f"{row.name.upper()}_AMQP_PASSWORD" for row in ACCESS_RIGHTS}
    assert expected <= set(setup["environment"])
    for name, spec in app_services.items():
        mentioned = set(re.findall(r"\$\{(\w+_AMQP_PASSWORD)", json.dumps(spec["environment"])))
        own = {f"{service.upper()}_AMQP_PASSWORD" for service in PROCESSES[process_of(spec)]}
        assert mentioned == own, name


@pytest.mark.parametrize("service", config.SERVICES)
def test_sector_services_can_scale(service: str, app_services: dict[str, dict[str, Any]]) -> None:
    # `docker compose up --scale <service>=3` fails on a fixed container name or host port.
    spec = app_services[service]
    assert "container_name" not in spec
    assert "ports" not in spec


def test_app_services_wait_for_healthy_backing_services(
    app_services: dict[str, dict[str, Any]],
) -> None:
    for name, spec in app_services.items():
        for backing in BACKING_SERVICES:
            assert spec["depends_on"][backing] == {"condition": "service_healthy"}, name
        # Their broker users exist before they connect.
        assert spec["depends_on"]["broker-setup"] == {
            "condition": "service_completed_successfully"
        }, name


def test_backing_services_have_health_checks(compose: dict[str, Any]) -> None:
    # The app services wait for these checks, so they must exist.
    for backing in BACKING_SERVICES:
        assert compose["services"][backing]["healthcheck"]["test"], backing


def test_app_services_have_health_checks_on_their_own_ports(
    app_services: dict[str, dict[str, Any]],
) -> None:
    # Sector services are checked on their metrics port (METRICS_PORT=9100 in compose), the
    # gateway on its HTTP port's /healthz.
    for name, spec in app_services.items():
        check = " ".join(spec["healthcheck"]["test"])
        if name == config.GATEWAY:
            assert f":{spec['environment']['GATEWAY_PORT']}/healthz" in check
        else:
            assert f":{spec['environment']['METRICS_PORT']}/metrics" in check, name
        assert spec["restart"] == "unless-stopped", name


def test_each_process_binds_distinct_metrics_ports(
    app_services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process that ran two nameko containers with METRICS_PORT=9100 alone would bind 9100
    # twice and fail to start; every compose process runs one, on 9100.
    ports_by_process = {}
    for name, spec in app_services.items():
        with monkeypatch.context() as env:
            for service in config.DEFAULT_METRICS_PORTS:  # a developer's shell may set these
                env.delenv(f"{service.upper()}_METRICS_PORT", raising=False)
            env.delenv("METRICS_PORT", raising=False)
            for variable, value in spec["environment"].items():
                env.setenv(variable, interpolated(value))
            ports = [config.metrics_port(service) for service in PROCESSES[process_of(spec)]]
        assert len(set(ports)) == len(ports), (name, ports)
        ports_by_process[name] = ports
    assert ports_by_process["gateway"] == [9100]
    assert ports_by_process["platform"] == [9100]
    assert ports_by_process["traffic"] == [9100]


def test_the_init_script_creates_every_database_the_services_read(
    compose: dict[str, Any],
    app_services: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    databases = created_databases(compose)
    # Six sector services and the platform service, one database each.
    assert {*config.SERVICES, config.PLATFORM} <= databases
    for name, spec in app_services.items():
        with monkeypatch.context() as env:
            for variable, value in spec["environment"].items():
                env.setenv(variable, interpolated(value))
            for service in PROCESSES[process_of(spec)]:
                if service == config.GATEWAY:  # the HTTP edge keeps no database of its own
                    continue
                env.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
                url = config.database_url(service)
                assert url.startswith("postgresql+psycopg2://"), (name, url)
                assert url.rsplit("/", 1)[1] in databases, (name, service, url)


def compose_command() -> list[str] | None:
    """``docker-compose`` (v1) or ``docker compose`` (v2 plugin), whichever answers."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_accepts_the_file_with_a_generated_env_and_refuses_it_without(
    tmp_path: Path,
) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(broker.env_file_lines()) + "\n")
    clean_env = {key: value for key, value in os.environ.items() if "PASSWORD" not in key}

    def config_check(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, "-f", str(COMPOSE_FILE), *args, "config", "-q"],
            cwd=tmp_path,
            env=clean_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    accepted = config_check("--env-file", str(env_file))
    assert accepted.returncode == 0, accepted.stderr
    refused = config_check()
    assert refused.returncode != 0
    assert "smartcity broker passwords" in refused.stderr


def compose_config(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``compose [args] config`` with a generated ``.env``: the file as compose resolves it."""
    command = compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(broker.env_file_lines()) + "\n")
    clean_env = {key: value for key, value in os.environ.items() if "PASSWORD" not in key}
    resolved = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args, "config"],
        cwd=tmp_path,
        env={**clean_env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.returncode == 0, resolved.stderr
    return yaml.safe_load(resolved.stdout)


def test_the_cluster_profile_is_off_by_default(tmp_path: Path) -> None:
    # `config` prints every service with its profiles; `up` starts a profile's only with it.
    services = compose_config(tmp_path)["services"]
    assert "profiles" not in services["rabbitmq"]  # node 1 is the broker of every setup
    assert {name: services[name].get("profiles") for name in CLUSTER_SERVICES} == {
        name: ["cluster"] for name in CLUSTER_SERVICES
    }


def test_the_cluster_profile_runs_three_nodes_sharing_one_cookie(tmp_path: Path) -> None:
    services = compose_config(tmp_path, "--profile", "cluster")["services"]
    cookies = {services[node]["environment"]["RABBITMQ_ERLANG_COOKIE"] for node in CLUSTER_NODES}
    env_cookie = dict(
        line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines()[1:]
    )["RABBITMQ_ERLANG_COOKIE"]
    assert cookies == {env_cookie}
    for node in CLUSTER_NODES:
        assert services[node]["image"].startswith("rabbitmq:"), node
        # Erlang names a node rabbit@<host name>: the names the peers list below.
        assert services[node]["hostname"] == node
    # Each node keeps its own data (queues, its cluster membership).
    data = {node: _data_volume(services[node]) for node in CLUSTER_NODES}
    assert len(set(data.values())) == 3, data
    for node in ("rabbitmq-2", "rabbitmq-3"):
        assert services[node]["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}


def _data_volume(spec: dict[str, Any]) -> str:
    for volume in spec["volumes"]:
        source, target = _volume_ends(volume)
        if target == "/var/lib/rabbitmq":
            return source
    raise AssertionError(f"no data volume in {spec['volumes']}")


def _volume_ends(volume: object) -> tuple[str, str]:
    if isinstance(volume, dict):  # compose's long form, as `config` prints it
        return str(volume["source"]), str(volume["target"])
    source, target = str(volume).split(":")[:2]
    return source, target


def test_the_joining_nodes_discover_all_three_peers() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    for node in ("rabbitmq-2", "rabbitmq-3"):
        mounts = dict(_volume_ends(v)[::-1] for v in compose["services"][node]["volumes"])
        conf = (ROOT / mounts["/etc/rabbitmq/conf.d/20-cluster.conf"]).read_text()
        assert "cluster_formation.peer_discovery_backend = classic_config" in conf
        peers = re.findall(r"^cluster_formation\.classic_config\.nodes\.\d+ = (\S+)$", conf, re.M)
        assert peers == [f"rabbit@{name}" for name in CLUSTER_NODES]


def test_with_the_load_balancer_every_process_reaches_the_cluster(tmp_path: Path) -> None:
    services = compose_config(
        tmp_path, "--profile", "cluster", env={"RABBITMQ_HOST": "rabbitmq-lb"}
    )["services"]
    uris = {
        (name, variable): value
        for name, spec in services.items()
        for variable, value in (spec.get("environment") or {}).items()
        if variable.endswith("AMQP_URI") or variable == "RABBIT_API_URI"
    }
    assert uris, "no process connects to the broker"
    assert {
        key: uri
        for key, uri in uris.items()
        if "@rabbitmq-lb:5672/" not in uri and "//rabbitmq-lb:15672" not in uri
    } == {}
    assert not services["rabbitmq-lb"].get("ports")  # inside the compose network only
    lb_conf = (ROOT / "docker" / "haproxy-rabbitmq.cfg").read_text()
    for node in CLUSTER_NODES:
        assert f"server {node} {node}:5672 check" in lb_conf
        assert f"server {node} {node}:15672 check" in lb_conf
