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

from services.platform import handlers
from services.platform.models import CitizenCard, Resident
from services.platform.service import PlatformService
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.identity import is_valid_card_number
from shared.outbox import outbox_table
from smartcity.dead_letters import list_dead_letters


def test_registration_issues_a_card_and_announces_it(rpc, engine):
    before = datetime.now(UTC)
    result = rpc.register_resident(registration(name=" Li Lei "))

    card = result["card_number"]
    assert is_valid_card_number(card)
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
    assert outbox.envelope["subject"] == card
    assert outbox.envelope["data"] == {
        "resident_id": str(resident_id),
        "card_number": card,
        "issued_at": issued_at.isoformat(),
    }

    # The relay publishes it: the row is marked once the broker confirmed it.
    def published() -> bool:
        with Session(engine) as session:
            return session.scalar(sa.select(outbox_table.c.published_at)) is not None

    wait_for(published)


def test_card_numbers_are_random_not_sequential(rpc):
    cards = [rpc.register_resident(registration(n))["card_number"] for n in (LI_LEI, HAN_MEIMEI)]
    serials = [int(card[4:15]) for card in cards]
    # Sequential serials made a known card's neighbour a real resident; random ones are far
    # apart (two random 11-digit serials within 1000 of each other: a 2e-8 chance).
    assert all(is_valid_card_number(card) for card in cards)
    assert abs(serials[0] - serials[1]) > 1000
    assert FIRST_CARD not in cards


def test_a_card_number_collision_is_drawn_again(run_domain, monkeypatch, engine):
    taken = run_domain(handlers.register_resident, registration())["card_number"]
    fresh = "2101000123456786"
    draws = iter([taken, taken, fresh])
    monkeypatch.setattr(handlers, "random_card_number", lambda: next(draws))

    second = run_domain(handlers.register_resident, registration(HAN_MEIMEI))

    assert second["card_number"] == fresh
    with Session(engine) as session:
        assert sorted(session.scalars(sa.select(CitizenCard.card_number))) == sorted([taken, fresh])


def test_concurrent_registrations_get_distinct_cards(platform):
    numbers = [LI_LEI, HAN_MEIMEI, WANG_FANG, ZHAO_QIANG]
    with ClusterRpcProxy(platform) as cluster:
        replies = [cluster.platform.register_resident.call_async(registration(n)) for n in numbers]
        cards = {reply.result()["card_number"] for reply in replies}
    assert len(cards) == 4 and all(is_valid_card_number(card) for card in cards)


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


@pytest.mark.parametrize(
    "password",
    [
        "12345678",
        "password",
        " " * 10,
        "password123",
        "19900307li",  # the birth date in the ID number
        "lilei13812345678",  # name and phone
        "qwertyuiop",
    ],
)
def test_weak_and_personal_passwords_are_refused_naming_the_field(rpc, password):
    with pytest.raises(ValidationFailed) as caught:
        rpc.register_resident(registration(password=password))
    assert list(caught.value.fields) == ["password"]


def test_repeat_registration_changes_nothing_and_tells_the_holder(rpc, engine):
    first = rpc.register_resident(registration(HAN_MEIMEI))
    with pytest.raises(Conflict) as caught:
        # Same number typed with a lower-case x and spaces, another phone: same person.
        rpc.register_resident(
            registration(" 21010219900318123x ", phone="13900000000", password="another fine one!")
        )
    assert caught.value.message == "already registered"
    assert caught.value.fields == {"id_number": ["already registered"]}

    with Session(engine) as session:
        resident = session.scalars(sa.select(Resident)).one()
        events = session.execute(
            sa.select(outbox_table.c.type, outbox_table.c.envelope).order_by(outbox_table.c.id)
        ).all()
    assert resident.phone == "13812345678"  # nothing changed
    assert [event.type for event in events] == [
        "platform.citizen_card_issued",
        "platform.registration_repeated",
    ]
    notice = events[-1].envelope
    assert notice["subject"] == first["card_number"]
    assert notice["data"]["card_number"] == first["card_number"]
    assert notice["data"]["phone"] == "13812345678"  # the holder's, not the caller's


def test_profile_masks_identifiers(rpc):
    registered = rpc.register_resident(registration(HAN_MEIMEI, phone="13812345678"))
    profile = rpc.get_profile(registered["card_number"])
    assert profile == {
        "resident_id": registered["resident_id"],
        "name": "Li Lei",
        "card_number": registered["card_number"],
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
    assert rpc.verify_card(registered["card_number"]) == {
        "valid": True,
        "resident_id": registered["resident_id"],
        "name": "Li Lei",
    }
    assert rpc.verify_card(SECOND_CARD) == {"valid": False, "resident_id": None, "name": None}


def test_linked_cards_show_in_the_profile_once(rpc, platform, platform_runner):
    card = rpc.register_resident(registration())["card_number"]
    student = card_linked_envelope(card, "student_id", "S-2026-0042")
    tourist = card_linked_envelope(card, "tourist_card", "T-88")
    tourist["occurred_at"] = (
        datetime.fromisoformat(student["occurred_at"]) + timedelta(seconds=1)
    ).isoformat()
    publish_raw(platform["AMQP_URI"], student, times=2)  # a redelivery
    publish_raw(platform["AMQP_URI"], tourist)

    # All three deliveries handled (one of them the duplicate, skipped).
    wait_for(lambda: calls_handled(platform_runner, PlatformService, "record_card_link") == 3)
    linked = rpc.get_profile(card)["linked_cards"]
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
