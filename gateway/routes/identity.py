"""One card: registration, login, the resident's own profile and the data tracker."""

from __future__ import annotations

from typing import Any

from gateway.access import OPERATOR, PUBLIC, RESIDENT, Department
from gateway.http import Call, api
from shared.contracts import platform as contract


class IdentityRoutes:
    @api(
        "POST",
        "/api/v1/residents",
        access=PUBLIC,
        status=201,
        tags=("identity",),
        summary="Real-name registration; issues a citizen card",
        body=contract.RegisterResidentRequest,
        response=contract.RegisterResidentResponse,
    )
    def register_resident(self, call: Call) -> dict[str, Any]:
        return self.services.platform.register_resident(call.json)

    @api(
        "POST",
        "/api/v1/auth/token",
        access=PUBLIC,
        tags=("identity",),
        summary="Card number or ID number + password → access and refresh token",
        body=contract.LoginRequest,
        response=contract.TokenResponse,
    )
    def issue_token(self, call: Call) -> dict[str, Any]:
        return self.services.platform.issue_token(
            call.body["username"], call.body["password"], call.request.remote_addr
        )

    @api(
        "POST",
        "/api/v1/auth/refresh",
        access=PUBLIC,
        tags=("identity",),
        summary="A new token pair for a refresh token (the old one stops working)",
        body=contract.RefreshTokenRequest,
        response=contract.TokenResponse,
    )
    def refresh_token(self, call: Call) -> dict[str, Any]:
        return self.services.platform.refresh_token(call.body["refresh_token"])

    @api(
        "POST",
        "/api/v1/auth/logout",
        access=PUBLIC,
        tags=("identity",),
        summary="Revoke a refresh token",
        body=contract.RefreshTokenRequest,
        response=contract.RevokeTokenResponse,
    )
    def logout(self, call: Call) -> dict[str, Any]:
        return self.services.platform.revoke_refresh_token(call.body["refresh_token"])

    @api(
        "GET",
        "/api/v1/me",
        access=RESIDENT,
        personal_data=True,
        tags=("identity",),
        summary="My profile, my citizen card and the cards linked to it",
        response=contract.ProfileResponse,
    )
    def me(self, call: Call) -> dict[str, Any]:
        return self.services.platform.get_profile(call.principal.id)

    @api(
        "GET",
        "/api/v1/me/access-log",
        access=RESIDENT,
        personal_data=True,
        tags=("identity",),
        query=contract.Page,
        response=contract.AccessLogPage,
        summary="Which department read or changed my data, when and why",
    )
    def my_access_log(self, call: Call) -> dict[str, Any]:
        return self.services.platform.access_log(
            call.principal.id, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        "/api/v1/audit/access-log",
        access=Department("audit.read"),
        tags=("audit",),
        query=contract.Page,
        response=contract.AuditEntryPage,
        summary="The calling department's own accesses to personal data",
    )
    def department_access_log(self, call: Call) -> dict[str, Any]:
        return self.services.platform.department_access_log(
            call.principal.department, call.query["limit"], call.query["offset"]
        )

    @api(
        "GET",
        "/api/v1/audit/verify",
        access=OPERATOR,
        tags=("audit",),
        summary="Check the audit log's hash chain",
        response=contract.AuditChainReport,
    )
    def verify_audit(self, call: Call) -> dict[str, Any]:
        return self.services.platform.verify_audit_chain()

    @api(
        "POST",
        "/api/v1/clients",
        access=OPERATOR,
        status=201,
        tags=("clients",),
        summary="Create an API client (department, integrator, operator); key shown once",
        body=contract.CreateClientRequest,
        response=contract.CreateClientResponse,
    )
    def create_client(self, call: Call) -> dict[str, Any]:
        body = call.body
        return self.services.platform.create_client(
            body["name"], body["role"], body["department"], body["scopes"]
        )

    @api(
        "GET",
        "/api/v1/clients",
        access=OPERATOR,
        tags=("clients",),
        query=contract.Page,
        response=contract.ClientPage,
        summary="API clients",
    )
    def list_clients(self, call: Call) -> dict[str, Any]:
        return self.services.platform.list_clients(call.query["limit"], call.query["offset"])
