"""Webhook subscriptions, the pure part: topic matching, who may receive what, payload filters,
retry delays, signatures and the delivered envelope.

The rest is split along its seams: ``subscriptions`` (an owner's subscriptions), ``delivery``
(queueing, taking and recording deliveries), ``egress`` (where a POST may go, and the POST),
``sender`` (per-endpoint lanes), ``event_log`` (replays) and ``public_feed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.contracts.catalogue import spec_for
from shared.identity import is_valid_card_number, is_valid_resident_id
from shared.restricted_events import restricted_patterns, unit_may_receive

if TYPE_CHECKING:
    from shared.messaging import Event

SUBSCRIBER_ROLES: tuple[str, ...] = ("integrator", "department")
_RESIDENT_FIELDS = ("card_number", "subject_id", "subject")
"""Fields of an event's data that may name a resident (by card or ID number)."""

MAX_ATTEMPTS = 8
"""After this many failed attempts a delivery is ``failed`` and no longer retried."""
DEFAULT_RETRY_BASE_S = 2.0
MAX_RETRY_DELAY_S = 300.0
SIGNATURE_TOLERANCE_S = 300
"""A receiver refuses a delivery whose timestamp is further than this from its own clock."""

SIGNATURE_HEADER = "X-Smartcity-Signature"
TIMESTAMP_HEADER = "X-Smartcity-Timestamp"
EVENT_HEADER = "X-Smartcity-Event"
DELIVERY_HEADER = "X-Smartcity-Delivery"
REPLAY_HEADER = "X-Smartcity-Replay"


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic semantics over dot-separated words: ``*`` is one word, ``#`` zero or more."""
    return _words_match(pattern.split("."), routing_key.split("."))


def _words_match(pattern: Sequence[str], words: Sequence[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return head in ("*", words[0]) and _words_match(rest, words[1:])


def may_receive(
    role: str,
    department: str | None,
    event_type: str,
    unit: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Whether a client of ``role`` (``department``, ``unit``) may receive this event.

    Public events reach every subscriber; a restricted one only a department that
    ``shared.restricted_events`` grants it to (integrators consume open data only), and, for
    events about single units, only the units its ``data`` names.
    """
    if role not in SUBSCRIBER_ROLES:
        return False
    if spec_for(event_type).classification == "public":
        return True
    patterns = restricted_patterns(department) if role == "department" else ()
    if not any(topic_matches(pattern, event_type) for pattern in patterns):
        return False
    return unit_may_receive(event_type, unit, data or {})


def named_identifiers(envelope: dict[str, Any]) -> set[str]:
    """The card and ID numbers an event names: its ``subject`` and the data fields that can
    name a resident. Pure: whether they belong to a registered resident is the caller's."""
    data = envelope.get("data") or {}
    values = [envelope.get("subject"), *(data.get(name) for name in _RESIDENT_FIELDS)]
    return {
        value
        for value in values
        if isinstance(value, str) and (is_valid_card_number(value) or is_valid_resident_id(value))
    }


# --- payload filters --------------------------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def matches_filter(conditions: Iterable[dict[str, Any]], data: dict[str, Any]) -> bool:
    """Whether ``data`` satisfies every condition (``{"field", "op", "value"}``; AND).

    ``field`` is a dotted path into ``data``. ``eq``/``ne`` compare any scalar; the range
    operators compare numbers with numbers and strings with strings (ISO dates in the same
    format order as text). A missing field, or one of another kind, does not match.
    """
    return all(_condition_holds(condition, data) for condition in conditions)


def _condition_holds(condition: dict[str, Any], data: dict[str, Any]) -> bool:
    value: Any = data
    for part in condition["field"].split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    wanted, op = condition["value"], condition["op"]
    if op in ("eq", "ne"):
        return _COMPARE[op](value, wanted)
    if _is_number(value) and _is_number(wanted):
        return _COMPARE[op](value, wanted)
    if isinstance(value, str) and isinstance(wanted, str):
        return _COMPARE[op](value, wanted)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- delivery details -------------------------------------------------------------------------


def retry_delay(
    attempts: int,
    base_s: float = DEFAULT_RETRY_BASE_S,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``attempts`` failures: exponential (base, twice that, 4 times …,
    at most 5 min) with "equal jitter": a random point in the upper half of that step, so
    receivers that failed together are not retried in lockstep."""
    step = min(base_s * 2 ** (attempts - 1), MAX_RETRY_DELAY_S)
    return step / 2 + step / 2 * jitter()


def endpoint_of(url: str) -> str:
    """``scheme://host:port``: the lane a receiver's deliveries queue in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def order_key_of(envelope: dict[str, Any]) -> str:
    """What publish order is kept within: the event's subject (a lot, a ticket, a person), or
    its type when it has none."""
    return str(envelope.get("subject") or envelope["type"])[:120]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """One signature: ``sha256=<hex HMAC-SHA256 of "<timestamp>." + body>``."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """``X-Smartcity-Signature``: one signature per valid secret (two while a rotation's
    overlap lasts, the new one first), comma-separated."""
    return ", ".join(sign(secret, timestamp, body) for secret in secrets)


def verify_signature(
    secret: str,
    body: bytes,
    timestamp_header: str,
    signature_header_value: str,
    now: datetime,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """The receiver's check (the README's snippet): a fresh timestamp, and one of the
    signatures made with ``secret``. Constant-time comparison."""
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    if abs(now.timestamp() - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in signature_header_value.split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


def envelope_of(event: Event) -> dict[str, Any]:
    """The JSON envelope of a received event, ``data`` dumped back through its catalogue schema."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.isoformat(),
        "source": event.source,
        "subject": event.subject,
        "request_id": event.request_id,
        "data": spec_for(event.type).schema().dump(event.data),
    }


def body_of(envelope: dict[str, Any]) -> bytes:
    """The bytes POSTed (and signed): compact JSON."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
