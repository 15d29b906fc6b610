"""Credit through the gateway: departments report and check, the public sees summaries,
residents see and contest their own file."""

from datetime import timedelta

from gateway_samples import ENTERPRISE_CODE, HAN_MEIMEI, LI_LEI

from shared.clock import city_today

TODAY = city_today()


def record(source_id: str, **overrides) -> dict:
    return {
        "subject_type": "enterprise",
        "subject_id": ENTERPRISE_CODE,
        "source_record_id": source_id,
        "category": "administrative_penalty",
        "polarity": "negative",
        "severity": "severe",
        "basis": "Decision 2026-17",
        "decided_on": (TODAY - timedelta(days=10)).isoformat(),
        "valid_until": (TODAY + timedelta(days=700)).isoformat(),
        **overrides,
    }


ENTERPRISE_NAME = "Shenyang Heavy Lifting Co., Ltd."


def register_enterprise(stack) -> None:
    """The operator enters the enterprise in the legal-entity registry."""
    registered = stack.call(
        "POST",
        "/api/v1/registry/legal-entities",
        stack.client("operator"),
        json={
            "credit_code": ENTERPRISE_CODE,
            "name": ENTERPRISE_NAME,
            "legal_representative": "Zhao Qiang",
            "registered_address": "1 Shifu Road",
            "established_on": "2009-05-01",
        },
    )
    assert registered.status_code == 201, registered.text


def public_name(stack) -> str | None:
    """The name the public summary shows for the enterprise."""
    summary = stack.call("GET", f"/api/v1/credit/subjects/{ENTERPRISE_CODE}/public").json()
    return summary.get("name")


def test_department_posts_a_record_once_and_the_public_sees_the_black_list(stack):
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    first = stack.call("POST", "/api/v1/credit/records", traffic, json=record("T-1"))
    assert first.status_code == 201, first.text
    again = stack.call("POST", "/api/v1/credit/records", traffic, json=record("T-1"))
    assert again.status_code == 200
    assert again.json()["record_id"] == first.json()["record_id"]

    public = stack.call("GET", f"/api/v1/credit/subjects/{ENTERPRISE_CODE}/public")
    assert public.status_code == 200
    summary = public.json()
    assert set(summary) >= {"credit_code", "name", "level", "lists"}
    assert summary["level"] == "D"
    assert [entry["list"] for entry in summary["lists"]] == ["black"]

    listed = stack.call("GET", "/api/v1/credit/lists/black").json()
    assert [item["credit_code"] for item in listed["items"]] == [ENTERPRISE_CODE]
    assert listed["total"] == 1


def test_bad_codes_and_id_numbers_name_the_field(stack):
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    bad_code = stack.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json=record("T-2", subject_id=ENTERPRISE_CODE[:-1] + "X"),
    )
    assert bad_code.status_code == 400
    assert "subject_id" in bad_code.json()["fields"]
    bad_id = stack.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json=record("T-3", subject_type="individual", subject_id=LI_LEI[:-1] + "0"),
    )
    assert bad_id.status_code == 400
    assert "subject_id" in bad_id.json()["fields"]


def test_check_needs_the_scope_and_returns_measures(stack):
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    health = stack.client("department", "health", scopes=("credit.check",))
    stack.call("POST", "/api/v1/credit/records", traffic, json=record("T-4"))
    check = {"subject_type": "enterprise", "subject_id": ENTERPRISE_CODE, "purpose": "subsidy"}

    assert stack.call("POST", "/api/v1/credit/checks", traffic, json=check).status_code == 403
    result = stack.call("POST", "/api/v1/credit/checks", health, json=check)
    assert result.status_code == 200
    assert result.json()["measures"] == ["deny_subsidy"]
    assert result.json()["level"] == "D"


