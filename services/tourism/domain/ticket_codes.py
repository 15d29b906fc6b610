"""One-time ticket codes: a JWT (HS256, PyJWT) naming the ticket, its venue and its day.

The signature proves the tourism service issued the code; it does not make the code one-time:
the gate's validation marks the ticket used in the database, so a second scan is refused there.
The key is the tourism service's own (``TOURISM_TICKET_SECRET``), never the platform's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ISSUER = "smartcity-tourism"
AUDIENCE = "tourism-gate"


class CodeRefused(Exception):
    """The code is not one the tourism service signed (forged, altered or malformed)."""


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: str
    venue_id: str
    visit_date: dt.date


def sign(claims: TicketClaims, secret: str) -> str:
    """The code of a ticket: deterministic, so the ticket shows the same code every time."""
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "tid": claims.ticket_id,
        "vid": claims.venue_id,
        "day": claims.visit_date.isoformat(),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read(code: str, secret: str) -> TicketClaims:
    """The claims of a genuine code; ``CodeRefused`` with the reason otherwise."""
    try:
        payload = jwt.decode(
            code,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["iss", "aud", "tid", "vid", "day"]},
        )
        return TicketClaims(
            str(payload["tid"]), str(payload["vid"]), dt.date.fromisoformat(payload["day"])
        )
    except jwt.InvalidSignatureError:
        raise CodeRefused("signature does not match: not issued by the tourism service") from None
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise CodeRefused(f"not a ticket code: {exc}") from None
