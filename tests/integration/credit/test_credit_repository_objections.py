"""Objection and repair against a real database.

The enterprise's one severe penalty (-40): score 100 - 40 = 60 (C), black list caps it at D.
Once the record stops counting the score is back to 100 (A) and the black list goes.
"""

from __future__ import annotations

import pytest
from credit_samples import ENTERPRISE_CODE, OTHER_ENTERPRISE_CODE, TODAY, record_payload

from services.credit.objections import file_objection, repair_record, resolve_objection
from services.credit.reports import subject_report
from services.credit.repository import add_record
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

BLACK_BASIS = (
    "at least 1 severe negative record: market_supervision MS-SEVERE (penalty decision MS-SEVERE)"
)


@pytest.fixture
def severe_record(credit_session) -> dict:
    record, _, changes = add_record(
        credit_session, "market_supervision", record_payload("MS-SEVERE", severity="severe"), TODAY
    )
    assert [(c["list"], c["change"]) for c in changes] == [("black", "added")]
    return record


def standing(session) -> tuple[str, float, list[str]]:
    report = subject_report(session, "enterprise", ENTERPRISE_CODE, TODAY)
    return report["level"], report["score"], [entry["list"] for entry in report["lists"]]


def object_to(session, record) -> dict:
    return file_objection(
        session, record["record_id"], ENTERPRISE_CODE, "we paid on time", today=TODAY
    )


def test_an_upheld_objection_leaves_the_level(credit_session, severe_record):
    objection = object_to(credit_session, severe_record)
    assert (objection["status"], objection["record"]["status"]) == ("pending", "under_objection")
    # under objection the record still counts, marked
    assert standing(credit_session) == ("D", 60.0, ["black"])
    report = subject_report(credit_session, "enterprise", ENTERPRISE_CODE, TODAY)
    assert [c["under_objection"] for c in report["contributions"]] == [True]
    resolved, changes = resolve_objection(
        credit_session,
        objection["objection_id"],
        "market_supervision",
        "uphold",
        "the payment was late",
        today=TODAY,
    )
    assert (resolved["status"], resolved["decision"], resolved["record"]["status"]) == (
        "upheld",
        "uphold",
        "active",
    )
    assert changes == []
    assert standing(credit_session) == ("D", 60.0, ["black"])


def test_a_revoked_record_gives_the_level_back_and_leaves_the_black_list(
    credit_session, severe_record
):
    objection = object_to(credit_session, severe_record)
    resolved, changes = resolve_objection(
        credit_session,
        objection["objection_id"],
        "market_supervision",
        "revoke",
        "penalty annulled on review",
        today=TODAY,
    )
    assert (resolved["status"], resolved["record"]["status"]) == ("revoked", "revoked")
    assert changes == [
        {
            "subject_type": "enterprise",
            "subject_id": ENTERPRISE_CODE,
            "list": "black",
            "change": "removed",
            "basis": f"objection_revoked; was listed for: {BLACK_BASIS}",
        }
    ]
    assert standing(credit_session) == ("A", 100.0, [])
    report = subject_report(credit_session, "enterprise", ENTERPRISE_CODE, TODAY)
    assert [(o["status"], o["resolved_by"]) for o in report["objections"]] == [
        ("revoked", "market_supervision")
    ]


def test_a_repaired_record_gives_the_level_back_and_leaves_the_black_list(
    credit_session, severe_record
):
    with pytest.raises(Forbidden):
        repair_record(credit_session, severe_record["record_id"], "tax", "paid", today=TODAY)
    record, changes = repair_record(
        credit_session,
        severe_record["record_id"],
        "market_supervision",
        "fine paid and premises rectified",
        today=TODAY,
    )
    assert (record["status"], record["counts"]) == ("repaired", False)
    assert [(c["list"], c["change"]) for c in changes] == [("black", "removed")]
    assert changes[0]["basis"].startswith("record_repaired; ")
    assert standing(credit_session) == ("A", 100.0, [])
    with pytest.raises(Conflict):  # repaired is final
        repair_record(
            credit_session, severe_record["record_id"], "market_supervision", "again", today=TODAY
        )
    with pytest.raises(Conflict):
        object_to(credit_session, severe_record)


def test_a_corrected_severity_is_rated_anew(credit_session, severe_record):
    objection = object_to(credit_session, severe_record)
    resolved, changes = resolve_objection(
        credit_session,
        objection["objection_id"],
        "market_supervision",
        "correct",
        "misclassified: a minor breach",
        corrections={"severity": "minor"},
        today=TODAY,
    )
    assert resolved["corrections"] == {"severity": {"from": "severe", "to": "minor"}}
    assert (resolved["record"]["status"], resolved["record"]["severity"]) == ("active", "minor")
    assert [(c["list"], c["change"]) for c in changes] == [("black", "removed")]
    # 100 - 6 = 94 -> A
    assert standing(credit_session) == ("A", 94.0, [])


def test_objection_rules_are_enforced(credit_session, severe_record):
    with pytest.raises(Forbidden):  # another subject cannot object to this record
        file_objection(
            credit_session, severe_record["record_id"], OTHER_ENTERPRISE_CODE, "not me", today=TODAY
        )
    with pytest.raises(ValidationFailed) as caught:
        file_objection(credit_session, severe_record["record_id"], "bogus", "x", today=TODAY)
    assert list(caught.value.fields) == ["subject_id"]
    with pytest.raises(NotFound):
        file_objection(
            credit_session,
            "00000000-0000-0000-0000-000000000000",
            ENTERPRISE_CODE,
            "x",
            today=TODAY,
        )
    objection = object_to(credit_session, severe_record)
    with pytest.raises(Conflict):  # one objection at a time
        object_to(credit_session, severe_record)
    with pytest.raises(Conflict):  # no repair while the objection is open
        repair_record(
            credit_session, severe_record["record_id"], "market_supervision", "paid", today=TODAY
        )
    with pytest.raises(Forbidden):  # only the source department decides
        resolve_objection(
            credit_session, objection["objection_id"], "tax", "revoke", "no", today=TODAY
        )
    with pytest.raises(ValidationFailed) as caught:
        resolve_objection(
            credit_session,
            objection["objection_id"],
            "market_supervision",
            "correct",
            "needs corrections",
            today=TODAY,
        )
    assert list(caught.value.fields) == ["corrections"]
    resolve_objection(
        credit_session,
        objection["objection_id"],
        "market_supervision",
        "uphold",
        "stands",
        today=TODAY,
    )
    with pytest.raises(Conflict):  # already decided
        resolve_objection(
            credit_session,
            objection["objection_id"],
            "market_supervision",
            "revoke",
            "changed our mind",
            today=TODAY,
        )