def test_resident_sees_own_report_and_objects_and_the_department_decides(stack):
    card, token = stack.resident(LI_LEI)
    traffic = stack.client("department", "traffic", scopes=("credit.records", "credit.objections"))
    posted = stack.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json=record("T-5", subject_type="individual", subject_id=card, severity="minor"),
    )
    assert posted.status_code == 201, posted.text

    report = stack.call("GET", "/api/v1/credit/me/report", token)
    assert report.status_code == 200
    records = report.json()["records"]
    assert [r["source_record_id"] for r in records] == ["T-5"]

    objection = stack.call(
        "POST",
        "/api/v1/credit/me/objections",
        token,
        json={"record_id": records[0]["record_id"], "reason": "I was not parked there"},
    )
    assert objection.status_code == 201, objection.text

    pending = stack.call("GET", "/api/v1/credit/objections", traffic).json()
    assert [o["objection_id"] for o in pending["items"]] == [objection.json()["objection_id"]]
    decided = stack.call(
        "POST",
        f"/api/v1/credit/objections/{objection.json()['objection_id']}/decision",
        traffic,
        json={"decision": "revoke", "note": "camera shows another car"},
    )
    assert decided.status_code == 200, decided.text

    after = stack.call("GET", "/api/v1/credit/me/report", token).json()
    assert after["level"] == "A"

    # Another department cannot review traffic's records.
    health = stack.client("department", "health", scopes=("credit.objections",))
    assert stack.call("GET", "/api/v1/credit/objections", health).json()["items"] == []


def test_a_resident_without_records_gets_an_empty_report(stack):
    _card, token = stack.resident(HAN_MEIMEI)
    report = stack.call("GET", "/api/v1/credit/me/report", token)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["subject_type"], body["subject_id"]) == ("individual", HAN_MEIMEI)
    assert body["level"] == "A"  # the level of a clean file
    assert (body["records"], body["lists"], body["objections"]) == ([], [], [])


def test_a_departments_credit_check_on_a_person_shows_in_their_access_log(stack):
    from helpers import wait_for

    card, token = stack.resident(LI_LEI)
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    health = stack.client("department", "health", scopes=("credit.check",))
    stack.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json=record("T-6", subject_type="individual", subject_id=card, severity="minor"),
    )

    check = stack.call(
        "POST",
        "/api/v1/credit/checks",
        health,
        json={"subject_type": "individual", "subject_id": LI_LEI, "purpose": "subsidy"},
    )
    assert check.status_code == 200, check.text

    def health_reads():
        log = stack.call("GET", "/api/v1/me/access-log", token).json()["items"]
        return [e for e in log if e["department"] == "health" and e["resource"] == "credit_check"]

    entry = wait_for(health_reads)[0]
    assert entry["purpose"] == "subsidy"
    assert entry["request_id"] == check.headers["X-Request-Id"]


def test_the_registry_names_the_enterprise_in_its_public_summary(stack):
    from helpers import wait_for

    register_enterprise(stack)
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    stack.call("POST", "/api/v1/credit/records", traffic, json=record("T-7", severity="minor"))

    assert wait_for(lambda: public_name(stack)) == ENTERPRISE_NAME


def test_a_department_naming_a_person_by_card_never_gets_their_id_number(stack):
    from helpers import wait_for

    card, token = stack.resident(LI_LEI)
    traffic = stack.client("department", "traffic", scopes=("credit.records", "credit.objections"))
    posted = stack.call(
        "POST",
        "/api/v1/credit/records",
        traffic,
        json=record("T-8", subject_type="individual", subject_id=card, severity="minor"),
    )
    assert posted.status_code == 201, posted.text
    assert LI_LEI not in posted.text
    assert posted.json()["subject_id"] == "2101**********1233"
    # The record is on the person's file, under their full ID number, for them alone.
    report = stack.call("GET", "/api/v1/credit/me/report", token).json()
    assert report["subject_id"] == LI_LEI
    assert [r["source_record_id"] for r in report["records"]] == ["T-8"]

    # Nor through the objection queue or the decision on it.
    record_id = posted.json()["record_id"]
    stack.call(
        "POST",
        "/api/v1/credit/me/objections",
        token,
        json={"record_id": record_id, "reason": "not my car"},
    )
    queue = wait_for(
        lambda: stack.call("GET", "/api/v1/credit/objections", traffic).json()["items"]
    )
    assert queue[0]["record"]["subject_id"] == "2101**********1233"
    decided = stack.call(
        "POST",
        f"/api/v1/credit/objections/{queue[0]['objection_id']}/decision",
        traffic,
        json={"decision": "uphold", "note": "the camera shows the car"},
    )
    assert decided.status_code == 200, decided.text
    assert LI_LEI not in decided.text
    repaired = stack.call(
        "POST", f"/api/v1/credit/records/{record_id}/repair", traffic, json={"note": "paid"}
    )
    assert repaired.status_code == 200, repaired.text
    assert LI_LEI not in repaired.text


