"""The benchmark harness (``python -m benchmarks``): its report, and a tiny run of its loads.

The benchmarks themselves are not part of the suite; this checks that the harness still works:
goals are computed from what was measured, and one short measurement of the ceiling and of the
async worker runs end to end against the benchmark engine (a few hundred jobs, a few seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not a package
    sys.path.insert(0, str(ROOT))

pytest.importorskip(
    "uvicorn", reason="the benchmark's Starlette ceiling is served by uvicorn (the bench extra)"
)
from benchmarks import _measure, _report, _suite  # noqa: E402
from benchmarks._harness import BenchEngine  # noqa: E402


def _run(rate: float) -> dict[str, Any]:
    return {"jobs_per_s": rate, "engine_cores": 0.2, "load_cores": 0.9}


def results() -> dict[str, Any]:
    noop = {
        "ceiling": {"jobs_per_s": 1000.0, "runs": [_run(900.0), _run(1100.0)]},
        "async": {"jobs_per_s": 850.0, "runs": [_run(850.0)]},
        "thread": {"jobs_per_s": 650.0, "runs": [_run(650.0)]},
        "process": {"jobs_per_s": 400.0, "runs": [_run(400.0)]},
        "official": {"jobs_per_s": 30.0, "runs": [_run(30.0)]},
    }
    io = {
        strategy: {
            str(n): {"jobs_per_s": min(n / 0.02, 1000.0) * 0.9, "ideal_jobs_per_s": n / 0.02}
            for n in _suite.IO_CONCURRENCY
        }
        for strategy in ("async", "thread")
    }
    return {
        "date": "2026-01-01 00:00",
        "machine": {
            "cpus": 2,
            "implementation": "CPython",
            "python": "3.12.0",
            "platform": "Linux",
            "load_average_at_start": [0.5, 0.5, 0.5],
        },
        "seconds": 400.0,
        "command": "python -m benchmarks",
        "noop": noop,
        "io": io,
        "cpu": {"thread": _run(90.0), "process": _run(170.0)},
        "latency": {
            variant: {"p50_ms": 2.0, "p90_ms": 3.0, "p99_ms": 5.0, "max_ms": 9.0, "jobs": 500}
            for variant in ("async", "thread", "process", "official")
        },
        "memory": {
            "open_fds_before": 12,
            "open_fds_after": 12,
            "rss_growth": 0.02,
            "samples": [{"jobs": 0, "rss_mb": 50.0, "open_fds": 12}],
        },
    }


def test_goals_are_ratios_of_what_was_measured() -> None:
    goals = {goal["goal"]: goal for goal in _report.goals(results())}
    assert goals["async no-op vs the ceiling"]["achieved"] == 0.85
    assert goals["async no-op vs the ceiling"]["met"]
    assert goals["thread no-op vs the ceiling"]["achieved"] == 0.65
    assert not goals["thread no-op vs the ceiling"]["met"]
    assert goals["async no-op vs the official worker"]["achieved"] == pytest.approx(28.333, 1e-3)
    assert goals["I/O-bound (async) vs min(ideal, ceiling), worst point"]["achieved"] == 0.9
    assert goals["CPU-bound: process vs thread"]["achieved"] == pytest.approx(1.889, 1e-3)
    assert goals["CPU-bound: process vs thread"]["met"]
    assert goals["open descriptors growth"]["met"]
    assert goals["RSS growth"]["met"]


def test_the_report_shows_every_goal_and_table() -> None:
    text = _report.markdown(results(), "benchmarks/throughput.png")
    assert text.startswith(_report.START)
    assert text.endswith(_report.END)
    assert "| async no-op vs the ceiling | >= 0.8 | **0.85 x** | yes |" in text
    assert "![Throughput of each load](benchmarks/throughput.png)" in text
    for title in ("No-op handler", "I/O-bound", "CPU-bound", "Latency", "memory and descriptors"):
        assert title in text


def test_a_short_measurement_runs_end_to_end() -> None:
    engine = BenchEngine()
    try:
        spec = {**_suite.noop_spec("async"), "url": engine.url}
        result = _measure.throughput(
            engine, spec, warmup=0.2, duration=0.5, expected_rate=200, cpu_loops=10
        )
        latency = _measure.latency(engine, spec, rate=200, count=20, cpu_loops=10)
    finally:
        engine.close()
    assert result["jobs"] > 0
    assert result["clean_exit"]  # SIGTERM drained the worker and it exited with 0
    assert latency["jobs"] == 20
    assert 0 < latency["p50_ms"] <= latency["p99_ms"]


def test_the_parser_benchmark_frames_each_typical_answer_with_both_parsers() -> None:
    # benchmarks/wire_parsers.py: the figures behind the fast lane's choice of httptools.
    from benchmarks import wire_parsers

    rows = wire_parsers.parse(count=20)
    assert len(rows) == 2
    assert rows[0]["answer"] == "completion 204"
    assert all(row["h11_us"] > 0 and row["httptools_us"] > 0 for row in rows)
