"""Who may call a route: every gateway route declares one ``Access``; there is no default.

Principals come from a resident's access token (role ``resident``) or an API client's key
(roles ``department``, ``integrator``, ``operator``, ``leadership``: the city's leaders, who
read aggregate indicators across services and never personal data). A department client
carries the name of its department and the scopes the operator granted it.

A route touches personal data when it says so (``@api(..., personal_data=True)``) or when its
access rule admits residents or a scope in ``PERSONAL_DATA_SCOPES`` (``touches_personal_data``
in ``gateway/openapi.py``; the spec's ``x-personal-data``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.errors import Forbidden, Unauthorized

ROLES = ("resident", "department", "integrator", "operator", "leadership")

PERSONAL_DATA_SCOPES = frozenset(
    {
        "registry.population",
        "registry.housing",
        "registry.housing.write",
        "credit.records",
        "credit.check",
        "credit.objections",
        "audit.read",
        "education.students",
        "health.records",
        "health.consultations",
        "community.affairs",
    }
)
"""Department scopes that open residents' personal data: a route any of them admits touches
personal data, as does every route a resident calls. Such a route must audit each access in
the resident's access log (``tests/integration/gateway/test_gateway_access_log_complete.py``
walks them all); a new scope that opens personal data belongs here."""


@dataclass(frozen=True)
class Principal:
    id: str  # card number of a resident, client id of an API client
    role: str
    department: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    unit: str | None = None
    """A department client's hospital, school or office (``None``: the whole department)."""

    def context(self) -> dict[str, Any]:
        """What travels with every RPC and event this request causes (nameko context data)."""
        context = {"actor": self.id, "actor_role": self.role, "scopes": sorted(self.scopes)}
        if self.department:  # nameko drops (and warns about) None in context data
            context["department"] = self.department
        if self.unit:
            context["unit"] = self.unit
        return context


class Access:
    """A rule over the caller; ``describe()`` is what the docs show."""

    def allows(self, principal: Principal | None) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def public(self) -> bool:
        return False

    @property
    def opens_personal_data(self) -> bool:
        """Whether a caller this rule admits gets at residents' personal data."""
        return False

    def check(self, principal: Principal | None) -> None:
        if self.allows(principal):
            return
        if principal is None:
            raise Unauthorized("this route needs a bearer token or API key")
        raise Forbidden(f"{principal.role} may not call this route ({self.describe()})")

    def __or__(self, other: Access) -> Access:
        return AnyOf((self, other))


class _Public(Access):
    def allows(self, principal: Principal | None) -> bool:
        return True

    def describe(self) -> str:
        return "anyone"

    @property
    def public(self) -> bool:
        return True


@dataclass(frozen=True)
class Role(Access):
    role: str

    def allows(self, principal: Principal | None) -> bool:
        return principal is not None and principal.role == self.role

    def describe(self) -> str:
        return f"{self.role}"

    @property
    def opens_personal_data(self) -> bool:
        return self.role == "resident"


@dataclass(frozen=True)
class Department(Access):
    """A department client holding ``scope`` (optionally only department ``name``)."""

    scope: str
    name: str | None = None

    def allows(self, principal: Principal | None) -> bool:
        return (
            principal is not None
            and principal.role == "department"
            and self.scope in principal.scopes
            and (self.name is None or principal.department == self.name)
        )

    def describe(self) -> str:
        who = f"department:{self.name}" if self.name else "department"
        return f"{who} with scope {self.scope}"

    @property
    def opens_personal_data(self) -> bool:
        return self.scope in PERSONAL_DATA_SCOPES


@dataclass(frozen=True)
class AnyOf(Access):
    rules: tuple[Access, ...]

    def allows(self, principal: Principal | None) -> bool:
        return any(rule.allows(principal) for rule in self.rules)

    def describe(self) -> str:
        return " or ".join(rule.describe() for rule in self.rules)

    @property
    def opens_personal_data(self) -> bool:
        return any(rule.opens_personal_data for rule in self.rules)


PUBLIC = _Public()
RESIDENT = Role("resident")
OPERATOR = Role("operator")
LEADERSHIP = Role("leadership")
CITY_OVERVIEW = AnyOf((OPERATOR, LEADERSHIP))
"""Aggregates across services (the leaders' dashboard, the operations view): no personal data."""
INTEGRATOR = Role("integrator")
