"""What the gateway's FHIR face answers is itself valid FHIR R4B: the CapabilityStatement,
searchset Bundles with paging links, and OperationOutcomes naming the path at fault."""

from __future__ import annotations

import json

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import fhir
from shared.contracts.health import FHIR_JSON, RESOURCE_TYPES
from shared.errors import NotFound, ValidationFailed

PATIENT = {"resourceType": "Patient", "id": "p1", "meta": {"versionId": "3"}}


def request(query: str = "") -> Request:
    path = f"{fhir.FHIR_BASE}/Patient"
    return Request(
        EnvironBuilder(path=path, query_string=query, base_url="http://city").get_environ()
    )


def test_the_capability_statement_is_valid_and_lists_every_type():
    statement = CapabilityStatement.model_validate(fhir.capability_statement(request()))
    assert [r.type for r in statement.rest[0].resource] == list(RESOURCE_TYPES)


def test_a_searchset_page_links_to_the_next_and_previous_pages():
    page = {"total": 25, "count": 10, "offset": 10, "resources": [PATIENT]}
    bundle = fhir.searchset(request("code=x&_count=10&_offset=10"), "Patient", page)
    Bundle.model_validate(bundle)
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert links["next"] == "http://city/api/v1/health/fhir/Patient?code=x&_count=10&_offset=20"
    assert links["previous"].endswith("_offset=0")
    assert bundle["entry"][0]["fullUrl"] == "http://city/api/v1/health/fhir/Patient/p1"
    last = fhir.searchset(request(), "Patient", {**page, "offset": 20})
    assert "next" not in {link["relation"] for link in last["link"]}


def test_errors_are_operation_outcomes_with_the_path_at_fault():
    invalid = ValidationFailed("bad", fields={"Observation.code.coding[0].system": ["not a uri"]})
    response = fhir.operation_outcome(invalid, "req-1")
    assert response.status_code == 400 and response.mimetype == FHIR_JSON
    outcome = OperationOutcome.model_validate(json.loads(response.get_data()))
    assert outcome.issue[0].expression == ["Observation.code.coding[0].system"]
    assert outcome.issue[0].code == "invalid"
    missing = fhir.operation_outcome(NotFound("Patient/x not found"), None)
    assert json.loads(missing.get_data())["issue"][0]["code"] == "not-found"
    crash = fhir.operation_outcome(RuntimeError("boom"), None)
    assert crash.status_code == 500 and "boom" not in crash.get_data(as_text=True)


def test_versions_become_etags_and_dates_may_repeat():
    assert fhir.version_headers(PATIENT) == {"ETag": 'W/"3"'}
    args = request("date=ge2026&date=le2027&code=x").args
    assert fhir.search_arguments(args) == {"code": "x", "date": ["ge2026", "le2027"]}
