"""``smartcity``: the operator's command line.

smartcity up [--demo] [--scale credit=3]  the whole suite, as separate processes
smartcity run <process>          one process (a service, gateway, platform)
smartcity migrate [service…]     upgrade service databases (up and run do it first)
smartcity dlq list|replay <svc>  dead letters of a service
smartcity events                 the event catalogue (the integrators' contract)
smartcity db revision <svc> -m   a new Alembic revision for a service (autogenerate)
"""

from __future__ import annotations

import os
import warnings

# No green DNS: eventlet's resolver (dnspython) costs 6-7 MB in every process. Host names (the
# broker, PostgreSQL, Redis) are resolved once per connection by the system's blocking
# resolver; webhook hosts through a native thread (services/platform/egress.py). It must be
# in the environment before eventlet is first imported, and children inherit it.
os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

# eventlet announces its deprecation on import; nameko 2 needs it, the operator needn't know.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# Everything below does network I/O under eventlet: patch before anything imports socket.
import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from dataclasses import asdict  # noqa: E402
from pathlib import Path  # noqa: E402

import click  # noqa: E402

from shared import config as settings  # noqa: E402
from shared.contracts.platform import CLIENT_ROLES  # noqa: E402
from smartcity.broker import operator_uri  # noqa: E402
from smartcity.registry import PROCESSES, SERVICE_CLASSES  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)


@click.group()
def main() -> None:
    """Smart Shenyang operator tool."""


@main.command()
@click.argument("process", type=click.Choice(sorted(PROCESSES)))
@click.option(
    "--no-migrate",
    is_flag=True,
    help="Do not run `smartcity migrate` first (a deployment step of its own did).",
)
def run(process: str, no_migrate: bool) -> None:
    """Run one process of the suite (as a department runs its own service)."""
    from shared.schema_version import SchemaNotCurrent
    from smartcity.runner import BrokerUnreachable, PortTaken, run_process

    try:
        run_process(process, migrate=not no_migrate)
    except (BrokerUnreachable, PortTaken) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except SchemaNotCurrent as exc:
        click.echo(f"smartcity: {exc}", err=True)
        sys.exit(2)


def _scale_option(_ctx: click.Context, _param: click.Parameter, value: tuple) -> dict[str, int]:
    from smartcity.suite import parse_scale

    try:
        return parse_scale(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.option("--demo", is_flag=True, help="Load demo data once the suite is up.")
@click.option(
    "--scale",
    multiple=True,
    callback=_scale_option,
    metavar="SERVICE=N",
    help="Run N competing instances of a sector service (repeatable): --scale credit=3.",
)
def up(demo: bool, scale: dict[str, int]) -> None:
    """Start all six services and the gateway; Ctrl-C stops them cleanly."""
    from smartcity import broker
    from smartcity.embedded_db import ensure_databases
    from smartcity.migrations import migrate_in_child, services_to_migrate
    from smartcity.runner import BrokerUnreachable, check_broker
    from smartcity.suite import Suite, gateway_url

    try:
        check_broker(settings.amqp_uri())
    except BrokerUnreachable as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    # Health probes that time out while a service is still migrating get their answer late;
    # the AMQP library warns about each one. Not news for the operator.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    # Ctrl-C, `kill`, `docker stop` and systemd: the same clean stop. SIGINT explicitly too: a
    # shell that starts `smartcity up` in the background makes it ignore SIGINT otherwise.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    suite = Suite(
        settings.var_dir() / "log",
        on_restart=lambda name, code, delay: click.echo(
            f"{name} exited with {code}; restarting it" + (f" in {delay:.0f} s" if delay else "")
        ),
        scale=scale,
    )
    busy = suite.ports_in_use()
    if busy:
        click.echo(
            f"smartcity: already in use: {', '.join(busy)}. Stop the other suite, or choose "
            "ports with GATEWAY_PORT and METRICS_PORT=0 (any free port).",
            err=True,
        )
        sys.exit(2)
    elsewhere = suite.running_elsewhere()
    if elsewhere:
        click.echo(
            f"smartcity: another suite is running on the broker's vhost "
            f"{broker.vhost_of(settings.amqp_uri())!r} (it serves {', '.join(elsewhere)}). "
            "Stop it, or give this one a "
            "vhost of its own (AMQP_URI=amqp://guest:guest@localhost:5672/<vhost>).",
            err=True,
        )
        sys.exit(2)
    pgdata = ensure_databases()
    if pgdata:
        click.echo(f"embedded PostgreSQL in {pgdata}")
    users = broker.setup(settings.amqp_uri())
    where = broker.credentials_file(settings.amqp_uri())
    click.echo(f"broker: {len(users)} users with their rights; their URIs in {where}")
    try:
        migrate_in_child(services_to_migrate(suite.names))
        click.echo(f"starting the suite; logs in {suite.log_dir}/")
        for name, count in suite.scale.items():
            if count > 1:
                click.echo(f"  {name}: {count} instances")
        suite.start()
        suite.wait_ready(on_ready=lambda name: click.echo(f"  {name:<10} healthy"))
        if demo:
            from smartcity.demo import load_demo

            click.echo(load_demo(gateway_url()))
        _print_endpoints(suite.metrics_ports)
        suite.supervise()
    except KeyboardInterrupt:
        click.echo("stopping (callers first)…")
    except Exception as exc:
        click.echo(f"smartcity: {exc}", err=True)
        sys.exit(1)
    finally:
        # A second Ctrl-C must not cut the ordered stop short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        suite.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _print_endpoints(metrics_ports: dict[str, int | None]) -> None:
    from smartcity.suite import gateway_url

    click.echo(f"\ngateway    {gateway_url()}  (docs: {gateway_url()}/api/docs)")
    for name, port in metrics_ports.items():
        where = "off" if port is None else f"http://localhost:{port}/metrics"
        click.echo(f"metrics    {name:<10} {where}")
    click.echo("Ctrl-C stops everything.")


