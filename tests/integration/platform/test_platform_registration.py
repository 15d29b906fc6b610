"""Real-name registration, the citizen card it issues, the profile and card verification."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from helpers import calls_handled, pika_url, publish_raw, wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from platform_samples import (
    FIRST_CARD,
    HAN_MEIMEI,
    LI_LEI,
    SECOND_CARD,
    WANG_FANG,
    ZHAO_QIANG,
    card_linked_envelope,
    registration,
)
from sqlalchemy.orm import Session

from services.platform.models import Resident
from services.platform.service import PlatformService
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.outbox import outbox_table
from smartcity.dead_letters import list_dead_letters


def test_registration_issues_a_card_and_announces_it(rpc, engine):
    before = datetime.now(UTC)
    result = rpc.register_resident(registration(name=" Li Lei "))

    assert result["card_number"] == FIRST_CARD  # serial 1
    assert result["name"] == "Li Lei"
    issued_at = datetime.fromisoformat(result["issued_at"])
    assert before <= issued_at <= datetime.now(UTC)
    resident_id = uuid.UUID(result["resident_id"])

    with Session(engine) as session:
        resident = session.get(Resident, resident_id)
        outbox = session.execute(sa.select(outbox_table)).one()
    assert resident.id_number == LI_LEI
    assert resident.birth_date.isoformat() == "1990-03-07"  # characters 7-14 of the number
    assert resident.password_hash.startswith("$argon2id$")
    assert "correct horse" not in resident.password_hash
    assert outbox.type == "platform.citizen_card_issued"
    assert outbox.envelope["subject"] == FIRST_CARD
    assert outbox.envelope["data"] == {
        "resident_id": str(resident_id),
        "card_number": FIRST_CARD,
        "issued_at": issued_at.isoformat(),
    }

    # The relay publishes it: the row is marked once the broker confirmed it.
    def published() -> bool:
        with Session(engine) as session:
            return session.scalar(sa.select(outbox_table.c.published_at)) is not None

    wait_for(published)


def test_second_resident_gets_the_next_serial(rpc):
    rpc.register_resident(registration())
    assert rpc.register_resident(registration(HAN_MEIMEI))["card_number"] == SECOND_CARD


def test_concurrent_registrations_get_distinct_cards(platform):
    numbers = [LI_LEI, HAN_MEIMEI, WANG_FANG, ZHAO_QIANG]
    with ClusterRpcProxy(platform) as cluster:
        replies = [cluster.platform.register_resident.call_async(registration(n)) for n in numbers]
        cards = sorted(reply.result()["card_number"] for reply in replies)
    assert cards == [
        "2101000000000012",
        "2101000000000020",
        "2101000000000038",
        "2101000000000046",
    ]  # serials 1-4 (Luhn digits 2, 0, 8, 6)


@pytest.mark.parametrize(
    ("id_number", "problem"),
    [
        ("210102199003071236", "check digit does not match"),  # the check character is 3
        ("210102199002301236", "birth date is not a real date"),  # 30 February
        ("21010219900307123", "must be 18 characters"),
    ],
)
def test_bad_id_number_is_refused_naming_the_field(rpc, id_number, problem):
    with pytest.raises(ValidationFailed) as caught:
        rpc.register_resident(registration(id_number))
    assert caught.value.fields == {"id_number": [problem]}


def test_bad_phone_and_short_password_are_named_together(rpc):
    with pytest.raises(ValidationFailed) as caught:
        rpc.register_resident(registration(phone="12345", password="short"))
    assert set(caught.value.fields) == {"phone", "password"}


def test_repeat_registration_conflicts_on_id_number(rpc):
    rpc.register_resident(registration(HAN_MEIMEI))
    with pytest.raises(Conflict) as caught:
        # Same number typed with a lower-case x and spaces, another phone: same person.
        rpc.register_resident(registration(" 21010219900318123x ", phone="13900000000"))
    assert caught.value.message == "already registered"
    assert caught.value.fields == {"id_number": ["already registered"]}


def test_profile_masks_identifiers(rpc):
    registered = rpc.register_resident(registration(HAN_MEIMEI, phone="13812345678"))
    profile = rpc.get_profile(FIRST_CARD)
    assert profile == {
        "resident_id": registered["resident_id"],
        "name": "Li Lei",
        "card_number": FIRST_CARD,
        "id_number_masked": "2101**********123X",
        "phone_masked": "138****5678",
        "registered_at": registered["issued_at"],
        "linked_cards": [],
    }
    with pytest.raises(NotFound):
        rpc.get_profile(SECOND_CARD)
    with pytest.raises(ValidationFailed) as caught:
        rpc.get_profile("2101000000000013")
    assert caught.value.fields == {"card_number": ["check digit does not match"]}


def test_verify_card(rpc):
    registered = rpc.register_resident(registration())
    assert rpc.verify_card(FIRST_CARD) == {
        "valid": True,
        "resident_id": registered["resident_id"],
        "name": "Li Lei",
    }
    assert rpc.verify_card(SECOND_CARD) == {"valid": False, "resident_id": None, "name": None}


def test_linked_cards_show_in_the_profile_once(rpc, platform, platform_runner):
    rpc.register_resident(registration())
    student = card_linked_envelope(FIRST_CARD, "student_id", "S-2026-0042")
    tourist = card_linked_envelope(FIRST_CARD, "tourist_card", "T-88")
    tourist["occurred_at"] = (
        datetime.fromisoformat(student["occurred_at"]) + timedelta(seconds=1)
    ).isoformat()
    publish_raw(platform["AMQP_URI"], student, times=2)  # a redelivery
    publish_raw(platform["AMQP_URI"], tourist)

    # All three deliveries handled (one of them the duplicate, skipped).
    wait_for(lambda: calls_handled(platform_runner, PlatformService, "record_card_link") == 3)
    linked = rpc.get_profile(FIRST_CARD)["linked_cards"]
    assert linked == [
        {"kind": "student_id", "number": "S-2026-0042", "linked_at": student["occurred_at"]},
        {"kind": "tourist_card", "number": "T-88", "linked_at": tourist["occurred_at"]},
    ]


def test_link_to_an_unknown_card_is_dead_lettered_not_dropped(rpc, platform):
    envelope = card_linked_envelope(SECOND_CARD, "student_id", "S-404")
    publish_raw(platform["AMQP_URI"], envelope)

    letters = wait_for(lambda: list_dead_letters(pika_url(platform["AMQP_URI"]), "platform"))
    assert [(letter.event_id, letter.consumer) for letter in letters] == [
        (envelope["event_id"], "platform.record_card_link")
    ]
    assert "card_linked names unknown citizen card 2101000000000020" in letters[0].error
