"""The goals of issue 7, and the run written out: JSON, a markdown section and a chart (PNG).

``docs/benchmarks.md`` keeps its prose; the run replaces what lies between the
``benchmarks:start`` and ``benchmarks:end`` markers.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from benchmarks.engine_throughput import ROOT

RESULTS = ROOT / "benchmarks" / "results" / "benchmarks.json"
DOCS = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks" / "throughput.png"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
LABELS = {
    "ceiling": "ceiling (raw sync httpx loop)",
    "async": "`JobWorker`, async",
    "thread": "`JobWorker`, thread",
    "process": "`JobWorker`, process",
    "official": "official SDK `JobWorker`, async",
}


def ceiling(results: dict[str, Any]) -> float:
    """The ceiling: the mean of its measurements (before and after the workers)."""
    return float(results["noop"]["ceiling"]["jobs_per_s"])


def _goal(text: str, target: str, achieved: float, met: bool, unit: str = "x") -> dict[str, Any]:
    return {
        "goal": text,
        "target": target,
        "achieved": round(achieved, 3),
        "unit": unit,
        "met": met,
    }


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue 7 that this run measured, with the ratio achieved."""
    found: list[dict[str, Any]] = []
    if "noop" in results:
        noop, top = results["noop"], ceiling(results)
        for strategy, target in (("async", 0.8), ("thread", 0.7)):
            ratio = noop[strategy]["jobs_per_s"] / top
            found.append(
                _goal(f"{strategy} no-op vs the ceiling", f">= {target}", ratio, ratio >= target)
            )
        official = noop["official"]["jobs_per_s"]
        ratio = noop["async"]["jobs_per_s"] / official if official else float("inf")
        found.append(_goal("async no-op vs the official worker", ">= 20", ratio, ratio >= 20))
    if "io" in results and "noop" in results:
        top = ceiling(results)
        ratios = [
            point["jobs_per_s"] / min(point["ideal_jobs_per_s"], top)
            for point in results["io"]["async"].values()
        ]
        worst = min(ratios)
        found.append(
            _goal(
                "I/O-bound (async) vs min(ideal, ceiling), worst point",
                ">= 0.8",
                worst,
                worst >= 0.8,
            )
        )
    if "cpu" in results:
        cpu = results["cpu"]
        ratio = cpu["process"]["jobs_per_s"] / cpu["thread"]["jobs_per_s"]
        found.append(_goal("CPU-bound: process vs thread", ">= 1.7", ratio, ratio >= 1.7))
    if "memory" in results:
        memory = results["memory"]
        growth = memory["open_fds_after"] - memory["open_fds_before"]
        found.append(_goal("open descriptors growth", "0", growth, growth <= 0, unit=""))
        found.append(
            _goal(
                "RSS growth", "< 10%", memory["rss_growth"], memory["rss_growth"] < 0.10, unit="%"
            )
        )
    return found


def _value(goal: dict[str, Any]) -> str:
    if goal["unit"] == "%":
        return f"{goal['achieved']:+.1%}"
    if goal["unit"] == "x":
        return f"{goal['achieved']:.2f} x"
    return f"{goal['achieved']:g}"


