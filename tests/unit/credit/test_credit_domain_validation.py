"""Validation of department records and corrections: every error names its field.

A record is loaded by its contract (``RecordIn``) and then held against the rule data
(``check_record_rules``), as the credit service does where the record enters."""

from __future__ import annotations

from datetime import date

import pytest

from services.credit.domain import (
    RecordInput,
    check_record_rules,
    validate_corrections,
    validate_purpose,
)
from shared.contracts.common import load
from shared.contracts.credit import RecordIn, SubjectKeyIn
from shared.errors import ValidationFailed

TODAY = date(2025, 6, 15)
ENTERPRISE_CODE = "91210100MA0XXXXX0W"  # check character computed per GB 32100-2015
ORGANISATION_CODE = "52210100MJ0XXXXX0E"  # registered by civil affairs (5): an organisation
RESIDENT_ID = "210102198001010010"
CARD_NUMBER = "2101000000000012"  # prefix 2101, serial 1, Luhn check digit 2


def payload(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE.lower(),
        "source_record_id": " MS-2025-001 ",
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "serious",
        "basis": "Shen Market Penalty [2025] No. 12",
        "decided_on": "2025-03-01",
        "valid_until": "2028-03-01",
    }
    base.update(overrides)
    return base


def validate_record_payload(data: dict[str, object], today: date) -> RecordInput:
    return check_record_rules(load(RecordIn, data), today)


def field_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return list(error.value.fields)


def test_a_valid_payload_is_normalised():
    record = validate_record_payload(payload(), TODAY)
    assert record.subject_type == "enterprise"
    assert record.subject_id == ENTERPRISE_CODE  # upper-cased by the credit code validator
    assert record.source_record_id == "MS-2025-001"  # stripped
    assert (record.decided_on, record.valid_until) == (date(2025, 3, 1), date(2028, 3, 1))
    assert record.summary is None


def test_an_individual_with_a_citizen_card():
    record = validate_record_payload(
        payload(subject_type="individual", subject_id=RESIDENT_ID, card_number=CARD_NUMBER), TODAY
    )
    assert (record.subject_id, record.card_number) == (RESIDENT_ID, CARD_NUMBER)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject_id": "91210100MA0XXXXX0X"}, "subject_id"),  # wrong check character
        ({"subject_id": 12345}, "subject_id"),
        ({"subject_type": "individual", "subject_id": "210102198001010011"}, "subject_id"),
        ({"subject_type": "individual", "subject_id": ENTERPRISE_CODE}, "subject_id"),
        ({"subject_type": "organisation"}, "subject_type"),  # the code registers an enterprise
        ({"subject_type": "company"}, "subject_type"),
        ({"category": "parking_ticket"}, "category"),
        ({"polarity": "neutral"}, "polarity"),
        ({"category": "commendation"}, "polarity"),  # a commendation cannot be negative
        ({"severity": "5"}, "severity"),
        ({"decided_on": "2025-06-16"}, "decided_on"),  # tomorrow
        ({"decided_on": "01/03/2025"}, "decided_on"),
        ({"valid_until": "2025-02-28"}, "valid_until"),  # before decided_on
        ({"valid_until": None}, "valid_until"),
        ({"basis": "   "}, "basis"),
        ({"source_record_id": "x" * 65}, "source_record_id"),
        ({"card_number": CARD_NUMBER}, "card_number"),  # enterprises have no citizen card
        ({"valid_untill": "2028-03-01"}, "valid_untill"),  # misspelt: unknown field
    ],
)
def test_each_bad_field_is_named(overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        validate_record_payload(payload(**overrides), TODAY)
    assert field_of(caught) == [field]


def test_an_organisation_code_is_an_organisation():
    subject = {"subject_type": "organisation", "subject_id": ORGANISATION_CODE}
    assert load(SubjectKeyIn, subject) == subject


def test_corrections_are_merged_and_checked_as_a_whole():
    current = {
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "decision 1",
        "summary": None,
        "decided_on": date(2025, 3, 1),
        "valid_until": date(2028, 3, 1),
    }
    corrected = validate_corrections({"severity": "minor"}, current, TODAY)
    assert corrected == {**current, "severity": "minor"}
    with pytest.raises(ValidationFailed) as caught:
        validate_corrections({"valid_until": "2025-01-01"}, current, TODAY)
    assert field_of(caught) == ["corrections.valid_until"]
    with pytest.raises(ValidationFailed) as caught:
        validate_corrections({"subject_id": RESIDENT_ID}, current, TODAY)
    assert field_of(caught) == ["corrections.subject_id"]
    with pytest.raises(ValidationFailed) as caught:
        validate_corrections({}, current, TODAY)
    assert field_of(caught) == ["corrections"]


def test_purpose_must_be_known():
    assert validate_purpose("subsidy") == "subsidy"
    with pytest.raises(ValidationFailed) as caught:
        validate_purpose("lottery")
    assert field_of(caught) == ["purpose"]
