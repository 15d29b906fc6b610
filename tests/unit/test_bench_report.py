"""``make bench``'s rows: each ratio is the figure over its own baseline, goals marked; the
chart and the table show every row, a path that could not be measured as such."""

from bench.load import LoadResult
from bench.report import Row, write_table


def _load(requests_per_s: float, p50: float = 10.0) -> LoadResult:
    return LoadResult(16, 8.0, int(requests_per_s * 8), 0, requests_per_s, p50, p50, p50, {})


def test_a_load_row_is_throughput_over_its_baseline_with_the_issue_goal():
    baseline = Row.from_load("public reads", "echo pair GET (baseline)", _load(200), None)
    off = Row.from_load("public reads", "routes (cache off)", _load(150), baseline)
    on = Row.from_load("public reads", "routes (cache on)", _load(500), baseline)
    assert baseline.ratio is None
    assert (off.ratio, off.goal, off.baseline_value) == (0.75, "≥0.8", 200)
    assert (on.ratio, on.goal) == (2.5, "≥2.0")


def test_the_rpc_path_is_p50_over_health_at_most_the_goal():
    figures = {"p50_ms": 6.0, "p90_ms": 9.0, "p99_ms": 12.0}
    rows = Row.from_rpc_path(
        {
            "health": {"p50_ms": 5.0, "p90_ms": 7.0, "p99_ms": 9.0},
            "check_enterprise": figures,
            "check_individual": figures,
            "ratio_enterprise": 1.2,
            "ratio_individual": 1.2,
        }
    )
    assert [row.ratio for row in rows] == [None, 1.2, 1.2]
    assert {row.goal for row in rows[1:]} == {"≤1.3"}
    assert rows[1].baseline_value == 5.0


def test_a_path_not_measured_is_a_row_saying_why_not_a_number():
    row = Row.failed("event pipeline", "outbox → broker → credit handler", "No module named x\n")
    table = write_table([row], {"cores": 2, "load_average_before": (1.0, 2.0, 3.0)}, 16)
    assert "NOT MEASURED: No module named x" in table
    assert row.value is None and row.ratio is None


def test_the_chart_is_written(tmp_path):
    from bench.report import write_chart

    baseline = Row.from_load("writes", "echo (baseline)", _load(100), None)
    rows = [baseline, Row.from_load("writes", "apply", _load(30), baseline)]
    path = write_chart(rows, tmp_path / "c.png", {"cores": 2, "load_average_before": (1, 1, 1)}, 16)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
