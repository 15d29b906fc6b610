"""Which nameko service classes make up each process of the suite, from
``shared/services_table.py``.

Import paths, not imports: a process loads only the services it runs.
"""

from __future__ import annotations

import importlib

from shared.services_table import SERVICE_TABLE, suite_processes

SERVICE_CLASSES: dict[str, str] = {row.name: row.service_class for row in SERVICE_TABLE}

SUITE_PROCESSES: dict[str, tuple[str, ...]] = suite_processes()

PROCESSES: dict[str, tuple[str, ...]] = {
    # One service per suite process; `gateway-edge` is the gateway's process under the name it
    # had when the suite's gateway process also ran the platform service.
    **SUITE_PROCESSES,
    **{row.alone_process: (row.name,) for row in SERVICE_TABLE},
}

# Start callees before callers; stop in the reverse order so no RPC waits on a dead callee.
START_ORDER: tuple[str, ...] = tuple(SUITE_PROCESSES)


def load(service: str) -> type:
    module_name, _, class_name = SERVICE_CLASSES[service].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
