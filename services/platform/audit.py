"""The personal-data audit log: append-only and hash-chained (a data tracker à la X-Road).

Every read or write of a resident's personal data becomes one entry; a resident can list who
accessed their data, when and why. Entries form a chain: entry ``n`` stores ``prev_hash`` (the
hash of entry ``n - 1``, or ``GENESIS_HASH``) and
``hash = sha256(prev_hash + canonical JSON of its fields)``, where the fields include ``seq``.
Editing an entry, deleting one, or swapping two therefore breaks the chain at a place
``verify_chain`` names. The single ``audit_chain_head`` row holds the last ``seq`` and hash;
appenders lock it (``SELECT ... FOR UPDATE``), so concurrent appends take turns and never fork
the chain, and it exposes a deleted tail.

The chain proves integrity against edits through the database; someone who can rewrite every
row *and* the head can recompute it. Anchoring ``head_hash`` outside the database from time to
time (e.g. in the operators' log) closes that gap.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from services.platform.models import (
    CHAIN_HEAD_ID,
    GENESIS_HASH,
    AuditChainHead,
    AuditEntry,
    CitizenCard,
    Resident,
)
from shared.contracts.audit import (
    AccessLogPage,
    AccessLogRequest,
    AppendAuditRequest,
    AppendAuditResponse,
    AuditChainReport,
    AuditEntryPage,
    DepartmentAccessLogRequest,
)
from shared.contracts.common import load
from shared.db import fetch_page
from shared.identity import is_valid_resident_id

if TYPE_CHECKING:
    from shared.db import UnitOfWork
    from shared.messaging import Event

CHAINED_FIELDS: tuple[str, ...] = (
    "seq",
    "event_id",
    "occurred_at",
    "actor",
    "actor_role",
    "department",
    "subject",
    "action",
    "resource",
    "purpose",
    "request_id",
)
"""The fields an entry's hash covers, besides ``prev_hash``."""

_ACCESS_FIELDS = ("actor", "actor_role", "department", "subject", "action", "resource", "purpose")

EVENT_CONSUMER = "platform.record_personal_data_access"

# Column widths of the text fields; event payloads are not length-checked by the catalogue.
_WIDTHS = {
    "actor": 100,
    "actor_role": 50,
    "department": 50,
    "subject": 32,
    "resource": 200,
    "purpose": 200,
    "request_id": 100,
}


