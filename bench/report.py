"""The rows of ``make bench``: each figure with its baseline and their ratio; table and chart."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.load import LoadResult

GOALS = {
    "cache off": 0.8,
    "cache on": 2.0,
    "event pipeline": 0.5,
    "rpc path": 1.3,
}
"""Issue 15's goals, by what a row's name or section contains (rpc path: at most, else at
least)."""


@dataclass
class Row:
    section: str
    name: str
    measure: str
    """What ``value`` and ``ratio`` are: ``req/s`` (ratio = req/s over the baseline's),
    ``events/s`` (the same), or ``p50 ms`` (ratio = p50 over the baseline's: lower is better)."""
    value: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    goal: str | None = None
    error: str | None = None
    cpu_ms_per_request: dict[str, float] | None = None
    """CPU time (user + system) each process of the suite spent per request while the path
    was loaded, warm-up included (approximate): unlike a ratio, it hardly moves when other
    work shares the machine. Processes that spent less than 50 ms in all are left out."""
    statuses: dict[str, int] | None = None
    """The counted answers by HTTP status: a fast row of 404s is not a fast read."""

    @classmethod
    def from_load(cls, section: str, name: str, result: LoadResult, baseline: Row | None) -> Row:
        row = cls(
            section,
            name,
            "req/s",
            result.requests_per_s,
            result.p50_ms,
            result.p90_ms,
            result.p99_ms,
            result.errors,
            statuses=result.statuses,
        )
        if baseline is not None:
            row.baseline, row.baseline_value = baseline.name, baseline.value
            row.ratio = result.requests_per_s / baseline.value if baseline.value else None
        row.goal = _goal(section, name, at_least=True)
        return row

    @classmethod
    def from_pipeline(cls, measured: dict[str, Any]) -> Row:
        return cls(
            "event pipeline",
            "outbox → broker → credit handler",
            "events/s",
            measured["pipeline_per_s"],
            baseline="raw pika, one insert + commit per message",
            baseline_value=measured["baseline_per_s"],
            ratio=measured["ratio"],
            goal=_goal("event pipeline", "", at_least=True),
        )

    @classmethod
    def from_rpc_path(cls, measured: dict[str, Any]) -> list[Row]:
        health = measured["health"]
        rows = [cls("rpc path", "health RPC (baseline)", "p50 ms", health["p50_ms"], **health)]
        for key, name in (("enterprise", "an enterprise"), ("individual", "a person (audited)")):
            figures = measured[f"check_{key}"]
            rows.append(
                cls(
                    "rpc path",
                    f"credit.check of {name}",
                    "p50 ms",
                    figures["p50_ms"],
                    **figures,
                    baseline="health RPC (baseline)",
                    baseline_value=health["p50_ms"],
                    ratio=measured[f"ratio_{key}"],
                    goal=_goal("rpc path", "", at_least=False),
                )
            )
        return rows

    @classmethod
    def failed(cls, section: str, name: str, error: str) -> Row:
        return cls(section, name, "-", error=error.strip())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.error:
            return f"{self.section:<15} {self.name:<46} NOT MEASURED: {self.error[-160:]}"
        p50 = "" if self.p50_ms is None else f"{self.p50_ms:9.1f}"
        p99 = "" if self.p99_ms is None else f"{self.p99_ms:9.1f}"
        ratio = "" if self.ratio is None else f"{self.ratio:6.2f}"
        errors = "" if not self.errors else f"  errors {self.errors}"
        cpu = ""
        if self.cpu_ms_per_request:
            cpu = "  cpu ms/req " + " ".join(
                f"{name} {ms:.2f}" for name, ms in self.cpu_ms_per_request.items()
            )
        return (
            f"{self.section:<15} {self.name:<46} {self.value:9.1f} {self.measure:<8} "
            f"{p50:>9} {p99:>9} {ratio:>6} {self.goal or '':<6}{errors}{cpu}"
        )


def _goal(section: str, name: str, at_least: bool) -> str | None:
    for key, goal in GOALS.items():
        if key in name or key == section:
            return f"{'≥' if at_least else '≤'}{goal}"
    return None


def write_table(rows: list[Row], machine: dict[str, Any], concurrency: int) -> str:
    load = ", ".join(f"{x:.1f}" for x in machine["load_average_before"])
    header = (
        f"concurrency {concurrency}; {machine['cores']} cores; load average before: {load}\n"
        "ratio: req/s (or events/s) over its baseline (public reads: the echo pair just before "
        "each path; other sections: their first row); for the rpc path p50 over the health "
        "RPC's\n\n"
        f"{'section':<15} {'path':<46} {'value':>9} {'unit':<8} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'ratio':>6} goal"
    )
    return "\n".join([header, *(row.line() for row in rows)])


def write_chart(rows: list[Row], path: Path, machine: dict[str, Any], concurrency: int) -> Path:
    """Horizontal bars of every ratio, each with its goal marked."""
    import matplotlib

    matplotlib.use("Agg")  # headless
    from matplotlib import pyplot

    shown = [row for row in rows if row.ratio is not None]
    figure, axes = pyplot.subplots(figsize=(10, 0.45 * len(shown) + 1.8))
    labels = [f"{row.section}: {row.name}" for row in shown]
    positions = range(len(shown))
    colours = [_colour(row) for row in shown]
    axes.barh(positions, [row.ratio for row in shown], color=colours)
    for position, row in zip(positions, shown, strict=True):
        if row.goal:
            goal = float(row.goal[1:])
            axes.plot([goal, goal], [position - 0.4, position + 0.4], color="black", linewidth=2)
        axes.text(row.ratio, position, f" {row.ratio:.2f}", va="center", fontsize=8)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    load = ", ".join(f"{x:.1f}" for x in machine["load_average_before"])
    axes.set_title(
        f"make bench: ratio to the baseline of the same run (black mark: goal)\n"
        f"concurrency {concurrency}, {machine['cores']} cores, load average {load}\n"
        "rpc path: p50 over health's (lower is better); others: throughput (higher is better)",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path


def _colour(row: Row) -> str:
    if not row.goal:
        return "tab:blue"
    goal = float(row.goal[1:])
    met = row.ratio <= goal if row.goal.startswith("≤") else row.ratio >= goal
    return "tab:green" if met else "tab:red"
