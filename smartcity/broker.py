"""``smartcity broker setup``: one RabbitMQ user per process, with the rights of its table row.

The table is ``shared.broker_rights.ACCESS_RIGHTS``. Setup connects with the broker
administrator's URI (``AMQP_URI``: ``guest`` on a laptop's own RabbitMQ, the admin user in
compose), creates or updates each user with its permissions and topic permissions on the URI's
vhost, and writes every user's AMQP URI to ``var/broker/<vhost>.json`` (mode 0600). It keeps the
passwords it wrote before, so running it again changes only the rights.

It talks to the management API (port 15672) and falls back to ``rabbitmqctl`` when the API does
not answer and the broker runs on this machine.

It also makes the services' event queues quorum queues (``migrate_event_queues``): a vhost that
kept classic queues of the same names from an older release (the default ``/`` of a developer
machine) would refuse the services' declarations with ``PRECONDITION_FAILED``. An empty, unused
classic queue is replaced by its quorum queue, bindings included; one that holds messages is
left alone, and setup stops with one line naming it and how to drain it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urlparse

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Queue

from shared import config as settings
from shared.broker_rights import (
    ACCESS_RIGHTS,
    OPERATOR,
    BrokerRules,
    Principal,
    broker_rules,
    broker_username,
    integrator_rules,
    integrator_username,
)

MANAGEMENT_PORT = 15672


class BrokerSetupFailed(SystemExit):
    """Setup could not reach any way to manage users: one line for the operator."""


class UserAdmin(Protocol):
    def put_user(self, username: str, password: str) -> None: ...
    def set_rules(self, vhost: str, username: str, row: Principal) -> None: ...
    def set_broker_rules(self, vhost: str, username: str, rules: BrokerRules) -> None: ...
    def delete_user(self, username: str) -> None: ...


class ManagementApi:
    """RabbitMQ's HTTP management API, as the administrator of ``admin_uri``."""

    def __init__(self, admin_uri: str, api_base: str | None = None):
        url = urlparse(admin_uri)
        self.base = api_base or f"http://{url.hostname or 'localhost'}:{MANAGEMENT_PORT}"
        self.auth = (unquote(url.username or "guest"), unquote(url.password or "guest"))

    # requests is imported where the management API is called: every service process imports
    # this module (``uri_for``), and requests with urllib3 would keep 6.6 MB resident in each.
    def answers(self) -> bool:
        import requests

        try:
            return requests.get(f"{self.base}/api/overview", auth=self.auth, timeout=5).ok
        except requests.RequestException:
            return False

    def _call(self, method: str, path: str, body: dict | None = None) -> None:
        import requests

        response = requests.request(method, self.base + path, json=body, auth=self.auth, timeout=10)
        if method == "DELETE" and response.status_code == 404:
            return
        if not response.ok:
            raise BrokerSetupFailed(
                f"smartcity: the broker refused {method} {path}: {response.status_code} "
                f"{response.text[:200]}"
            )

    def put_user(self, username: str, password: str) -> None:
        self._call(
            "PUT", f"/api/users/{quote(username, safe='')}", {"password": password, "tags": ""}
        )

    def set_rules(self, vhost: str, username: str, row: Principal) -> None:
        self.set_broker_rules(vhost, username, broker_rules(row))

    def set_broker_rules(self, vhost: str, username: str, rules: BrokerRules) -> None:
        where = f"{quote(vhost, safe='')}/{quote(username, safe='')}"
        self._call(
            "PUT",
            f"/api/permissions/{where}",
            {"configure": rules.configure, "write": rules.write, "read": rules.read},
        )
        for exchange, (write, read) in rules.topics.items():
            self._call(
                "PUT",
                f"/api/topic-permissions/{where}",
                {"exchange": exchange, "write": write, "read": read},
            )

    def delete_user(self, username: str) -> None:
        self._call("DELETE", f"/api/users/{quote(username, safe='')}")


