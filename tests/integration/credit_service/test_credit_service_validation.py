"""Bad input over RPC comes back as ValidationFailed naming the field; the contracts agree.

nameko re-raises ``shared.errors`` classes at the caller, ``fields`` included.
"""

from __future__ import annotations

import pytest
from credit_service_support import ENTERPRISE_CODE, ORGANISATION_CODE, record_payload
from marshmallow import ValidationError

from shared.contracts import credit as contract
from shared.errors import NotFound, ValidationFailed

BAD_CHECK_CODE = ENTERPRISE_CODE[:-1] + "X"  # the check character of this code is W
BAD_CHECK_ID = "210102199003070021"  # the check character of this ID number is X


def test_bad_identifiers_and_values_name_their_field(credit):
    def fields_of(call, *args):
        with pytest.raises(ValidationFailed) as caught:
            call(*args)
        return caught.value.fields

    rpc = credit.rpc
    assert fields_of(rpc.public_summary, BAD_CHECK_CODE) == {
        "credit_code": ["check digit does not match"]
    }
    assert fields_of(rpc.check, "individual", BAD_CHECK_ID, "subsidy", "tax") == {
        "subject_id": ["check digit does not match"]
    }
    assert fields_of(rpc.subject_report, "enterprise", "9121") == {
        "subject_id": ["must be 18 characters"]
    }
    # an organisation's code (registered by civil affairs) claimed as an enterprise
    assert fields_of(rpc.check, "enterprise", ORGANISATION_CODE, "subsidy", "tax") == {
        "subject_type": ["the credit code registers an organisation"]
    }
    assert list(fields_of(rpc.check, "enterprise", ENTERPRISE_CODE, "lottery", "tax")) == [
        "purpose"
    ]
    assert list(
        fields_of(rpc.add_record, "tax", record_payload("T-1", subject_id=BAD_CHECK_CODE))
    ) == ["subject_id"]
    assert list(fields_of(rpc.add_record, "tax", record_payload("T-2", category="gossip"))) == [
        "category"
    ]
    assert list(fields_of(rpc.published_list, "grey")) == ["kind"]
    assert list(fields_of(rpc.published_list, "black", 500)) == ["limit"]
    assert list(fields_of(rpc.objections_for_department, "tax", "lost")) == ["status"]
    with pytest.raises(NotFound):  # well-formed, but no file
        rpc.public_summary(ENTERPRISE_CODE)


def test_record_in_normalises_identifiers_and_refuses_what_the_service_would():
    loaded = contract.RecordIn().load(record_payload("T-1", subject_id=ENTERPRISE_CODE.lower()))
    assert loaded["subject_id"] == ENTERPRISE_CODE
    # what goes over RPC: dates back to ISO strings
    dumped = contract.RecordIn().dump(loaded)
    assert dumped["decided_on"] == record_payload("T-1")["decided_on"]

    def errors_of(payload):
        with pytest.raises(ValidationError) as caught:
            contract.RecordIn().load(payload)
        return caught.value.messages

    assert errors_of({**record_payload("T-1"), "valid_untill": "2030-01-01"}) == {
        "valid_untill": ["Unknown field."]
    }
    assert errors_of(record_payload("T-1", subject_id=BAD_CHECK_CODE)) == {
        "subject_id": ["check digit does not match"]
    }
    assert errors_of(record_payload("T-1", subject_type="organisation")) == {
        "subject_type": ["the credit code registers an enterprise"]
    }
    assert errors_of(record_payload("T-1", valid_until="2000-01-01")) == {
        "valid_until": ["must not be before decided_on"]
    }
    # individuals: an ID number, or a citizen card number the service resolves
    card = contract.RecordIn().load(
        record_payload("T-1", subject_type="individual", subject_id=" 2101000123456786 ")
    )
    assert card["subject_id"] == "2101000123456786"
    assert errors_of(
        record_payload("T-1", subject_type="individual", subject_id="2101000123456787")
    ) == {"subject_id": ["check digit does not match"]}
    with pytest.raises(ValidationError) as caught:
        contract.CheckIn().load(
            {"subject_type": "individual", "subject_id": "2101000123456786", "purpose": "x"}
        )
    assert caught.value.messages == {"subject_id": ["must be 18 characters"]}


def test_objection_decision_in_ties_corrections_to_correct():
    decision = contract.ObjectionDecisionIn()
    assert decision.load(
        {"decision": "correct", "note": "n", "corrections": {"severity": "minor"}}
    ) == {"decision": "correct", "note": "n", "corrections": {"severity": "minor"}}
    with pytest.raises(ValidationError) as caught:
        decision.load({"decision": "correct", "note": "n"})
    assert caught.value.messages == {"corrections": ["required when the decision is correct"]}
    with pytest.raises(ValidationError) as caught:
        decision.load({"decision": "uphold", "note": "n", "corrections": {"severity": "minor"}})
    assert caught.value.messages == {"corrections": ["only allowed when the decision is correct"]}
