"""The education demo loads over the gateway, and loading it twice changes nothing."""

from services.education.service import EducationService
from services.platform.service import PlatformService
from smartcity import demo_education
from smartcity.demo import RESIDENTS


def test_the_demo_loads_twice_with_the_same_result(stack_factory):
    stack = stack_factory((PlatformService, EducationService))
    keys = {name: stack.client(*client) for name, client in demo_education.CLIENTS.items()}
    cards = [stack.register(r["id_number"], r["name"], r["phone"]) for r in RESIDENTS]

    first = demo_education.load(stack.url, keys, cards)
    assert first == demo_education.load(stack.url, keys, cards)
    school = keys["school-hp001"]
    students = stack.call("GET", "/api/v1/education/students", school).json()
    assert sorted(s["card_number"] for s in students["items"]) == sorted(cards)
    exams = stack.call("GET", "/api/v1/education/exams", school).json()["items"]
    assert [(e["status"], e["students"]) for e in exams] == [("published", 40)]
    stats = stack.call("GET", "/api/v1/education/lessons/stats").json()
    assert stats["total"] == len(demo_education.LESSONS)
