"""Community affairs through the gateway, with the real platform, credit and community
services: the catalogue, documents, the whole workflow of a disability certificate, and credit
checks (a black-listed applicant blocked, a red-listed one fast-tracked, credit down).

The community service's calendar is pinned to Tuesday 29 September 2026, the day before the
National Day holiday (1-7 October off; Sunday 20 September and Saturday 10 October worked), so
every due date below is worked out by hand across that holiday.
"""

from datetime import timedelta

import pytest
from gateway_samples import HAN_MEIMEI, LI_LEI
from helpers import wait_for

from services.community.service import CommunityService
from services.credit.service import CreditService
from services.platform.service import PlatformService
from services.tourism.service import TourismService
from shared.clock import city_today
from shared.errors import Conflict

RED_ID = "210102198511201044"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
TODAY = city_today()


@pytest.fixture
def stack(stack_factory, service_config, runner_factory, tmp_path, event_tap):
    stack = stack_factory(
        (PlatformService, CreditService, TourismService),
        RATE_LIMIT_PER_CLIENT=100_000,
        RATE_LIMIT_PER_IP=100_000,
    )
    config = service_config(
        "community",
        COMMUNITY_TODAY="2026-09-29",
        COMMUNITY_DOCUMENTS_DIR=str(tmp_path / "documents"),
        CONSUMER_RPC_TIMEOUT=1,
    )
    stack.configs["community"] = config
    stack.runners["community"] = runner_factory(config, CommunityService)
    stack.runners["community"].start()
    stack.events = event_tap("community.application_decided", "community.card_linked")
    stack.restart_credit = lambda: runner_factory(stack.configs["credit"], CreditService).start()
    return stack


def office(stack, unit: str) -> str:
    return stack.client("department", "community", scopes=("community.affairs",), unit=unit)


def upload(stack, token: str, kind: str, content: bytes, content_type: str):
    return stack.call(
        "POST",
        "/api/v1/community/me/documents",
        token,
        params={"kind": kind},
        data=content,
        headers={"Content-Type": content_type},
    )


def documents(stack, token: str, *kinds: str) -> list[str]:
    ids = []
    for kind in kinds:
        response = upload(stack, token, kind, PDF, "application/pdf")
        assert response.status_code == 201, response.text
        ids.append(response.json()["document_id"])
    return ids


def apply(stack, token: str, code: str, form: dict, document_ids: list[str]):
    body = {"affair_code": code, "form": form, "document_ids": document_ids}
    return stack.call("POST", "/api/v1/community/me/applications", token, json=body)


def act(stack, key: str, application_id: str, action: str, reason: str | None = None):
    body = {"action": action} | ({"reason": reason} if reason else {})
    path = f"/api/v1/community/applications/{application_id}/actions"
    return stack.call("POST", path, key, json=body)


def moved(stack, key: str, application_id: str, action: str, reason: str | None = None) -> dict:
    response = act(stack, key, application_id, action, reason)
    assert response.status_code == 200, response.text
    return response.json()


CERTIFICATE_FORM = {
    "disability_category": 4,
    "grade": 2,
    "assessing_hospital": "Shenyang First People's Hospital",
}
ALLOWANCE_FORM = {
    "household_size": 2,
    "monthly_household_income_yuan": 900,
    "address": "18 Beiling Street, Huanggu",
}


