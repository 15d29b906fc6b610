"""The legal-entity and housing base registries."""

import uuid

import pytest
from platform_samples import ENTERPRISE_CODE, FIRST_CARD, SECOND_CARD, registration

from shared.errors import Conflict, NotFound, ValidationFailed

# First character 1: organ establishment. Check character: weights 3^i mod 31 over
# 1 2 1 0 0 0 0 0 4 0 0 0 0 0 6 2 4 give 1 + 6 + 9 + 4*20 + 6*10 + 2*30 + 4*28 = 328;
# 328 mod 31 = 18; 31 - 18 = 13, the 14th character of 0-9A-H..., "D".
ORGANISATION_CODE = "12100000400000624D"


def entity(**overrides) -> dict:
    return {
        "credit_code": ENTERPRISE_CODE,
        "name": "Shenyang Machine Tool Co., Ltd.",
        "legal_representative": "Zhang Wei",
        "registered_address": "1 Kaifa Rd, Tiexi",
        "established_on": "1995-12-08",
        **overrides,
    }


def dwelling(**overrides) -> dict:
    return {
        "address": "16 Beiling St",
        "district": "Huanggu",
        "building": "3",
        "unit": "2",
        "room": "501",
        "owner_card_number": FIRST_CARD,
        **overrides,
    }


def test_register_and_read_legal_entities(rpc):
    enterprise = rpc.register_legal_entity(entity(credit_code=ENTERPRISE_CODE.lower()))
    assert enterprise["credit_code"] == ENTERPRISE_CODE
    assert enterprise["kind"] == "enterprise"  # implied by the leading 9
    organisation = rpc.register_legal_entity(
        entity(credit_code=ORGANISATION_CODE, name="Municipal Bureau", kind="organisation")
    )

    assert rpc.get_legal_entity(ENTERPRISE_CODE) == enterprise
    listing = rpc.list_legal_entities()
    # Credit-code order: "1..." before "9...".
    assert [item["credit_code"] for item in listing["items"]] == [
        ORGANISATION_CODE,
        ENTERPRISE_CODE,
    ]
    assert listing["items"][0] == organisation
    assert (listing["total"], listing["limit"], listing["offset"]) == (2, 50, 0)
    assert rpc.list_legal_entities(1, 1)["items"] == [enterprise]


def test_legal_entity_errors_name_their_field(rpc):
    rpc.register_legal_entity(entity())
    with pytest.raises(Conflict) as caught:
        rpc.register_legal_entity(entity(name="Someone else"))
    assert caught.value.fields == {"credit_code": ["already registered"]}

    with pytest.raises(ValidationFailed) as caught:
        rpc.register_legal_entity(entity(credit_code="91110000600037341A"))
    assert caught.value.fields == {"credit_code": ["check digit does not match"]}

    with pytest.raises(ValidationFailed) as caught:
        rpc.register_legal_entity(entity(credit_code=ORGANISATION_CODE, kind="enterprise"))
    assert list(caught.value.fields) == ["kind"]

    with pytest.raises(ValidationFailed) as caught:
        rpc.register_legal_entity(
            entity(credit_code=ORGANISATION_CODE, established_on="2150-01-01")
        )
    assert caught.value.fields == {"established_on": ["is in the future"]}

    with pytest.raises(NotFound):
        rpc.get_legal_entity(ORGANISATION_CODE)


def test_register_and_read_housing(rpc):
    card = rpc.register_resident(registration())["card_number"]
    home = rpc.register_housing(dwelling(owner_card_number=card))
    uuid.UUID(home["housing_id"])
    assert {
        k: home[k] for k in ("address", "district", "building", "unit", "room", "owner_card_number")
    } == {
        "address": "16 Beiling St",
        "district": "Huanggu",
        "building": "3",
        "unit": "2",
        "room": "501",
        "owner_card_number": card,
    }
    detached = {"address": "8 Qingnian St", "district": "Shenhe", "owner_card_number": card}
    house = rpc.register_housing(detached)  # no building, unit or room
    assert (house["building"], house["unit"], house["room"]) == ("", "", "")

    assert rpc.get_housing(home["housing_id"]) == home
    owned = rpc.housing_of_owner(card)
    assert [item["housing_id"] for item in owned["items"]] == [
        home["housing_id"],
        house["housing_id"],
    ]
    assert owned["total"] == 2
    assert rpc.housing_of_owner(SECOND_CARD) == {"items": [], "total": 0, "limit": 50, "offset": 0}


def test_housing_errors(rpc):
    with pytest.raises(ValidationFailed) as caught:
        rpc.register_housing(dwelling())  # nobody holds FIRST_CARD yet
    assert caught.value.fields == {"owner_card_number": ["is not a registered citizen card"]}

    card = rpc.register_resident(registration())["card_number"]
    rpc.register_housing(dwelling(owner_card_number=card))
    with pytest.raises(Conflict) as caught:
        # The same flat, other spacing.
        rpc.register_housing(dwelling(address=" 16 Beiling St ", owner_card_number=card))
    assert caught.value.fields == {"address": ["already registered"]}

    with pytest.raises(NotFound):
        rpc.get_housing(str(uuid.uuid4()))
