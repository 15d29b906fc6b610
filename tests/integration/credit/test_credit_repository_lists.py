"""Lists, checks with joint measures, feedback, public views and the expiry sweep.

Weights (rules.json): negative minor -6, serious -16, severe -40; commendation minor +2.
Black list: 1 severe negative, or 3 negatives decided within 12 months; caps the level at D.
Red list: 2 commendations decided within 24 months and no counting negative.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from credit_samples import (
    AMBIGUOUS_RESIDENT_ID,
    ENTERPRISE_CODE,
    ORGANISATION_CODE,
    RESIDENT_ID,
    TODAY,
    record_payload,
)
from sqlalchemy import event, select

from services.credit.models import CreditCheck
from services.credit.reports import (
    check,
    public_summary,
    published_list,
    record_check_feedback,
    subject_report,
)
from services.credit.repository import add_record, expire_records, name_subject
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed


def put_on_black_list(session, subject_overrides=None) -> list[dict[str, str]]:
    """One severe penalty valid to 2028-02-29; returns the list changes it caused."""
    _, _, changes = add_record(
        session,
        "market_supervision",
        record_payload("MS-SEVERE", severity="severe", **(subject_overrides or {})),
        TODAY,
    )
    return changes


def put_on_red_list(session) -> None:
    for number, decided_on in ((1, "2024-09-01"), (2, "2025-04-01")):
        add_record(
            session,
            "civil_affairs",
            record_payload(
                f"CA-{number}",
                subject_type="organisation",
                subject_id=ORGANISATION_CODE,
                category="commendation",
                polarity="positive",
                severity="minor",
                decided_on=decided_on,
                valid_until="2027-12-31",
            ),
            TODAY,
        )


def test_a_subject_crosses_onto_the_black_list_on_its_third_penalty(credit_session):
    name_subject(
        credit_session, "enterprise", ENTERPRISE_CODE, "Shenyang Example Trading Co., Ltd."
    )
    changes = []
    for number, decided_on in ((1, "2025-01-10"), (2, "2025-02-28"), (3, "2025-06-01")):
        _, _, changes = add_record(
            credit_session,
            "market_supervision",
            record_payload(f"MS-{number}", severity="minor", decided_on=decided_on),
            TODAY,
        )
        if number < 3:
            assert changes == []
    basis = (
        "at least 3 negative records decided within 12 months: "
        "market_supervision MS-1 (penalty decision MS-1), "
        "market_supervision MS-2 (penalty decision MS-2), "
        "market_supervision MS-3 (penalty decision MS-3)"
    )
    assert changes == [
        {
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE_CODE,
            "list": "black",
            "change": "added",
            "basis": basis,
        }
    ]
    report = subject_report(credit_session, "enterprise", ENTERPRISE_CODE, TODAY)
    assert json.loads(json.dumps(report)) == report  # ready for RPC as it is
    # 100 - 3 * 6 = 82 -> B by score, capped at D by the black list
    assert (report["score"], report["score_level"], report["level"]) == (82.0, "B", "D")
    # window ends 2026-01-09, 2026-02-27, 2026-05-31: it holds through the third latest
    assert report["lists"][0]["expires_on"] == "2026-01-09"
    assert report["lists"][0]["effective_on"] == "2025-06-15"
    assert public_summary(credit_session, ENTERPRISE_CODE, TODAY) == {
        "credit_code": ENTERPRISE_CODE,
        "name": "Shenyang Example Trading Co., Ltd.",
        "level": "D",
        "lists": [
            {
                "list": "black",
                "basis": basis,
                "effective_on": "2025-06-15",
                "expires_on": "2026-01-09",
            }
        ],
    }


@pytest.mark.parametrize(
    ("purpose", "measures"),
    [
        ("subsidy", ["deny_subsidy"]),
        ("public_procurement", ["exclude_from_procurement"]),
        ("administrative_approval", ["strict_review"]),
    ],
)
def test_check_of_a_black_listed_enterprise(credit_session, purpose, measures):
    put_on_black_list(credit_session)
    result = check(credit_session, "enterprise", ENTERPRISE_CODE, purpose, "finance", TODAY)
    # 100 - 40 = 60 -> C by score, capped at D
    assert (result["level"], result["score"], result["measures"]) == ("D", 60.0, measures)
    assert [entry["list"] for entry in result["lists"]] == ["black"]
    assert f"{measures[0]}: black list measure for {purpose}" in result["reasons"]
    assert "level capped at D by the black list" in result["reasons"]


def test_check_takes_two_statements(credit_session):
    """On other departments' hot path: one read (subject, records, list entries), one insert
    (the check log)."""
    put_on_black_list(credit_session)
    statements: list[str] = []

    def count_statement(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    connection = credit_session.connection()
    event.listen(connection, "before_cursor_execute", count_statement)
    try:
        check(credit_session, "enterprise", ENTERPRISE_CODE, "subsidy", "finance", TODAY)
    finally:
        event.remove(connection, "before_cursor_execute", count_statement)
    assert statements == ["SELECT", "INSERT"]


def test_check_of_a_red_listed_organisation(credit_session):
    put_on_red_list(credit_session)
    result = check(
        credit_session,
        "organisation",
        ORGANISATION_CODE,
        "administrative_approval",
        "housing",
        TODAY,
    )
    # 100 + 2 + 2 = 104, clamped to 100 -> A
    assert (result["level"], result["score"], result["measures"]) == (
        "A",
        100.0,
        ["fast_track_approval"],
    )
    assert [entry["list"] for entry in result["lists"]] == ["red"]


def test_check_of_a_subject_without_a_file_is_logged(credit_session):
    result = check(credit_session, "individual", RESIDENT_ID, "public_employment", "hr", TODAY)
    assert (result["level"], result["score"], result["lists"], result["measures"]) == (
        "A",
        100.0,
        [],
        [],
    )
    assert result["reasons"][0] == "no credit file: no records on file"
    assert json.loads(json.dumps(result)) == result
    log = credit_session.scalars(select(CreditCheck)).one()
    assert (str(log.id), log.subject_id, log.purpose, log.requesting_department, log.level) == (
        result["check_id"],
        RESIDENT_ID,
        "public_employment",
        "hr",
        "A",
    )
    assert log.result["measures"] == []


def test_check_with_an_unknown_purpose_names_the_purpose(credit_session):
    with pytest.raises(ValidationFailed) as caught:
        check(credit_session, "enterprise", ENTERPRISE_CODE, "lottery", "finance", TODAY)
    assert list(caught.value.fields) == ["purpose"]


def test_only_the_requesting_department_gives_feedback_and_only_once(credit_session):
    put_on_black_list(credit_session)
    result = check(credit_session, "enterprise", ENTERPRISE_CODE, "subsidy", "finance", TODAY)
    with pytest.raises(Forbidden):
        record_check_feedback(
            credit_session, result["check_id"], "housing", "measures_applied", None
        )
    with pytest.raises(ValidationFailed) as caught:
        record_check_feedback(credit_session, result["check_id"], "finance", "shrugged", None)
    assert list(caught.value.fields) == ["action_taken"]
    feedback = record_check_feedback(
        credit_session, result["check_id"], "finance", "measures_applied", "subsidy refused"
    )
    assert (feedback["action_taken"], feedback["note"]) == ("measures_applied", "subsidy refused")
    log = credit_session.get(CreditCheck, uuid.UUID(result["check_id"]))
    assert (log.feedback_action, log.feedback_note) == ("measures_applied", "subsidy refused")
    with pytest.raises(Conflict):
        record_check_feedback(credit_session, result["check_id"], "finance", "withdrawn", None)
    with pytest.raises(NotFound):
        record_check_feedback(
            credit_session, "00000000-0000-0000-0000-000000000000", "finance", "withdrawn", None
        )


def test_published_lists_show_legal_entities_only(credit_session):
    put_on_black_list(credit_session)
    individual = {"subject_type": "individual", "subject_id": RESIDENT_ID}
    _, _, changes = add_record(
        credit_session,
        "court",
        record_payload(
            "COURT-1", category="dishonest_judgment_debtor", severity="severe", **individual
        ),
        TODAY,
    )
    assert [(c["subject_type"], c["list"], c["change"]) for c in changes] == [
        ("individual", "black", "added")
    ]
    page = published_list(credit_session, "black", limit=10, offset=0, today=TODAY)
    assert (page["total"], page["limit"], page["offset"]) == (1, 10, 0)
    assert [(item["credit_code"], item["expires_on"]) for item in page["items"]] == [
        (ENTERPRISE_CODE, "2028-02-29")
    ]
    assert published_list(credit_session, "red", today=TODAY)["total"] == 0
    # the total comes with the page (one statement), and still past the last page
    past_the_end = published_list(credit_session, "black", limit=10, offset=5, today=TODAY)
    assert (past_the_end["items"], past_the_end["total"]) == ([], 1)
    # the individual is listed all the same: departments see it when they check
    result = check(credit_session, "individual", RESIDENT_ID, "subsidy", "civil_affairs", TODAY)
    assert result["measures"] == ["deny_subsidy"]
    with pytest.raises(NotFound):
        public_summary(credit_session, ORGANISATION_CODE, TODAY)  # no file
    with pytest.raises(ValidationFailed) as caught:
        published_list(credit_session, "grey")
    assert list(caught.value.fields) == ["kind"]
    with pytest.raises(ValidationFailed) as caught:
        published_list(credit_session, "black", limit=0)
    assert list(caught.value.fields) == ["limit"]


def test_the_public_summary_never_shows_an_individual(credit_session):
    add_record(
        credit_session,
        "court",
        record_payload("COURT-2", subject_type="individual", subject_id=AMBIGUOUS_RESIDENT_ID),
        TODAY,
    )
    # one serious penalty: 100 - 16 = 84
    assert subject_report(credit_session, "individual", AMBIGUOUS_RESIDENT_ID, TODAY)["score"] == 84
    # the same digits pass as a credit code, but no enterprise or organisation has them
    with pytest.raises(NotFound):
        public_summary(credit_session, AMBIGUOUS_RESIDENT_ID, TODAY)


def test_the_sweep_expires_records_and_takes_lapsed_entries_off(credit_session):
    add_record(
        credit_session,
        "market_supervision",
        record_payload("MS-SEVERE", severity="severe", valid_until="2025-12-31"),
        TODAY,
    )
    put_on_red_list(credit_session)
    # red: commendations of 2024-09-01 and 2025-04-01 leave the 24-month window after
    # 2026-08-31 and 2027-03-31; both are needed, so the entry expires 2026-08-31
    report = subject_report(credit_session, "organisation", ORGANISATION_CODE, TODAY)
    assert report["lists"][0]["expires_on"] == "2026-08-31"
    assert expire_records(credit_session, date(2025, 12, 31)) == []
    changes = expire_records(credit_session, date(2026, 1, 1))
    assert [(c["subject_id"], c["list"], c["change"]) for c in changes] == [
        (ENTERPRISE_CODE, "black", "removed")
    ]
    assert changes[0]["basis"].startswith("basis_expired; was listed for: at least 1 severe")
    report = subject_report(credit_session, "enterprise", ENTERPRISE_CODE, date(2026, 1, 1))
    assert (report["records"][0]["status"], report["level"], report["lists"]) == (
        "expired",
        "A",
        [],
    )
    changes = expire_records(credit_session, date(2026, 9, 1))
    assert [(c["subject_id"], c["list"], c["change"]) for c in changes] == [
        (ORGANISATION_CODE, "red", "removed")
    ]
