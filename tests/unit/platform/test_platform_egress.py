"""Where a webhook may POST (SSRF): schemes, credentials, every kind of internal address,
names that resolve to one, the allow-lists, and a DNS answer that changes after creation."""

import pytest

from services.platform.egress import EgressPolicy, Refused, check_url, validate_url
from shared.errors import ValidationFailed

PUBLIC_IP = "93.184.216.34"


def resolver(answers: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    return resolve


DNS = resolver(
    {
        "maps.example": [PUBLIC_IP],
        "sneaky.example": [PUBLIC_IP, "10.0.0.7"],  # one internal answer is enough to refuse
        "intranet.city": ["10.20.0.5"],
        "127.0.0.1": ["127.0.0.1"],
        "169.254.169.254": ["169.254.169.254"],
        "10.1.2.3": ["10.1.2.3"],
        "192.168.1.1": ["192.168.1.1"],
        "100.64.0.1": ["100.64.0.1"],
        "224.0.0.1": ["224.0.0.1"],
        "0.0.0.0": ["0.0.0.0"],
        "240.0.0.1": ["240.0.0.1"],
        "::1": ["::1"],
        "::ffff:127.0.0.1": ["::ffff:127.0.0.1"],
        "fd00::1": ["fd00::1"],
    }
)
STRICT = EgressPolicy()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://maps.example/hook", "must be an https URL"),
        ("http://maps.example/hook", "must be an https URL"),  # http is off by default
        ("https://user:pw@maps.example/hook", "must not contain credentials"),
        ("https://token@maps.example/hook", "must not contain credentials"),
        ("https:///hook", "has no host"),
        ("https://maps.example:99999/hook", "has an invalid port"),
        ("https://nowhere.example/hook", "host nowhere.example does not resolve"),
        ("https://127.0.0.1/h", "resolves to a loopback address 127.0.0.1"),
        ("https://[::1]/h", "resolves to a loopback address ::1"),
        ("https://[::ffff:127.0.0.1]/h", "resolves to a loopback address 127.0.0.1"),
        ("https://169.254.169.254/latest", "resolves to a link-local address 169.254.169.254"),
        ("https://10.1.2.3/h", "resolves to a private address 10.1.2.3"),
        ("https://192.168.1.1/h", "resolves to a private address 192.168.1.1"),
        ("https://[fd00::1]/h", "resolves to a private address fd00::1"),
        ("https://100.64.0.1/h", "resolves to a non-global address 100.64.0.1"),
        ("https://224.0.0.1/h", "resolves to a multicast address 224.0.0.1"),
        ("https://0.0.0.0/h", "resolves to a private address 0.0.0.0"),
        ("https://240.0.0.1/h", "resolves to a private address 240.0.0.1"),
        ("https://sneaky.example/h", "resolves to a private address 10.0.0.7"),
        ("https://intranet.city/h", "resolves to a private address 10.20.0.5"),
    ],
)
def test_refused_targets_name_the_url_field(url, problem):
    with pytest.raises(ValidationFailed) as raised:
        validate_url(url, STRICT, "integrator", DNS)
    [message] = raised.value.fields["url"]
    assert problem in message and list(raised.value.fields) == ["url"]


def test_a_name_that_resolves_to_loopback_is_refused_by_the_real_resolver():
    # "localhost" resolves to 127.0.0.1 (or ::1) on any machine, without a network.
    with pytest.raises(Refused, match="resolves to a loopback address"):
        check_url("https://localhost:8443/h", EgressPolicy(allow_http=True), "integrator")


def test_allow_lists_open_internal_hosts_to_departments_or_everyone():
    policy = EgressPolicy(
        allow_http=True,
        department_hosts=frozenset({"intranet.city"}),
        trusted_hosts=frozenset({"127.0.0.1"}),
    )
    target = check_url("https://intranet.city/h?x=1", policy, "department", DNS)
    assert (target.address, target.host, target.port, target.path) == (
        "10.20.0.5",
        "intranet.city",
        443,
        "/h?x=1",
    )
    with pytest.raises(Refused):
        check_url("https://intranet.city/h", policy, "integrator", DNS)  # departments only
    assert check_url("http://127.0.0.1:8080/h", policy, "integrator", DNS).address == "127.0.0.1"
    assert check_url("https://maps.example/h", STRICT, "integrator", DNS).address == PUBLIC_IP


def test_a_dns_answer_that_turns_internal_after_creation_is_refused_at_delivery():
    # Creation saw a public address; at delivery time the same name answers 127.0.0.1
    # (rebinding). The check runs again before every POST, and the POST connects to the
    # address it checked, so the second answer is refused, never connected to.
    validate_url(
        "https://rebind.example/h", STRICT, "integrator", resolver({"rebind.example": [PUBLIC_IP]})
    )
    with pytest.raises(Refused, match="loopback"):
        check_url(
            "https://rebind.example/h",
            STRICT,
            "integrator",
            resolver({"rebind.example": ["127.0.0.1"]}),
        )


def test_the_policy_reads_the_operator_settings():
    policy = EgressPolicy.from_config(
        {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_DEPARTMENT_HOSTS": "Intranet.City, hr.city"}
    )
    assert policy.allow_http and policy.department_hosts == {"intranet.city", "hr.city"}
    assert EgressPolicy.from_config({}) == STRICT
