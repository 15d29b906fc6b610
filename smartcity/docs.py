"""Generated documentation: the event catalogue for integrators and the OpenAPI document.

``smartcity docs`` rewrites ``docs/events.md`` and ``docs/openapi.json``; a unit test fails
when they drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path

from marshmallow import fields as mfields

from shared.broker_rights import PUBLIC_EXCHANGE
from shared.contracts.catalogue import CATALOGUE, PERSONAL, catalogue_entries
from shared.contracts.envelope import ENVELOPE_EVOLUTION, EVENTS_EXCHANGE, EnvelopeSchema


def _field_line(name: str, field: mfields.Field) -> str:
    kind = type(field).__name__
    required = "required" if field.required else "optional"
    description = field.metadata.get("description", "")
    choices = getattr(field.validate, "choices", None) if field.validate else None
    extra = f" one of {', '.join(map(str, choices))}" if choices else ""
    personal = " **personal**" if field.metadata.get(PERSONAL) else ""
    return f"| `{name}` | {kind} | {required} | {description}{extra}{personal} |"


def events_markdown() -> str:
    """``docs/events.md``: the same entries ``GET /api/v1/events/catalogue`` serves."""
    lines = [
        "# City events: the integrators' contract",
        "",
        "Generated from `shared/contracts/catalogue.py` by `smartcity docs`; do not edit. The "
        "same entries, with each payload's JSON Schema (the OpenAPI 3.0 dialect: `nullable`; "
        "personal fields carry `x-personal: true`), are served by "
        "`GET /api/v1/events/catalogue` (no credentials needed).",
        "",
        "## Where to receive them",
        "",
        f"- **AMQP, integrators**: the durable topic exchange `{PUBLIC_EXCHANGE}` carries every "
        "`public` event with the fields marked **personal** removed (and a `subject` that "
        "names a person blanked), routing key = event type, same `event_id`. Restricted "
        "events never reach it. Your broker user (`smartcity integrators create <name>`) may "
        "declare and consume only queues named `integrator.<name>.*` and bind them only to "
        "this exchange. `smartcity events tail 'traffic.#'` is a consumer to copy.",
        "- **HTTP**: `POST /api/v1/subscriptions` (see the platform README): signed "
        "deliveries, filters, replay. Integrators receive public events, departments also "
        "the restricted ones `shared/restricted_events.py` grants them.",
        f"- `{EVENTS_EXCHANGE}` is the services' own exchange: every event, personal data "
        "included. Only the city's services (each with its own broker user) can read it.",
        "",
        "Delivery is at least once: use `event_id` to drop duplicates.",
        "",
        "## Envelope",
        "",
        "| field | type | | |",
        "|---|---|---|---|",
        *(_field_line(name, field) for name, field in EnvelopeSchema().fields.items()),
        "",
        ENVELOPE_EVOLUTION,
        "",
    ]
    for entry in catalogue_entries():
        spec = CATALOGUE[entry["type"]]
        personal = ", ".join(f"`{name}`" for name in entry["personal_fields"]) or "none"
        lines += [
            f"## `{spec.type}` (version {spec.version}, {spec.classification})",
            "",
            spec.description,
            "",
            f"Personal fields: {personal}.",
            "",
            "| data field | type | | |",
            "|---|---|---|---|",
            *(_field_line(name, field) for name, field in spec.schema().fields.items()),
            "",
            "Example `data`:",
            "",
            "```json",
            json.dumps(entry["example"], indent=2),
            "```",
            "",
        ]
    return "\n".join(lines)


def openapi_json() -> str:
    from gateway.openapi import openapi_document
    from gateway.service import GatewayService

    return json.dumps(openapi_document(GatewayService), indent=2, sort_keys=True) + "\n"


def write_docs(docs_dir: Path) -> list[Path]:
    docs_dir.mkdir(parents=True, exist_ok=True)
    written = [docs_dir / "events.md", docs_dir / "openapi.json"]
    written[0].write_text(events_markdown())
    written[1].write_text(openapi_json())
    return written
