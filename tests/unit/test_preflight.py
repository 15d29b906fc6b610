"""The pre-flight check names each missing server and how to start it, in one line each."""

import socket

import preflight


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_every_missing_server_is_named_with_its_fix():
    port = closed_port()
    problems = preflight.missing_servers(
        f"amqp://guest:guest@127.0.0.1:{port}/",
        f"http://guest:guest@127.0.0.1:{port}",
        f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
    )
    assert len(problems) == 3
    rabbit, management, postgres = problems
    assert "rabbitmq-server -detached" in rabbit
    assert "rabbitmq-plugins enable rabbitmq_management" in management
    assert "PostgreSQL" in postgres and "TEST_POSTGRES_URL" in postgres
    assert all("\n" not in problem for problem in problems)
