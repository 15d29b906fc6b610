"""The audit log for real: events land once, residents and departments read it, the chain
holds under concurrent appends and exposes rows edited or deleted behind its back."""

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from helpers import calls_handled, publish_raw, wait_for
from nameko.standalone.rpc import ClusterRpcProxy
from platform_samples import (
    FIRST_CARD,
    LI_LEI,
    SECOND_CARD,
    access_envelope,
    registration,
)
from sqlalchemy.orm import Session

from services.platform.audit import CHAINED_FIELDS, entry_hash
from services.platform.models import GENESIS_HASH, AuditChainHead, AuditEntry
from services.platform.service import PlatformService
from shared.errors import NotFound, ValidationFailed


def gateway_entry(subject: str = FIRST_CARD, **overrides) -> dict:
    return {
        "actor": "operator-7",
        "actor_role": "operator",
        "department": None,
        "subject": subject,
        "action": "read",
        "resource": "platform.profile",
        "purpose": "helpdesk ticket 42",
        **overrides,
    }


def test_access_event_is_logged_once_with_the_envelopes_time_and_ids(
    rpc, platform, platform_runner, engine
):
    envelope = access_envelope(FIRST_CARD, request_id="req-77")
    publish_raw(platform["AMQP_URI"], envelope, times=2)  # a redelivery

    # Both deliveries handled: the duplicate was skipped, not still on its way.
    wait_for(
        lambda: calls_handled(platform_runner, PlatformService, "record_personal_data_access") == 2
    )
    with Session(engine) as session:
        entries = session.scalars(sa.select(AuditEntry)).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.seq, str(entry.event_id), entry.request_id) == (1, envelope["event_id"], "req-77")
    assert entry.occurred_at == datetime.fromisoformat(envelope["occurred_at"])
    assert (entry.actor, entry.actor_role, entry.department) == (
        "health-client",
        "department",
        "health",
    )
    assert entry.prev_hash == GENESIS_HASH

    assert rpc.access_log(FIRST_CARD) == {
        "items": [
            {
                "occurred_at": envelope["occurred_at"],
                "department": "health",
                "actor_role": "department",
                "action": "read",
                "resource": "health.archive",
                "purpose": "consultation",
                "request_id": "req-77",
            }
        ],
        "total": 1,
        "limit": 50,
        "offset": 0,
    }
    # That read is in the log now; the page before it did not show it.
    log = rpc.access_log(FIRST_CARD)
    assert log["total"] == 2
    assert [(i["resource"], i["action"]) for i in log["items"] if i["department"] is None] == [
        ("audit.access_log", "read")
    ]


def test_access_log_is_newest_first_and_per_resident(rpc, platform):
    base = datetime.fromisoformat(access_envelope(FIRST_CARD)["occurred_at"])
    envelopes = []
    # Published in the order 2, 0, 1 (by time of access): the log must still read 2, 1, 0.
    for minutes, source in ((2, "traffic"), (0, "health"), (1, "education")):
        envelope = access_envelope(
            FIRST_CARD, source=source, department=source, purpose=f"check {minutes}"
        )
        envelope["occurred_at"] = (base + timedelta(minutes=minutes)).isoformat()
        envelopes.append(envelope)
        publish_raw(platform["AMQP_URI"], envelope)
    publish_raw(
        platform["AMQP_URI"], access_envelope(SECOND_CARD, source="credit", department="credit")
    )

    wait_for(lambda: rpc.verify_audit_chain()["checked"] == 4)
    log = rpc.access_log(FIRST_CARD)
    assert log["total"] == 3
    assert [item["department"] for item in log["items"]] == ["traffic", "education", "health"]
    # The read just made is in the log now (dated now, so wherever now falls among them).
    page = rpc.access_log(FIRST_CARD, 1, 1)
    assert (page["total"], page["limit"], page["offset"]) == (4, 1, 1)
    departments = [item["department"] for item in rpc.access_log(FIRST_CARD)["items"]]
    assert [name for name in departments if name] == ["traffic", "education", "health"]

    health = rpc.department_access_log("health")
    assert health["total"] == 1
    assert health["items"][0]["subject"] == FIRST_CARD
    assert health["items"][0]["actor"] == "health-client"
    assert rpc.department_access_log("credit")["items"][0]["subject"] == SECOND_CARD
    # Health's read named the resident by card: it is in the resident's log (once; the
    # credit page named only the second resident).
    reads = [
        item
        for item in rpc.access_log(FIRST_CARD)["items"]
        if item["resource"] == "audit.department_access_log"
    ]
    assert [item["action"] for item in reads] == ["read"]
    with pytest.raises(ValidationFailed) as caught:
        rpc.department_access_log("police")
    assert list(caught.value.fields) == ["department"]


