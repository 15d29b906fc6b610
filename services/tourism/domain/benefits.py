"""Which benefits a card holder has, from other departments' events, and what each is worth.

A benefit comes from one source document (a student card, a decided application). Steps of a
document can arrive in any order; each carries a sequence that grows with every step, and only
a step newer than the last one seen changes the benefit. So a revocation processed before the
issue it revokes leaves no benefit: the older issue arrives late and is ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

STUDENT, DISABILITY = "student", "disability"

DISCOUNT_PERCENT = {STUDENT: 50, DISABILITY: 100}
"""Student discount: half price; an approved disability certificate: free entry."""

STUDENT_CARD_STEPS = {
    "education.student_card_issued": True,
    "education.student_card_suspended": False,
    "education.student_card_revoked": False,
}
"""Whether a student card step leaves the student benefit standing."""


@dataclass(frozen=True)
class BenefitState:
    """What is known of one benefit: active or not, until when, why, from which step."""

    kind: str
    active: bool
    valid_until: dt.date | None
    reason: str
    sequence: int


def newer(known: BenefitState | None, sequence: int) -> bool:
    """Whether a step with ``sequence`` is newer than what is known (first ever: yes)."""
    return known is None or sequence > known.sequence


def valid_on(state: BenefitState, day: dt.date) -> bool:
    """An active benefit counts on ``day`` while its document is valid (inclusive)."""
    return state.active and (state.valid_until is None or day <= state.valid_until)


def best_on(states: list[BenefitState], day: dt.date) -> BenefitState | None:
    """The benefit worth most on ``day`` (free entry before half price), or None."""
    usable = [state for state in states if valid_on(state, day)]
    if not usable:
        return None
    return max(usable, key=lambda state: (DISCOUNT_PERCENT[state.kind], state.kind))


def discounted(unit_price: Decimal, kind: str | None) -> Decimal:
    """The price of one entry with benefit ``kind`` (None: full price), to the fen."""
    percent = DISCOUNT_PERCENT[kind] if kind else 0
    return (unit_price * (100 - percent) / 100).quantize(Decimal("0.01"))
