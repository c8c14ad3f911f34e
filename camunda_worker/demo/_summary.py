"""The demo's closing summary: a table of jobs per type and strategy, and the verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from camunda_worker.worker import JobWorker

__all__ = ["Verdict", "render_summary", "render_table"]

_OUTCOME_NAMES = {
    "shipped": "shipped",
    "back-ordered": "back-ordered",
    "payment-declined": "payment declined (BPMN error caught)",
}


@attrs.frozen
class Verdict:
    """Where the process instances ended, against where they had to.

    Attributes:
        instances: process instances started.
        outcomes: how many ended each way (``shipped``, ``back-ordered``, ``payment-declined``).
        wrong: instances that ended elsewhere than expected, or did not end: ``(key, what)``.
        incidents: incidents raised.
        elapsed: seconds the workers ran.
    """

    instances: int
    outcomes: Mapping[str, int]
    wrong: Sequence[tuple[str, str]]
    incidents: int
    elapsed: float

    @property
    def ok(self) -> bool:
        """Whether every instance reached its expected end, with no incident."""
        return not self.wrong and self.incidents == 0 and sum(self.outcomes.values()) > 0


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]

    def render(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = (value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(cells[0]), rule, *(render(row) for row in cells[1:])])


def render_summary(workers: Sequence[JobWorker], verdict: Verdict) -> str:
    """The summary the demo prints at its end."""
    headers = ("job type", "strategy", "activated", "completed", "failed", "BPMN errors")
    rows: list[list[object]] = []
    totals = [0, 0, 0, 0]
    for worker in workers:
        stats = worker.stats
        numbers = [stats.activated, stats.completed, stats.failed, stats.errors_thrown]
        totals = [total + number for total, number in zip(totals, numbers, strict=True)]
        rows.append([worker.job_type, worker.strategy, *numbers])
    rows.append(["total", "", *totals])
    finished = totals[1] + totals[2] + totals[3]
    rate = finished / verdict.elapsed if verdict.elapsed > 0 else 0.0
    ended = ", ".join(
        f"{verdict.outcomes.get(outcome, 0)} {name}" for outcome, name in _OUTCOME_NAMES.items()
    )
    lines = [
        "",
        render_table(headers, rows),
        "",
        f"process instances: {verdict.instances} started; {ended}",
        f"incidents: {verdict.incidents}",
        f"throughput: {finished} jobs in {verdict.elapsed:.1f} s = {rate:.0f} jobs/s "
        "(failed jobs were retried: the payment gateway times out now and then)",
    ]
    if verdict.ok:
        lines.append("result: OK, every order reached the end it had to")
    else:
        lines.append(f"result: FAILED, {len(verdict.wrong)} order(s) did not end as expected:")
        lines.extend(f"  process instance {key}: {what}" for key, what in verdict.wrong[:10])
        if len(verdict.wrong) > 10:
            lines.append(f"  ... and {len(verdict.wrong) - 10} more")
    return "\n".join(lines)