class Rabbitmqctl:
    """The broker's own CLI, for a local broker without the management plugin."""

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["rabbitmqctl", "--quiet", *args], capture_output=True, text=True, check=check
        )

    def put_user(self, username: str, password: str) -> None:
        if self._run("add_user", username, password, check=False).returncode != 0:
            self._run("change_password", username, password)

    def set_rules(self, vhost: str, username: str, row: Principal) -> None:
        self.set_broker_rules(vhost, username, broker_rules(row))

    def set_broker_rules(self, vhost: str, username: str, rules: BrokerRules) -> None:
        self._run(
            "set_permissions", "-p", vhost, username, rules.configure, rules.write, rules.read
        )
        for exchange, (write, read) in rules.topics.items():
            self._run("set_topic_permissions", "-p", vhost, username, exchange, write, read)

    def delete_user(self, username: str) -> None:
        self._run("delete_user", username, check=False)


def user_admin(admin_uri: str) -> UserAdmin:
    api = ManagementApi(admin_uri, os.environ.get("RABBIT_API_URI"))
    if api.answers():
        return api
    host = urlparse(admin_uri).hostname or "localhost"
    if host in ("localhost", "127.0.0.1", "::1") and shutil.which("rabbitmqctl"):
        return Rabbitmqctl()
    raise BrokerSetupFailed(
        f"smartcity: cannot create the broker's users: the management API at {api.base} does "
        "not answer (enable it: rabbitmq-plugins enable rabbitmq_management)"
    )


