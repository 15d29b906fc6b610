"""The one table of the suite's nameko services: adding a service means adding a row here.

Everything else is derived from it (``shared.config.SERVICES`` and ``DEFAULT_METRICS_PORTS``,
``smartcity.registry``'s classes, processes and start order) or tested against it
(``tests/unit/test_services_table.py``: the import-linter lists in ``pyproject.toml`` and the
services of ``docker-compose.yml``).

Pure data: importing it loads no service.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceRow:
    name: str
    """The nameko service name (its RPC queue, its database, its folder under ``services/``)."""
    service_class: str
    """``module:Class``, an import path rather than an import, so a process loads only what it
    runs."""
    metrics_port: int
    """Default Prometheus port; distinct per row so that the whole suite fits on one machine."""
    start: int
    """Start rank, lower first: callees start before their callers, which stop first."""
    department: bool = True
    """One of the city's sector departments (API clients may belong to it)."""
    process: str = ""
    """The ``smartcity run`` process that runs it in the suite; empty: a process of its own,
    named after it."""
    alone: str = ""
    """The process that runs it alone, when ``process`` is shared and named after another row;
    empty: named after it."""

    @property
    def suite_process(self) -> str:
        return self.process or self.name

    @property
    def alone_process(self) -> str:
        return self.alone or self.name


SERVICE_TABLE: tuple[ServiceRow, ...] = (
    ServiceRow("traffic", "services.traffic.service:TrafficService", 9101, start=2),
    ServiceRow("health", "services.health.service:HealthService", 9102, start=3),
    ServiceRow("education", "services.education.service:EducationService", 9103, start=4),
    ServiceRow("community", "services.community.service:CommunityService", 9104, start=5),
    ServiceRow("tourism", "services.tourism.service:TourismService", 9105, start=6),
    ServiceRow("credit", "services.credit.service:CreditService", 9106, start=1),
    # Identity, audit and base registries: behind the HTTP edge, in a process of its own (with
    # the edge in one process the pair idled at 80 MB, over the 70 MB goal: bench/README.md).
    ServiceRow(
        "platform",
        "services.platform.service:PlatformService",
        9107,
        start=0,  # credit, health and education call it
        department=False,
    ),
    # The HTTP edge: no database. `gateway-edge` is the same process under its earlier name
    # (when the suite's gateway process also ran the platform).
    ServiceRow(
        "gateway",
        "gateway.service:GatewayService",
        9100,
        start=8,
        department=False,
        alone="gateway-edge",
    ),
)

ROWS: dict[str, ServiceRow] = {row.name: row for row in SERVICE_TABLE}


def suite_processes() -> dict[str, tuple[str, ...]]:
    """Each suite process and its services, callers first (the order they are stopped in)."""
    processes: dict[str, list[ServiceRow]] = {}
    for row in sorted(SERVICE_TABLE, key=lambda row: row.start):
        processes.setdefault(row.suite_process, []).append(row)
    return {
        name: tuple(row.name for row in sorted(rows, key=lambda row: -row.start))
        for name, rows in processes.items()
    }
