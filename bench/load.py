"""A concurrent HTTP load generator that runs in a process of its own.

``run_load`` takes the requests from ``requests_factory`` (an iterable of
``(method, url, headers, body)``, or a callable returning one), hands them to a child Python
process, and there ``concurrency`` asyncio tasks send them with aiohttp over keep-alive
connections for ``warmup + seconds``: only the requests that start after the warm-up and end
before the deadline count. The child has its own event loop and its own GIL, so the suite under
test never shares a core's time slice with the client inside one interpreter (on this 2-core
machine they still share the cores: that is what ratios to a baseline of the same run absorb).

At most ``MAX_REQUESTS`` requests are taken from the factory; a shorter (or exhausted) list is
sent again from its start, so a write that must be unique needs a factory yielding enough.

    python -m bench.load URL [--concurrency 16] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

Request = tuple[str, str, dict[str, str] | None, bytes | str | None]
MAX_REQUESTS = 20_000
REQUEST_TIMEOUT_S = 30.0


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    requests: int
    errors: int
    requests_per_s: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    statuses: dict[str, int] = field(default_factory=dict)
    """Answers counted by HTTP status (``"error"`` for a failed connection or a timeout)."""

    def as_dict(self) -> dict:
        return asdict(self)


def run_load(
    requests_factory: Iterable[Request] | Callable[[], Iterable[Request]],
    concurrency: int,
    seconds: float,
    warmup: float = 1.0,
) -> LoadResult:
    """Send the factory's requests from ``concurrency`` connections; an answer of 400 or more,
    a failed connection and a timeout count as errors (and in no percentile)."""
    source = requests_factory() if callable(requests_factory) else requests_factory
    requests = [_encode(request) for request in itertools.islice(source, MAX_REQUESTS)]
    if not requests:
        raise ValueError("requests_factory yielded no request")
    spec = {
        "requests": requests,
        "concurrency": concurrency,
        "seconds": seconds,
        "warmup": warmup,
    }
    child = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=warmup + seconds + REQUEST_TIMEOUT_S + 60,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"load generator failed: {child.stderr.strip()[-2000:]}")
    return LoadResult(**json.loads(child.stdout))


def _encode(request: Request) -> dict:
    method, url, headers, body = request
    if isinstance(body, str):
        body = body.encode()
    return {
        "method": method,
        "url": url,
        "headers": dict(headers or {}),
        "body": base64.b64encode(body).decode() if body else None,
    }


async def _generate(spec: dict) -> dict:
    import aiohttp  # the child's alone: the parent (the suite's tools) never needs it

    requests = [
        (r["method"], r["url"], r["headers"], base64.b64decode(r["body"]) if r["body"] else None)
        for r in spec["requests"]
    ]
    concurrency = spec["concurrency"]
    next_request = itertools.cycle(requests)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    started = time.perf_counter()
    measure_from = started + spec["warmup"]
    deadline = measure_from + spec["seconds"]

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while True:
            method, url, headers, body = next(next_request)
            sent = time.perf_counter()
            if sent >= deadline:
                return
            try:
                async with session.request(method, url, headers=headers, data=body) as answer:
                    await answer.read()
                    status = str(answer.status)
                    failed = answer.status >= 400
            except (TimeoutError, aiohttp.ClientError):
                status, failed = "error", True
            done = time.perf_counter()
            if sent < measure_from or done > deadline:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if failed:
                errors += 1
            else:
                latencies.append(done - sent)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))

    latencies.sort()
    answered = len(latencies) + errors
    return {
        "concurrency": concurrency,
        "seconds": spec["seconds"],
        "requests": answered,
        "errors": errors,
        "requests_per_s": len(latencies) / spec["seconds"],
        "p50_ms": _percentile(latencies, 50),
        "p90_ms": _percentile(latencies, 90),
        "p99_ms": _percentile(latencies, 99),
        "statuses": statuses,
    }


def _percentile(ordered: list[float], pct: int) -> float | None:
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0] * 1000
    return statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1] * 1000


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        json.dump(asyncio.run(_generate(json.load(sys.stdin))), sys.stdout)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    result = run_load([("GET", args.url, None, None)], args.concurrency, args.seconds)
    print(json.dumps(result.as_dict(), indent=2))


if __name__ == "__main__":
    main()