@main.command()
@click.option(
    "--json", "as_json", is_flag=True, help="The document GET /api/v1/ops/overview gives."
)
def status(as_json: bool) -> None:
    """Each service: up or down, its instances (RPC consumers), outbox backlog and event lag,
    events waiting in its queues, dead letters; then the alerts (exit 1 if any is down)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.queue_stats import read_overview

    with ClusterRpcProxy({"AMQP_URI": operator_uri()}, timeout=3) as cluster:
        overview = read_overview(
            operator_uri(),
            (settings.PLATFORM, *settings.SERVICES),
            lambda service: getattr(cluster, service).health(),
        )
    rows = overview["services"]
    if as_json:
        click.echo(json.dumps(overview, indent=2))
    else:
        click.echo(
            f"{'service':<10} {'status':<6} {'inst':>4} {'outbox':>6} {'lag s':>7} "
            f"{'queued':>6} {'dead':>5}"
        )
        for row in rows:
            lag = row["event_lag_seconds"]
            click.echo(
                f"{row['service']:<10} {row['status']:<6} {row['instances']:>4} "
                f"{_or_dash(row['outbox_backlog']):>6} "
                f"{'-' if lag is None else f'{lag:.1f}':>7} "
                f"{_or_dash(row['event_queue_depth']):>6} {_or_dash(row['dead_letters']):>5}"
            )
        for alert in overview["alerts"]:
            click.echo(f"ALERT {alert['kind']:<15} {alert['service']:<10} {alert['detail']}")
    if any(row["status"] != "ok" for row in rows):
        sys.exit(1)


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


@main.group()
def dlq() -> None:
    """Dead-letter queues: events a service failed to handle after its retries."""


@dlq.command("list")
@click.argument("service", type=click.Choice(sorted(SERVICE_CLASSES)))
@click.option("--json", "as_json", is_flag=True)
def dlq_list(service: str, as_json: bool) -> None:
    from smartcity.dead_letters import list_dead_letters

    letters = list_dead_letters(operator_uri(), service)
    if as_json:
        click.echo(json.dumps([asdict(letter) for letter in letters], indent=2, default=str))
        return
    if not letters:
        click.echo(f"no dead letters for {service}")
    for letter in letters:
        click.echo(
            f"{letter.event_id}  {letter.type}  {letter.consumer}  "
            f"attempts={letter.attempts}  {letter.failed_at}\n    {letter.error}"
        )


@dlq.command("replay")
@click.argument("service", type=click.Choice(sorted(SERVICE_CLASSES)))
@click.option("--event-id", default=None, help="Replay only this event.")
def dlq_replay(service: str, event_id: str | None) -> None:
    from smartcity.dead_letters import replay_dead_letters

    report = replay_dead_letters(operator_uri(), service, event_id)
    click.echo(
        f"replayed {report.replayed} dead letter(s) of {service}; "
        f"{report.failed_again} failed again and are back in the dead letters"
    )


@main.command()
@click.option("--out", default="docs", type=click.Path(file_okay=False, path_type=Path))
def docs(out: Path) -> None:
    """Regenerate docs/events.md and docs/openapi.json from the code."""
    from smartcity.docs import write_docs

    for path in write_docs(out):
        click.echo(f"wrote {path}")


@main.group("broker")
def broker_group() -> None:
    """RabbitMQ users and rights of every process (shared/broker_rights.py)."""


@broker_group.command("setup")
@click.option("--json", "as_json", is_flag=True, help="Print each user's AMQP URI as JSON.")
def broker_setup(as_json: bool) -> None:
    """Create or update one broker user per process on AMQP_URI's vhost (AMQP_URI: an
    administrator). Passwords are kept across runs; URIs go to var/broker/ (mode 0600)."""
    from smartcity import broker

    uris = broker.setup(settings.amqp_uri())
    if as_json:
        click.echo(json.dumps(uris, indent=2))
        return
    for name in uris:
        click.echo(
            f"{name:<10} {broker.broker_username(name, broker.vhost_of(settings.amqp_uri()))}"
        )
    click.echo(f"AMQP URIs written to {broker.credentials_file(settings.amqp_uri())}")


@broker_group.command("passwords")
def broker_passwords() -> None:
    """Print a new .env for docker compose: a password per broker user, the administrator's
    and PostgreSQL's (`smartcity broker passwords > .env`)."""
    from smartcity import broker

    click.echo("\n".join(broker.env_file_lines()))


