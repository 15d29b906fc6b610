"""Education through the gateway over real RPC: platform, education and the gateway on a real
RabbitMQ vhost and real PostgreSQL databases.

Student cards: enrolment checked against the population registry, the lifecycle and its
events, the public verification (nothing personal, unknown == revoked, rate-limited), two
racing transfers and two racing enrolments leaving one current card, and schools that never
see each other's students.
"""

from __future__ import annotations

import threading

import pytest
from gateway_samples import HAN_MEIMEI, LI_LEI
from helpers import EventTap, wait_for
from sqlalchemy import text

from services.education.domain.student_number import is_valid_student_number, make_student_number
from services.education.service import EducationService
from services.platform.service import PlatformService
from shared.db import make_engine
from shared.identity import make_card_number

SCHOOLS = {
    "HP-001": {
        "name": "Heping No. 1 Middle School",
        "district": "Heping",
        "pilot": True,
        "pilot_start": "2026-03-01",
    },
    "HP-002": {"name": "Heping No. 2 Middle School", "district": "Heping", "pilot": False},
    "SH-001": {"name": "Shenhe Experimental School", "district": "Shenhe", "pilot": False},
}
VERIFY_FIELDS = {"student_number", "valid", "school_id", "school_name", "valid_until"}
CHECKS_PER_IP = 12


class EducationWorld:
    """A stack with the education department, three schools and their API clients."""

    def __init__(self, stack):
        self.stack = stack
        self.department = stack.client(
            "department", "education", ("education.schools", "education.supervision")
        )
        self.school = {}
        for school_id, school in SCHOOLS.items():
            body = {"school_id": school_id, "level": "junior_secondary", **school}
            response = stack.call("POST", "/api/v1/education/schools", self.department, json=body)
            assert response.status_code in (200, 201), response.text
            self.school[school_id] = stack.client(
                "department",
                "education",
                ("education.students", "education.exams", "education.lessons"),
                unit=school_id,
            )

    def call(self, method: str, path: str, key: str | None = None, **kwargs):
        return self.stack.call(method, "/api/v1/education" + path, key, **kwargs)

    def enrol(self, school_id: str, card: str, name: str, **extra):
        body = {"card_number": card, "name": name, "grade": 8, "class_name": "8-2", **extra}
        return self.call("POST", "/students", self.school[school_id], json=body)

    def status(self, school_id: str, number: str, action: str):
        body = {"action": action}
        return self.call("POST", f"/students/{number}/status", self.school[school_id], json=body)

    def transfer(self, school_id: str, number: str, to: str):
        body = {"school_id": to, "grade": 8, "class_name": "8-1"}
        return self.call("POST", f"/students/{number}/transfer", self.school[school_id], json=body)

    def verify(self, number: str):
        return self.call("GET", f"/student-ids/{number}/verify")


@pytest.fixture
def world(stack_factory) -> EducationWorld:
    stack = stack_factory(
        (PlatformService, EducationService),
        STUDENT_CARD_CHECKS_PER_IP=CHECKS_PER_IP,
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )
    return EducationWorld(stack)


def current_cards(world: EducationWorld, card: str) -> int:
    engine = make_engine(world.stack.configs["education"]["DATABASE_URLS"]["education"])
    try:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM education_student_cards "
                    "WHERE card_number = :card AND status IN ('active', 'suspended')"
                ),
                {"card": card},
            ).scalar_one()
    finally:
        engine.dispose()


