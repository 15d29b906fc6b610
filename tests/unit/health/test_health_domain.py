"""The health service's pure rules: FHIR validation with paths, value sets, indexing, the
access decision, consent terms, date search, consultation transitions, suppression."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.health.domain import access, consultations, resources, search, statistics
from services.health.domain.access import Caller, ConsentTerms
from shared.errors import Conflict, NotFound, Unprocessable, ValidationFailed

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOSPITAL = Caller(
    "key-1", "department", organization_id="hosp-1", scopes=frozenset({"health.records"})
)
OTHER = Caller(
    "key-2", "department", organization_id="hosp-2", scopes=frozenset({"health.records"})
)
RESIDENT = Caller("CARD-A", "resident", card_number="CARD-A")


def terms(
    provision="permit", status="active", starts=None, ends=None, org="hosp-2"
) -> ConsentTerms:
    return ConsentTerms("c1", org, provision, status, starts, ends, "TREAT")


def decide(caller, consents=(), break_glass=None, author="hosp-1", card="CARD-A"):
    return access.read_decision(caller, card, author, consents, NOW, "treatment", break_glass)


def test_the_author_always_reads_and_others_need_consent_or_break_glass():
    assert decide(HOSPITAL).basis == "author"
    assert not decide(OTHER).allowed
    assert decide(OTHER, [terms()]).basis == "consent"
    assert not decide(OTHER, [terms(status="inactive")]).allowed
    assert not decide(OTHER, [terms(ends=NOW - timedelta(seconds=1))]).allowed
    assert not decide(OTHER, [terms(starts=NOW + timedelta(days=1))]).allowed
    assert not decide(OTHER, [terms(), terms(provision="deny")]).allowed  # deny wins
    assert not decide(OTHER, [terms(org="hosp-3")]).allowed
    glass = decide(OTHER, break_glass="cardiac arrest")
    assert glass.allowed and glass.purpose == "break-glass: cardiac arrest"


def test_a_resident_reads_only_their_own():
    assert decide(RESIDENT).basis == "resident"
    assert not decide(RESIDENT, card="CARD-B").allowed
    assert not decide(RESIDENT, card="CARD-B", break_glass="please").allowed
    nobody = Caller("x", "integrator")
    assert not decide(nobody, break_glass="please").allowed


def test_consented_keys_drop_denied_and_lapsed():
    pairs = [
        ("CARD-A", terms()),
        ("CARD-B", terms()),
        ("CARD-B", terms(provision="deny")),
        ("CARD-C", terms(ends=NOW - timedelta(days=1))),
    ]
    assert access.consented_keys(pairs, NOW) == {"CARD-A"}


def test_consent_terms_need_one_institution_and_a_day_end_includes_the_day():
    body = access.consent_resource("c1", "p1", "hosp-2", "permit", "TREAT", None, "2026-06-01", NOW)
    consent = resources.validated("Consent", body)
    found = access.consent_terms("c1", consent)
    assert found.organization_id == "hosp-2" and found.in_force(NOW)
    assert not found.in_force(NOW + timedelta(days=1))
    consent["provision"]["actor"] = []
    with pytest.raises(Unprocessable):
        access.consent_terms("c1", consent)


def test_a_consent_period_of_days_follows_the_citys_calendar():
    # 2026-06-01 16:30 UTC is 00:30 on 2 June in Shenyang.
    after_midnight_in_the_city = datetime(2026, 6, 1, 16, 30, tzinfo=UTC)
    ended = access.consent_resource(
        "c1", "p1", "hosp-2", "permit", "TREAT", None, "2026-06-01", NOW
    )
    started = access.consent_resource(
        "c2", "p1", "hosp-2", "permit", "TREAT", "2026-06-02", None, NOW
    )
    assert not access.consent_terms("c1", ended).in_force(after_midnight_in_the_city)
    assert access.consent_terms("c2", started).in_force(after_midnight_in_the_city)


def test_invalid_fhir_names_the_paths_and_value_sets_are_checked():
    with pytest.raises(ValidationFailed) as caught:
        resources.validated(
            "Observation",
            {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": 5}]}},
        )
    assert "Observation.code.coding[0].system" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        resources.validated(
            "Encounter", {"resourceType": "Encounter", "status": "done", "class": {"code": "AMB"}}
        )
    assert "Encounter.status" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        resources.validated("Observation", {"resourceType": "Condition"})
    assert "Observation.resourceType" in caught.value.fields
    with pytest.raises(NotFound):
        resources.validated("Spaceship", {"resourceType": "Spaceship"})


def test_index_finds_patient_code_category_and_date():
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-02",
    }
    indexed = resources.index("Observation", resources.validated("Observation", observation))
    assert (indexed.patient_id, indexed.code, indexed.category) == ("p1", "8480-6", "vital-signs")
    assert indexed.date == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(Unprocessable):
        resources.index("Observation", {**observation, "subject": {"reference": "Group/g1"}})


def test_date_search_prefixes():
    assert search.date_condition("2026") == search.DateCondition(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert search.date_condition("ge2026-02").low == datetime(2026, 2, 1, tzinfo=UTC)
    assert search.date_condition("le2026-02").high == datetime(2026, 3, 1, tzinfo=UTC)
    assert search.date_condition("lt2026-02-03").high == datetime(2026, 2, 3, tzinfo=UTC)
    assert search.date_condition("gt2026-02-03").low == datetime(2026, 2, 4, tzinfo=UTC)
    for bad in ("yesterday", "ne2026", "2026-13-01", "9999", "0000", "2026-02-30T25:00"):
        with pytest.raises(ValidationFailed):
            search.date_condition(bad)
    assert search.token("http://loinc.org|8480-6") == "8480-6"


def test_consultation_transitions_and_time_limits():
    assert consultations.next_state("assign", "requested") == "assigned"
    assert consultations.next_state("cancel", "assigned") == "cancelled"
    with pytest.raises(Conflict) as caught:
        consultations.next_state("close", "requested")
    assert caught.value.fields == {"state": ["requested"]}
    due = consultations.due_at("emergency", NOW)
    assert due == NOW + timedelta(hours=1)
    assert consultations.is_overdue("assigned", due, NOW + timedelta(hours=2))
    assert not consultations.is_overdue("answered", due, NOW + timedelta(hours=2))


def test_small_cells_are_suppressed_and_age_bands():
    result = statistics.suppressed("sex", [("female", 5), ("male", 4)])
    assert result["cells"] == [
        {"value": "female", "count": 5, "suppressed": False},
        {"value": "male", "count": None, "suppressed": True},
    ]
    assert result["suppressed_cells"] == 1
    assert statistics.age_band(date(2000, 6, 2), date(2026, 6, 1)) == "25-44"
    assert statistics.age_band(date(1940, 1, 1), date(2026, 6, 1)) == "80+"
    assert statistics.age_band(None, date(2026, 6, 1)) == "unknown"
