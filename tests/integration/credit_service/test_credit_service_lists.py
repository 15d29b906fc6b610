"""The black list, joint measures at a check, the public views and the expiry sweep, over RPC.

Rules (services/credit/rules.json): negative minor -6, severe -40. Black list: 1 severe
negative, or 3 negatives decided within 12 months; it caps the level at D. Black-list measure
for purpose subsidy: deny_subsidy.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from credit_service_support import ENTERPRISE_CODE, TODAY, days_ago, record_payload
from nameko.testing.services import entrypoint_hook

from services.credit.domain import add_months
from services.credit.models import CreditRecord
from shared.contracts.credit import (
    AddRecordResult,
    CheckResult,
    Feedback,
    ListPage,
    PublicSummary,
)
from shared.errors import Conflict, Forbidden

THREE_MINOR = ((1, 90), (2, 60), (3, 30))  # (record number, decided days ago)


def test_a_subject_crosses_onto_the_black_list_and_departments_apply_the_measures(
    credit, event_tap
):
    tap = event_tap("credit.list_changed")
    results = [
        credit.rpc.add_record(
            "market_supervision",
            record_payload(f"MS-{number}", severity="minor", decided_on=days_ago(ago)),
        )
        for number, ago in THREE_MINOR
    ]
    assert [AddRecordResult().validate(result) for result in results] == [{}, {}, {}]
    assert [result["created"] for result in results] == [True, True, True]

    changed = tap.next()
    assert tap.rest() == []  # only the third record changed a list
    basis = (
        "at least 3 negative records decided within 12 months: "
        "market_supervision MS-1 (penalty decision MS-1), "
        "market_supervision MS-2 (penalty decision MS-2), "
        "market_supervision MS-3 (penalty decision MS-3)"
    )
    assert (changed["type"], changed["source"], changed["subject"]) == (
        "credit.list_changed",
        "credit",
        ENTERPRISE_CODE,
    )
    assert changed["data"] == {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "list": "black",
        "change": "added",
        "basis": basis,
    }

    # Sent again: the stored record comes back, nothing is published.
    again = credit.rpc.add_record("market_supervision", record_payload("MS-3", severity="minor"))
    assert (again["created"], again["record"]["record_id"]) == (
        False,
        results[2]["record"]["record_id"],
    )
    assert tap.rest() == []

    result = credit.rpc.check("enterprise", ENTERPRISE_CODE, "subsidy", "civil_affairs")
    assert CheckResult().validate(result) == {}
    # 100 - 3 x 6 = 82 would be B; the black list caps the level at D
    assert (result["score"], result["level"]) == (82.0, "D")
    assert result["measures"] == ["deny_subsidy"]
    # the oldest of the three (90 days ago) leaves the 12-month window first: the entry
    # lasts through the day before its first anniversary
    expires_on = add_months(TODAY - timedelta(days=90), 12) - timedelta(days=1)
    assert result["lists"] == [
        {
            "list": "black",
            "basis": basis,
            "issuing_department": "credit_office",
            "effective_on": TODAY.isoformat(),
            "expires_on": expires_on.isoformat(),
        }
    ]
    assert "deny_subsidy: black list measure for subsidy" in result["reasons"]
    assert "level capped at D by the black list" in result["reasons"]

    with pytest.raises(Forbidden):
        credit.rpc.record_check_feedback(result["check_id"], "tax", "measures_applied")
    feedback = credit.rpc.record_check_feedback(
        result["check_id"], "civil_affairs", "measures_applied", "subsidy refused"
    )
    assert Feedback().validate(feedback) == {}
    assert (feedback["action_taken"], feedback["note"]) == ("measures_applied", "subsidy refused")
    with pytest.raises(Conflict):
        credit.rpc.record_check_feedback(result["check_id"], "civil_affairs", "withdrawn")

    summary = credit.rpc.public_summary(ENTERPRISE_CODE.lower())
    assert PublicSummary().validate(summary) == {}
    assert summary == {
        "credit_code": ENTERPRISE_CODE,
        "name": None,  # names come only from the registry, which named nobody here
        "level": "D",
        "lists": [
            {
                "list": "black",
                "basis": basis,
                "effective_on": TODAY.isoformat(),
                "expires_on": expires_on.isoformat(),
            }
        ],
    }
    page = credit.rpc.published_list("black", 10, 0)
    assert ListPage().validate(page) == {}
    assert (page["total"], [item["credit_code"] for item in page["items"]]) == (
        1,
        [ENTERPRISE_CODE],
    )
    assert credit.rpc.published_list("red")["total"] == 0


def test_a_clean_subject_gets_no_measures(credit):
    result = credit.rpc.check("enterprise", ENTERPRISE_CODE, "subsidy", "civil_affairs")
    # no file: the start score of 100 gives A, no list, no measure
    assert (result["score"], result["level"], result["measures"], result["lists"]) == (
        100.0,
        "A",
        [],
        [],
    )
    assert result["reasons"][0] == "no credit file: no records on file"


def test_the_expiry_sweep_takes_a_subject_off_the_list_when_its_record_lapses(credit, event_tap):
    tap = event_tap("credit.list_changed")
    credit.rpc.add_record("market_supervision", record_payload("MS-SEVERE", severity="severe"))
    assert tap.next()["data"]["change"] == "added"
    # Time passes: the record's last valid day was yesterday.
    with credit.engine.begin() as conn:
        conn.execute(sa.update(CreditRecord).values(valid_until=TODAY - timedelta(days=1)))

    with entrypoint_hook(credit.container, "expire_records") as sweep:
        sweep()

    removed = tap.next()
    assert removed["data"]["change"] == "removed"
    assert removed["data"]["basis"] == (
        "basis_expired; was listed for: at least 1 severe negative record: "
        "market_supervision MS-SEVERE (penalty decision MS-SEVERE)"
    )
    report = credit.rpc.subject_report("enterprise", ENTERPRISE_CODE)
    # the expired record counts for nothing: back to the start score, no list
    assert (report["score"], report["level"], report["lists"]) == (100.0, "A", [])
    assert [record["status"] for record in report["records"]] == ["expired"]
    with entrypoint_hook(credit.container, "expire_records") as sweep:
        sweep()  # nothing left to do: no further change
    assert tap.rest() == []
