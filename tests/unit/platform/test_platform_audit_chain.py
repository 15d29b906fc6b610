"""The audit hash chain on in-memory entries: the digest itself, and each kind of tampering."""

import copy
import hashlib
import uuid
from datetime import UTC, datetime, timedelta, timezone

from services.platform.audit import canonical_json, entry_hash, verify_chain
from services.platform.models import GENESIS_HASH

CARD = "2101000000000012"
START = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def fields(seq: int) -> dict:
    return {
        "seq": seq,
        "event_id": uuid.UUID(int=seq),
        "occurred_at": START + timedelta(minutes=seq),
        "actor": f"client-{seq}",
        "actor_role": "department",
        "department": "health",
        "subject": CARD,
        "action": "read",
        "resource": "health.archive",
        "purpose": "consultation",
        "request_id": f"req-{seq}",
    }


def build_chain(length: int) -> list[dict]:
    entries, prev_hash = [], GENESIS_HASH
    for seq in range(1, length + 1):
        entry = {**fields(seq), "prev_hash": prev_hash}
        entry["hash"] = entry_hash(prev_hash, entry)
        entries.append(entry)
        prev_hash = entry["hash"]
    return entries


def verify(entries: list[dict], head: dict | None = None):
    """Verify against a head that recorded ``head`` (default: the last entry as built)."""
    head = head or entries[-1]
    return verify_chain(entries, head["seq"], head["hash"])


def test_canonical_json_is_sorted_compact_utc_with_microseconds():
    expected = (
        '{"action":"read","actor":"client-1","actor_role":"department","department":"health",'
        '"event_id":"00000000-0000-0000-0000-000000000001",'
        '"occurred_at":"2026-11-28T09:31:00.000000+00:00","purpose":"consultation",'
        '"request_id":"req-1","resource":"health.archive","seq":1,"subject":"2101000000000012"}'
    )
    assert canonical_json(fields(1)) == expected.encode()


def test_entry_hash_is_sha256_of_prev_hash_then_canonical_json():
    expected = hashlib.sha256(GENESIS_HASH.encode() + canonical_json(fields(1))).hexdigest()
    assert entry_hash(GENESIS_HASH, fields(1)) == expected


def test_a_naive_time_is_taken_as_utc_and_hashes_like_the_aware_one():
    naive = {**fields(1), "occurred_at": datetime(2026, 11, 28, 9, 31)}
    assert entry_hash(GENESIS_HASH, naive) == entry_hash(GENESIS_HASH, fields(1))


def test_the_same_instant_in_another_zone_hashes_the_same():
    shanghai = timezone(timedelta(hours=8))
    elsewhere = {**fields(1), "occurred_at": datetime(2026, 11, 28, 17, 31, tzinfo=shanghai)}
    assert entry_hash(GENESIS_HASH, elsewhere) == entry_hash(GENESIS_HASH, fields(1))


def test_intact_chain_verifies():
    chain = build_chain(5)
    report = verify(chain)
    assert (report.ok, report.checked, report.first_bad_seq, report.reason) == (True, 5, None, None)
    assert report.head_hash == chain[-1]["hash"]


def test_empty_chain_verifies_against_the_genesis_head():
    report = verify_chain([], 0, GENESIS_HASH)
    assert (report.ok, report.checked, report.first_bad_seq) == (True, 0, None)


def test_edited_entry_is_found():
    chain = build_chain(5)
    chain[2]["purpose"] = "curiosity"  # entry 3
    report = verify(chain)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 3, 2)
    assert report.reason == "hash does not match the entry's content"


def test_edited_entry_with_recomputed_hash_breaks_the_next_link():
    chain = build_chain(5)
    chain[2]["purpose"] = "curiosity"
    chain[2]["hash"] = entry_hash(chain[2]["prev_hash"], chain[2])
    report = verify(chain, head=build_chain(5)[-1])
    # Entry 3 is consistent in itself now; entry 4 still points at the old hash of 3.
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert report.reason == "prev_hash is not the hash of entry 3"


def test_deleted_middle_entry_is_found_as_a_gap():
    chain = build_chain(5)
    head = chain[-1]
    del chain[1]  # entry 2
    report = verify(chain, head=head)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 2, 1)
    assert report.reason == "entry 2 is missing (next is 3)"


def test_deleted_entry_with_renumbered_successors_is_found():
    chain = build_chain(5)
    head = chain[-1]
    del chain[1]
    for entry in chain[1:]:
        entry["seq"] -= 1  # close the gap: 3, 4, 5 become 2, 3, 4
    report = verify(chain, head=head)
    # New entry 2 (was 3) links to the old hash of entry 2, not to entry 1.
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert report.reason == "prev_hash is not the hash of entry 1"


def test_deleted_tail_is_found_through_the_head():
    chain = build_chain(5)
    head = chain[-1]
    del chain[3:]  # entries 4 and 5
    report = verify(chain, head=head)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 4, 3)
    assert report.reason == "entries 4..5 are missing at the end"


def test_swapped_entries_are_found():
    chain = build_chain(5)
    head = chain[-1]
    swapped = copy.deepcopy(chain)
    # Entries 2 and 3 exchange their content but keep their places in the sequence.
    for key in ("event_id", "occurred_at", "actor", "request_id", "prev_hash", "hash"):
        swapped[1][key], swapped[2][key] = chain[2][key], chain[1][key]
    report = verify(swapped, head=head)
    assert (report.ok, report.first_bad_seq) == (False, 2)
    assert report.reason == "prev_hash is not the hash of entry 1"


def test_entry_appended_behind_the_heads_back_is_found():
    chain = build_chain(5)
    head = chain[3]  # the head recorded entry 4; entry 5 was inserted without it
    report = verify(chain, head=head)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert report.reason == "entries after 4 were added outside the chain"


def test_replaced_last_entry_is_found_through_the_head_hash():
    chain = build_chain(5)
    head = dict(chain[-1])
    chain[-1]["purpose"] = "curiosity"
    chain[-1]["hash"] = entry_hash(chain[-1]["prev_hash"], chain[-1])
    report = verify(chain, head=head)
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert report.reason == "entry 5 is not the one the chain head recorded"