def _noop_table(results: dict[str, Any]) -> list[str]:
    top = ceiling(results)
    lines = [
        "| load | jobs/s (mean) | each round | x ceiling | engine cores | load cores "
        "| machine busy cores |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, entry in results["noop"].items():
        runs = entry["runs"]
        rounds = " / ".join(f"{run['jobs_per_s']:,.0f}" for run in runs)
        engine, load, busy = (
            statistics.fmean(run.get(key) or 0 for run in runs)
            for key in ("engine_cores", "load_cores", "machine_busy_cores")
        )
        lines.append(
            f"| {LABELS[variant]} | {entry['jobs_per_s']:,.0f} | {rounds} "
            f"| {entry['jobs_per_s'] / top:.2f} | {engine:.2f} | {load:.2f} | {busy:.2f} |"
        )
    return lines


def _io_table(results: dict[str, Any]) -> list[str]:
    top = ceiling(results) if "noop" in results else float("inf")
    lines = [
        "| max_concurrent_jobs | ideal jobs/s | async jobs/s | async x min(ideal, ceiling) "
        "| thread jobs/s | thread x min(ideal, ceiling) |",
        "|---|---|---|---|---|---|",
    ]
    series = results["io"]
    for key, point in series["async"].items():
        bound = min(point["ideal_jobs_per_s"], top)
        thread = series["thread"][key]
        lines.append(
            f"| {key} | {point['ideal_jobs_per_s']:,.0f} | {point['jobs_per_s']:,.0f} "
            f"| {point['jobs_per_s'] / bound:.2f} | {thread['jobs_per_s']:,.0f} "
            f"| {thread['jobs_per_s'] / bound:.2f} |"
        )
    return lines


def _cpu_table(results: dict[str, Any]) -> list[str]:
    cpu = results["cpu"]
    lines = ["| strategy | jobs/s (mean) | each round | load cores |", "|---|---|---|---|"]
    for strategy in ("thread", "process"):
        entry = cpu[strategy]
        rounds = " / ".join(f"{run['jobs_per_s']:,.0f}" for run in entry.get("runs", [entry]))
        lines.append(
            f"| {strategy} | {entry['jobs_per_s']:,.0f} | {rounds} | {entry.get('load_cores')} |"
        )
    return lines


def _latency_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| worker | p50 ms | p90 ms | p99 ms | max ms | jobs | jobs created per s |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, entry in results["latency"].items():
        lines.append(
            f"| {LABELS[variant]} | {entry['p50_ms']:.1f} | {entry['p90_ms']:.1f} "
            f"| {entry['p99_ms']:.1f} | {entry['max_ms']:.1f} | {entry['jobs']} "
            f"| {entry.get('rate_per_s', '')} |"
        )
    return lines


def _memory_table(results: dict[str, Any]) -> list[str]:
    lines = ["| jobs after warm-up | RSS MB | open fds |", "|---|---|---|"]
    for sample in results["memory"]["samples"]:
        lines.append(f"| {sample['jobs']:,} | {sample['rss_mb']} | {sample['open_fds']} |")
    return lines


def markdown(results: dict[str, Any], chart: str | None) -> str:
    """The generated section of ``docs/benchmarks.md``."""
    info = results["machine"]
    parts = [
        START,
        f"Measured {results['date']} on {info['cpus']} CPUs, {info['implementation']} "
        f"{info['python']} ({info['platform']}, load average {info['load_average_at_start'][0]} "
        f"at the start); the run took {results['seconds']:.0f} s. Reproduce with "
        f"`{results['command']}` (or `nox -s bench`); raw figures in "
        "`benchmarks/results/benchmarks.json`.",
        "",
        "| goal | target | achieved | met |",
        "|---|---|---|---|",
        *(
            f"| {g['goal']} | {g['target']} | **{_value(g)}** | {'yes' if g['met'] else 'no'} |"
            for g in goals(results)
        ),
    ]
    if chart:
        parts += ["", f"![Throughput of each load]({chart})"]
    sections = (
        ("noop", "No-op handler, `max_concurrent_jobs` 32", _noop_table),
        ("io", "I/O-bound handler (sleeps 20 ms)", _io_table),
        ("cpu", "CPU-bound handler (~10 ms of pure Python), `max_concurrent_jobs` 32", _cpu_table),
        ("latency", "Latency, job activatable to job completed (no-op handler)", _latency_table),
        ("memory", "The async worker's memory and descriptors", _memory_table),
    )
    for key, title, table in sections:
        if key in results:
            parts += ["", f"#### {title}", "", *table(results)]
    parts.append(END)
    return "\n".join(parts)


def write_json(results: dict[str, Any], path: Path = RESULTS) -> None:
    """Write the raw results."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**results, "goals": goals(results)}, indent=2) + "\n")


def write_docs(results: dict[str, Any]) -> None:
    """Draw the chart and replace the generated section of ``docs/benchmarks.md``."""
    from benchmarks._chart import draw

    drawn = draw(results, CHART)
    relative = CHART.relative_to(DOCS.parent).as_posix() if drawn else None
    text = DOCS.read_text() if DOCS.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(head + markdown(results, relative) + tail)
