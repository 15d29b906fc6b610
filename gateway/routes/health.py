"""Health: the FHIR R4B face for institutions and residents, consent, the remote consultation
centre, and supervision statistics.

Under ``/api/v1/health/fhir`` every answer is ``application/fhir+json`` and every error an
``OperationOutcome`` (also for unknown paths there). Institutions are ``health`` clients whose
unit is their Organization id (scope ``health.records``); the consultation centre holds
``health.consultations``, the health department's supervisors ``health.statistics``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from gateway import fhir
from gateway.access import PUBLIC, RESIDENT, Department
from gateway.http import Call, api, render_errors_under
from shared.contracts import health as contract
from shared.contracts.common import load

INSTITUTION = Department("health.records", "health")
CENTRE = Department("health.consultations", "health")
SUPERVISOR = Department("health.statistics", "health")
FHIR_USERS = RESIDENT | INSTITUTION
FHIR = {
    "tags": ("health",),
    "error_response": fhir.operation_outcome,
    "media_type": contract.FHIR_JSON,
    "purpose": "treatment",
}
FHIR_WRITE = {
    **FHIR,
    "content_types": contract.FHIR_CONTENT_TYPES,
    "max_body_bytes": contract.MAX_RESOURCE_BYTES,
}
BASE = fhir.FHIR_BASE

render_errors_under(BASE + "/", fhir.operation_outcome)


class HealthRoutes:
    # --- the FHIR face ---------------------------------------------------------------------------

    @api("GET", f"{BASE}/metadata", access=PUBLIC, summary="FHIR CapabilityStatement", **FHIR)
    def fhir_metadata(self, call: Call) -> Response:
        return fhir.fhir_response(fhir.capability_statement(call.request))

    @api(
        "GET",
        f"{BASE}/<resource_type>",
        access=FHIR_USERS,
        summary="FHIR search: patient, subject, identifier, category, code, date (ge/le/gt/lt), "
        "_id, _count, _offset, _sort; a searchset Bundle with total and next/previous links. "
        "A resident's token limits it to their own records; X-Break-Glass: <reason> reads a "
        "named patient without consent (audited)",
        **FHIR,
    )
    def fhir_search(self, call: Call) -> Response:
        params = load(contract.SearchQuery, fhir.search_arguments(call.request.args))
        page = self.services.health.fhir_search(
            call.path["resource_type"], params, fhir.break_glass_reason(call.request)
        )
        return fhir.fhir_response(fhir.searchset(call.request, call.path["resource_type"], page))

    @api(
        "POST",
        f"{BASE}/<resource_type>",
        access=FHIR_USERS,
        status=201,
        summary="FHIR create (institutions: their patients' records; residents: Consent)",
        **FHIR_WRITE,
    )
    def fhir_create(self, call: Call) -> Response:
        result = self.services.health.fhir_write(
            call.path["resource_type"], fhir.resource_body(call.raw_body)
        )
        return self._written(call, result)

    @api(
        "POST",
        BASE,
        access=INSTITUTION,
        summary="FHIR transaction Bundle: every entry (POST <type> or PUT <type>/<id>) written, "
        "or none; entries may reference earlier ones by fullUrl (urn:uuid:...)",
        **{**FHIR_WRITE, "max_body_bytes": contract.MAX_BUNDLE_BYTES},
    )
    def fhir_transaction(self, call: Call) -> Response:
        bundle = self.services.health.fhir_transaction(fhir.resource_body(call.raw_body))
        return fhir.fhir_response(bundle)

    @api(
        "GET",
        f"{BASE}/<resource_type>/<resource_id>",
        access=FHIR_USERS,
        summary="FHIR read (the author, a consented institution, break-glass, or the resident)",
        **FHIR,
    )
    def fhir_read(self, call: Call) -> Response:
        resource = self.services.health.fhir_read(
            call.path["resource_type"],
            call.path["resource_id"],
            fhir.break_glass_reason(call.request),
        )
        return fhir.fhir_response(resource, headers=fhir.version_headers(resource))

    @api(
        "PUT",
        f"{BASE}/<resource_type>/<resource_id>",
        access=FHIR_USERS,
        summary='FHIR update, or create at a chosen id; If-Match: W/"<versionId>" else 412',
        **FHIR_WRITE,
    )
    def fhir_update(self, call: Call) -> Response:
        result = self.services.health.fhir_write(
            call.path["resource_type"],
            fhir.resource_body(call.raw_body),
            call.path["resource_id"],
            call.request.headers.get("If-Match"),
        )
        return self._written(call, result)

    @api(
        "GET",
        f"{BASE}/Patient/<patient_id>/$everything",
        access=FHIR_USERS,
        summary="FHIR Patient $everything: the resident's regional archive the caller may read",
        **FHIR,
    )
    def fhir_everything(self, call: Call) -> Response:
        return self._everything(call)

    @api(
        "POST",
        f"{BASE}/Patient/<patient_id>/$everything",
        access=FHIR_USERS,
        summary="FHIR Patient $everything invoked by POST (an empty or Parameters body)",
        **FHIR_WRITE,
    )
    def fhir_everything_post(self, call: Call) -> Response:
        return self._everything(call)

    def _everything(self, call: Call) -> Response:
        page = self.services.health.fhir_everything(
            call.path["patient_id"], fhir.break_glass_reason(call.request)
        )
        path = f"Patient/{call.path['patient_id']}/$everything"
        return fhir.fhir_response(fhir.searchset(call.request, path, page))

    def _written(self, call: Call, result: dict[str, Any]) -> Response:
        resource = result["resource"]
        headers = fhir.version_headers(resource)
        # Without a version: only the current version is kept (no vread).
        headers["Location"] = (
            f"{fhir.base_url(call.request)}/{resource['resourceType']}/{resource['id']}"
        )
        return fhir.fhir_response(resource, 201 if result["created"] else 200, headers=headers)

    # --- the resident ----------------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/health/me/records",
        access=RESIDENT,
        tags=("health",),
        summary="My health archive from every institution, as a FHIR Bundle",
        error_response=fhir.operation_outcome,
        media_type=contract.FHIR_JSON,
    )
    def my_health_records(self, call: Call) -> Response:
        page = self.services.health.my_records()
        bundle = fhir.searchset(call.request, "Patient/$everything", page)
        bundle["link"] = [{"relation": "self", "url": call.request.url}]
        return fhir.fhir_response(bundle)

    @api(
        "POST",
        "/api/v1/health/me/consents",
        access=RESIDENT,
        status=201,
        tags=("health",),
        body=contract.ConsentIn,
        summary="Grant (permit) or refuse (deny) an institution access to my records; a FHIR "
        "Consent",
    )
    def grant_health_consent(self, call: Call) -> tuple[int, dict[str, Any]]:
        return 201, self.services.health.grant_consent(call.json)

    @api(
        "POST",
        "/api/v1/health/me/consents/<consent_id>/withdraw",
        access=RESIDENT,
        tags=("health",),
        summary="Withdraw a consent: the institution's access stops at once",
    )
    def withdraw_health_consent(self, call: Call) -> dict[str, Any]:
        return self.services.health.withdraw_consent(call.path["consent_id"])

    # --- remote consultation ---------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/health/consultations",
        access=INSTITUTION,
        status=201,
        tags=("health",),
        body=contract.ConsultationIn,
        response=contract.Consultation,
        summary="Ask the remote consultation centre about a patient we may read "
        "(consent, our own patient, or X-Break-Glass)",
    )
    def request_consultation(self, call: Call) -> tuple[int, dict[str, Any]]:
        return 201, self.services.health.request_consultation(
            call.json, fhir.break_glass_reason(call.request)
        )

    @api(
        "GET",
        "/api/v1/health/consultations/overdue",
        access=CENTRE,
        tags=("health",),
        query=contract.OverdueQuery,
        response=contract.ConsultationList,
        summary="Open consultations past their time limit (now, or as_of)",
    )
    def overdue_consultations(self, call: Call) -> dict[str, Any]:
        as_of = call.query.get("as_of")
        return self.services.health.overdue_consultations(as_of.isoformat() if as_of else None)

    @api(
        "GET",
        "/api/v1/health/consultations/<consultation_id>",
        access=INSTITUTION | CENTRE,
        tags=("health",),
        response=contract.Consultation,
        summary="One consultation (its requester, its assignee and the centre)",
    )
    def get_consultation(self, call: Call) -> dict[str, Any]:
        return self.services.health.consultation(call.path["consultation_id"])

    @api(
        "POST",
        "/api/v1/health/consultations/<consultation_id>/assign",
        access=CENTRE,
        tags=("health",),
        body=contract.AssignIn,
        response=contract.Consultation,
        summary="Assign a city hospital's specialist (requested → assigned; else 409)",
    )
    def assign_consultation(self, call: Call) -> dict[str, Any]:
        return self._act(call, "assign")

    @api(
        "POST",
        "/api/v1/health/consultations/<consultation_id>/answer",
        access=INSTITUTION,
        tags=("health",),
        body=contract.AnswerIn,
        response=contract.Consultation,
        summary="The assigned specialist's answer (assigned → answered; else 409)",
    )
    def answer_consultation(self, call: Call) -> dict[str, Any]:
        return self._act(call, "answer")

    @api(
        "POST",
        "/api/v1/health/consultations/<consultation_id>/close",
        access=INSTITUTION,
        tags=("health",),
        response=contract.Consultation,
        summary="The requester closes an answered consultation (answered → closed; else 409)",
    )
    def close_consultation(self, call: Call) -> dict[str, Any]:
        return self._act(call, "close")

    @api(
        "POST",
        "/api/v1/health/consultations/<consultation_id>/cancel",
        access=INSTITUTION | CENTRE,
        tags=("health",),
        response=contract.Consultation,
        summary="Cancel an unanswered consultation (requested or assigned; else 409)",
    )
    def cancel_consultation(self, call: Call) -> dict[str, Any]:
        return self._act(call, "cancel")

    def _act(self, call: Call, action: str) -> dict[str, Any]:
        return self.services.health.consultation_action(
            call.path["consultation_id"], action, call.json or {}
        )

    # --- supervision -----------------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/health/statistics",
        access=SUPERVISOR,
        tags=("health",),
        query=contract.StatisticsQuery,
        response=contract.Statistics,
        summary="Residents counted by condition, district, age band, sex, month, or records "
        "per institution; cells under 5 are suppressed",
    )
    def health_statistics(self, call: Call) -> dict[str, Any]:
        return self.services.health.statistics(call.query["dimension"], call.query.get("code"))

    @api(
        "GET",
        "/api/v1/health/ratings",
        access=SUPERVISOR,
        tags=("health",),
        response=contract.Ratings,
        summary="Institutions' ratings inputs: record completeness, consultation response times",
    )
    def health_ratings(self, call: Call) -> dict[str, Any]:
        return self.services.health.ratings()
