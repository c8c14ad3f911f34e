"""The goals of issue 19, and the run written out: JSON, a markdown section and a chart (PNG).

``docs/benchmarks.md`` keeps its prose; the run replaces what lies between the
``benchmarks:start`` and ``benchmarks:end`` markers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.engine_throughput import ROOT

RESULTS = ROOT / "benchmarks" / "results" / "benchmarks.json"
DOCS = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "benchmarks" / "throughput.png"
START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
LABELS = {
    "limit": "**the limit**: raw asyncio client, 32 connections",
    "async": "`JobWorker`, async",
    "thread": "`JobWorker`, thread",
    "process": "`JobWorker`, process",
    "official_py": "official Python SDK `JobWorker`, async",
    "official_ts": "official TypeScript SDK worker (node)",
    "sync_httpx": "reference: raw sync httpx loop (the old ceiling)",
}
NOT_MEASURED = "not measured"
BUSY_ENGINE_CORES = 0.8  # below this at the limit, something else held the engine's core


def limit(results: dict[str, Any]) -> float | None:
    """The engine's limit in this run (median of the rounds), if the no-op group ran."""
    noop = results.get("noop")
    return float(noop["limit"]["jobs_per_s"]) if noop else None


def _goal(
    text: str, target: str, achieved: float | None, threshold: float, unit: str = "x"
) -> dict[str, Any]:
    return {
        "goal": text,
        "target": target,
        "achieved": None if achieved is None else round(achieved, 3),
        "unit": unit,
        "met": None if achieved is None else achieved >= threshold,
    }


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal of issue 19 (and the resource goals of issue 7), with what this run achieved.

    A goal whose measurement did not run (or cannot: ``run --processes`` missing) is listed as
    not measured (``achieved`` and ``met`` are ``None``).
    """
    noop, io, cpu = results.get("noop"), results.get("io"), results.get("cpu")
    scale = results.get("scale_out")

    def ratio(entry: dict[str, Any] | None, key: str) -> float | None:
        return None if entry is None or "skipped" in entry else entry.get(key)

    found = [
        _goal(
            "async no-op vs the engine's limit",
            ">= 0.8",
            ratio(noop and noop["async"], "x_limit"),
            0.8,
        ),
        _goal(
            "I/O-bound (50 ms), async, 512 in flight vs min(ideal, limit)",
            ">= 0.8",
            ratio(io and io["async"].get("512"), "x_bound"),
            0.8,
        ),
        _goal(
            "thread no-op vs async no-op", ">= 0.7", ratio(noop and noop["thread"], "x_async"), 0.7
        ),
        _goal(
            "process no-op vs async no-op",
            ">= 0.5",
            ratio(noop and noop["process"], "x_async"),
            0.5,
        ),
        _goal(
            "CPU-bound (10 ms): process vs thread", ">= 1.9", ratio(cpu, "process_x_thread"), 1.9
        ),
        _goal(
            "scale-out, CPU-bound: `run --processes 2` vs 1",
            ">= 1.8",
            ratio(scale, "x"),
            1.8,
        ),
    ]
    if noop is not None and "official_py" in noop:
        ours, theirs = noop["async"]["load_us_per_job"], noop["official_py"]["load_us_per_job"]
        found.append(
            _goal(
                "official Python worker's CPU per job vs async's",
                ">= 20",
                theirs / ours if ours and theirs else None,
                20,
            )
        )
    memory = results.get("memory")
    if memory is not None:
        growth = memory["open_fds_before"] - memory["open_fds_after"]
        found.append(_goal("open descriptors growth", "0", -growth, 0, unit="fds"))
        found[-1]["met"] = growth >= 0
        found.append(_goal("RSS growth", "< 10%", memory["rss_growth"], 0, unit="%"))
        found[-1]["met"] = memory["rss_growth"] < 0.10
    return found


def _value(goal: dict[str, Any]) -> str:
    if goal["achieved"] is None:
        return NOT_MEASURED
    if goal["unit"] == "%":
        return f"{goal['achieved']:+.1%}"
    if goal["unit"] == "x":
        return f"{goal['achieved']:.2f} x"
    return f"{goal['achieved']:g}"


def _met(goal: dict[str, Any]) -> str:
    return "—" if goal["met"] is None else ("yes" if goal["met"] else "**no**")


def _number(value: float | None, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def _rounds(values: list[float], spec: str = ",.0f") -> str:
    return " / ".join(format(value, spec) for value in values)


def _noop_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| load | max_concurrent_jobs | jobs/s (median) | each round | x limit, each round "
        "| **x limit** | x async | load CPU µs/job | engine cores | engine CPU µs/job |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant, entry in results["noop"].items():
        if "skipped" in entry:
            lines.append(f"| {LABELS[variant]} | skipped: {entry['skipped']} " + "| — " * 8 + "|")
            continue
        runs = entry["runs"]
        lines.append(
            f"| {LABELS[variant]} | {entry['max_concurrent_jobs']:,} "
            f"| {entry['jobs_per_s']:,.0f} | {_rounds([run['jobs_per_s'] for run in runs])} "
            f"| {_rounds(entry['x_limit_rounds'], '.2f')} | **{entry['x_limit']:.2f}** "
            f"| {_number(entry.get('x_async'), '.2f')} | {_number(entry['load_us_per_job'])} "
            f"| {_number(entry['engine_cores'], '.2f')} "
            f"| {_number(entry['engine_us_per_job'])} |"
        )
    return lines


def _io_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| strategy | max_concurrent_jobs | ideal jobs/s | min(ideal, limit) | jobs/s "
        "| **x min(ideal, limit)** | load CPU µs/job | engine cores |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for strategy, points in results["io"].items():
        for key, point in points.items():
            lines.append(
                f"| {strategy} | {key} | {point['ideal_jobs_per_s']:,.0f} "
                f"| {point['bound_jobs_per_s']:,.0f} | {point['jobs_per_s']:,.0f} "
                f"| **{point['x_bound']:.2f}** | {_number(point.get('load_us_per_job'))} "
                f"| {_number(point.get('engine_cores'), '.2f')} |"
            )
    return lines


def _cpu_table(results: dict[str, Any]) -> list[str]:
    cpu = results["cpu"]
    lines = [
        "| strategy | jobs/s (median) | each round | load cores (median) |",
        "|---|---|---|---|",
    ]
    for strategy in ("thread", "process"):
        entry = cpu[strategy]
        lines.append(
            f"| {strategy} | {entry['jobs_per_s']:,.0f} "
            f"| {_rounds([run['jobs_per_s'] for run in entry['runs']])} "
            f"| {_number(entry.get('load_cores'), '.2f')} |"
        )
    lines += [
        "",
        f"process vs thread, each round: {_rounds(cpu['process_x_thread_rounds'], '.2f')}; "
        f"median **{cpu['process_x_thread']:.2f} x**.",
    ]
    return lines


def _scale_table(results: dict[str, Any]) -> list[str]:
    scale = results["scale_out"]
    if "skipped" in scale:
        return [f"Not measured: {scale['skipped']}."]
    lines = ["| `--processes` | jobs/s (median) | each round |", "|---|---|---|"]
    for key in ("1", "2"):
        entry = scale[key]
        lines.append(
            f"| {key} | {entry['jobs_per_s']:,.0f} "
            f"| {_rounds([run['jobs_per_s'] for run in entry['runs']])} |"
        )
    lines += [
        "",
        f"2 vs 1, each round: {_rounds(scale['x_rounds'], '.2f')}; median **{scale['x']:.2f} x**.",
    ]
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
    ts_version = results.get("official_ts_version")
    parts = [
        START,
        f"Measured {results['date']} on {info['cpus']} CPUs, {info['implementation']} "
        f"{info['python']} ({info['platform']}, load average {info['load_average_at_start'][0]} "
        f"at the start); the engine served on {results.get('engine_loop', 'asyncio')}"
        + (f"; official TypeScript SDK {ts_version}" if ts_version else "")
        + f". The run took {results['seconds']:.0f} s. Reproduce with `{results['command']}` "
        "(or `nox -s bench`); raw figures in `benchmarks/results/benchmarks.json`.",
        "",
        "| goal | target | achieved | met |",
        "|---|---|---|---|",
        *(f"| {g['goal']} | {g['target']} | **{_value(g)}** | {_met(g)} |" for g in goals(results)),
    ]
    engine_cores = results.get("noop", {}).get("limit", {}).get("engine_cores")
    if engine_cores is not None and engine_cores < BUSY_ENGINE_CORES:
        parts += [
            "",
            f"**Warning:** at the limit the engine used only {engine_cores:.2f} of a core (median "
            "of the rounds), not the whole core the limit is: the machine was busy with other "
            "work (see *machine busy cores* in the JSON), and every ratio below is against what "
            "the engine got, not what it can take.",
        ]
    if chart:
        parts += ["", f"![Throughput of each load]({chart})"]
    sections = (
        ("noop", "No-op handler (official Python worker at 1,024 in flight)", _noop_table),
        ("io", "I/O-bound handler (sleeps 50 ms)", _io_table),
        ("cpu", "CPU-bound handler (~10 ms of pure Python), `max_concurrent_jobs` 32", _cpu_table),
        ("scale_out", "Scale-out on one host, CPU-bound sync handler", _scale_table),
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
