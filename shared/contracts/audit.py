"""The audit log's RPC shapes: appending an access to personal data, and reading it back.

Every read or write of a resident's personal data is appended here (by the service that made
it, through its outbox, or by the gateway for its own reads). Residents read their own lines
(``AccessLogItem``: who, when, why); departments and operators read whole entries.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.contracts.common import BoundedAwareDateTime, Page, Request, page_of, required_text
from shared.contracts.platform import DEPARTMENTS
from shared.identity import CardNumberField

ACCESS_ACTIONS: tuple[str, ...] = ("read", "write")


class AppendAuditRequest(Request):
    """One access to a resident's personal data, as the gateway reports its own accesses."""

    actor = required_text(100)
    actor_role = required_text(50)
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    subject = CardNumberField(required=True, metadata={"description": "citizen card number"})
    action = fields.String(required=True, validate=validate.OneOf(ACCESS_ACTIONS))
    resource = required_text(200)
    purpose = required_text(200)
    occurred_at = BoundedAwareDateTime(load_default=None, allow_none=True, format="iso")
    request_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=100)
    )
    event_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "makes a retried append idempotent"},
    )


class AppendAuditResponse(Schema):
    seq = fields.Integer(required=True)
    event_id = fields.UUID(required=True)
    hash = fields.String(required=True)


class AccessLogItem(Schema):
    """One line of a resident's data tracker: which department looked, when and why."""

    occurred_at = fields.AwareDateTime(required=True, format="iso")
    department = fields.String(required=True, allow_none=True)
    actor_role = fields.String(required=True)
    action = fields.String(required=True)
    resource = fields.String(required=True)
    purpose = fields.String(required=True)
    request_id = fields.String(required=True, allow_none=True)


class AuditEntrySchema(AccessLogItem):
    """A full audit entry, as a department or operator sees it."""

    seq = fields.Integer(required=True)
    event_id = fields.UUID(required=True)
    actor = fields.String(required=True)
    subject = fields.String(required=True)


class AccessLogRequest(Page):
    card_number = CardNumberField(required=True)


class DepartmentAccessLogRequest(Page):
    department = fields.String(required=True, validate=validate.OneOf(DEPARTMENTS))


AccessLogPage = page_of(AccessLogItem)
AuditEntryPage = page_of(AuditEntrySchema)


class AuditChainReport(Schema):
    """Result of re-computing the audit hash chain from its first row to its head."""

    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True, metadata={"description": "rows verified"})
    first_bad_seq = fields.Integer(required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True)
    head_hash = fields.String(
        required=True,
        metadata={
            "description": "hash of the newest entry; anchor it elsewhere to detect "
            "a rewrite of the whole chain"
        },
    )
