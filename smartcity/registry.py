"""Which nameko service classes make up each process of the suite.

Import paths, not imports: a process loads only the services it runs.
"""

from __future__ import annotations

import importlib

from shared.config import SERVICES

SERVICE_CLASSES: dict[str, str] = {
    "traffic": "services.traffic.service:TrafficService",
    "health": "services.health.service:HealthService",
    "education": "services.education.service:EducationService",
    "community": "services.community.service:CommunityService",
    "tourism": "services.tourism.service:TourismService",
    "credit": "services.credit.service:CreditService",
    "platform": "services.platform.service:PlatformService",
    "gateway": "gateway.service:GatewayService",
}

PROCESSES: dict[str, tuple[str, ...]] = {
    # The gateway process runs the HTTP edge and the platform service (identity, audit,
    # registries); either can also run alone to scale it separately.
    "gateway": ("gateway", "platform"),
    "gateway-edge": ("gateway",),
    "platform": ("platform",),
    **{name: (name,) for name in SERVICES},
}

# Start callees before callers; stop in the reverse order so no RPC waits on a dead callee.
START_ORDER: tuple[str, ...] = (
    "credit",
    "traffic",
    "health",
    "education",
    "community",
    "tourism",
    "gateway",
)


def load(service: str) -> type:
    module_name, _, class_name = SERVICE_CLASSES[service].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