# --- the chain, pure ------------------------------------------------------------------------


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical_json(entry: Mapping[str, Any]) -> bytes:
    """The chained fields of an entry as canonical JSON: sorted keys, no spaces, UTF-8.

    Times are UTC with microseconds and UUIDs are lower-case text, so the bytes are the same
    whichever database the entry was read back from.
    """
    document = {name: _canonical_value(entry[name]) for name in CHAINED_FIELDS}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """``sha256(prev_hash + canonical JSON)`` as 64 hex characters."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(entry)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """``checked`` counts the entries found intact before the first bad one (all when ok)."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    head_hash: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify_chain(
    entries: Iterable[Mapping[str, Any]], head_seq: int, head_hash: str
) -> ChainReport:
    """Walk ``entries`` in ``seq`` order and report the first break, if any.

    Detects: a gap in ``seq`` (a deleted entry), a ``prev_hash`` that is not the previous
    entry's hash (deleted or re-ordered entries), a hash that does not match the content (an
    edited entry) and a last entry that is not the head's (a deleted or forged tail).
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH

    def broken(seq: int, reason: str) -> ChainReport:
        return ChainReport(False, expected_seq - 1, seq, reason, head_hash)

    for entry in entries:
        seq = entry["seq"]
        if seq != expected_seq:
            return broken(expected_seq, f"entry {expected_seq} is missing (next is {seq})")
        if entry["prev_hash"] != prev_hash:
            return broken(seq, f"prev_hash is not the hash of entry {seq - 1}")
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            return broken(seq, "hash does not match the entry's content")
        prev_hash = entry["hash"]
        expected_seq += 1
    last_seq = expected_seq - 1
    if head_seq > last_seq:
        missing = (
            f"entry {head_seq} is"
            if head_seq == last_seq + 1
            else f"entries {last_seq + 1}..{head_seq} are"
        )
        return broken(last_seq + 1, f"{missing} missing at the end")
    if head_seq < last_seq:
        return broken(head_seq + 1, f"entries after {head_seq} were added outside the chain")
    if head_hash != prev_hash:
        return broken(last_seq, f"entry {last_seq} is not the one the chain head recorded")
    return ChainReport(True, last_seq, None, None, head_hash)


# --- appending ------------------------------------------------------------------------------


def _lock_head(uow: UnitOfWork) -> AuditChainHead:
    """The chain head, locked until the transaction ends."""
    return uow.session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.id == CHAIN_HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def append_entry(uow: UnitOfWork, fields: Mapping[str, Any]) -> AuditEntry:
    """Append one entry (``CHAINED_FIELDS`` except ``seq``) at the end of the chain.

    An entry whose ``event_id`` is already logged is not appended again; the logged one is
    returned. The check runs after taking the lock, so two concurrent appends of one event
    cannot both pass it.
    """
    head = _lock_head(uow)
    existing = uow.session.scalars(
        select(AuditEntry).where(AuditEntry.event_id == fields["event_id"])
    ).first()
    if existing is not None:
        return existing
    values = {name: fields[name] for name in CHAINED_FIELDS if name != "seq"}
    for name, width in _WIDTHS.items():
        if values[name] is not None:
            values[name] = values[name][:width]
    values["seq"] = head.last_seq + 1
    entry = AuditEntry(**values, prev_hash=head.last_hash, hash=entry_hash(head.last_hash, values))
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    uow.session.add(entry)
    uow.session.flush()
    return entry


def subject_card(uow: UnitOfWork, subject: str) -> str:
    """Whom an access names, as their citizen card: services that key people by ID number
    (credit) name them so, and the population registry says whose card that is. A person
    without a card keeps the ID number (the chain holds the access; no log shows it)."""
    if not is_valid_resident_id(subject):
        return subject
    card = uow.session.scalar(
        select(CitizenCard.card_number)
        .join(Resident, Resident.resident_id == CitizenCard.resident_id)
        .where(Resident.id_number == subject)
    )
    return card or subject


def append_from_event(uow: UnitOfWork, event: Event) -> AuditEntry | None:
    """Log a ``*.personal_data_accessed`` event once, however often it is delivered.

    The subject is stored as the resident's citizen card (``subject_card``), so their access
    log shows it whichever identifier the reporting service keys them by.

    ``occurred_at``, ``request_id`` and ``event_id`` come from the envelope: the time of the
    access, not of its delivery.
    """
    if not uow.claim(event.event_id, EVENT_CONSUMER):
        return None
    return append_entry(
        uow,
        {
            **{name: event.data[name] for name in _ACCESS_FIELDS},
            "subject": subject_card(uow, event.data["subject"]),
            "event_id": uuid.UUID(event.event_id),
            "occurred_at": event.occurred_at,
            "request_id": event.request_id,
        },
    )


def append_requested(
    uow: UnitOfWork, payload: dict[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """The ``append_audit`` RPC: an access the gateway made itself. Returns seq, event_id, hash.

    Without ``occurred_at`` the entry is dated now; without ``event_id`` it gets a new one
    (and a retried call then logs twice: callers that retry should send one).
    """
    request = load(AppendAuditRequest, payload)
    entry = append_entry(
        uow,
        {
            **{name: request[name] for name in _ACCESS_FIELDS},
            "event_id": request["event_id"] or uuid.uuid4(),
            "occurred_at": request["occurred_at"] or now or datetime.now(UTC),
            "request_id": request["request_id"] or uow.request_id,
        },
    )
    return AppendAuditResponse().dump(entry)


def record_access(
    uow: UnitOfWork,
    subject: str,
    action: str,
    resource: str,
    now: datetime | None = None,
) -> AuditEntry:
    """Log an access the platform itself serves, on behalf of the caller in ``uow.context``.

    The gateway puts ``actor``, ``actor_role``, ``department``, ``purpose`` and ``request_id``
    in the nameko context of every call; a call without them is logged as ``system``.
    """
    context = uow.context
    return record_access_by(
        uow,
        {
            "actor": context.get("actor") or "system",
            "actor_role": context.get("actor_role") or "system",
            "department": context.get("department"),
            "purpose": context.get("purpose") or "unspecified",
            "request_id": context.get("request_id"),
        },
        subject,
        action,
        resource,
        now,
    )


def record_access_by(
    uow: UnitOfWork,
    accessor: Mapping[str, str | None],
    subject: str,
    action: str,
    resource: str,
    now: datetime | None = None,
) -> AuditEntry:
    """Log an access by ``accessor`` (``actor``, ``actor_role``, ``department``, ``purpose``,
    ``request_id``): one the platform makes on someone's behalf outside a call from them, such
    as a webhook delivery to a department."""
    return append_entry(
        uow,
        {
            "event_id": uuid.uuid4(),
            "occurred_at": now or datetime.now(UTC),
            **{name: accessor.get(name) for name in ("actor", "actor_role", "department")},
            "purpose": accessor.get("purpose") or "unspecified",
            "request_id": accessor.get("request_id"),
            "subject": subject,
            "action": action,
            "resource": resource,
        },
    )


# --- reading --------------------------------------------------------------------------------


def _stored_entries(uow: UnitOfWork) -> Iterator[dict[str, Any]]:
    rows = uow.session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    )
    for row in rows:
        yield {name: getattr(row, name) for name in (*CHAINED_FIELDS, "prev_hash", "hash")}


def verify_stored_chain(uow: UnitOfWork) -> dict[str, Any]:
    """The ``verify_audit_chain`` RPC: re-compute the whole stored chain."""
    head = uow.session.get(AuditChainHead, CHAIN_HEAD_ID)
    report = verify_chain(_stored_entries(uow), head.last_seq, head.last_hash)
    return AuditChainReport().dump(report.as_dict())


def _page(uow: UnitOfWork, condition: Any, limit: int, offset: int) -> dict[str, Any]:
    """Audit entries matching ``condition``, newest first."""
    newest_first = (AuditEntry.occurred_at.desc(), AuditEntry.seq.desc())
    entries = select(AuditEntry).where(condition)
    return fetch_page(uow.session, entries, *newest_first, limit=limit, offset=offset)


def access_log(uow: UnitOfWork, card_number: str, limit: int, offset: int) -> dict[str, Any]:
    """A resident's data tracker: accesses to their data, newest first (by time of access).

    Reading it is itself an access to their data, logged after the page is read (so the page
    shows the accesses before this one).
    """
    request = load(AccessLogRequest, {"card_number": card_number, "limit": limit, "offset": offset})
    condition = AuditEntry.subject == request["card_number"]
    page = AccessLogPage().dump(_page(uow, condition, request["limit"], request["offset"]))
    record_access(uow, request["card_number"], "read", "audit.access_log")
    return page


def department_access_log(
    uow: UnitOfWork, department: str, limit: int, offset: int
) -> dict[str, Any]:
    """The accesses one department made, newest first (for its own data-protection officer).

    The page names residents by card, so each resident on it gets one entry for this read.
    """
    request = load(
        DepartmentAccessLogRequest, {"department": department, "limit": limit, "offset": offset}
    )
    condition = AuditEntry.department == request["department"]
    page = AuditEntryPage().dump(_page(uow, condition, request["limit"], request["offset"]))
    for subject in sorted({item["subject"] for item in page["items"]}):
        record_access(uow, subject, "read", "audit.department_access_log")
    return page
