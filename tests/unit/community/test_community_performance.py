"""Time-limit performance counted from grouped applications (pure)."""

from datetime import date

from services.community.domain.performance import Group, tally

DUE = date(2026, 11, 20)


def test_decided_in_time_late_open_and_overdue():
    groups = [
        Group("a", "approved", DUE, DUE, 2),  # decided on the due day: in time
        Group("a", "rejected", DUE, date(2026, 11, 23), 1),  # decided after it: late
        Group("a", "in_review", DUE, None, 3),
        Group("a", "returned", date(2026, 12, 1), None, 1),
    ]
    counts = tally(groups, ["a", "b"], today=date(2026, 11, 25))
    a = counts["a"]
    assert (a.decided, a.decided_within_limit, a.open, a.open_overdue) == (3, 2, 4, 3)
    assert a.within_limit_rate == round(2 / 3, 4)
    assert counts["b"].within_limit_rate is None  # nothing decided is no rate, not 0
    assert (counts["b"].decided, counts["b"].open) == (0, 0)
