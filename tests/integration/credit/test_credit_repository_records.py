"""Collecting records: idempotency, subjects created on first record, validation."""

from __future__ import annotations

import pytest
from credit_samples import (
    ENTERPRISE_CODE,
    OTHER_ENTERPRISE_CODE,
    RESIDENT_ID,
    TODAY,
    record_payload,
)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.credit import repository
from services.credit.models import CreditRecord, Subject
from services.credit.reports import check, public_summary, subject_report
from services.credit.repository import add_record, name_subject
from shared.errors import Conflict, ValidationFailed


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_same_source_record_twice_is_one_record(credit_session):
    first, created, changes = add_record(
        credit_session, "market_supervision", record_payload("MS-1"), TODAY
    )
    # redelivered, even with a different severity: the stored record is returned unchanged
    again, created_again, changes_again = add_record(
        credit_session, "market_supervision", record_payload("MS-1", severity="severe"), TODAY
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert again["severity"] == "serious"
    assert (changes, changes_again) == ([], [])
    assert count(credit_session, CreditRecord) == 1
    # the same id from another department is another record
    _, created_by_tax, _ = add_record(credit_session, "tax", record_payload("MS-1"), TODAY)
    assert created_by_tax is True
    assert count(credit_session, CreditRecord) == 2
    assert count(credit_session, Subject) == 1


def test_a_source_record_id_reused_for_another_subject_is_a_conflict(credit_session):
    add_record(credit_session, "market_supervision", record_payload("MS-1"), TODAY)
    with pytest.raises(Conflict) as caught:
        add_record(
            credit_session,
            "market_supervision",
            record_payload("MS-1", subject_id=OTHER_ENTERPRISE_CODE),
            TODAY,
        )
    assert list(caught.value.fields) == ["source_record_id"]


def test_a_concurrent_duplicate_fails_the_flush_and_the_retry_finds_it(credit_session, monkeypatch):
    """Another transaction committed the record after our lookup: the unique constraint
    stops our insert, and the caller's retry of the unit of work returns the stored record."""
    first, _, _ = add_record(credit_session, "market_supervision", record_payload("MS-1"), TODAY)
    credit_session.commit()  # the fixture's outer transaction still rolls everything back
    monkeypatch.setattr(repository, "find_record", lambda *_args: None)  # looked too early
    with pytest.raises(IntegrityError):
        add_record(credit_session, "market_supervision", record_payload("MS-1"), TODAY)
    credit_session.rollback()
    monkeypatch.undo()
    again, created, changes = add_record(
        credit_session, "market_supervision", record_payload("MS-1"), TODAY
    )
    assert (again["record_id"], created, changes) == (first["record_id"], False, [])
    assert (count(credit_session, CreditRecord), count(credit_session, Subject)) == (1, 1)


def test_a_subject_is_named_by_the_registry_never_by_a_departments_record(credit_session):
    name_subject(credit_session, "enterprise", ENTERPRISE_CODE, "Registered Name Co., Ltd.")
    record, _, _ = add_record(
        credit_session,
        "market_supervision",
        record_payload("MS-1", subject_id=ENTERPRISE_CODE.lower(), subject_name="Renamed Co."),
        TODAY,
    )
    assert (record["subject_type"], record["subject_id"]) == ("enterprise", ENTERPRISE_CODE)
    assert public_summary(credit_session, ENTERPRISE_CODE, TODAY)["name"] == (
        "Registered Name Co., Ltd."
    )


def test_a_record_already_past_its_validity_is_stored_expired(credit_session):
    record, created, changes = add_record(
        credit_session,
        "market_supervision",
        record_payload(
            "MS-1", severity="severe", decided_on="2020-01-01", valid_until="2023-01-01"
        ),
        TODAY,
    )
    assert (created, record["status"], record["counts"], changes) == (True, "expired", False, [])
    assert subject_report(credit_session, "enterprise", ENTERPRISE_CODE, TODAY)["level"] == "A"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject_id": "91210100MA0XXXXX0X"}, "subject_id"),  # bad check character
        ({"subject_id": "not-a-code"}, "subject_id"),
        ({"subject_type": "individual", "subject_id": "210102198001010011"}, "subject_id"),
        ({"subject_type": "organisation"}, "subject_type"),
        ({"severity": "catastrophic"}, "severity"),
        ({"decided_on": "2025-06-16"}, "decided_on"),
    ],
)
def test_bad_records_are_refused_naming_the_field(credit_session, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        add_record(credit_session, "market_supervision", record_payload("MS-1", **overrides), TODAY)
    assert list(caught.value.fields) == [field]
    assert count(credit_session, CreditRecord) == 0


def test_bad_codes_and_id_numbers_are_refused_by_the_read_paths_too(credit_session):
    with pytest.raises(ValidationFailed) as caught:
        check(
            credit_session, "individual", RESIDENT_ID[:-1] + "1", "subsidy", "civil_affairs", TODAY
        )
    assert list(caught.value.fields) == ["subject_id"]
    with pytest.raises(ValidationFailed) as caught:
        subject_report(credit_session, "enterprise", "91210100MA0XXXXX0X", TODAY)
    assert list(caught.value.fields) == ["subject_id"]
    with pytest.raises(ValidationFailed) as caught:
        public_summary(credit_session, "91210100MA0XXXXX0X", TODAY)
    assert list(caught.value.fields) == ["credit_code"]
