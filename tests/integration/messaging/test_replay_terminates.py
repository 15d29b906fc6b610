"""``smartcity dlq replay`` ends when its letters fail again, and says how many did."""

from click.testing import CliRunner
from helpers import pika_url, publish_raw, wait_for
from messaging_app.app import MIGRATIONS, Base, BlockedSubject, LedgerService, penalty_payload
from sqlalchemy.orm import Session

from shared.contracts.envelope import new_envelope
from shared.db import make_engine, migrate
from smartcity.cli import main
from smartcity.dead_letters import count_letters_of_replay, dead_letter_count, replay_dead_letters

CREDIT_CODE = "91110000600037341L"
LETTERS = 30


class BlockingCredit(LedgerService):
    """The ledger under a name the CLI knows; it refuses every blocked subject at once."""

    name = "credit"


def _credit_that_always_fails(service_config, start) -> dict:
    config = service_config("credit", EVENT_RETRY_ATTEMPTS=1)
    engine = make_engine(config["DATABASE_URLS"]["credit"])
    migrate(engine, "credit", MIGRATIONS, Base.metadata)
    with Session(engine) as session:
        session.add(BlockedSubject(subject_id=CREDIT_CODE))
        session.commit()
    engine.dispose()
    start(config, BlockingCredit)
    return config


def _dead_letters(amqp: str, count: int) -> None:
    for n in range(count):
        publish_raw(
            amqp,
            new_envelope(
                "inspection.administrative_penalty_issued",
                penalty_payload(f"P-{n}", CREDIT_CODE),
                source="inspection",
                version=1,
            ),
        )
    wait_for(lambda: dead_letter_count(pika_url(amqp), "credit") == count, timeout=30)


def test_replay_of_letters_that_fail_again_ends_and_counts_them(
    service_config, start, rabbit_config
):
    amqp = rabbit_config["AMQP_URI"]
    _credit_that_always_fails(service_config, start)
    _dead_letters(amqp, LETTERS)

    report = replay_dead_letters(pika_url(amqp), "credit")

    assert report.replayed == LETTERS
    # Every replayed letter failed again and is back, tagged with this run, once.
    wait_for(
        lambda: count_letters_of_replay(pika_url(amqp), "credit", report.run_id) == LETTERS,
        timeout=30,
    )
    assert dead_letter_count(pika_url(amqp), "credit") == LETTERS


def test_dlq_replay_prints_replayed_and_failed_again(service_config, start, rabbit_config):
    amqp = rabbit_config["AMQP_URI"]
    _credit_that_always_fails(service_config, start)
    _dead_letters(amqp, 3)

    result = CliRunner().invoke(main, ["dlq", "replay", "credit"], env={"AMQP_URI": pika_url(amqp)})

    assert result.exit_code == 0, result.output
    assert "replayed 3 dead letter(s) of credit;" in result.output
    assert "failed again and are back in the dead letters" in result.output
