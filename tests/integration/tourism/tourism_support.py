"""Sample venues and the events other departments publish, for the tourism tests (imported)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.clock import city_today
from shared.contracts.catalogue import spec_for, validate_payload
from shared.contracts.envelope import new_envelope

TICKET_SECRET = "tourism-test-secret-of-at-least-32-characters"
TODAY = city_today()
CLEAN_OPERATOR = "91210100MA0XXXXX0W"
OTHER_OPERATOR = "91210100MA0XXXXX10"


def venue(venue_id: str, **overrides: Any) -> dict[str, Any]:
    """An all-day scenic spot in Shenyang's centre, 80 yuan, 100 places a day."""
    data: dict[str, Any] = {
        "venue_id": venue_id,
        "name": f"Mukden Palace {venue_id}",
        "category": "scenic_spot",
        "lat": 41.7968,
        "lon": 123.4510,
        "opens_at": "00:00",
        "closes_at": "23:59",
        "daily_capacity": 100,
        "price": "80.00",
        "operator_credit_code": CLEAN_OPERATOR,
    }
    data.update(overrides)
    return data


def booking(venue_id: str, days_ahead: int = 1, visitors: int = 1) -> dict[str, Any]:
    day = TODAY + timedelta(days=days_ahead)
    return {"venue_id": venue_id, "visit_date": day.isoformat(), "visitors": visitors}


def event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The envelope the source service would publish (validated by the shared catalogue)."""
    source = event_type.split(".", 1)[0]
    payload = validate_payload(event_type, data)
    return new_envelope(event_type, payload, source=source, version=spec_for(event_type).version)


def citizen_card_issued(card_number: str) -> dict[str, Any]:
    return event(
        "platform.citizen_card_issued",
        {
            "resident_id": str(uuid.uuid4()),
            "card_number": card_number,
            "issued_at": datetime.now(UTC).isoformat(),
        },
    )


def student_card(step: str, card_number: str, sequence: int, student: str = "S-1") -> dict:
    return event(
        f"education.student_card_{step}",
        {
            "student_number": student,
            "card_number": card_number,
            "school_id": "SY-No2-Middle",
            "valid_until": (TODAY + timedelta(days=300)).isoformat(),
            "sequence": sequence,
            "reason": None if step == "issued" else f"{step} by the school",
            "occurred_at": datetime.now(UTC).isoformat(),
        },
    )


def disability_decided(card_number: str, outcome: str = "approved") -> dict[str, Any]:
    return event(
        "community.application_decided",
        {
            "application_id": str(uuid.uuid4()),
            "affair_code": "disability-certificate",
            "affair_version": 1,
            "department": "civil_affairs",
            "card_number": card_number,
            "outcome": outcome,
            "decided_at": datetime.now(UTC).isoformat(),
            "valid_until": (TODAY + timedelta(days=365)).isoformat(),
        },
    )


def list_changed(credit_code: str, change: str) -> dict[str, Any]:
    return event(
        "credit.list_changed",
        {
            "subject_type": "enterprise",
            "subject_id": credit_code,
            "list": "black",
            "change": change,
            "basis": "3 negative records within 12 months",
        },
    )
