"""A dead callee does not stall a service: retries wait in the broker, not in a worker."""

from helpers import pika_url, publish_raw, wait_for
from messaging_app.app import LedgerEntry, LedgerService, RegistryService, penalty_payload

from shared.contracts.envelope import new_envelope
from smartcity.dead_letters import dead_letter_count, list_dead_letters

RESIDENT_ID = "210102199001011234"
CREDIT_CODE = "91110000600037341L"


def penalty(record_id: str, subject_type: str, subject_id: str) -> dict:
    return new_envelope(
        "inspection.administrative_penalty_issued",
        penalty_payload(record_id, subject_id, subject_type),
        source="inspection",
        version=1,
        subject=subject_id,
    )


def test_events_needing_a_dead_callee_do_not_delay_unrelated_events(
    service_config, start, rows_of, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    registry_config = service_config("registry")
    start(registry_config, RegistryService).stop()  # its RPC queue exists; nobody answers
    config = service_config(
        "ledger", max_workers=4, CONSUMER_RPC_TIMEOUT=1.0, EVENT_RETRY_ATTEMPTS=4
    )
    start(config, LedgerService)
    # Twice as many events needing the registry as the ledger has workers, then good ones.
    stuck = [penalty(f"I-{n}", "individual", RESIDENT_ID) for n in range(8)]
    good = [penalty(f"E-{n}", "enterprise", CREDIT_CODE) for n in range(4)]
    for envelope in stuck + good:
        publish_raw(amqp, envelope)

    wait_for(lambda: len(rows_of(config, LedgerEntry)) == len(good), timeout=30)

    # The good events got through while the stuck ones were still on their early attempts:
    # none of those has used up its four attempts yet.
    assert dead_letter_count(pika_url(amqp), "ledger") == 0
    letters = wait_for(
        lambda: (
            (found := list_dead_letters(pika_url(amqp), "ledger")) and len(found) == 8 and found
        ),
        timeout=60,
    )
    assert sorted(letter.event_id for letter in letters) == sorted(e["event_id"] for e in stuck)
    assert {letter.attempts for letter in letters} == {4}
    assert all("GatewayTimeout" in letter.error for letter in letters)
    assert sorted(r.event_id for r in rows_of(config, LedgerEntry)) == sorted(
        e["event_id"] for e in good
    )
