"""The gateway's HTTP layer: routes that declare who may call them, JSON in and out, one error body.

``@api("GET", "/api/v1/me", access=RESIDENT, response=Profile)`` on a gateway method:

- authenticates the caller and checks ``access`` before the method runs (no default: a route
  without an access rule cannot be declared);
- applies the rate limit;
- parses the body (415 if not JSON, 413 if too large, 400 if malformed) and the query string
  through marshmallow schemas (400 naming each bad field, unknown fields refused);
- calls the method with a ``Call`` (principal, body, query, path, services) and serialises what
  it returns; a ``SmartCityError`` anywhere, here or in a service across RPC, becomes
  ``{"error", "message", "fields", "request_id"}`` with its status. Nothing else escapes as 500
  without that same body.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from gateway.access import PUBLIC, Access, Principal
from gateway.cache import Cacheable, Miss
from shared.errors import (
    PayloadTooLarge,
    SmartCityError,
    UnsupportedMediaType,
    ValidationFailed,
)
from shared.observability import REQUEST_ID_HEADER

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
JSON = "application/json"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
"""On every response: no MIME sniffing, no framing (clickjacking), no referrer."""
PRIVATE_PREFIX = "/api/v1/"
"""Answers under it may hold tokens or personal data: never stored by a cache."""

ErrorResponse = Callable[[Exception, "str | None"], Response]
"""Renders a route's error (a ``SmartCityError``, or anything else as a 500) as a response in
the route's own format, e.g. a FHIR ``OperationOutcome``; ``@api(..., error_response=...)``."""
ERROR_RESPONSES_UNDER: dict[str, ErrorResponse] = {}
"""Path prefix → how unknown paths and wrong methods under it are answered (default: the JSON
error body); ``render_errors_under(prefix, error_response)`` fills it."""


def render_errors_under(prefix: str, error_response: ErrorResponse) -> None:
    """Unknown paths and wrong methods under ``prefix`` answer through ``error_response``."""
    ERROR_RESPONSES_UNDER[prefix] = error_response


@dataclass(frozen=True)
class RouteSpec:
    """Everything the docs and the OpenAPI document say about a route."""

    method: str
    url: str
    access: Access
    summary: str
    tags: tuple[str, ...]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    personal_data: bool = False
    content_types: tuple[str, ...] = (JSON,)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    purpose: str = "service"
    rate_limited: bool = True
    error_response: ErrorResponse | None = None
    media_type: str = JSON
    """What the route answers, errors included (``application/fhir+json`` for the FHIR face)."""
    cache: Cacheable | None = None
    """A public read kept by the gateway cache (``gateway/cache.py``) until its events or its
    expiry say it may be wrong."""


@dataclass
class Call:
    """What a route method gets: the authenticated caller and the validated input."""

    principal: Principal | None
    body: Any
    query: dict[str, Any]
    path: dict[str, Any]
    request: Request
    request_id: str
    raw_body: bytes = b""
    json: Any = None
    """The body as the client sent it (after validation): what to forward over RPC, since
    the loaded ``body`` may hold dates and other values JSON cannot carry."""


def error_body(exc: SmartCityError, request_id: str | None) -> dict[str, Any]:
    body = exc.to_dict()
    body["request_id"] = request_id
    return body


def json_response(
    payload: Any,
    status: int = 200,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    response = Response(json.dumps(payload, default=str), status=status, mimetype=JSON)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, default=str).encode()


def _json_body_response(body: bytes, request_id: str, cache_outcome: str) -> Response:
    """An encoded JSON body as the response of a cacheable read (``X-Cache``: hit or miss)."""
    response = Response(body, status=200, mimetype=JSON)
    response.headers[REQUEST_ID_HEADER] = request_id
    response.headers["X-Cache"] = cache_outcome
    return response


def _request_id(request: Request) -> str:
    # Observed() put it on the request environ for this worker; fall back for early errors.
    return (
        request.environ.get("smartcity.request_id")
        or request.headers.get(REQUEST_ID_HEADER)
        or uuid.uuid4().hex
    )


