"""``smartcity integrators create`` and ``smartcity events [tail]``: the integrators' path from
credentials to a first event."""

from __future__ import annotations

import contextlib
import json
import os
import sys

import click

from shared import config as settings


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def events(ctx: click.Context, as_json: bool) -> None:
    """The event catalogue: name, version, classification, payload fields."""
    if ctx.invoked_subcommand is not None:
        return
    from shared.contracts.catalogue import CATALOGUE, personal_fields

    rows = [
        {
            "type": spec.type,
            "version": spec.version,
            "classification": spec.classification,
            "description": spec.description,
            "fields": sorted(spec.schema().fields),
            "personal_fields": personal_fields(spec),
        }
        for spec in CATALOGUE.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['type']:<40} v{row['version']}  {row['classification']:<10} {row['description']}"
        )


@events.command("tail")
@click.argument("patterns", nargs=-1, required=True)
@click.option(
    "--name",
    default=lambda: os.environ.get("SMARTCITY_INTEGRATOR"),
    required=True,
    help="Your integrator name (or SMARTCITY_INTEGRATOR).",
)
@click.option(
    "--amqp-uri",
    default=lambda: os.environ.get("SMARTCITY_AMQP_URI"),
    required=True,
    help="The URI `integrators create` printed (or SMARTCITY_AMQP_URI).",
)
@click.option("--queue", "queue_suffix", default=None, help="Queue name after integrator.<name>.")
@click.option("--durable", is_flag=True, help="Keep the queue (and events) while away.")
def events_tail(
    patterns: tuple[str, ...], name: str, amqp_uri: str, queue_suffix: str | None, durable: bool
) -> None:
    """Print public events matching PATTERNS ('traffic.#') as JSON lines, until Ctrl-C."""
    from smartcity.events_tail import print_event, tail

    with contextlib.suppress(KeyboardInterrupt):
        tail(amqp_uri, name, patterns, print_event, queue_suffix=queue_suffix, durable=durable)


@click.group()
def integrators() -> None:
    """Integrators: an API client for HTTP subscriptions and a broker user for the AMQP feed."""


@integrators.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def integrators_create(name: str, as_json: bool) -> None:
    """Create integrator NAME: an API key and a broker user confined to the public feed.
    Both credentials are printed once; nothing keeps the broker password."""
    from shared.broker_rights import INTEGRATOR_NAME
    from smartcity.broker import create_integrator
    from smartcity.cli import _platform_rpc

    if not INTEGRATOR_NAME.match(name):
        click.echo("smartcity: a name is 2-31 of a-z, 0-9 and '-', a letter first", err=True)
        sys.exit(2)
    client = _platform_rpc("create_client", f"integrator:{name}", "integrator", None, [], None)
    amqp_uri = create_integrator(settings.amqp_uri(), name)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "client_id": client["client_id"],
                    "api_key": client["api_key"],
                    "amqp_uri": amqp_uri,
                }
            )
        )
        return
    click.echo(f"integrator {name}: API client {client['client_id']}")
    click.echo(f"API key (shown once): {client['api_key']}")
    click.echo(f"AMQP URI (shown once): {amqp_uri}")
    click.echo(f"Your queues: integrator.{name}.*, bound to smartcity.public only.")


@integrators.command("delete")
@click.argument("name")
def integrators_delete(name: str) -> None:
    """Delete integrator NAME's broker user: its AMQP access ends (its queues stay until the
    operator deletes them). Its API client is revoked separately (platform.revoke_client)."""
    from smartcity.broker import delete_integrator

    delete_integrator(settings.amqp_uri(), name)
    click.echo(f"broker user of integrator {name} deleted")