def test_enrolment_lifecycle_verification_and_school_isolation(world):
    stack = world.stack
    card_events = ("issued", "suspended", "revoked")
    tap = EventTap(
        stack.configs["education"]["AMQP_URI"],
        "education.card_linked",
        *(f"education.student_card_{name}" for name in card_events),
    )
    card, token = stack.resident(LI_LEI, name="Li Lei")
    a, b = world.school["HP-001"], world.school["HP-002"]

    # The registry decides: an unknown card and a holder of another name are 422 by field.
    unknown = world.enrol("HP-001", make_card_number(987654321), "Li Lei")
    assert unknown.status_code == 422 and "card_number" in unknown.json()["fields"], unknown.text
    mismatched = world.enrol("HP-001", card, "Han Meimei")
    assert mismatched.status_code == 422 and set(mismatched.json()["fields"]) == {"name"}

    enrolled = world.enrol("HP-001", card, " li  lei ")
    assert enrolled.status_code == 201, enrolled.text
    student = enrolled.json()
    number = student["student_number"]
    assert is_valid_student_number(number) and student["status"] == "active"
    assert (student["card_number"], student["name"], student["school_id"]) == (
        card,
        "Li Lei",
        "HP-001",
    )
    again = world.enrol("HP-001", card, "Li Lei")
    assert again.status_code == 200 and again.json()["student_number"] == number

    # The issued event reaches a subscriber's queue; the link reaches the resident's profile.
    seen = {}
    while {"education.student_card_issued", "education.card_linked"} - set(seen):
        envelope = tap.next()
        seen.setdefault(envelope["type"], envelope["data"])
    issued = seen["education.student_card_issued"]
    assert (issued["student_number"], issued["card_number"], issued["school_id"]) == (
        number,
        card,
        "HP-001",
    )
    assert issued["sequence"] == 1 and issued["valid_until"] == student["valid_until"]
    assert seen["education.card_linked"] == {
        "card_number": card,
        "kind": "student_id",
        "linked_number": number,
    }

    def linked() -> bool:
        me = stack.call("GET", "/api/v1/me", token).json()
        return {"kind": "student_id", "number": number} in [
            {"kind": c["kind"], "number": c["number"]} for c in me["linked_cards"]
        ]

    wait_for(linked)

    # Another school finds nothing; a client of no school touches nothing.
    assert world.call("GET", f"/students/{number}", b).status_code == 404
    assert world.status("HP-002", number, "revoke").status_code == 404
    assert world.transfer("HP-002", number, "SH-001").status_code == 404
    assert all(
        s["student_number"] != number for s in world.call("GET", "/students", b).json()["items"]
    )
    no_unit = stack.client("department", "education", ("education.students",))
    assert world.call("GET", f"/students/{number}", no_unit).status_code == 403
    assert world.call("GET", f"/students/{number}", a).json()["student_number"] == number

    # Public verification: valid, school, expiry, and nothing personal.
    valid = world.verify(number)
    assert valid.status_code == 200
    assert valid.json() == {
        "student_number": number,
        "valid": True,
        "school_id": "HP-001",
        "school_name": SCHOOLS["HP-001"]["name"],
        "valid_until": student["valid_until"],
    }
    for personal in (card, LI_LEI, "Li Lei", "li lei", student["issued_at"]):
        assert personal.lower() not in valid.text.lower()

    # The lifecycle, each step announced with the next sequence number.
    assert world.status("HP-001", number, "suspend").json()["status"] == "suspended"
    assert world.verify(number).json()["valid"] is False
    assert world.status("HP-001", number, "suspend").status_code == 409
    assert world.status("HP-001", number, "reinstate").json()["status"] == "active"
    revoked = world.status("HP-001", number, "revoke")
    assert revoked.json()["status"] == "revoked" and revoked.json()["sequence"] == 4
    assert world.status("HP-001", number, "reinstate").status_code == 409
    steps = [tap.next() for _ in range(3)]
    assert [(e["type"], e["data"]["sequence"]) for e in steps] == [
        ("education.student_card_suspended", 2),
        ("education.student_card_issued", 3),
        ("education.student_card_revoked", 4),
    ]

    # A revoked card and a number that never existed look exactly the same.
    never = make_student_number(2026, 12345678)
    gone, unknown_number = world.verify(number), world.verify(never)
    assert gone.status_code == unknown_number.status_code == 200
    assert set(gone.json()) == set(unknown_number.json()) == VERIFY_FIELDS
    assert {**gone.json(), "student_number": never} == unknown_number.json()
    assert world.verify("not-a-number").json()["valid"] is False

    # Every access to the student's card is in the resident's own access log.
    def audited() -> list:
        log = stack.call("GET", "/api/v1/me/access-log", token, params={"limit": 200}).json()
        return [e for e in log["items"] if e["resource"] == "education.student_card"]

    assert len(wait_for(lambda: len(audited()) >= 6 and audited())) >= 6

    # The verification is rate-limited per address.
    statuses = [world.verify(never).status_code for _ in range(CHECKS_PER_IP)]
    assert 429 in statuses
    tap.close()


def test_racing_transfers_and_enrolments_leave_one_current_card(world):
    stack = world.stack
    card, _token = stack.resident(LI_LEI, name="Li Lei")
    number = world.enrol("HP-001", card, "Li Lei").json()["student_number"]

    def race(*attempts):
        barrier = threading.Barrier(len(attempts))
        results = [None] * len(attempts)

        def run(index, attempt):
            barrier.wait()
            results[index] = attempt()

        threads = [
            threading.Thread(target=run, args=(i, attempt)) for i, attempt in enumerate(attempts)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    to_b, to_c = race(
        lambda: world.transfer("HP-001", number, "HP-002"),
        lambda: world.transfer("HP-001", number, "SH-001"),
    )
    assert sorted([to_b.status_code, to_c.status_code]) == [200, 409], (to_b.text, to_c.text)
    winner = to_b if to_b.status_code == 200 else to_c
    new_card = winner.json()
    assert new_card["previous_number"] == number and new_card["status"] == "active"
    assert current_cards(world, card) == 1
    old = world.call("GET", f"/students/{number}", world.school["HP-001"]).json()
    assert old["status"] == "transferred"
    assert world.verify(number).json()["valid"] is False
    assert world.verify(new_card["student_number"]).json()["school_id"] == new_card["school_id"]

    # Two schools enrolling the same new student at once: one card, one 409.
    other, _ = stack.resident(HAN_MEIMEI, name="Han Meimei", phone="13812345679")
    first, second = race(
        lambda: world.enrol("HP-001", other, "Han Meimei"),
        lambda: world.enrol("SH-001", other, "Han Meimei"),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    assert current_cards(world, other) == 1