class JsonErrorsWsgiApp(WsgiApp):
    """Unknown paths and wrong methods answer with the same JSON error body."""

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except RequestRedirect as exc:  # /my → /my/
            response = exc.get_response(environ)
            response.headers.update(SECURITY_HEADERS)
            return response(environ, start_response)
        except HTTPException as exc:
            code = "not_found" if exc.code == 404 else "method_not_allowed"
            renderer = _error_response_under(request.path)
            if renderer is not None:
                error = SmartCityError(exc.description or code)
                error.status, error.code = exc.code or 400, code
                response = renderer(error, request.headers.get(REQUEST_ID_HEADER))
                response.headers.update(SECURITY_HEADERS)
                return response(environ, start_response)
            body = {
                "error": code,
                "message": exc.description,
                "fields": {},
                "request_id": request.headers.get(REQUEST_ID_HEADER),
            }
            response = json_response(body, exc.code or 400)
            response.headers.update(SECURITY_HEADERS)
            return response(environ, start_response)
        request.path_values = values
        response = provider.handle_request(request)
        # A route may set its own policy (the portals' Content-Security-Policy).
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(PRIVATE_PREFIX):
            response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)


def _error_response_under(path: str) -> ErrorResponse | None:
    for prefix, renderer in ERROR_RESPONSES_UNDER.items():
        if path.startswith(prefix):
            return renderer
    return None


class ApiWebServer(WebServer):
    def get_wsgi_app(self) -> JsonErrorsWsgiApp:
        return JsonErrorsWsgiApp(self)


class ApiRoute(HttpRequestHandler):
    """nameko ``@http`` with the gateway's error mapping (as nameko-examples' gateway does)."""

    server = ApiWebServer()

    def __init__(self, method: str, url: str, spec: RouteSpec, **kwargs: Any):
        self.spec = spec
        super().__init__(method, url, **kwargs)

    def check_signature(self, args: tuple, kwargs: dict) -> None:
        """Nothing to check: every route's handler is ``handler(self, request, **path)``
        (``api`` below), which takes whatever values its URL rule matched. nameko's check,
        ``inspect.getcallargs`` on every request, could never fail here and cost 3.5 % of the
        gateway's CPU in a public read (py-spy, 2026-12-03)."""

    def response_from_exception(self, exc: Exception) -> Response:
        request_id = getattr(exc, "request_id", None)
        if self.spec.error_response is not None:
            if not isinstance(exc, SmartCityError):
                log.error("unhandled error in gateway route %s %s: %r", self.method, self.url, exc)
            response = self.spec.error_response(exc, request_id)
            if isinstance(exc, SmartCityError) and exc.extra.get("retry_after"):
                response.headers["Retry-After"] = str(exc.extra["retry_after"])
            return response
        if isinstance(exc, SmartCityError):
            headers = {}
            if exc.extra.get("retry_after"):
                headers["Retry-After"] = str(exc.extra["retry_after"])
            return json_response(error_body(exc, request_id), exc.status, request_id, headers)
        log.error("unhandled error in gateway route %s %s: %r", self.method, self.url, exc)
        body = {
            "error": "internal_error",
            "message": "unexpected error; it has been logged",
            "fields": {},
            "request_id": request_id,
        }
        return json_response(body, 500, request_id)


@functools.cache
def _strict_schema(schema_cls: type[Schema]) -> Schema:
    """One instance per schema: building one copies every declared field, which cost more
    than the load itself on every request (loading keeps no state on the instance)."""
    return schema_cls(unknown=RAISE)


