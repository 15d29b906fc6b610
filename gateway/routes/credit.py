"""Public credit: departments report and check, residents see and contest their own file."""

from __future__ import annotations

from typing import Any

from gateway.access import PUBLIC, RESIDENT, Department
from gateway.cache import CREDIT_LISTS, Cacheable, next_city_midnight
from gateway.http import Call, api
from shared.contracts import credit as contract
from shared.errors import ValidationFailed

PUBLISHED_LIST_READ = Cacheable(tags=(CREDIT_LISTS,), expires=next_city_midnight)
"""Emptied by ``credit.list_changed``; an entry past its expiry date leaves at midnight."""


class CreditRoutes:
    @api(
        "POST",
        "/api/v1/credit/records",
        access=Department("credit.records"),
        status=201,
        tags=("credit",),
        body=contract.RecordIn,
        response=contract.Record,
        summary="Report a decision about a subject (201; 200 with the stored record on a "
        "repeated source_record_id; 403 for a person without a granted purpose, 422 when it "
        "contradicts the population registry)",
    )
    def add_credit_record(self, call: Call) -> tuple[int, dict[str, Any]]:
        result = self.services.credit.add_record(call.principal.department, call.json)
        return (201 if result["created"] else 200), result["record"]

    @api(
        "POST",
        "/api/v1/credit/records/<record_id>/repair",
        tags=("credit",),
        access=Department("credit.records"),
        body=contract.RepairIn,
        response=contract.Record,
        summary="Confirm a credit repair of one of our records",
    )
    def repair_credit_record(self, call: Call) -> dict[str, Any]:
        return self.services.credit.repair_record(
            call.path["record_id"], call.principal.department, call.body["note"]
        )

    @api(
        "POST",
        "/api/v1/credit/checks",
        access=Department("credit.check"),
        tags=("credit",),
        body=contract.CheckIn,
        response=contract.CheckResult,
        summary="Check a subject before granting a service (joint reward and punishment)",
    )
    def check_credit(self, call: Call) -> dict[str, Any]:
        return self.services.credit.check(
            call.body["subject_type"],
            call.body["subject_id"],
            call.body["purpose"],
            call.principal.department,
        )

    @api(
        "POST",
        "/api/v1/credit/checks/<check_id>/feedback",
        tags=("credit",),
        access=Department("credit.check"),
        body=contract.FeedbackIn,
        response=contract.Feedback,
        summary="What we did after a check",
    )
    def credit_check_feedback(self, call: Call) -> dict[str, Any]:
        return self.services.credit.record_check_feedback(
            call.path["check_id"],
            call.principal.department,
            call.body["action_taken"],
            call.body.get("note"),
        )

    @api(
        "GET",
        "/api/v1/credit/objections",
        access=Department("credit.objections"),
        tags=("credit",),
        query=contract.ObjectionPageQuery,
        response=contract.ObjectionPage,
        summary="Objections to our own records",
    )
    def credit_objections(self, call: Call) -> dict[str, Any]:
        return self.services.credit.objections_for_department(
            call.principal.department,
            call.query.get("status"),
            call.query["limit"],
            call.query["offset"],
        )

    @api(
        "POST",
        "/api/v1/credit/objections/<objection_id>/decision",
        tags=("credit",),
        access=Department("credit.objections"),
        body=contract.ObjectionDecisionIn,
        response=contract.Objection,
        summary="Uphold, correct or revoke a contested record",
    )
    def resolve_credit_objection(self, call: Call) -> dict[str, Any]:
        return self.services.credit.resolve_objection(
            call.path["objection_id"],
            call.principal.department,
            call.json["decision"],
            call.json.get("note"),
            call.json.get("corrections"),
        )

    @api(
        "GET",
        "/api/v1/credit/me/report",
        access=RESIDENT,
        personal_data=True,
        tags=("credit",),
        response=contract.SubjectReport,
        summary="My credit file: level, records, lists, objections",
    )
    def my_credit_report(self, call: Call) -> dict[str, Any]:
        id_number = self._my_id_number(call)
        return self.services.credit.subject_report("individual", id_number)

    @api(
        "POST",
        "/api/v1/credit/me/objections",
        access=RESIDENT,
        personal_data=True,
        status=201,
        tags=("credit",),
        body=contract.ObjectionIn,
        response=contract.Objection,
        summary="Object to one of my records",
    )
    def file_credit_objection(self, call: Call) -> dict[str, Any]:
        return self.services.credit.file_objection(
            call.body["record_id"], self._my_id_number(call), call.body["reason"]
        )

    @api(
        "GET",
        "/api/v1/credit/subjects/<credit_code>/public",
        access=PUBLIC,
        tags=("credit", "open data"),
        response=contract.PublicSummary,
        summary="An enterprise's or organisation's public credit summary (no personal data)",
    )
    def credit_public_summary(self, call: Call) -> dict[str, Any]:
        return self.services.credit.public_summary(call.path["credit_code"])

    @api(
        "GET",
        "/api/v1/credit/lists/<kind>",
        access=PUBLIC,
        tags=("credit", "open data"),
        query=contract.ListPageQuery,
        response=contract.ListPage,
        summary="The published red or black list of enterprises and organisations",
        cache=PUBLISHED_LIST_READ,
    )
    def credit_published_list(self, call: Call) -> dict[str, Any]:
        if call.path["kind"] not in ("red", "black"):
            raise ValidationFailed("kind must be red or black", fields={"kind": ["red|black"]})
        return self.services.credit.published_list(
            call.path["kind"], call.query["limit"], call.query["offset"]
        )

    def _my_id_number(self, call: Call) -> str:
        """Credit files of people are keyed by ID number; the token carries the card."""
        return self.services.platform.resolve_card(call.principal.id)["id_number"]
