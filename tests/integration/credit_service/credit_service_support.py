"""Subjects, a fake platform and an event tap for the credit service tests (imported)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.credit.service import city_today
from shared.contracts.envelope import new_envelope

TODAY = city_today()
ENTERPRISE_CODE = "91210100MA0XXXXX0W"
OTHER_ENTERPRISE_CODE = "91210100MA0XXXXX10"
ORGANISATION_CODE = "52210100MJ0XXXXX0E"
RESIDENT_ID = "21010219900307002X"
UNKNOWN_CARD_NUMBER = "2101000123456786"  # make_card_number(12345678): valid, but nobody's


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def in_days(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def record_payload(source_record_id: str, **overrides: Any) -> dict[str, Any]:
    """A serious penalty (-16) on the enterprise, decided 30 days ago, valid for 3 years."""
    payload: dict[str, Any] = {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "source_record_id": source_record_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "serious",
        "basis": f"penalty decision {source_record_id}",
        "decided_on": days_ago(30),
        "valid_until": in_days(3 * 365),
    }
    payload.update(overrides)
    return payload


def decision_event(event_type: str, source_record_id: str, **overrides: Any) -> dict[str, Any]:
    """The envelope another department's service publishes for a penalty or commendation."""
    data: dict[str, Any] = {
        "source_record_id": source_record_id,
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "category": "administrative_penalty",
        "severity": "serious",
        "basis": f"decision {source_record_id}",
        "decided_on": days_ago(10),
        "valid_until": in_days(2 * 365),
        "summary": None,
    }
    data.update(overrides)
    source = event_type.split(".", 1)[0]
    return new_envelope(event_type, data, source=source, version=1, subject=data["subject_id"])
