"""Generated documentation: the event catalogue for integrators and the OpenAPI document.

``smartcity docs`` rewrites ``docs/events.md`` and ``docs/openapi.json``; a unit test fails
when they drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path

from marshmallow import fields as mfields

from shared.contracts.catalogue import CATALOGUE
from shared.contracts.envelope import ENVELOPE_EVOLUTION, EVENTS_EXCHANGE, EnvelopeSchema


def _field_line(name: str, field: mfields.Field) -> str:
    kind = type(field).__name__
    required = "required" if field.required else "optional"
    description = field.metadata.get("description", "")
    choices = getattr(field.validate, "choices", None) if field.validate else None
    extra = f" one of {', '.join(map(str, choices))}" if choices else ""
    return f"| `{name}` | {kind} | {required} | {description}{extra} |"


def events_markdown() -> str:
    lines = [
        "# City events: the integrators' contract",
        "",
        "Generated from `shared/contracts/catalogue.py` by `smartcity docs`; do not edit.",
        "",
        f"Every event is published, persistent, to the durable topic exchange "
        f"`{EVENTS_EXCHANGE}` with the event type as routing key. Bind a queue with a pattern "
        "(`traffic.#`, `*.administrative_penalty_issued`). Delivery is at least once: use "
        "`event_id` to drop duplicates. `restricted` events carry personal data and are only "
        "for departments and integrators the operator has cleared.",
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
    for spec in CATALOGUE.values():
        lines += [
            f"## `{spec.type}` (version {spec.version}, {spec.classification})",
            "",
            spec.description,
            "",
            "| data field | type | | |",
            "|---|---|---|---|",
            *(_field_line(name, field) for name, field in spec.schema().fields.items()),
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