@broker_group.command("teardown")
def broker_teardown() -> None:
    """Delete the users that `broker setup` made on AMQP_URI's vhost."""
    from smartcity import broker

    broker.teardown(settings.amqp_uri())
    click.echo("broker users deleted")


@broker_group.command("rights")
def broker_rights() -> None:
    """The access-rights table: who may call, publish and subscribe to what."""
    from shared.broker_rights import ACCESS_RIGHTS

    for row in ACCESS_RIGHTS:
        publishes = f"{row.name}.*" if row.serves else "-"
        if row.public_feed:
            publishes += " (and the public types to smartcity.public)"
        calls = "everything" if row.everything else ", ".join(row.calls) or "-"
        click.echo(f"{row.name:<10} calls: {calls}")
        click.echo(
            f"{'':<10} publishes: {publishes}; subscribes: {', '.join(row.subscribes) or '-'}"
        )
    click.echo("integrators: queues integrator.<name>.* bound to smartcity.public, nothing else")


from smartcity.integrators_cli import events, integrators  # noqa: E402
from smartcity.migrations_cli import db, migrate  # noqa: E402
from smartcity.traffic_cli import traffic  # noqa: E402

main.add_command(migrate)
main.add_command(db)
main.add_command(traffic)
main.add_command(events)
main.add_command(integrators)


def _platform_rpc(method: str, *args: object) -> object:
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.config import PLATFORM

    with ClusterRpcProxy({"AMQP_URI": operator_uri()}, timeout=15) as cluster:
        return getattr(getattr(cluster, PLATFORM), method)(*args)


@main.group()
def clients() -> None:
    """API clients of departments, integrators and operators (keys are shown once)."""


@clients.command("create")
@click.option("--name", default=None, help="Who the client is (default: role/department).")
@click.option("--role", type=click.Choice(CLIENT_ROLES), required=True)
@click.option("--department", default=None)
@click.option("--scopes", default="", help="Comma-separated, e.g. credit.check,credit.records")
@click.option("--unit", default=None, help="The department's hospital, school or office id.")
@click.option("--json", "as_json", is_flag=True)
def clients_create(
    name: str | None,
    role: str,
    department: str | None,
    scopes: str,
    unit: str | None,
    as_json: bool,
) -> None:
    from smartcity.runner import BrokerUnreachable, check_broker

    try:
        check_broker(settings.amqp_uri())
    except BrokerUnreachable as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    scope_list = [scope.strip() for scope in scopes.split(",") if scope.strip()]
    client = _platform_rpc(
        "create_client", name or f"{role}:{department or '-'}", role, department, scope_list, unit
    )
    if as_json:
        click.echo(json.dumps({"client_id": client["client_id"], "api_key": client["api_key"]}))
        return
    who = f"{role} {department}" if department else role
    click.echo(f"client {client['client_id']} ({who}) scopes={scope_list}")
    click.echo(f"API key (shown once, store it now): {client['api_key']}")


@main.group()
def audit() -> None:
    """The hash-chained audit log of personal-data access."""


@audit.command("verify")
def audit_verify() -> None:
    """Exit 1 if any audit entry was altered, removed or re-ordered."""
    report = _platform_rpc("verify_audit_chain")
    if report["ok"]:
        click.echo(f"audit chain intact: {report['checked']} entries")
        return
    click.echo(
        f"audit chain BROKEN at entry {report['first_bad_seq']}: {report['reason']}", err=True
    )
    sys.exit(1)
