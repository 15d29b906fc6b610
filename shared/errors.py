"""One error model for the whole suite.

Domain code raises these; nameko carries them across RPC as ``RemoteError`` (with
``exc_type`` set to the class name), and the gateway maps them back to an HTTP status and
the one error body ``{"error", "message", "fields", "request_id"}``.
"""

from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


class SmartCityError(Exception):
    """Base of every expected, client-facing error."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str = "",
        fields: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        # The args are what nameko serialises across RPC: keep everything needed to rebuild.
        super().__init__(message, fields or {}, extra or {})
        self.message = message or self.code.replace("_", " ")
        self.fields = fields or {}
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        """The error body; ``extra`` (which lot, which service, when to retry) goes under
        ``details``, so the body's own keys stay the four the API spec declares."""
        body: dict[str, Any] = {"error": self.code, "message": self.message, "fields": self.fields}
        if self.extra:
            body["details"] = self.extra
        return body

    # nameko serialises an exception for RPC by ``str(exc)``; keep it the message.
    def __str__(self) -> str:
        return self.message


class ValidationFailed(SmartCityError):
    status = 400
    code = "validation_failed"


class Unauthorized(SmartCityError):
    status = 401
    code = "unauthorized"


class Forbidden(SmartCityError):
    status = 403
    code = "forbidden"


class NotFound(SmartCityError):
    status = 404
    code = "not_found"


class Conflict(SmartCityError):
    status = 409
    code = "conflict"


class Unprocessable(SmartCityError):
    """Well-formed input that contradicts what the suite knows (e.g. the registries)."""

    status = 422
    code = "unprocessable"


class PayloadTooLarge(SmartCityError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(SmartCityError):
    status = 415
    code = "unsupported_media_type"


class RateLimited(SmartCityError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(SmartCityError):
    status = 503
    code = "service_unavailable"


class GatewayTimeout(SmartCityError):
    status = 504
    code = "gateway_timeout"


def invalid(field: str, message: str) -> ValidationFailed:
    """A validation error naming one field: ``raise invalid("lat", "must be within ±90")``."""
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})


ERRORS: tuple[type[SmartCityError], ...] = (
    SmartCityError,
    ValidationFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Unprocessable,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    ServiceUnavailable,
    GatewayTimeout,
)

# An RPC caller gets the same exception class back (with its fields), not a bare RemoteError.
for _error in ERRORS:
    deserialize_to_instance(_error)
