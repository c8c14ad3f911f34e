"""The three kinds of measurement: throughput, latency, and memory and descriptors over many jobs.

Every measurement uses a job type of its own, pre-creates its jobs before its load starts,
excludes the warm-up (process start, imports, pools, first connections) and, once done, stops
its load the way users stop it (SIGTERM) and completes the jobs left over in the engine.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from typing import Any

from benchmarks import _procfs
from benchmarks._harness import BenchEngine, Load, Window, wait_until

START_TIMEOUT = 60.0
_serial = itertools.count(1)


def _job_type(spec: dict[str, Any]) -> str:
    if spec["kind"] == "ceiling":
        return "bench"  # the ceiling loop of engine_throughput always activates "bench"
    return f"bench-{spec['kind']}-{spec['strategy']}-{spec['handler'].strip('-')}-{next(_serial)}"


def throughput(
    engine: BenchEngine,
    spec: dict[str, Any],
    *,
    warmup: float,
    duration: float,
    expected_rate: float,
    cpu_loops: int,
) -> dict[str, Any]:
    """Jobs completed per second by one load over ``duration`` seconds, after ``warmup``.

    ``expected_rate`` sizes the jobs created up front (with a margin); a load that empties the
    engine before the window ends is measured again with twice as many jobs.
    """
    for attempt in range(3):
        spec = {**spec, "job_type": _job_type(spec)}
        budget = math.ceil(expected_rate * (warmup + duration + 2) * 1.3 * 2**attempt) + 512
        result = _throughput_once(engine, spec, warmup, duration, budget, cpu_loops)
        if not result["ran_out"]:
            return result
    # Never a figure from a window the load spent waiting for jobs that were not there.
    msg = (
        f"the load {spec['kind']} emptied the engine three times (last with {budget} jobs): "
        f"raise expected_rate above {expected_rate:g}"
    )
    raise RuntimeError(msg)


def _throughput_once(
    engine: BenchEngine,
    spec: dict[str, Any],
    warmup: float,
    duration: float,
    budget: int,
    cpu_loops: int,
) -> dict[str, Any]:
    job_type = spec["job_type"]
    engine.create_jobs(job_type, budget)
    before = engine.completed()
    with Load(spec, cpu_loops=cpu_loops) as load:
        wait_until(lambda: engine.completed() > before, START_TIMEOUT, "the first completion")
        time.sleep(warmup)
        window = Window(engine, load)
        window.open()
        time.sleep(duration)
        result = window.close()
        left = engine.counters(job_type)["activatable"]
        exit_code = load.stop()
    result.update(ran_out=left == 0, jobs_created=budget, exit_code=exit_code)
    if spec["kind"] not in ("ceiling", "limit"):  # raw loops are killed: their exit says nothing
        result["clean_exit"] = exit_code == 0
    engine.drop(job_type)
    return result


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def latency(
    engine: BenchEngine, spec: dict[str, Any], *, rate: float, count: int, cpu_loops: int
) -> dict[str, Any]:
    """Milliseconds from a job becoming activatable to its completion, jobs fed one by one.

    The worker is idle (long-polling) when each job is created; ``count`` jobs arrive at
    ``rate`` per second, after a warm-up feed that is not counted.
    """
    spec = {**spec, "job_type": _job_type(spec)}
    job_type = spec["job_type"]
    with Load(spec, cpu_loops=cpu_loops):
        for phase, jobs in (("warm-up", max(20, count // 10)), ("measured", count)):
            engine.feed(job_type, rate, jobs)
            time.sleep(jobs / rate)
            wait_until(
                lambda: engine.latencies()[1] == 0,
                START_TIMEOUT + jobs / rate,
                f"the {phase} jobs to complete",
            )
        seconds, _ = engine.latencies()
    engine.drop(job_type)
    millis = [value * 1000 for value in seconds]
    return {
        "jobs": len(millis),
        "rate_per_s": rate,
        "p50_ms": round(_percentile(millis, 0.50), 2),
        "p90_ms": round(_percentile(millis, 0.90), 2),
        "p99_ms": round(_percentile(millis, 0.99), 2),
        "max_ms": round(max(millis), 2),
        "mean_ms": round(statistics.fmean(millis), 2),
    }


def resources(
    engine: BenchEngine,
    spec: dict[str, Any],
    *,
    jobs: int,
    warmup_jobs: int,
    samples: int,
    cpu_loops: int,
) -> dict[str, Any]:
    """The worker process's RSS and open descriptors after ``warmup_jobs`` and ``jobs`` more."""
    spec = {**spec, "job_type": _job_type(spec)}
    job_type = spec["job_type"]
    engine.create_jobs(job_type, warmup_jobs + jobs + 2_000)
    base = engine.completed()
    points: list[dict[str, Any]] = []
    with Load(spec, cpu_loops=cpu_loops) as load:
        started = time.perf_counter()
        for index in range(samples + 1):
            target = base + warmup_jobs + jobs * index // samples
            wait_until(lambda t=target: engine.completed() >= t, 600.0, f"{target - base} jobs")
            points.append(
                {
                    "jobs": engine.completed() - base - warmup_jobs,
                    "rss_mb": round((_procfs.rss_bytes(load.pid) or 0) / 2**20, 1),
                    "open_fds": _procfs.open_fds(load.pid),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
        exit_code = load.stop()
    engine.drop(job_type)
    before, after = points[0], points[-1]
    return {
        "jobs": after["jobs"] - before["jobs"],
        "rss_mb_before": before["rss_mb"],
        "rss_mb_after": after["rss_mb"],
        "rss_growth": round(after["rss_mb"] / before["rss_mb"] - 1, 4),
        "open_fds_before": before["open_fds"],
        "open_fds_after": after["open_fds"],
        "samples": points,
        "clean_exit": exit_code == 0,
    }