def test_append_audit_is_idempotent_with_an_event_id(rpc):
    event_id = str(uuid.uuid4())
    first = rpc.append_audit(gateway_entry(event_id=event_id, request_id="req-9"))
    again = rpc.append_audit(gateway_entry(event_id=event_id, request_id="req-9"))
    assert first == again
    assert (first["seq"], first["event_id"]) == (1, event_id)
    second = rpc.append_audit(gateway_entry(action="write"))
    assert second["seq"] == 2
    assert rpc.verify_audit_chain() == {
        "ok": True,
        "checked": 2,
        "first_bad_seq": None,
        "reason": None,
        "head_hash": second["hash"],
    }


def test_lookup_resident_is_audited_with_the_callers_context(rpc, platform):
    card = rpc.register_resident(registration())["card_number"]
    context = {
        "actor": "client-health-1",
        "actor_role": "department",
        "department": "health",
        "purpose": "vaccination record",
        "request_id": "req-lookup",
    }
    with ClusterRpcProxy(platform, context_data=context) as cluster:
        by_card = cluster.platform.lookup_resident(card)
        by_id = cluster.platform.lookup_resident(LI_LEI)
        with pytest.raises(NotFound):
            cluster.platform.lookup_resident("2101000000000020")
        with pytest.raises(ValidationFailed) as caught:
            cluster.platform.lookup_resident("91110000600037341L")  # a credit code
    assert caught.value.fields == {
        "identifier": ["must be a citizen card number or a resident ID number"]
    }
    assert by_card == by_id
    assert {k: by_card[k] for k in ("name", "card_number", "birth_date", "id_number_masked")} == {
        "name": "Li Lei",
        "card_number": card,
        "birth_date": "1990-03-07",
        "id_number_masked": "2101**********1233",
    }

    log = rpc.department_access_log("health")
    assert log["total"] == 2  # the two successful reads; a miss has nobody's data
    assert {
        (item["actor"], item["purpose"], item["request_id"], item["resource"])
        for item in log["items"]
    } == {("client-health-1", "vaccination record", "req-lookup", "population.resident")}


def test_concurrent_appends_keep_one_chain(rpc, platform, engine):
    with ClusterRpcProxy(platform) as cluster:
        replies = [
            cluster.platform.append_audit.call_async(gateway_entry(purpose=f"case {n}"))
            for n in range(20)
        ]
        results = [reply.result() for reply in replies]

    assert sorted(result["seq"] for result in results) == list(range(1, 21))
    report = rpc.verify_audit_chain()
    assert (report["ok"], report["checked"]) == (True, 20)
    with Session(engine) as session:
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
        head = session.get(AuditChainHead, 1)
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    assert (head.last_seq, head.last_hash) == (20, rows[-1].hash)
    assert sorted(row.purpose for row in rows) == sorted(f"case {n}" for n in range(20))


def fill(rpc, count: int) -> None:
    for n in range(count):
        rpc.append_audit(gateway_entry(purpose=f"case {n}"))


def test_verify_detects_a_row_altered_in_the_database(rpc, engine):
    fill(rpc, 5)
    with engine.begin() as conn:
        conn.execute(
            sa.update(AuditEntry).where(AuditEntry.seq == 3).values(purpose="nothing to see here")
        )
    report = rpc.verify_audit_chain()
    assert (report["ok"], report["checked"], report["first_bad_seq"]) == (False, 2, 3)
    assert report["reason"] == "hash does not match the entry's content"


def test_verify_detects_an_altered_row_whose_hash_was_recomputed(rpc, engine):
    fill(rpc, 5)
    with Session(engine) as session:
        row = session.get(AuditEntry, 3)
        row.purpose = "nothing to see here"
        row.hash = entry_hash(row.prev_hash, {f: getattr(row, f) for f in CHAINED_FIELDS})
        session.commit()
    report = rpc.verify_audit_chain()
    assert (report["ok"], report["first_bad_seq"]) == (False, 4)
    assert report["reason"] == "prev_hash is not the hash of entry 3"


def test_verify_detects_a_deleted_row(rpc, engine):
    fill(rpc, 5)
    with engine.begin() as conn:
        conn.execute(sa.delete(AuditEntry).where(AuditEntry.seq == 2))
    report = rpc.verify_audit_chain()
    assert (report["ok"], report["checked"], report["first_bad_seq"]) == (False, 1, 2)
    assert report["reason"] == "entry 2 is missing (next is 3)"


def test_verify_detects_a_deleted_newest_row(rpc, engine):
    fill(rpc, 5)
    with engine.begin() as conn:
        conn.execute(sa.delete(AuditEntry).where(AuditEntry.seq == 5))
    report = rpc.verify_audit_chain()
    assert (report["ok"], report["checked"], report["first_bad_seq"]) == (False, 4, 5)
    assert report["reason"] == "entry 5 is missing at the end"
