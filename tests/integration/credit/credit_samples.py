"""Subjects and records shared by the credit repository tests (imported, not a conftest)."""

from __future__ import annotations

from datetime import date

TODAY = date(2025, 6, 15)
ENTERPRISE_CODE = "91210100MA0XXXXX0W"
OTHER_ENTERPRISE_CODE = "91210100MA0XXXXX10"
ORGANISATION_CODE = "52210100MJ0XXXXX0E"
RESIDENT_ID = "210102198001010010"
# valid both as a resident ID number and as a credit code (all digits, check characters agree)
AMBIGUOUS_RESIDENT_ID = "210102198505050390"


def record_payload(source_record_id: str, **overrides: object) -> dict[str, object]:
    """A department's record about the enterprise: a serious penalty unless overridden."""
    payload: dict[str, object] = {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "source_record_id": source_record_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "serious",
        "basis": f"penalty decision {source_record_id}",
        "decided_on": "2025-03-01",
        "valid_until": "2028-02-29",
    }
    payload.update(overrides)
    return payload
