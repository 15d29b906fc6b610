"""Ctrl-C stops ``smartcity up --demo`` cleanly: every process it started exits.

``running_suite`` stops the suite as an operator does (SIGINT to its process group) and asserts
that ``smartcity up`` exits 0, that no process it started (``var/log/*.pid``) and no embedded
PostgreSQL is left, and that nothing was restarted while stopping. How long the stop takes is
printed, not asserted (a shared machine; the figure includes the fixture's clean-up of the
vhost and broker users). By hand, SIGINT to exit: 24.6 s before, 5.4-12 s after on this
2-core machine under load: each process's consumers used to take 1-2 s each to notice the stop
(now 0.25 s), the processes stopped one by one (now in caller layers), and the gateway's stop
could fail and wait for the 20 s kill (its service directory's connection closed mid-read).
"""

import time

from suite_process import running_suite


def test_up_with_demo_data_stops_every_process_on_sigint(request, backing_services):
    with running_suite(request.config, False, "--demo") as running:
        assert any("demo" in line.lower() for line in running.output), running.output
        stopping_at = time.monotonic()
    print(f"smartcity up --demo stopped in {time.monotonic() - stopping_at:.1f} s")
