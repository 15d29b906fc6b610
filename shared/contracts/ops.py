"""The operators' and leaders' view of the running suite (``GET /api/v1/ops/overview``,
``smartcity status --json``), computed by ``shared.queue_stats.read_overview``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

SERVICE_STATUSES = ("ok", "down")
ALERT_KINDS = ("service_down", "no_consumers", "dead_letters", "outbox_backlog")


class ServiceOps(Schema):
    """One service: is it up, how many instances run, what waits for it or in it."""

    service = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(SERVICE_STATUSES),
        metadata={"description": "ok: its health RPC answered ok; down otherwise"},
    )
    instances = fields.Integer(
        required=True, metadata={"description": "consumers of its RPC queue rpc-<service>"}
    )
    outbox_backlog = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "its events not yet confirmed by the broker; null: down"},
    )
    event_queue_depth = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "events ready in its subscriber queues plus retries waiting in "
            "<service>.retry; null: its queues are not known yet (never seen running)"
        },
    )
    event_lag_seconds = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "age of its oldest event not yet published (outbox), by its "
            "database's clock: how late others hear of its changes; 0 when none waits; "
            "null: down"
        },
    )
    dead_letters = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "messages in <service>.dead_letters; null: never declared"},
    )


class OpsAlert(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ALERT_KINDS))
    service = fields.String(required=True)
    detail = fields.String(required=True)


class OpsOverview(Schema):
    """Every service's figures and what needs attention now."""

    as_of = fields.AwareDateTime(required=True)
    services = fields.List(fields.Nested(ServiceOps), required=True)
    alerts = fields.List(fields.Nested(OpsAlert), required=True)
