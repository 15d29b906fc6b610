"""A service process does not import, at start-up, the libraries only rare paths need.

Each is imported by the function that uses it (a local import with a comment why): every
library that stays out keeps the idle process nearer the 70 MB goal (bench/README.md
"Memory"). A fresh interpreter per service imports its module as ``smartcity run`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from smartcity.registry import SERVICE_CLASSES

EVERYWHERE = {
    "alembic": "only `smartcity migrate` upgrades a schema",
    "requests": "only `smartcity broker setup` calls the management API",
    "dns": "no eventlet green DNS (EVENTLET_NO_GREENDNS=yes)",
}
DEFERRED = {
    "traffic": {"google": "GTFS-Realtime's protobuf: the first realtime feed message"},
    "community": {"jsonschema": "the first form validated, or a new catalogue version"},
    "platform": {
        "urllib3": "the first webhook delivered",
        "argon2": "the first password set or checked",
        "jwt": "the first access token issued",
    },
}

_PROBE = (
    "import eventlet; eventlet.monkey_patch(); import importlib, json, sys; "
    "importlib.import_module(sys.argv[1]); "
    "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
)


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_start_up_leaves_rare_libraries_out(service: str) -> None:
    module = SERVICE_CLASSES[service].partition(":")[0]
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _PROBE, module],
        capture_output=True,
        text=True,
        env={**os.environ, "EVENTLET_NO_GREENDNS": "yes"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout))
    unwanted = {**EVERYWHERE, **DEFERRED.get(service, {})}
    assert {name: why for name, why in unwanted.items() if name in loaded} == {}
