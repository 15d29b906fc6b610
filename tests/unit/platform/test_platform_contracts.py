"""Input validation of the platform's requests: each bad input names its field."""

import pytest

from shared.contracts.audit import AppendAuditRequest
from shared.contracts.common import load
from shared.contracts.platform import (
    CreateClientRequest,
    RegisterHousingRequest,
    RegisterResidentRequest,
)
from shared.errors import ValidationFailed

ID_NUMBER = "210102199003071233"  # check character 3 (GB 11643 MOD 11-2)


def registration(**overrides) -> dict:
    return {
        "name": "Li Lei",
        "id_number": ID_NUMBER,
        "phone": "13812345678",
        "password": "correct horse battery",
        **overrides,
    }


def problems(schema, data) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        load(schema, data)
    return caught.value.fields


def test_good_registration_is_normalised():
    loaded = load(
        RegisterResidentRequest,
        registration(name="  Li Lei ", id_number=" 21010219900318123x", phone="13812345678"),
    )
    assert loaded == {
        "name": "Li Lei",
        "id_number": "21010219900318123X",
        "phone": "13812345678",
        "password": "correct horse battery",
    }


def test_wrong_check_digit_names_id_number():
    # The check character of 21010219900307123 is 3, not 6.
    assert problems(RegisterResidentRequest, registration(id_number="210102199003071236")) == {
        "id_number": ["check digit does not match"]
    }


def test_impossible_birth_date_names_id_number():
    # 1990-02-30 does not exist; 6 is the MOD 11-2 check character of 21010219900230123,
    # so only the date is wrong.
    number = "210102199002301236"
    assert problems(RegisterResidentRequest, registration(id_number=number)) == {
        "id_number": ["birth date is not a real date"]
    }


@pytest.mark.parametrize("phone", ["1381234567", "12812345678", "23812345678", "1381234567a"])
def test_phone_must_be_a_mainland_mobile_number(phone):
    assert problems(RegisterResidentRequest, registration(phone=phone)) == {
        "phone": ["must be an 11-digit mobile number"]
    }


def test_password_needs_ten_characters():
    assert problems(RegisterResidentRequest, registration(password="123456789")) == {
        "password": ["must be 10 to 128 characters"]
    }
    assert load(RegisterResidentRequest, registration(password="ten chars!"))


@pytest.mark.parametrize("common", ["1234567890", "password12", "qwertyuiop", " " * 12])
def test_common_passwords_are_refused(common):
    assert list(problems(RegisterResidentRequest, registration(password=common))) == ["password"]


def test_password_must_not_hold_the_id_birth_date_phone_or_name():
    personal = "must not contain your name, ID number, birth date or phone number"
    for guessable in (ID_NUMBER, "13812345678", "born19900318!", "Li Lei is great"):
        assert problems(RegisterResidentRequest, registration(password=guessable)) == {
            "password": [personal]
        }


def test_unknown_and_missing_fields_are_named():
    fields = problems(RegisterResidentRequest, {"name": "Li Lei", "admin": True})
    assert set(fields) == {"admin", "id_number", "phone", "password"}


def test_message_summarises_the_first_problem_of_each_field():
    with pytest.raises(ValidationFailed) as caught:
        load(RegisterResidentRequest, registration(phone="123"))
    assert caught.value.message == "invalid request: phone: must be an 11-digit mobile number"


def test_non_object_body_is_refused():
    assert problems(RegisterResidentRequest, ["not", "an", "object"]) == {
        "_schema": ["not an object"]
    }


def test_department_client_needs_a_known_department():
    assert problems(CreateClientRequest, {"name": "HIS", "role": "department"}) == {
        "department": ["required for department clients"]
    }
    assert list(
        problems(CreateClientRequest, {"name": "HIS", "role": "department", "department": "police"})
    ) == ["department"]


def test_only_department_clients_have_a_department():
    assert problems(
        CreateClientRequest, {"name": "App", "role": "integrator", "department": "health"}
    ) == {"department": ["only department clients belong to a department"]}


def test_scopes_are_deduplicated_and_sorted():
    loaded = load(
        CreateClientRequest,
        {
            "name": "HIS",
            "role": "department",
            "department": "health",
            "scopes": ["population:read", "audit:read", "population:read"],
        },
    )
    assert loaded["scopes"] == ["audit:read", "population:read"]


def test_badly_formed_scope_is_named():
    fields = problems(
        CreateClientRequest, {"name": "App", "role": "integrator", "scopes": ["Population Read"]}
    )
    assert fields == {"scopes": {0: ["is not a scope name"]}}


def test_audit_entry_subject_must_be_a_card_number():
    fields = problems(
        AppendAuditRequest,
        {
            "actor": "gateway",
            "actor_role": "operator",
            "subject": "2101000000000013",
            "action": "read",
            "resource": "profile",
            "purpose": "support",
        },
    )
    assert fields == {"subject": ["check digit does not match"]}


def test_housing_parts_default_to_empty():
    loaded = load(
        RegisterHousingRequest,
        {"address": "1 Beiling St", "district": "Huanggu", "owner_card_number": "2101000000000012"},
    )
    assert (loaded["building"], loaded["unit"], loaded["room"]) == ("", "", "")
