"""Metrics, request ids and structured logs for every nameko container.

- ``ContainerMetrics``: one Prometheus ``CollectorRegistry`` per container, served on the
  container's own metrics port (``METRICS_PORT``), shared by every extension of that container.
- ``Observed``: a dependency every service declares once (via ``ServiceBase``); it counts and
  times each entrypoint call, and puts the request id of the worker in the log context.
- ``configure_logging``: JSON log lines carrying ``request_id`` and ``service``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
import uuid
from typing import Any

from nameko.extensions import DependencyProvider, SharedExtension
from nameko.timer import Timer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from shared.errors import SmartCityError

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"

# Eventlet's monkey-patching makes this local to each green thread, i.e. to each worker.
_log_context = threading.local()


class ContainerMetrics(SharedExtension):
    """The container's Prometheus registry and the suite's standard series."""

    def __init__(self) -> None:
        # Built here, not in setup(): other extensions of the container use the series in
        # their own setup(), and nameko sets extensions up concurrently.
        super().__init__()
        self.registry = CollectorRegistry()
        labels = ["service", "entrypoint"]
        self.calls = Counter(
            "smartcity_entrypoint_calls",
            "Entrypoint calls by outcome (ok, error)",
            [*labels, "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smartcity_entrypoint_duration_seconds",
            "Entrypoint latency",
            labels,
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.errors = Counter(
            "smartcity_entrypoint_errors",
            "Entrypoint errors by error class",
            [*labels, "error"],
            registry=self.registry,
        )
        self.events_handled = Counter(
            "smartcity_events_handled",
            "Events acknowledged after their handler ran (a batch counts each of its events)",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.event_retries = Counter(
            "smartcity_event_retries",
            "Event deliveries retried after a handler error",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "smartcity_dead_letters",
            "Events moved to the dead-letter queue",
            ["service", "consumer"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "smartcity_outbox_backlog",
            "Outbox events not yet confirmed by the broker",
            ["service"],
            registry=self.registry,
        )
        self.server = None
        self.port: int | None = None

    def start(self) -> None:
        port = self.container.config.get("METRICS_PORT")
        if port is None or self.server is not None:
            return
        self.server, _thread = start_http_server(int(port), registry=self.registry)
        self.port = self.server.server_port
        log.info("metrics of %s on :%s/metrics", self.container.service_name, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    kill = stop


def current_request_id() -> str | None:
    return getattr(_log_context, "request_id", None)


_default_record_factory = logging.getLogRecordFactory()


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every log record made inside a worker knows its service and request id."""
    record = _default_record_factory(*args, **kwargs)
    record.request_id = current_request_id()
    record.service = getattr(_log_context, "service", None)
    return record


logging.setLogRecordFactory(_record_with_context)


def _is_http(entrypoint: object) -> bool:
    """An ``@http`` entrypoint? Without importing nameko.web (werkzeug, 3 MB) into the services
    that serve none: if no one imported it, no entrypoint is one."""
    handlers = sys.modules.get("nameko.web.handlers")
    return handlers is not None and isinstance(entrypoint, handlers.HttpRequestHandler)


class Observed(DependencyProvider):
    """Counts, times and labels every worker of the container; carries the request id.

    An HTTP worker takes ``X-Request-Id`` from the request (or makes one); RPC and event workers
    inherit it from nameko's context data, which nameko forwards on every RPC call it makes.
    """

    metrics = ContainerMetrics()

    def setup(self) -> None:
        self._started: dict[Any, float] = {}

    def worker_setup(self, worker_ctx: Any) -> None:
        context = worker_ctx.data  # the live dict; ``context_data`` is a copy
        if _is_http(worker_ctx.entrypoint) and worker_ctx.args:
            request = worker_ctx.args[0]
            context["request_id"] = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        context.setdefault("request_id", uuid.uuid4().hex)
        _log_context.request_id = context["request_id"]
        _log_context.service = self.container.service_name
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        elapsed = time.perf_counter() - started if started is not None else 0.0
        entrypoint = worker_ctx.entrypoint.method_name
        labels = {"service": self.container.service_name, "entrypoint": entrypoint}
        self.metrics.latency.labels(**labels).observe(elapsed)
        failed = exc_info is not None or _is_http_error(result)
        self.metrics.calls.labels(**labels, outcome="error" if failed else "ok").inc()
        if exc_info is not None:
            self.metrics.errors.labels(**labels, error=exc_info[0].__name__).inc()
        # One access-log line per call, carrying the request id (see _record_with_context);
        # timers tick every second or minute, so theirs are debug unless they fail.
        outcome = exc_info[0].__name__ if exc_info else getattr(result, "status_code", "ok")
        quiet = isinstance(worker_ctx.entrypoint, Timer) and exc_info is None
        log.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s.%s %s %.1f ms",
            labels["service"],
            entrypoint,
            outcome,
            elapsed * 1000,
        )

    def worker_teardown(self, worker_ctx: Any) -> None:
        _log_context.request_id = None

    def get_dependency(self, worker_ctx: Any) -> ContainerMetrics:
        return self.metrics


def _is_http_error(result: Any) -> bool:
    status = getattr(result, "status_code", None)
    return isinstance(status, int) and status >= 500


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, service, request_id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)
        if isinstance(record.args, dict) and "error" in record.args:
            entry["error"] = record.args["error"]
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    handler.addFilter(PersonalDataMask())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # An expected domain error is the client's mistake, not the service's: keep it quiet.
    logging.getLogger("nameko.containers").addFilter(_ExpectedErrorFilter())


class PersonalDataMask(logging.Filter):
    """Masks ID numbers and card numbers in every log line, whatever logged them.

    The web server's access log writes request paths and query strings, and a traceback may
    quote a value: logs are read by more people than the data they would leak.
    """

    # 17 digits + a check character (GB 11643); 16-digit citizen cards; not inside longer runs.
    _PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx]|\d{2})(?![0-9A-Za-z])")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True

    @classmethod
    def mask(cls, text: str) -> str:
        return cls._PATTERN.sub(lambda m: f"{m.group(1)}{'*' * 8}{m.group(2)}", text)


class _ExpectedErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SmartCityError)
