"""Resident A of the access-log walk, the departments that handle A's data, and what the
exercises of every area need (``test_gateway_access_log_complete.py``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import requests
from gateway_samples import LI_LEI

from shared.clock import city_today

TODAY = city_today()
LOT = {
    "lot_id": "AUDIT-P1",
    "name": "Zhongshan Square car park",
    "lat": 41.7922,
    "lon": 123.4187,
    "capacity": 50,
    "price_per_hour": "4.00",
    "operator_credit_code": "91110000600037341L",
}


class World:
    """Resident A, the departments that handle A's data, and what the exercises need."""

    def __init__(self, stack):
        self.stack = stack
        self.card, self.token = stack.resident(LI_LEI)
        self.traffic = stack.client(
            "department",
            "traffic",
            scopes=("credit.records", "credit.objections", "traffic.parking"),
        )
        self.health = stack.client(
            "department",
            "health",
            scopes=(
                "credit.check",
                "registry.population",
                "registry.housing",
                "registry.housing.write",
                "audit.read",
            ),
        )
        self._serial = itertools.count(1)
        self.ok(self.call("POST", "/api/v1/traffic/parking/lots", self.traffic, json=LOT), 201)

    def call(self, method: str, path: str, key: str | None, **kwargs) -> requests.Response:
        return self.stack.call(method, path, key, **kwargs)

    @staticmethod
    def ok(response: requests.Response, status: int = 200) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    def as_resident(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.call(method, path, self.token, **kwargs)

    def post_record(self, **overrides) -> requests.Response:
        body = {
            "subject_type": "individual",
            "subject_id": self.card,
            "source_record_id": f"AUDIT-{next(self._serial)}",
            "category": "administrative_penalty",
            "polarity": "negative",
            "severity": "minor",
            "basis": "Decision 2026-17",
            "decided_on": (TODAY - timedelta(days=10)).isoformat(),
            "valid_until": (TODAY + timedelta(days=700)).isoformat(),
            **overrides,
        }
        return self.call("POST", "/api/v1/credit/records", self.traffic, json=body)

    def record_id(self) -> str:
        return self.ok(self.post_record(), 201)["record_id"]

    def objection_id(self) -> str:
        body = {"record_id": self.record_id(), "reason": "not my car"}
        return self.ok(self.as_resident("POST", "/api/v1/credit/me/objections", json=body), 201)[
            "objection_id"
        ]

    def check(self) -> requests.Response:
        body = {"subject_type": "individual", "subject_id": LI_LEI, "purpose": "subsidy"}
        return self.call("POST", "/api/v1/credit/checks", self.health, json=body)

    def housing(self) -> requests.Response:
        body = {
            "address": f"{next(self._serial)} Zhongshan Road",
            "district": "Heping",
            "owner_card_number": self.card,
        }
        return self.call("POST", "/api/v1/registry/housing", self.health, json=body)

    def reserve(self, starts_in: timedelta = timedelta(hours=1)) -> requests.Response:
        starts = datetime.now(UTC).replace(microsecond=0) + starts_in
        body = {
            "lot_id": LOT["lot_id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        }
        return self.as_resident("POST", "/api/v1/traffic/parking/reservations", json=body)

    def reservation_id(self, starts_in: timedelta = timedelta(hours=1)) -> str:
        return self.ok(self.reserve(starts_in), 201)["reservation_id"]