def vhost_of(amqp_uri: str) -> str:
    path = urlparse(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def credentials_file(amqp_uri: str) -> Path:
    vhost = vhost_of(amqp_uri)
    name = "default" if vhost == "/" else quote(vhost, safe="")
    return settings.var_dir() / "broker" / f"{name}.json"


def setup(admin_uri: str) -> dict[str, str]:
    """Create or update every user of the table on the URI's vhost; returns name → AMQP URI."""
    admin = user_admin(admin_uri)
    vhost = vhost_of(admin_uri)
    path = credentials_file(admin_uri)
    known = json.loads(path.read_text()) if path.exists() else {}
    uris = {}
    for row in ACCESS_RIGHTS:
        username = broker_username(row.name, vhost)
        password = (
            os.environ.get(password_variable(row.name))
            or _password_in(known.get(row.name))
            or new_password()
        )
        admin.put_user(username, password)
        admin.set_rules(vhost, username, row)
        uris[row.name] = _with_credentials(admin_uri, username, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(uris, indent=2))
    migrate_event_queues(admin_uri)
    return uris


def migrate_event_queues(admin_uri: str) -> list[str]:
    """Replace every empty classic queue of the services' subscribers by its quorum queue.

    Returns the names replaced. Raises ``BrokerSetupFailed`` for a classic queue that holds
    messages or has consumers: nothing is deleted then.
    """
    from shared.event_queues import queues_of
    from shared.messaging import subscriptions
    from smartcity.registry import SERVICE_CLASSES, load

    replaced = []
    with Connection(admin_uri, connect_timeout=5) as connection:
        for service in SERVICE_CLASSES:
            subscribers = subscriptions(load(service))
            for queue in queues_of(service, subscribers) if subscribers else []:
                if _replace_if_classic(connection, queue, vhost_of(admin_uri)):
                    replaced.append(queue.name)
    return replaced


def _replace_if_classic(connection: Connection, queue: Queue, vhost: str) -> bool:
    try:
        _name, messages, consumers = connection.channel().queue_declare(queue.name, passive=True)
    except NotFound:
        return False  # the service declares it, as a quorum queue, when it starts
    try:
        queue(connection.channel()).declare()
        return False  # already what the services declare
    except PreconditionFailed:
        pass
    refusal = (
        f"smartcity: queue {queue.name} on vhost {vhost} is a classic queue with {messages} "
        f"message(s) and {consumers} consumer(s); it must become a quorum queue. Drain it "
        "first: run the previous release of its service until the queue is empty (dead "
        f"letters: `smartcity dlq replay {queue.name.partition('.')[0]}`), stop it, and run "
        "`smartcity broker setup` again"
    )
    if messages or consumers:
        raise BrokerSetupFailed(refusal)
    try:
        connection.channel().queue_delete(queue.name, if_unused=True, if_empty=True)
    except PreconditionFailed:  # a message or a consumer arrived meanwhile
        raise BrokerSetupFailed(refusal) from None
    queue(connection.channel()).declare()
    return True


def password_variable(name: str) -> str:
    """Where compose hands ``broker setup`` (and only it) a user's password."""
    return f"{name.upper()}_AMQP_PASSWORD"


def new_password() -> str:
    # Hex: no leading "-" that rabbitmqctl would read as an option.
    return secrets.token_hex(20)


def env_file_lines() -> list[str]:
    """A fresh ``.env`` for compose: every broker user's password, the broker administrator's
    and PostgreSQL's, and the RabbitMQ nodes' Erlang cookie."""
    lines = ["# Generated by `smartcity broker passwords`. Keep it secret; never commit it."]
    lines += [f"RABBITMQ_ADMIN_PASSWORD={new_password()}", f"POSTGRES_PASSWORD={new_password()}"]
    lines += [f"{password_variable(row.name)}={new_password()}" for row in ACCESS_RIGHTS]
    # The RabbitMQ nodes' shared secret (compose's cluster profile joins three of them).
    lines.append(f"RABBITMQ_ERLANG_COOKIE={new_password()}")
    return lines


def teardown(admin_uri: str) -> None:
    """Delete the table's users of the URI's vhost (and their saved credentials)."""
    admin = user_admin(admin_uri)
    for row in ACCESS_RIGHTS:
        admin.delete_user(broker_username(row.name, vhost_of(admin_uri)))
    credentials_file(admin_uri).unlink(missing_ok=True)


def create_integrator(admin_uri: str, name: str) -> str:
    """Create (or reset the password of) integrator ``name``'s broker user on the URI's vhost,
    confined by ``integrator_rules``; returns its AMQP URI (the password is not stored)."""
    admin = user_admin(admin_uri)
    vhost = vhost_of(admin_uri)
    username = integrator_username(name, vhost)
    password = new_password()
    admin.put_user(username, password)
    admin.set_broker_rules(vhost, username, integrator_rules(name))
    return _with_credentials(admin_uri, username, password)


def delete_integrator(admin_uri: str, name: str) -> None:
    user_admin(admin_uri).delete_user(integrator_username(name, vhost_of(admin_uri)))


def uri_for(name: str) -> str:
    """The AMQP URI a process of ``name`` connects with.

    ``<NAME>_AMQP_URI`` when set (compose gives each container its own); else the user that
    ``broker setup`` made for ``AMQP_URI``'s vhost; else ``AMQP_URI`` itself (a broker that was
    never set up: its rights are not enforced).
    """
    explicit = os.environ.get(f"{name.upper()}_AMQP_URI")
    if explicit:
        return explicit
    path = credentials_file(settings.amqp_uri())
    if path.exists():
        return json.loads(path.read_text()).get(name, settings.amqp_uri())
    return settings.amqp_uri()


def operator_uri() -> str:
    """The operator CLI's AMQP URI (status, dead letters, clients, audit)."""
    return uri_for(OPERATOR)


def _password_in(uri: str | None) -> str | None:
    return unquote(urlparse(uri).password or "") or None if uri else None


def _with_credentials(amqp_uri: str, username: str, password: str) -> str:
    url = urlparse(amqp_uri)
    host = url.hostname or "localhost"
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}"
    if url.port:
        netloc += f":{url.port}"
    # "pyamqp" is kombu's alias; pika and the operator's tools know "amqp".
    scheme = "amqp" if url.scheme == "pyamqp" else url.scheme
    return url._replace(scheme=scheme, netloc=netloc).geturl()