def _load(schema_cls: type[Schema], data: Any, where: str) -> Any:
    try:
        return _strict_schema(schema_cls).load(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {where}", fields=exc.messages) from None


def _refuse_non_json_number(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    """A request body as strict JSON (RFC 8259), or ``ValidationFailed`` naming the body.

    Python's parser also takes ``NaN`` and ``Infinity``, which no column or schema bound
    expects; they are refused here, where every body enters.
    """
    try:
        return json.loads(raw or b"null", parse_constant=_refuse_non_json_number)
    except ValueError as exc:
        raise ValidationFailed(
            f"malformed JSON: {exc}", fields={"body": ["malformed JSON"]}
        ) from None
    except RecursionError:
        raise ValidationFailed(
            "JSON nested too deep", fields={"body": ["nested too deep"]}
        ) from None


def _parse_body(request: Request, spec: RouteSpec) -> tuple[Any, Any, bytes]:
    length = request.content_length
    if length is not None and length > spec.max_body_bytes:
        raise PayloadTooLarge(f"body larger than {spec.max_body_bytes} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > spec.max_body_bytes:
        raise PayloadTooLarge(f"body larger than {spec.max_body_bytes} bytes")
    mimetype = request.mimetype or ""
    if spec.body is None and not raw:
        return None, None, raw  # an action without a body (cancel, check-in)
    if mimetype not in spec.content_types:
        raise UnsupportedMediaType(
            f"Content-Type must be {' or '.join(spec.content_types)}",
            fields={"Content-Type": [f"got {mimetype or 'nothing'}"]},
        )
    if mimetype != JSON:
        return None, None, raw
    data = parse_json(raw)
    if spec.body is None:
        return data, data, raw
    if not isinstance(data, dict):
        raise ValidationFailed("body must be a JSON object", fields={"body": ["not an object"]})
    return _load(spec.body, data, "body"), data, raw


def _refuse_hostile_path(path: dict[str, Any]) -> None:
    """Path values reach services as they are: no control characters (a NUL breaks SQL)."""
    bad = {
        name: ["must not contain control characters"]
        for name, value in path.items()
        if isinstance(value, str) and any(ord(char) < 32 or ord(char) == 127 for char in value)
    }
    if bad:
        raise ValidationFailed("invalid path", fields=bad)


def api(
    method: str,
    url: str,
    *,
    access: Access,
    summary: str,
    tags: tuple[str, ...] = (),
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    personal_data: bool = False,
    content_types: tuple[str, ...] = (JSON,),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    purpose: str | None = None,
    rate_limited: bool = True,
    error_response: ErrorResponse | None = None,
    media_type: str = JSON,
    cache: Cacheable | None = None,
) -> Callable:
    """Declare a gateway route. ``access`` is mandatory: who may call it.

    ``rate_limited=False`` is for probes only (``/healthz``, ``/readyz``): a load balancer
    polls them from one address and must never be turned away. ``error_response`` renders
    this route's errors in its own format (default: the JSON error body). ``cache`` keeps a
    public GET's answers in the gateway cache (``gateway/cache.py``)."""
    if cache is not None and (method != "GET" or access is not PUBLIC):
        raise ValueError(f"{method} {url}: only a PUBLIC GET may be cached (one answer for all)")
    spec = RouteSpec(
        method,
        url,
        access,
        summary,
        tags,
        body,
        query,
        response,
        many,
        status,
        personal_data,
        content_types,
        max_body_bytes,
        purpose or (tags[0] if tags else "service"),
        rate_limited,
        error_response,
        media_type,
        cache,
    )

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(self: Any, request: Request, **path: Any) -> Response:
            request_id = self.services.context["request_id"]
            miss = None
            try:
                principal = self.authenticator.authenticate(request, self.services)
                if spec.rate_limited:
                    self.rate_limiter.check(principal, request)
                spec.access.check(principal)
                if principal is not None:
                    self.services.context.update(principal.context())
                # Why the data is read: the caller may say (X-Purpose), else the route does.
                self.services.context["purpose"] = (
                    request.headers.get("X-Purpose") or spec.purpose
                )[:100]
                _refuse_hostile_path(path)
                if spec.cache is not None:
                    # The raw path and query: a stored answer was valid input once already.
                    key = f"{request.path}?{request.query_string.decode('latin-1')}"
                    cached = self.response_cache.lookup(key, spec.cache)
                    if isinstance(cached, bytes):
                        return _json_body_response(cached, request_id, "hit")
                    miss = cached
                payload, sent, raw = (None, None, b"")
                if method in ("POST", "PUT", "PATCH"):
                    payload, sent, raw = _parse_body(request, spec)
                query_data = {}
                if spec.query:
                    query_data = _load(spec.query, request.args.to_dict(), "query")
                call = Call(principal, payload, query_data, path, request, request_id, raw, sent)
                result = fn(self, call)
            except Exception as exc:
                exc.request_id = request_id  # type: ignore[attr-defined]
                raise
            if isinstance(result, Response):
                result.headers[REQUEST_ID_HEADER] = request_id
                return result
            status_code = spec.status
            if isinstance(result, tuple):
                status_code, result = result
            if method != "GET" and spec.tags:
                self.response_cache.written(spec.tags[0])
            # Services return JSON-ready dicts shaped by the ``response`` schema (the tests
            # hold them to it); the schema documents the shape, it is not re-applied here.
            if isinstance(miss, Miss) and status_code == 200:
                body = _encode(result)
                expires_at = spec.cache.expires(call, result, time.time())
                self.response_cache.store(miss, spec.cache, body, expires_at)
                return _json_body_response(body, request_id, "miss")
            return json_response(result, status_code, request_id)

        handler.route_spec = spec  # type: ignore[attr-defined]
        return ApiRoute.decorator(method, url, spec=spec)(handler)

    return decorate
