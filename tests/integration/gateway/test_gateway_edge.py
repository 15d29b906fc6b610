"""The HTTP edge: one error body, bad input → 4xx naming the field, 503/504 instead of a hang,
request ids end to end, rate limits, and the published API description."""

import os
import re
import time

import eventlet
from gateway_samples import ENTERPRISE_CODE, LI_LEI, PASSWORD
from openapi_spec_validator import validate

from gateway.ratelimit import WINDOW_S
from services.platform.service import PlatformService
from shared.rpc import rpc

# A public route that needs no other service: what rate-limit tests spend their requests on.
OPENAPI = "/api/openapi.json"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REGISTRATION = {"name": "Li Lei", "id_number": LI_LEI, "phone": "13812345678", "password": PASSWORD}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message", "fields", "request_id"}
    assert body["error"] == code
    return body


def test_malformed_json_is_400(stack):
    response = stack.call(
        "POST", "/api/v1/residents", data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "validation_failed")
    # Python's parser takes NaN and Infinity; JSON (RFC 8259) has no such numbers.
    for number in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"name": "Li Lei", "phone": ' + number + b"}"
        response = stack.call(
            "POST", "/api/v1/residents", data=body, headers={"Content-Type": "application/json"}
        )
        assert "is not a JSON number" in assert_error(response, 400, "validation_failed")["message"]


def test_wrong_types_and_unknown_fields_name_the_field(stack):
    wrong_type = stack.call("POST", "/api/v1/residents", json={**REGISTRATION, "phone": 138})
    assert "phone" in assert_error(wrong_type, 400, "validation_failed")["fields"]
    unknown = stack.call("POST", "/api/v1/residents", json={**REGISTRATION, "is_admin": True})
    assert "is_admin" in assert_error(unknown, 400, "validation_failed")["fields"]
    not_object = stack.call("POST", "/api/v1/residents", json=[REGISTRATION])
    assert_error(not_object, 400, "validation_failed")


def test_oversized_body_is_413_and_wrong_media_type_415(stack):
    huge = {**REGISTRATION, "name": "x" * (2 * 1024 * 1024)}
    assert_error(stack.call("POST", "/api/v1/residents", json=huge), 413, "payload_too_large")
    form = stack.call("POST", "/api/v1/residents", data=REGISTRATION)
    assert_error(form, 415, "unsupported_media_type")


def test_bad_query_parameters_name_the_field(stack):
    operator = stack.client("operator")
    response = stack.call("GET", "/api/v1/clients?limit=many", operator)
    assert "limit" in assert_error(response, 400, "validation_failed")["fields"]


def test_unknown_route_and_wrong_method_answer_json(stack):
    assert_error(stack.call("GET", "/api/v1/nothing-here"), 404, "not_found")
    assert_error(stack.call("DELETE", "/api/v1/residents"), 405, "method_not_allowed")


def test_request_id_is_kept_or_made_and_reaches_the_event(stack):
    given = stack.call("GET", "/healthz", headers={"X-Request-Id": "trace-123"})
    assert given.headers["X-Request-Id"] == "trace-123"
    made = stack.call("GET", "/healthz")
    assert len(made.headers["X-Request-Id"]) >= 16
    error = stack.call("GET", "/api/v1/me", headers={"X-Request-Id": "trace-456"})
    assert error.json()["request_id"] == "trace-456"


def test_a_sector_service_that_is_not_running_gives_503(stack_factory):
    stack = stack_factory(services=(PlatformService,))  # credit is not running
    response = stack.call("GET", f"/api/v1/credit/subjects/{ENTERPRISE_CODE}/public")
    body = assert_error(response, 503, "service_unavailable")
    assert body["details"]["service"] == "credit"


class SlowCredit:
    """Another department's service that answers too late (a test double of credit)."""

    name = "credit"

    @rpc
    def public_summary(self, credit_code):
        eventlet.sleep(8)  # longer than the test stacks' RPC_TIMEOUT (6 s)
        return {}


def test_a_service_that_does_not_answer_in_time_gives_504(stack_factory):
    stack = stack_factory(services=(PlatformService, SlowCredit))
    response = stack.call("GET", f"/api/v1/credit/subjects/{ENTERPRISE_CODE}/public")
    body = assert_error(response, 504, "gateway_timeout")
    assert "credit" in body["message"]


def away_from_a_window_boundary() -> None:
    """Limits count per minute: start a burst well inside one window, not across two."""
    if WINDOW_S - time.time() % WINDOW_S < 5:
        eventlet.sleep(WINDOW_S - time.time() % WINDOW_S + 0.1)


def test_rate_limit_per_ip_gives_429_with_retry_after(stack_factory):
    stack = stack_factory(services=(PlatformService,), RATE_LIMIT_PER_IP=5)
    away_from_a_window_boundary()
    statuses = [stack.call("GET", OPENAPI).status_code for _ in range(5)]
    assert statuses == [200] * 5
    limited = stack.call("GET", OPENAPI)
    assert_error(limited, 429, "rate_limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 61


def test_probes_are_never_rate_limited(stack_factory):
    stack = stack_factory(services=(PlatformService,), RATE_LIMIT_PER_IP=2)
    away_from_a_window_boundary()
    statuses = [stack.call("GET", probe).status_code for probe in ("/healthz", "/readyz") * 4]
    assert statuses == [200] * 8
    # The limit itself is on: the next ordinary request from the same address is over it.
    assert [stack.call("GET", OPENAPI).status_code for _ in range(3)] == [200, 200, 429]


def test_openapi_document_is_valid_and_the_viewer_is_served_locally(stack):
    document = stack.call("GET", "/api/openapi.json").json()
    validate(document)
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert all(op["x-access"] for op in operations)
    assert document["paths"]["/api/v1/residents"]["post"]["requestBody"]
    page = stack.call("GET", "/api/docs")
    assert page.headers["Content-Type"].startswith("text/html")
    # Every file the page loads comes from this gateway (no CDN), and the viewer is told to
    # show the x-access extension.
    assets = re.findall(r'(?:src|href)="(/api/[^"]+)"', page.text)
    assert "/api/docs/static/swagger-ui-bundle.js" in assets
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    for asset in assets:
        response = stack.call("GET", asset)
        assert response.status_code == 200, asset
        assert response.content
    assert "showExtensions: true" in stack.call("GET", "/api/docs/static/smartcity-docs.js").text
    assert stack.call("GET", "/api/docs/static/..%2Fservice.py").status_code == 404
    assert stack.call("GET", "/api/docs/static/index.html").status_code == 404


def test_with_redis_the_limit_holds_across_gateway_instances(stack_factory):
    import uuid

    import pytest
    import redis
    import requests

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (shared rate limits are optional)")
    shared_limit = {
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_PER_IP": 4,
        "RATE_LIMIT_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    first = stack_factory(services=(PlatformService,), **shared_limit)
    second = stack_factory(services=(), **shared_limit)  # another instance, same Redis
    away_from_a_window_boundary()
    statuses = []
    for n in range(6):
        instance = first if n % 2 == 0 else second
        statuses.append(requests.get(f"{instance.url}{OPENAPI}", timeout=5).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]
