"""The leaders' indicators are gathered at once; a failing source costs only its own."""

from gateway.routes.leaders import gather
from shared.errors import ServiceUnavailable


def test_each_source_answers_or_says_why_not():
    def down():
        raise ServiceUnavailable("the health service is not running; try again shortly")

    def broken():
        raise KeyError("a bug in the source")

    gathered = gather(
        {
            "credit_lists": ("credit", lambda: {"days": []}),
            "consultations": ("health", down),
            "tourism": ("tourism", broken),
        }
    )

    assert gathered == {
        "credit_lists": {"status": "ok", "source": "credit", "reason": None, "data": {"days": []}},
        "consultations": {
            "status": "unavailable",
            "source": "health",
            "reason": "the health service is not running; try again shortly",
            "data": None,
        },
        "tourism": {
            "status": "unavailable",
            "source": "tourism",
            "reason": "tourism failed to answer",
            "data": None,
        },
    }