def test_a_disability_certificate_from_upload_to_card_and_free_entry(stack):
    catalogue = stack.call("GET", "/api/v1/community/affairs", params={"q": "disability"}).json()
    assert [item["code"] for item in catalogue["items"]] == ["disability-certificate"]
    subsidy = stack.call("GET", "/api/v1/community/affairs/employment-subsidy").json()
    assert subsidy["version"] == 2
    first = stack.call("GET", "/api/v1/community/affairs/employment-subsidy?version=1").json()
    assert first["version"] == 1 and "flexible_work" not in first["form_schema"]["properties"]

    card, token = stack.resident(LI_LEI)
    _other_card, other = stack.resident(HAN_MEIMEI, name="Han Meimei", phone="13912345678")

    # Documents: type and size limits, content checked against the declared type.
    assert upload(stack, token, "id_photo", b"hello", "text/plain").status_code == 415
    assert upload(stack, token, "id_photo", PDF, "image/png").status_code == 415
    too_big = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    assert upload(stack, token, "id_photo", too_big, "application/pdf").status_code == 413
    photo = upload(stack, token, "id_photo", PNG, "image/png")
    assert photo.status_code == 201, photo.text
    photo_id = photo.json()["document_id"]
    [assessment_id] = documents(stack, token, "disability_assessment")

    # The form is checked against the affair's schema; required documents must be there.
    bad = apply(stack, token, "disability-certificate", {**CERTIFICATE_FORM, "grade": 5}, [])
    assert bad.status_code == 400 and "form.grade" in bad.json()["fields"], bad.text
    missing = apply(stack, token, "disability-certificate", CERTIFICATE_FORM, [photo_id])
    assert missing.status_code == 400
    assert "disability_assessment" in missing.json()["fields"]["document_ids"][0]
    filed = apply(
        stack, token, "disability-certificate", CERTIFICATE_FORM, [photo_id, assessment_id]
    )
    assert filed.status_code == 201, filed.text
    application = filed.json()
    app_id = application["application_id"]
    # 15 working days from Tue 29 Sep: 30 Sep, 8-10 Oct (Sat 10 worked), 12-16, 19-23, 26 Oct.
    assert (application["status"], application["due_on"]) == ("submitted", "2026-10-26")
    assert application["due_on_provisional"] is False  # 2026 is in the official calendar

    # Nobody else sees it: another resident, another office (404, not 403).
    mine = f"/api/v1/community/me/applications/{app_id}"
    assert stack.call("GET", mine, other).status_code == 404
    assert stack.call("GET", "/api/v1/community/me/applications", other).json()["total"] == 0
    assert stack.call("GET", f"/api/v1/community/me/documents/{photo_id}", other).status_code == 404
    federation, civil = office(stack, "disabled-persons-federation"), office(stack, "civil-affairs")
    assert stack.call("GET", f"/api/v1/community/applications/{app_id}", civil).status_code == 404
    assert act(stack, civil, app_id, "accept").status_code == 404
    assert stack.call("GET", "/api/v1/community/applications", civil).json()["total"] == 0
    queue = stack.call("GET", "/api/v1/community/applications", federation).json()
    assert [item["application_id"] for item in queue["items"]] == [app_id]
    document = f"/api/v1/community/applications/{app_id}/documents/{photo_id}"
    assert stack.call("GET", document, civil).status_code == 404
    read = stack.call("GET", document, federation)
    assert read.status_code == 200 and read.content == PNG
    assert read.headers["Content-Type"] == "image/png"

    # The workflow: an illegal step names the state; a return and a resubmission.
    refused = act(stack, federation, app_id, "approve")
    assert refused.status_code == 409 and refused.json()["details"]["current_state"] == "submitted"
    moved(stack, federation, app_id, "accept")
    unexplained = act(stack, federation, app_id, "return")
    assert unexplained.status_code == 400 and "reason" in unexplained.json()["fields"]
    returned = moved(stack, federation, app_id, "return", "the assessment is not stamped")
    assert returned["status"] == "returned"
    assert act(stack, federation, app_id, "review").status_code == 409
    [stamped] = documents(stack, token, "disability_assessment")
    resubmit = f"/api/v1/community/me/applications/{app_id}/resubmit"
    again = stack.call(
        "POST", resubmit, token, json={"document_ids": [photo_id, stamped], "note": "stamped"}
    )
    assert again.status_code == 200 and again.json()["status"] == "submitted", again.text
    assert stack.call("POST", resubmit, token, json={}).status_code == 409
    for action in ("accept", "review"):
        moved(stack, federation, app_id, action)
    decided = moved(stack, federation, app_id, "approve", "grade 2 physical disability")
    assert decided["status"] == "approved"
    assert decided["certificate_number"] == f"{LI_LEI}42"
    assert decided["valid_until"] == "2036-09-29"  # 10 years from the (pinned) day of approval

    history = stack.call("GET", mine, token).json()["history"]
    steps = [(h["action"], h["from_status"], h["to_status"]) for h in history]
    assert steps == [
        ("submit", None, "submitted"),
        ("accept", "submitted", "accepted"),
        ("return", "accepted", "returned"),
        ("resubmit", "returned", "submitted"),
        ("accept", "submitted", "accepted"),
        ("review", "accepted", "in_review"),
        ("approve", "in_review", "approved"),
    ]
    assert history[0]["actor"] == card and history[2]["reason"] == "the assessment is not stamped"
    assert {history[i]["actor_role"] for i in (1, 2, 4, 5, 6)} == {"department"}

    # Incidents: the reporter follows their own; another resident sees none of them.
    grid = stack.client("department", "community", scopes=("community.grid",))
    ring = [[123.40, 41.79], [123.42, 41.79], [123.42, 41.81], [123.40, 41.81], [123.40, 41.79]]
    cell = {"name": "Zhongshan", "district": "Heping", "grid_worker": "grid-heping-01"}
    cell["polygon"] = {"type": "Polygon", "coordinates": [ring]}
    assert stack.call("PUT", "/api/v1/community/grid/cells/HP-1", grid, json=cell).ok
    lamp = {"category": "facilities_repair", "lon": 123.41, "lat": 41.8, "description": "lamp"}
    reported = stack.call("POST", "/api/v1/community/me/incidents", token, json=lamp)
    assert reported.status_code == 201 and reported.json()["cell_id"] == "HP-1", reported.text
    far = stack.call("POST", "/api/v1/community/me/incidents", token, json={**lamp, "lon": 124})
    assert far.status_code == 422
    followed = stack.call("GET", "/api/v1/community/me/incidents", token).json()["items"]
    assert [i["incident_id"] for i in followed] == [reported.json()["incident_id"]]
    assert stack.call("GET", "/api/v1/community/me/incidents", other).json()["total"] == 0

    events = {event["type"]: event["data"] for event in (stack.events.next(), stack.events.next())}
    assert events["community.card_linked"] == {
        "card_number": card,
        "kind": "disability_certificate",
        "linked_number": f"{LI_LEI}42",
    }
    assert events["community.application_decided"]["outcome"] == "approved"
    assert events["community.application_decided"]["affair_code"] == "disability-certificate"

    # The platform links the certificate to the citizen card.
    def linked() -> list[dict]:
        cards = stack.call("GET", "/api/v1/me", token).json()["linked_cards"]
        return [c for c in cards if c["kind"] == "disability_certificate"]

    assert wait_for(linked)[0]["number"] == f"{LI_LEI}42"

    # Tourism turns the approved certificate into free entry, valid as long as the certificate.
    assert stack.call("POST", "/api/v1/tourism/me", token).status_code in (200, 201)

    def disability_benefits() -> list[dict]:
        benefits = stack.call("GET", "/api/v1/tourism/me", token).json()["benefits"]
        return [benefit for benefit in benefits if benefit["kind"] == "disability"]

    [benefit] = wait_for(disability_benefits)
    assert (benefit["reference"], benefit["valid_until"]) == (app_id, "2036-09-29")
    assert benefit["discount_percent"] == 100


