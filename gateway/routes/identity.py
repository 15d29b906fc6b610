"""One card: registration, login, the resident's own profile and the data tracker."""

from __future__ import annotations

import contextlib
from typing import Any

from gateway.access import OPERATOR, PUBLIC, RESIDENT, Department
from gateway.http import Call, api
from gateway.ratelimit import LOGIN_FAILURES, REGISTRATIONS
from shared.contracts import audit
from shared.contracts import platform as contract
from shared.errors import Conflict, RateLimited, Unauthorized

REGISTRATION_ACCEPTED = {
    "status": "accepted",
    "message": (
        "If this ID number had no citizen card yet, it has one now: log in with your ID number "
        "and password, and see your card number at /api/v1/me. If it already had one, nothing "
        "changed and its holder has been told."
    ),
}
"""One answer for a new and a known ID number, so registering reveals nobody's registration."""


class IdentityRoutes:
    @api(
        "POST",
        "/api/v1/residents",
        access=PUBLIC,
        status=202,
        tags=("identity",),
        summary="Real-name registration; issues a citizen card (same answer for a known ID)",
        body=contract.RegisterResidentRequest,
        response=contract.RegistrationAccepted,
    )
    def register_resident(self, call: Call) -> dict[str, Any]:
        self.rate_limiter.refuse_if_spent(REGISTRATIONS, call.request)
        self.rate_limiter.spend(REGISTRATIONS, call.request)
        # A known ID number is a Conflict: the platform told its holder; the caller learns
        # nothing from the answer, nor from its timing (the password is hashed either way).
        with contextlib.suppress(Conflict):
            self.services.platform.register_resident(call.json)
        return REGISTRATION_ACCEPTED

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
        # Spraying many accounts from one address is stopped here, before the platform is
        # asked; the platform slows each (account, address) pair down on its own.
        self.rate_limiter.refuse_if_spent(LOGIN_FAILURES, call.request)
        try:
            return self.services.platform.issue_token(
                call.body["username"],
                call.body["password"],
                self.rate_limiter.client_ip(call.request),
            )
        except (Unauthorized, RateLimited):
            self.rate_limiter.spend(LOGIN_FAILURES, call.request)
            raise

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
        response=audit.AccessLogPage,
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
        response=audit.AuditEntryPage,
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
        response=audit.AuditChainReport,
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
            body["name"], body["role"], body["department"], body["scopes"], body["unit"]
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
