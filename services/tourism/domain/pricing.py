"""The price of a booking and how it was computed (shown on the ticket).

A card's benefit is personal: it applies to the card holder's own entry; the companions on
the same booking pay the venue's price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.tourism.domain.benefits import DISCOUNT_PERCENT, BenefitState, best_on, discounted


@dataclass(frozen=True)
class Quote:
    total: Decimal
    benefit: str | None
    lines: list[dict[str, Any]]
    """JSON-ready lines (money as strings) whose amounts add up to ``total``."""


def quote(
    unit_price: Decimal, visitors: int, benefits: list[BenefitState], visit_date: dt.date
) -> Quote:
    """Price ``visitors`` entries on ``visit_date`` for a holder with ``benefits``."""
    benefit = best_on(benefits, visit_date)
    kind = benefit.kind if benefit else None
    holder = discounted(unit_price, kind)
    lines = [
        _line(
            f"card holder ({benefit.reason})" if benefit else "card holder",
            1,
            unit_price,
            kind,
            holder,
        )
    ]
    companions = visitors - 1
    if companions:
        lines.append(_line("companions", companions, unit_price, None, unit_price * companions))
    return Quote(holder + unit_price * companions, kind, lines)


def _line(
    description: str, visitors: int, unit_price: Decimal, kind: str | None, amount: Decimal
) -> dict[str, Any]:
    return {
        "description": description,
        "visitors": visitors,
        "unit_price": str(unit_price),
        "discount_percent": DISCOUNT_PERCENT[kind] if kind else 0,
        "benefit": kind,
        "amount": str(amount.quantize(Decimal("0.01"))),
    }