def record(stack, traffic: str, card: str, serial: str, **fields) -> None:
    body = {
        "subject_type": "individual",
        "subject_id": card,
        "source_record_id": serial,
        "basis": "Decision 2026-17",
        "decided_on": (TODAY - timedelta(days=10)).isoformat(),
        "valid_until": (TODAY + timedelta(days=700)).isoformat(),
        **fields,
    }
    response = stack.call("POST", "/api/v1/credit/records", traffic, json=body)
    assert response.status_code == 201, response.text


def test_credit_blocks_the_black_listed_fast_tracks_the_red_listed_and_waits_when_down(stack):
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    civil = office(stack, "civil-affairs")
    people = {}
    for name, id_number, phone in (
        ("Li Lei", LI_LEI, "13812345678"),
        ("Han Meimei", HAN_MEIMEI, "13912345678"),
        ("Zhao Hong", RED_ID, "13712345678"),
    ):
        card, token = stack.resident(id_number, name=name, phone=phone)
        kinds = ("household_register", "income_statement")
        filed = apply(
            stack,
            token,
            "minimum-living-allowance",
            ALLOWANCE_FORM,
            documents(stack, token, *kinds),
        )
        assert filed.status_code == 201, filed.text
        people[name] = (card, filed.json()["application_id"])
    black_card, black_app = people["Han Meimei"]
    red_card, red_app = people["Zhao Hong"]
    record(
        stack,
        traffic,
        black_card,
        "B-1",
        category="administrative_penalty",
        polarity="negative",
        severity="severe",
    )
    for serial in ("R-1", "R-2"):
        record(
            stack,
            traffic,
            red_card,
            serial,
            category="commendation",
            polarity="positive",
            severity="minor",
        )

    # Red list: accepted straight into review with half the time limit (10 of 20 working
    # days: 30 Sep, 8-10 Oct, 12-16 Oct, 19 Oct); the others keep 20 (to Mon 2 Nov).
    fast = moved(stack, civil, red_app, "accept")
    assert (fast["status"], fast["fast_tracked"], fast["due_on"]) == (
        "in_review",
        True,
        "2026-10-19",
    )
    assert fast["credit"]["verdict"] == "fast_track"
    slow = moved(stack, civil, black_app, "accept")
    assert (slow["status"], slow["fast_tracked"], slow["due_on"]) == (
        "accepted",
        False,
        "2026-11-02",
    )

    # Due within two working days of Fri 16 Oct: Mon 19 and Tue 20; overdue on Tue 20 Oct.
    def listed(**query) -> list[str]:
        page = stack.call("GET", "/api/v1/community/applications", civil, params=query)
        assert page.status_code == 200, page.text
        return [item["application_id"] for item in page.json()["items"]]

    assert listed(due="due_soon", on="2026-10-16") == [red_app]
    assert listed(due="due_soon", on="2026-10-15") == [red_app]  # 16 and 19 Oct
    assert listed(due="due_soon", on="2026-10-14") == []  # 15 and 16 Oct
    assert listed(due="overdue", on="2026-10-20") == [red_app]
    assert listed(due="overdue", on="2026-10-19") == []
    everyone = {app_id for _card, app_id in people.values()}
    assert set(listed(due="overdue", on="2026-11-03")) == everyone

    # Black list: approval is blocked, with the credit platform's reason.
    moved(stack, civil, black_app, "review")
    blocked = moved(stack, civil, black_app, "approve")
    assert blocked["status"] == "rejected" and blocked["credit"]["verdict"] == "blocked"
    assert "black list" in blocked["history"][-1]["reason"]
    approved = moved(stack, civil, red_app, "approve")
    assert approved["status"] == "approved"

    # The outcome went back to credit: a second feedback on the same check is refused.
    with stack.rpc("credit") as cluster, pytest.raises(Conflict):
        cluster.credit.record_check_feedback(
            blocked["credit"]["check_id"], "community", "withdrawn"
        )

    # Credit down: approval waits in a clear state, never approved silently; then it retries.
    _card, waiting_app = people["Li Lei"]
    moved(stack, civil, waiting_app, "accept")
    moved(stack, civil, waiting_app, "review")
    stack.runners["credit"].stop()
    waiting = moved(stack, civil, waiting_app, "approve")
    assert waiting["status"] == "awaiting_credit_check"
    assert "credit check unavailable" in waiting["history"][-1]["reason"]
    stack.restart_credit()
    with stack.rpc("community") as cluster:
        wait_for(lambda: cluster.community.retry_pending_credit_work()["settled"] == 1, timeout=15)
    final = stack.call("GET", f"/api/v1/community/applications/{waiting_app}", civil).json()
    assert final["status"] == "approved" and final["credit"]["verdict"] == "clear"
    assert final["history"][-1]["action"] == "credit_check"
