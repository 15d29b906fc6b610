"""The places that must list every service agree with ``shared/services_table.py``.

A row added to the table without the rest (or a service folder without a row) fails here with
a message that says which file to change.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.services_table import SERVICE_TABLE
from smartcity.registry import PROCESSES, START_ORDER, load

ROOT = Path(__file__).resolve().parents[2]
SERVICE_ROWS = [row for row in SERVICE_TABLE if row.service_class.startswith("services.")]


def importlinter_contract(name: str) -> dict[str, Any]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for contract in pyproject["tool"]["importlinter"]["contracts"]:
        if contract["name"] == name:
            return contract
    raise AssertionError(f"pyproject.toml has no import-linter contract named {name!r}")


def compose_commands() -> dict[str, list[str]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: spec["command"] for name, spec in compose["services"].items() if "command" in spec
    }


def test_every_service_folder_has_a_row() -> None:
    folders = {path.parent.name for path in (ROOT / "services").glob("*/__init__.py")}
    rows = {row.name for row in SERVICE_ROWS}
    assert folders - rows == set(), "add these services/ folders to shared/services_table.py"
    assert rows - folders == set(), "these rows of shared/services_table.py have no folder"


def test_names_and_metrics_ports_are_distinct() -> None:
    names = [row.name for row in SERVICE_TABLE]
    ports = [row.metrics_port for row in SERVICE_TABLE]
    assert len(set(names)) == len(names), names
    assert len(set(ports)) == len(ports), f"two rows share a metrics port: {ports}"


@pytest.mark.parametrize("row", SERVICE_TABLE, ids=lambda row: row.name)
def test_each_row_names_its_nameko_class(row: Any) -> None:
    assert load(row.name).name == row.name, f"{row.service_class} is not the service {row.name}"


def test_the_independence_contract_lists_every_service() -> None:
    contract = importlinter_contract("Services are independent of each other")
    expected = {f"services.{row.name}" for row in SERVICE_ROWS}
    listed = set(contract["modules"])
    assert expected - listed == set(), "add these to the independence contract in pyproject.toml"
    assert listed - expected == set(), "pyproject.toml's independence contract lists non-services"


def test_compose_runs_every_suite_process() -> None:
    commands = compose_commands()
    for process in START_ORDER:
        assert process in commands, f"docker-compose.yml has no service {process!r}"
        assert commands[process] == ["run", process], f"docker-compose.yml: {process}"


def test_compose_runs_only_known_processes() -> None:
    unknown = {
        name: c
        for name, c in compose_commands().items()
        if c[0] == "run" and c[-1] not in PROCESSES  # not the operator's tools
    }
    assert unknown == {}, "docker-compose.yml runs processes that shared/services_table.py lacks"


def test_every_row_runs_in_the_suite_and_alone() -> None:
    in_suite = {service for process in START_ORDER for service in PROCESSES[process]}
    assert in_suite == {row.name for row in SERVICE_TABLE}
    for row in SERVICE_TABLE:
        assert PROCESSES[row.alone_process] == (row.name,)


def test_the_edge_and_the_platform_run_as_two_processes() -> None:
    # Together in one process they idled at 80 MB, over the 70 MB goal (bench/README.md).
    assert PROCESSES["gateway"] == ("gateway",)
    assert PROCESSES["gateway-edge"] == ("gateway",)  # the earlier name of the same process
    assert PROCESSES["platform"] == ("platform",)
    assert all(len(services) == 1 for services in PROCESSES.values())
    assert START_ORDER[0] == "platform"  # credit, health and education call it
    assert START_ORDER[-1] == "gateway"


def test_the_pure_domain_contract_covers_every_service_domain() -> None:
    # A pattern, not a list: it holds a service's domain.py (or domain/ package) from the day
    # the module exists, so a new service cannot forget it.
    contract = importlinter_contract("Pure domain modules import no database or messaging")
    assert "services.*.domain" in contract["source_modules"]
    assert {"sqlalchemy", "nameko", "kombu", "pika"} <= set(contract["forbidden_modules"])


def test_the_compose_database_script_creates_every_service_database() -> None:
    sql = (ROOT / "docker" / "postgres-init.sql").read_text()
    created = set(re.findall(r"^\s*CREATE DATABASE\s+(\w+)\s*;", sql, re.IGNORECASE | re.MULTILINE))
    missing = {row.name for row in SERVICE_ROWS} - created
    assert missing == set(), f"add CREATE DATABASE lines to docker/postgres-init.sql: {missing}"
