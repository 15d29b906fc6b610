"""``make test``'s pytest run: the suite in parallel lanes, then the broker restart alone.

nameko's tests run under eventlet's monkey-patching, which pytest-xdist's execnet channels do
not survive, so parallelism is one pytest process per lane, each on a disjoint part of the
tests (``--shard K/N``, see ``tests/conftest.py``) and a disjoint port range:

- lane ``e2e``: the end-to-end tests (they share their session suites, so they stay together);
- lanes ``integration-1/2`` and ``integration-2/2``: the unit and integration tests, halved;
- lane ``browser``: the portals in headless Chromium (``tests/browser/``, one suite of its
  own); its own lane so that it runs beside the others instead of adding minutes after e2e;
- then, alone, the tests that restart the broker (any other test would see it vanish).

Every test still gets its own vhost and databases, so lanes never meet. Each lane's output
goes to ``var/test-logs/<lane>.log``; a failed lane's tail is printed. Exit status: non-zero if
any lane failed. Arguments after ``--`` go to every pytest (``-x``, ``-k ...``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from smartcity.ports import below_ephemeral

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "test-logs"
NOTHING_COLLECTED = 5
"""pytest's exit status when a lane's part of a filtered run (``-- -k …``) holds no test."""


def _lanes() -> list[tuple[str, list[str]]]:
    integration = ["tests/unit", "tests/integration", "-m", "not broker_restart"]
    return [
        ("e2e", ["tests/e2e", "-m", "not broker_restart"]),
        ("integration-1", [*integration, "--shard", "1/2"]),
        ("integration-2", [*integration, "--shard", "2/2"]),
        ("browser", ["tests/browser"]),
    ]


def _port_ranges(lanes: int) -> list[range]:
    """Each lane's share of the ports below the kernel's ephemeral range, where no outgoing
    connection takes its local port (``smartcity.ports.free_port``). Fixed spans of 3,000
    from 20000 once put the fifth lane, broker-restart, at 32000-34999: its suite's metrics
    port was then held by a connection, and community could not start."""
    ports = below_ephemeral()
    span = len(ports) // lanes
    return [range(ports.start + k * span, ports.start + (k + 1) * span) for k in range(lanes)]


def _start(name: str, args: list[str], ports: range, extra: list[str]) -> subprocess.Popen:
    env = {**os.environ, "TEST_PORT_BASE": str(ports.start), "TEST_PORT_SPAN": str(len(ports))}
    log = (LOGS / f"{name}.log").open("w")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _report(name: str, code: int, seconds: float) -> None:
    lines = (LOGS / f"{name}.log").read_text(errors="replace").splitlines()
    summary = next(
        (line.strip("= ") for line in reversed(lines) if re.search(r"\d+ \w+.* in [\d.]+s", line)),
        "",
    )
    outcome = {0: "ok", NOTHING_COLLECTED: "no tests"}.get(code, f"FAILED ({code})")
    print(f"{name:15} {outcome:12} {seconds:6.0f} s  {summary}")
    if code not in (0, NOTHING_COLLECTED):
        print("\n".join(lines[-60:]), file=sys.stderr)


def main(extra: list[str]) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    parallel = _lanes()
    *ranges, restart_ports = _port_ranges(len(parallel) + 1)  # broker-restart's comes last
    lanes = {
        name: _start(name, args, ports, extra)
        for (name, args), ports in zip(parallel, ranges, strict=True)
    }
    failed = False
    for name, process in lanes.items():
        code = process.wait()
        _report(name, code, time.monotonic() - started)
        failed |= code not in (0, NOTHING_COLLECTED)
    restart_started = time.monotonic()
    restart = _start("broker-restart", ["tests", "-m", "broker_restart"], restart_ports, extra)
    code = restart.wait()
    _report("broker-restart", code, time.monotonic() - restart_started)
    failed |= code not in (0, NOTHING_COLLECTED)
    print(f"all lanes: {time.monotonic() - started:.0f} s, {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[arguments.index("--") + 1 :] if "--" in arguments else []))
