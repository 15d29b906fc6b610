"""The three base databases: population, legal entities, housing (departments with a scope)."""

from __future__ import annotations

from typing import Any

from gateway.access import INTEGRATOR, OPERATOR, RESIDENT, Department
from gateway.http import Call, api
from shared.contracts import platform as contract


class RegistryRoutes:
    @api(
        "POST",
        "/api/v1/registry/residents/lookup",
        personal_data=True,
        access=Department("registry.population"),
        tags=("registry",),
        summary="Look up and verify a resident by card or ID number (audited; in the body, "
        "so no ID number reaches a URL or an access log)",
        body=contract.LookupResidentRequest,
        response=contract.ResidentRecordResponse,
    )
    def lookup_resident(self, call: Call) -> dict[str, Any]:
        return self.services.platform.lookup_resident(call.body["identifier"])

    @api(
        "POST",
        "/api/v1/registry/legal-entities",
        status=201,
        tags=("registry",),
        access=Department("registry.legal_entities.write") | OPERATOR,
        summary="Register an enterprise or organisation by unified social credit code",
        body=contract.RegisterLegalEntityRequest,
        response=contract.LegalEntitySchema,
    )
    def register_legal_entity(self, call: Call) -> dict[str, Any]:
        return self.services.platform.register_legal_entity(call.json)

    @api(
        "GET",
        "/api/v1/registry/legal-entities/<credit_code>",
        tags=("registry",),
        access=Department("registry.legal_entities") | INTEGRATOR | OPERATOR,
        summary="An enterprise or organisation",
        response=contract.LegalEntitySchema,
    )
    def get_legal_entity(self, call: Call) -> dict[str, Any]:
        return self.services.platform.get_legal_entity(call.path["credit_code"])

    @api(
        "GET",
        "/api/v1/registry/legal-entities",
        tags=("registry",),
        query=contract.Page,
        access=Department("registry.legal_entities") | INTEGRATOR | OPERATOR,
        summary="Enterprises and organisations",
        response=contract.LegalEntityPage,
    )
    def list_legal_entities(self, call: Call) -> dict[str, Any]:
        return self.services.platform.list_legal_entities(call.query["limit"], call.query["offset"])

    @api(
        "POST",
        "/api/v1/registry/housing",
        status=201,
        tags=("registry",),
        access=Department("registry.housing.write") | OPERATOR,
        personal_data=True,
        summary="Register a dwelling and link it to its owner's citizen card",
        body=contract.RegisterHousingRequest,
        response=contract.HousingSchema,
    )
    def register_housing(self, call: Call) -> dict[str, Any]:
        return self.services.platform.register_housing(call.json)

    @api(
        "GET",
        "/api/v1/registry/housing/<housing_id>",
        tags=("registry",),
        access=Department("registry.housing"),
        personal_data=True,
        summary="A dwelling and its owner link",
        response=contract.HousingSchema,
    )
    def get_housing(self, call: Call) -> dict[str, Any]:
        return self.services.platform.get_housing(call.path["housing_id"])

    @api(
        "GET",
        "/api/v1/me/housing",
        access=RESIDENT,
        personal_data=True,
        tags=("registry",),
        query=contract.Page,
        response=contract.HousingPage,
        summary="Dwellings registered to me",
    )
    def my_housing(self, call: Call) -> dict[str, Any]:
        return self.services.platform.housing_of_owner(
            call.principal.id, call.query["limit"], call.query["offset"]
        )
