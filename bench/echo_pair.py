"""The baseline of ``make bench``: a bare nameko ``@http`` → RPC pair, nothing else.

Two tiny services, each in a process of its own as the suite's services are: ``echo_edge``
answers HTTP and makes one RPC to ``echo``, which answers from memory (``/echo``) or after one
PostgreSQL insert and commit (``POST /insert``: the least a durable write costs). Same broker,
same nameko, same eventlet as the suite; no gateway, no schemas, no auth, no audit.

    python -m bench.echo_pair edge|echo   # with AMQP_URI, ECHO_PORT, ECHO_DATABASE_URL
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore")  # eventlet's deprecation notice, on import

import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from nameko.rpc import RpcProxy, rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.web.handlers import http  # noqa: E402
from psycopg2.pool import ThreadedConnectionPool  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

WORKERS = 10  # nameko's default max_workers
CREATE_TABLE = "CREATE TABLE IF NOT EXISTS echo_writes (id bigserial PRIMARY KEY, body jsonb)"


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value: str) -> dict:
        return {"echo": value}

    @rpc
    def insert(self, body: dict) -> dict:
        connection = _POOL.getconn()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO echo_writes (body) VALUES (%s) RETURNING id", (json.dumps(body),)
                )
                row_id = cursor.fetchone()[0]
            connection.commit()
        finally:
            _POOL.putconn(connection)
        return {"id": row_id}


_POOL = None  # the echo process's connections (its workers are green threads), made in main


class EchoEdge:
    name = "echo_edge"
    echo = RpcProxy("echo")

    @http("GET", "/echo")
    def get_echo(self, request: Request) -> tuple[int, dict, str]:
        answer = self.echo.echo(request.args.get("value", "ping"))
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    @http("POST", "/insert")
    def post_insert(self, request: Request) -> tuple[int, dict, str]:
        answer = self.echo.insert(json.loads(request.get_data() or b"{}"))
        return 201, {"Content-Type": "application/json"}, json.dumps(answer)


def main(role: str) -> None:
    config = {
        "AMQP_URI": os.environ["AMQP_URI"],
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{os.environ.get('ECHO_PORT', '8000')}",
    }
    if role == "echo":
        global _POOL
        # Connections made up front, one per nameko worker (10 by default), as the suite's pools
        # keep theirs: a request never waits for a new connection, nor fails on a server full.
        _POOL = ThreadedConnectionPool(WORKERS, WORKERS, os.environ["ECHO_DATABASE_URL"])
        connection = _POOL.getconn()
        with connection.cursor() as cursor:
            cursor.execute(CREATE_TABLE)
        connection.commit()
        _POOL.putconn(connection)
    runner = ServiceRunner(config)
    runner.add_service(EchoEdge if role == "edge" else EchoService)
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    runner.start()
    print(f"echo_pair: {role} ready", flush=True)
    runner.wait()


if __name__ == "__main__":
    main(sys.argv[1])
