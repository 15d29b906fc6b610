"""``smartcity up`` restarts a process that died: at once, then after a growing wait, so that a
short outage of the broker does not use up its restarts; it gives up on one that keeps dying."""

import subprocess
import sys
from pathlib import Path

import pytest

from smartcity import suite as suite_module
from smartcity.suite import RESTART_BACKOFF_S, Suite


class DyingSuite(Suite):
    """A suite of one process that exits with 3 as soon as it starts, as a real child."""

    def _spawn(self, instance: str) -> None:
        self.spawned.append(self.clock)
        self.children[instance] = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
        self.children[instance].wait()


def dying_suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DyingSuite:
    suite = DyingSuite(tmp_path, processes=("credit",))
    suite.clock = 0.0
    suite.spawned = []
    monkeypatch.setattr(suite_module.time, "monotonic", lambda: suite.clock)
    return suite


def test_a_dead_process_is_restarted_at_once_then_after_each_backoff(tmp_path, monkeypatch):
    suite = dying_suite(tmp_path, monkeypatch)
    told = []
    suite.on_restart = lambda name, code, delay: told.append((name, code, delay))
    suite._spawn("credit")
    for _ in range(len(RESTART_BACKOFF_S)):
        suite._restart_dead()  # sees the death, restarts now or schedules the restart
        suite.clock += told[-1][2]
        suite._restart_dead()  # the wait is over
    assert told == [("credit", 3, delay) for delay in RESTART_BACKOFF_S]
    assert suite.spawned == [0.0, 0.0, *[sum(RESTART_BACKOFF_S[: i + 1]) for i in range(1, 5)]]


def test_no_restart_before_its_time(tmp_path, monkeypatch):
    suite = dying_suite(tmp_path, monkeypatch)
    suite._spawn("credit")
    suite._restart_dead()  # the first restart: at once
    suite._restart_dead()  # the second: in RESTART_BACKOFF_S[1]
    suite.clock += RESTART_BACKOFF_S[1] / 2
    suite._restart_dead()
    assert suite.spawned == [0.0, 0.0]


def test_a_process_that_keeps_dying_is_given_up_with_its_last_log_lines(tmp_path, monkeypatch):
    suite = dying_suite(tmp_path, monkeypatch)
    (tmp_path / "credit.log").write_text("starting\nsmartcity: the reason it died\n")
    suite._spawn("credit")
    for delay in RESTART_BACKOFF_S:
        suite._restart_dead()
        suite.clock += delay
        suite._restart_dead()
    with pytest.raises(RuntimeError) as raised:
        suite._restart_dead()
    assert str(raised.value).startswith("credit keeps dying (exit 3)")
    assert str(raised.value).endswith("starting\nsmartcity: the reason it died")