def test_a_record_about_a_person_needs_a_purpose_the_department_is_granted(stack):
    card, token = stack.resident(LI_LEI)
    tourism = stack.client("department", "tourism", scopes=("credit.records",))
    refused = stack.call(
        "POST",
        "/api/v1/credit/records",
        tourism,
        json=record("TO-1", subject_type="individual", subject_id=card, severity="minor"),
    )
    assert refused.status_code == 403, refused.text
    assert list(refused.json()["fields"]) == ["category"]
    assert LI_LEI not in refused.text
    assert stack.call("GET", "/api/v1/credit/me/report", token).json()["records"] == []
    # Records about enterprises need no grant.
    enterprise = stack.call("POST", "/api/v1/credit/records", tourism, json=record("TO-2"))
    assert enterprise.status_code == 201, enterprise.text


def test_names_come_from_the_registry_never_from_a_departments_record(stack):
    from helpers import wait_for

    register_enterprise(stack)

    tourism = stack.client("department", "tourism", scopes=("credit.records",))
    first = record("TO-3", severity="minor")
    stack.call("POST", "/api/v1/credit/records", tourism, json=first)
    assert wait_for(lambda: public_name(stack)) == ENTERPRISE_NAME
    renaming = record("TO-4", severity="minor", subject_name="Fraudulent Shell Co. (renamed)")
    assert stack.call("POST", "/api/v1/credit/records", tourism, json=renaming).status_code == 201
    assert public_name(stack) == ENTERPRISE_NAME


def test_a_card_contradicting_the_registry_is_422_and_checks_land_in_the_right_log(stack):
    from helpers import wait_for

    card_a, token_a = stack.resident(LI_LEI)
    card_b, token_b = stack.resident(HAN_MEIMEI, name="Han Meimei", phone="13812345679")
    traffic = stack.client("department", "traffic", scopes=("credit.records",))
    health = stack.client("department", "health", scopes=("credit.check",))

    about_b_with_as_card = record(
        "T-9", subject_type="individual", subject_id=HAN_MEIMEI, card_number=card_a
    )
    refused = stack.call("POST", "/api/v1/credit/records", traffic, json=about_b_with_as_card)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"], list(refused.json()["fields"])) == (
        "unprocessable",
        ["card_number"],
    )
    assert stack.call("GET", "/api/v1/credit/me/report", token_b).json()["records"] == []

    with_bs_card = {**about_b_with_as_card, "card_number": card_b}
    stored = stack.call("POST", "/api/v1/credit/records", traffic, json=with_bs_card)
    assert stored.status_code == 201, stored.text
    check = stack.call(
        "POST",
        "/api/v1/credit/checks",
        health,
        json={"subject_type": "individual", "subject_id": HAN_MEIMEI, "purpose": "subsidy"},
    )
    assert check.status_code == 200, check.text
    request_id = check.headers["X-Request-Id"]

    def in_log(token: str) -> list[dict]:
        items = stack.call("GET", "/api/v1/me/access-log", token).json()["items"]
        return [entry for entry in items if entry["request_id"] == request_id]

    [entry] = wait_for(lambda: in_log(token_b))
    assert (entry["department"], entry["resource"]) == ("health", "credit_check")
    assert in_log(token_a) == []  # the check's entry was appended once, to B's log
