"""Where a webhook may POST, and the POST itself: the platform's defence against SSRF.

A subscription URL is ``https`` (``http`` only where the operator allows it,
``WEBHOOK_ALLOW_HTTP``), carries no credentials, and its host resolves only to global
unicast addresses: loopback, private, link-local, shared, multicast, reserved and
unspecified addresses are refused. The check runs when a subscription is created and again
before every delivery, and the POST connects to the very address that was checked (the
``Host`` header and TLS name stay the URL's), so a DNS answer that changes in between
(rebinding) cannot reach an internal host.

The operator may allow-list internal hosts: ``WEBHOOK_DEPARTMENT_HOSTS`` for departments'
subscriptions (their systems inside the city network), ``WEBHOOK_TRUSTED_HOSTS`` for every
subscriber (a local receiver in development and tests only).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import eventlet
import eventlet.tpool

from shared.errors import invalid

if TYPE_CHECKING:
    import urllib3

Resolver = Callable[[str, int], list[str]]
_SYSTEM_SOCKET = eventlet.patcher.original("socket")
DEFAULT_TIMEOUT_S = 5.0


class Refused(Exception):
    """The URL may not be delivered to (the message says why)."""


def setting(config: Mapping[str, Any], key: str, default: Any) -> Any:
    """A platform setting: the nameko config key, else the environment variable of that name."""
    return config.get(key, os.environ.get(key, default))


@dataclass(frozen=True)
class EgressPolicy:
    allow_http: bool = False
    trusted_hosts: frozenset[str] = frozenset()
    department_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EgressPolicy:
        def hosts(key: str) -> frozenset[str]:
            return frozenset(
                h.strip().lower() for h in str(config.get(key, "")).split(",") if h.strip()
            )

        return cls(
            allow_http=str(config.get("WEBHOOK_ALLOW_HTTP", "")).lower() in ("1", "true", "yes"),
            trusted_hosts=hosts("WEBHOOK_TRUSTED_HOSTS"),
            department_hosts=hosts("WEBHOOK_DEPARTMENT_HOSTS"),
        )

    def allow_listed(self, host: str, role: str) -> bool:
        return host in self.trusted_hosts or (
            role == "department" and host in self.department_hosts
        )


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to ``address``, name ``host`` in Host and TLS."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6).

    The system's resolver, in a native thread: the suite runs without eventlet's green DNS
    (``EVENTLET_NO_GREENDNS``), and a slow answer for a subscriber's host must not block
    the whole process."""
    infos = eventlet.tpool.execute(_SYSTEM_SOCKET.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def forbidden_address(address: str) -> str | None:
    """Why an address is off limits, or None for a global unicast one."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "private", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{kind.replace('_', '-')} address {ip}"
    if not ip.is_global:
        return f"non-global address {ip}"
    return None


def check_url(url: str, policy: EgressPolicy, role: str, resolver: Resolver = resolve) -> Target:
    """The target of ``url`` for a subscriber of ``role``; ``Refused`` when it may not be used."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and policy.allow_http):
        raise Refused("must be an https URL" + (" (or http)" if policy.allow_http else ""))
    if not parts.hostname:
        raise Refused("has no host")
    if parts.username is not None or parts.password is not None:
        raise Refused("must not contain credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("has an invalid port") from None
    host = parts.hostname.lower()
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise Refused(f"host {host} does not resolve ({exc})") from None
    if not addresses:
        raise Refused(f"host {host} does not resolve")
    if not policy.allow_listed(host, role):
        for address in addresses:
            problem = forbidden_address(address)
            if problem:
                raise Refused(f"host {host} resolves to a {problem}")
    path = parts.path or "/"
    return Target(
        parts.scheme, host, port, addresses[0], path + (f"?{parts.query}" if parts.query else "")
    )


def validate_url(url: str, policy: EgressPolicy, role: str, resolver: Resolver = resolve) -> str:
    """``check_url`` for input: a refusal is a 400 naming the ``url`` field."""
    try:
        check_url(url, policy, role, resolver)
    except Refused as exc:
        raise invalid("url", str(exc)) from None
    return url


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    ca_certs: str | None = None,
) -> tuple[int | None, str | None]:
    """POST to the checked address: ``(status or None, error or None)``; never raises.

    Each socket operation has ``timeout_s`` and the whole exchange twice that, so a receiver
    that trickles bytes cannot hold a lane for longer. TLS is verified against ``ca_certs``
    (default: certifi's bundle) for the URL's host name, whatever address was connected to.
    """
    # Imported on the first delivery, not at start-up: urllib3 is 0.6-0.8 MB in every platform
    # process, and most never deliver a webhook (bench/README.md "Memory").
    import certifi
    import urllib3

    timeout = urllib3.Timeout(connect=timeout_s, read=timeout_s)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout)
    try:
        with eventlet.Timeout(timeout_s * 2):
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
            )
    except eventlet.Timeout:
        return None, f"timed out after {timeout_s * 2:g} s"
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        pool.close()
    if 200 <= response.status < 300:
        return response.status, None
    return (
        response.status,
        f"HTTP {response.status}: {response.data[:200].decode(errors='replace')}",
    )
