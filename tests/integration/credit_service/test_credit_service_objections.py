"""Objection and repair over RPC, with the events the outcomes publish.

The enterprise's one severe penalty (-40): score 100 - 40 = 60 (C), capped at D by the black
list. Once the record stops counting the score is back to 100 (A) and the black list goes.
"""

from __future__ import annotations

import pytest
from credit_service_support import ENTERPRISE_CODE, OTHER_ENTERPRISE_CODE, record_payload

from shared.contracts.credit import Objection, ObjectionPage
from shared.errors import Forbidden

BLACK_BASIS = (
    "at least 1 severe negative record: market_supervision MS-SEVERE (penalty decision MS-SEVERE)"
)


@pytest.fixture
def severe_record(credit, event_tap) -> dict:
    """The record, once its black-list entry has been published.

    Waiting for that event keeps it out of the taps the tests open afterwards: the relay
    publishes asynchronously, so a later tap could otherwise catch it.
    """
    listing = event_tap("credit.list_changed")
    record = credit.rpc.add_record(
        "market_supervision", record_payload("MS-SEVERE", severity="severe")
    )["record"]
    added = listing.next()["data"]
    assert (added["list"], added["change"]) == ("black", "added")
    return record


def standing(credit) -> tuple[float, str, list[str]]:
    report = credit.rpc.subject_report("enterprise", ENTERPRISE_CODE)
    return report["score"], report["level"], [entry["list"] for entry in report["lists"]]


def test_upheld_objection_keeps_the_level_and_a_revoked_one_gives_it_back(
    credit, severe_record, event_tap
):
    tap = event_tap("credit.list_changed", "credit.objection_resolved")
    with pytest.raises(Forbidden):  # only the subject may object to its record
        credit.rpc.file_objection(severe_record["record_id"], OTHER_ENTERPRISE_CODE, "not us")
    first = credit.rpc.file_objection(severe_record["record_id"], ENTERPRISE_CODE, "paid on time")
    assert Objection().validate(first) == {}

    queue = credit.rpc.objections_for_department("market_supervision", "pending")
    assert ObjectionPage().validate(queue) == {}
    assert (queue["total"], [o["objection_id"] for o in queue["items"]]) == (
        1,
        [first["objection_id"]],
    )
    assert credit.rpc.objections_for_department("tax")["total"] == 0  # not its record
    with pytest.raises(Forbidden):
        credit.rpc.resolve_objection(first["objection_id"], "tax", "revoke", "not ours")

    upheld = credit.rpc.resolve_objection(
        first["objection_id"], "market_supervision", "uphold", "the payment was late"
    )
    assert (upheld["status"], upheld["record"]["status"]) == ("upheld", "active")
    resolved = tap.next()
    assert (resolved["type"], resolved["subject"], resolved["data"]) == (
        "credit.objection_resolved",
        ENTERPRISE_CODE,
        {
            "objection_id": first["objection_id"],
            "record_id": severe_record["record_id"],
            "decision": "uphold",
            "department": "market_supervision",
        },
    )
    assert tap.rest() == []  # no list change
    assert standing(credit) == (60.0, "D", ["black"])
    assert credit.rpc.objections_for_department("market_supervision", "pending")["total"] == 0

    second = credit.rpc.file_objection(severe_record["record_id"], ENTERPRISE_CODE, "new proof")
    revoked = credit.rpc.resolve_objection(
        second["objection_id"], "market_supervision", "revoke", "penalty annulled on review"
    )
    assert (revoked["status"], revoked["record"]["status"]) == ("revoked", "revoked")
    events = [tap.next(), tap.next()]
    assert sorted((e["type"], e["data"].get("decision")) for e in events) == [
        ("credit.list_changed", None),
        ("credit.objection_resolved", "revoke"),
    ]
    [removed] = [e["data"] for e in events if e["type"] == "credit.list_changed"]
    assert removed == {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "list": "black",
        "change": "removed",
        "basis": f"objection_revoked; was listed for: {BLACK_BASIS}",
    }
    assert standing(credit) == (100.0, "A", [])
    history = credit.rpc.objections_for_department("market_supervision")
    # both filed today: the order is by filing day only, so compare as a set
    assert sorted(o["status"] for o in history["items"]) == ["revoked", "upheld"]


def test_a_repaired_record_gives_the_level_back(credit, severe_record, event_tap):
    tap = event_tap("credit.list_changed")
    with pytest.raises(Forbidden):  # only the source department confirms a repair
        credit.rpc.repair_record(severe_record["record_id"], "tax", "paid")

    record = credit.rpc.repair_record(
        severe_record["record_id"], "market_supervision", "fine paid and premises rectified"
    )

    assert (record["status"], record["counts"]) == ("repaired", False)
    removed = tap.next()["data"]
    assert (removed["list"], removed["change"], removed["basis"]) == (
        "black",
        "removed",
        f"record_repaired; was listed for: {BLACK_BASIS}",
    )
    assert standing(credit) == (100.0, "A", [])
    check = credit.rpc.check("enterprise", ENTERPRISE_CODE, "subsidy", "civil_affairs")
    assert (check["level"], check["measures"]) == ("A", [])
