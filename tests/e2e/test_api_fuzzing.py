"""Schemathesis against the live gateway: no input gives a 5xx or a response off the spec.

It reads the spec the gateway serves, generates requests for every operation (the spec's
examples, boundary values, then random data) and checks each response against the declared
status codes, content types and schemas. It runs once anonymously and once per kind of
credential, with a fixed seed and a bounded number of examples, so a run is repeatable and
finishes in minutes.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_user_flows import department_key, new_resident, operator_key

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    assert found, "schemathesis is a test dependency (pip install -e '.[test]')"
    return found


def credentials(suite, caller: str) -> list[str]:
    if caller == "anonymous":
        return []
    if caller == "resident":
        token = new_resident(suite)[1]
    elif caller == "department":
        token = department_key(suite, "health", "credit.check", "registry.population", "audit.read")
    else:
        token = operator_key(suite)
    return ["--header", f"Authorization: Bearer {token}"]


@pytest.mark.timeout(600)
# The gateway's HTTP behaviour does not depend on the database path: one suite is enough.
@pytest.mark.parametrize("suite", ["postgresql"], indirect=True)
@pytest.mark.parametrize("caller", ["anonymous", "resident", "department", "operator"])
def test_no_request_gets_a_5xx_or_an_answer_off_the_spec(suite, caller, tmp_path):
    result = subprocess.run(
        [
            schemathesis(),
            "run",
            f"{suite.gateway_url}/api/openapi.json",
            "--checks",
            CHECKS,
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "6",
            "--seed",
            "20261201",
            "--workers",
            "2",
            "--request-timeout",
            "20",
            "--generation-database",
            "none",
            "--no-color",
            # GTFS-Realtime bodies are protobuf, which schemathesis cannot generate; the
            # traffic tests send real and broken feeds there.
            "--exclude-path",
            "/api/v1/traffic/realtime",
            *credentials(suite, caller),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout[-12000:]
