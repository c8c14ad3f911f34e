"""The benchmark harness (``python -m benchmarks``): its report, and a tiny run of its loads.

The benchmarks themselves are not part of the suite; this checks that the harness still works:
goals are computed from what was measured (per-round ratios against the engine's limit), and one
short measurement of the raw client and of the async worker runs end to end against the
benchmark engine (a few hundred jobs, a few seconds).
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
    return {"jobs_per_s": rate, "engine_cores": 0.5, "load_cores": 0.9}


def _variant(rates: list[float], limits: list[float], asyncs: list[float]) -> dict[str, Any]:
    x_limit = [rate / top for rate, top in zip(rates, limits, strict=True)]
    x_async = [rate / ours for rate, ours in zip(rates, asyncs, strict=True)]
    return {
        "jobs_per_s": sorted(rates)[1],
        "max_concurrent_jobs": 32,
        "load_us_per_job": 1e6 * 0.9 / sorted(rates)[1],
        "engine_us_per_job": 1e6 * 0.5 / sorted(rates)[1],
        "engine_cores": 0.5,
        "runs": [_run(rate) for rate in rates],
        "x_limit_rounds": x_limit,
        "x_limit": sorted(x_limit)[1],
        "x_async_rounds": x_async,
        "x_async": sorted(x_async)[1],
    }


def results() -> dict[str, Any]:
    limits, asyncs = [10_000.0, 12_000.0, 8_000.0], [8_500.0, 9_000.0, 7_000.0]
    noop = {
        "limit": _variant(limits, limits, asyncs),
        "async": _variant(asyncs, limits, asyncs),
        "thread": _variant([6_000.0, 6_000.0, 5_000.0], limits, asyncs),
        "process": _variant([2_000.0, 3_000.0, 2_500.0], limits, asyncs),
        "official_py": _variant([30.0, 30.0, 30.0], limits, asyncs),
        "official_ts": {"skipped": "node and npm are not both on the PATH"},
    }
    io = {
        strategy: {
            str(n): {
                "jobs_per_s": n / 0.05 * share,
                "ideal_jobs_per_s": n / 0.05,
                "bound_jobs_per_s": n / 0.05,
                "x_bound": share,
            }
            for n in _suite.IO_CONCURRENCY
        }
        for strategy, share in (("async", 0.9), ("thread", 0.5))
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
        "engine_loop": "uvloop",
        "noop": noop,
        "io": io,
        "cpu": {
            "thread": {"jobs_per_s": 90.0, "load_cores": 1.0, "runs": [_run(90.0)]},
            "process": {"jobs_per_s": 170.0, "load_cores": 1.9, "runs": [_run(170.0)]},
            "process_x_thread_rounds": [1.889],
            "process_x_thread": 1.889,
        },
        "scale_out": {"skipped": "`camunda-worker run --processes` not found"},
        "latency": {
            variant: {"p50_ms": 2.0, "p90_ms": 3.0, "p99_ms": 5.0, "max_ms": 9.0, "jobs": 500}
            for variant in ("async", "thread", "process", "official_py")
        },
        "memory": {
            "open_fds_before": 12,
            "open_fds_after": 12,
            "rss_growth": 0.02,
            "samples": [{"jobs": 0, "rss_mb": 50.0, "open_fds": 12}],
        },
    }


def test_goals_are_per_round_ratios_against_the_limit_and_the_async_worker() -> None:
    goals = {goal["goal"]: goal for goal in _report.goals(results())}
    # Rounds 0.85, 0.75, 0.875 of their own round's limit: the median is 0.85.
    assert goals["async no-op vs the engine's limit"]["achieved"] == 0.85
    assert goals["async no-op vs the engine's limit"]["met"]
    # 6000/8500, 6000/9000, 5000/7000: median 0.706.
    assert goals["thread no-op vs async no-op"]["achieved"] == pytest.approx(0.706, 1e-3)
    assert goals["thread no-op vs async no-op"]["met"]
    # 2000/8500, 3000/9000, 2500/7000: median 0.333.
    assert not goals["process no-op vs async no-op"]["met"]
    assert goals["I/O-bound (50 ms), async, 512 in flight vs min(ideal, limit)"]["achieved"] == 0.9
    assert goals["CPU-bound (10 ms): process vs thread"]["achieved"] == pytest.approx(1.889, 1e-3)
    assert not goals["CPU-bound (10 ms): process vs thread"]["met"]
    official = goals["official Python worker's CPU per job vs async's"]["achieved"]
    assert official == pytest.approx(8_500 / 30, 1e-3)
    assert goals["open descriptors growth"]["met"]
    assert goals["RSS growth"]["met"]


def test_a_goal_whose_feature_is_missing_is_not_measured() -> None:
    goals = {goal["goal"]: goal for goal in _report.goals(results())}
    scale = goals["scale-out, CPU-bound: `run --processes 2` vs 1"]
    assert scale["achieved"] is None
    assert scale["met"] is None
    text = _report.markdown(results(), None)
    assert (
        "| scale-out, CPU-bound: `run --processes 2` vs 1 | >= 1.8 | **not measured** | — |" in text
    )
    assert "Not measured: `camunda-worker run --processes` not found." in text


def test_the_report_shows_every_goal_and_table() -> None:
    text = _report.markdown(results(), "benchmarks/throughput.png")
    assert text.startswith(_report.START)
    assert text.endswith(_report.END)
    assert "| async no-op vs the engine's limit | >= 0.8 | **0.85 x** | yes |" in text
    assert "| process no-op vs async no-op | >= 0.5 | **0.33 x** | **no** |" in text
    assert "![Throughput of each load](benchmarks/throughput.png)" in text
    assert "skipped: node and npm are not both on the PATH" in text
    assert "the engine served on uvloop" in text
    for title in ("No-op handler", "I/O-bound", "CPU-bound", "Latency", "memory and descriptors"):
        assert title in text


def test_a_limit_the_engine_did_not_reach_a_full_core_for_is_flagged() -> None:
    busy = results()  # the engine used half a core at the limit: the machine was busy
    calm = results()
    calm["noop"]["limit"]["engine_cores"] = 0.97
    assert "**Warning:** at the limit the engine used only 0.50 of a core" in _report.markdown(
        busy, None
    )
    assert "Warning" not in _report.markdown(calm, None)


def test_the_docs_are_written_again_from_a_runs_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from benchmarks.__main__ import main

    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"# Benchmarks\n\nprose\n\n{_report.START}\nold\n{_report.END}\n\nmore prose\n")
    monkeypatch.setattr(_report, "DOCS", docs)
    monkeypatch.setattr(_report, "CHART", tmp_path / "benchmarks" / "throughput.png")
    monkeypatch.setattr(_report, "ROOT", tmp_path)
    run = tmp_path / "run.json"
    run.write_text(json.dumps(results()))
    assert main(["--from-json", str(run)]) == 0
    text = docs.read_text()
    assert text.startswith("# Benchmarks\n\nprose\n\n<!-- benchmarks:start -->")
    assert text.endswith("<!-- benchmarks:end -->\n\nmore prose\n")
    assert "| async no-op vs the engine's limit | >= 0.8 | **0.85 x** | yes |" in text
    assert "old" not in text


def test_the_chart_is_drawn_from_a_run(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs matplotlib (test and bench groups)")
    from benchmarks._chart import draw

    assert draw(results(), tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 1_000


def test_without_node_the_official_typescript_worker_is_skipped_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import _official_ts

    monkeypatch.setattr(_official_ts.shutil, "which", lambda name: None)
    official = _official_ts.OfficialTs()
    assert official.folder is None
    assert official.skipped == "node and npm are not both on the PATH"


def test_a_short_measurement_runs_end_to_end() -> None:
    engine = BenchEngine()
    try:
        spec = {**_suite.noop_spec("async"), "url": engine.url}
        result = _measure.throughput(
            engine, spec, warmup=0.2, duration=0.5, expected_rate=5_000, cpu_loops=10
        )
        latency = _measure.latency(engine, spec, rate=200, count=20, cpu_loops=10)
        limit = _measure.throughput(
            engine,
            {**_suite.noop_spec("limit"), "url": engine.url},
            warmup=0.2,
            duration=0.5,
            expected_rate=5_000,
            cpu_loops=10,
        )
    finally:
        engine.close()
    assert result["jobs"] > 0
    assert result["clean_exit"]  # SIGTERM drained the worker and it exited with 0
    assert latency["jobs"] == 20
    assert 0 < latency["p50_ms"] <= latency["p99_ms"]
    assert limit["jobs"] > 0  # the raw client activated and completed jobs
    assert engine.loop in ("asyncio", "uvloop")


def test_the_parser_benchmark_frames_each_typical_answer_with_both_parsers() -> None:
    # benchmarks/wire_parsers.py: the figures behind the fast lane's choice of httptools.
    from benchmarks import wire_parsers

    rows = wire_parsers.parse(count=20)
    assert len(rows) == 2
    assert rows[0]["answer"] == "completion 204"
    assert all(row["h11_us"] > 0 and row["httptools_us"] > 0 for row in rows)


def test_the_runner_overhead_benchmark_measures_each_strategy() -> None:
    # benchmarks/runner_overhead.py: the figures behind docs/benchmarks.md's analysis of the
    # thread and process strategies' cost per job.
    import asyncio

    from benchmarks import runner_overhead

    best = asyncio.run(runner_overhead.run(jobs=2_000, runs=1))  # the children: 3+ clock ticks
    assert set(best) == {"async", "thread", "process"}
    assert all(own > 0 for own, _ in best.values())
    assert best["async"][1] == best["thread"][1] == 0  # no children of their own
    if sys.platform.startswith("linux"):
        assert best["process"][1] > 0  # the handlers ran in the children
