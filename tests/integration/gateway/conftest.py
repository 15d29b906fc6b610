"""The gateway over real HTTP, with the platform and credit services behind it on a real
RabbitMQ vhost and real PostgreSQL databases."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from gateway_samples import JWT_SECRET, LI_LEI, PASSWORD
from helpers import free_port
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.service import GatewayService
from services.credit.service import CreditService
from services.platform.service import PlatformService


@dataclass
class Stack:
    url: str
    configs: dict[str, dict]
    runners: dict[str, Any]
    http: requests.Session

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url + path, headers=headers, timeout=15, **kwargs)

    def rpc(self, service: str):
        return ClusterRpcProxy(self.configs[service])

    def register(
        self, id_number: str = LI_LEI, name: str = "Li Lei", phone: str = "13812345678"
    ) -> str:
        """Register as a resident does: the answer names no card, so log in with the ID
        number and read the card number at /me. Returns the card number."""
        return self.resident(id_number, name=name, phone=phone)[0]

    def login(self, username: str) -> dict:
        response = self.call(
            "POST", "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def resident(
        self, id_number: str = LI_LEI, name: str = "Li Lei", phone: str = "13812345678"
    ) -> tuple[str, str]:
        """Register and log in: (card number, access token)."""
        response = self.call(
            "POST",
            "/api/v1/residents",
            json={"name": name, "id_number": id_number, "phone": phone, "password": PASSWORD},
        )
        assert response.status_code == 202, response.text
        token = self.login(id_number)["access_token"]
        me = self.call("GET", "/api/v1/me", token)
        assert me.status_code == 200, me.text
        return me.json()["card_number"], token

    def client(
        self,
        role: str,
        department: str | None = None,
        scopes: tuple = (),
        unit: str | None = None,
    ) -> str:
        with self.rpc("platform") as cluster:
            created = cluster.platform.create_client(
                f"test {role}", role, department, list(scopes), unit
            )
        return created["api_key"]


@pytest.fixture
def stack_factory(service_config: Callable[..., dict], runner_factory, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)

    def make(services: tuple = (PlatformService, CreditService), **gateway_overrides: Any) -> Stack:
        configs: dict[str, dict] = {}
        runners: dict[str, Any] = {}
        for service_cls in services:
            configs[service_cls.name] = service_config(service_cls.name)
            runners[service_cls.name] = runner_factory(configs[service_cls.name], service_cls)
            runners[service_cls.name].start()
        port = free_port()
        configs["gateway"] = service_config(
            "gateway",
            # 6 s: two shared cores running four test lanes (and, on a developer's machine,
            # whatever else) delayed a first call past 3 s now and then; the 504 test's
            # service sleeps well past it.
            **{"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "RPC_TIMEOUT": 6, **gateway_overrides},
        )
        runners["gateway"] = runner_factory(configs["gateway"], GatewayService)
        runners["gateway"].start()
        return Stack(f"http://127.0.0.1:{port}", configs, runners, requests.Session())

    return make


@pytest.fixture
def stack(stack_factory) -> Stack:
    return stack_factory()
