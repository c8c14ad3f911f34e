"""What one benchmark run measures, in which order, for how long; and the goals it checks.

Every variant is measured in one run against one engine process. The no-op comparison runs in
rounds, the second in reverse order, so the ceiling is measured first and last (before and after
the workers) and slow drifts of a shared machine hit every variant alike.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

from benchmarks import _measure
from benchmarks._handlers import CPU_SECONDS, IO_SECONDS, calibrate
from benchmarks._harness import BenchEngine

GROUPS = ("noop", "io", "cpu", "latency", "memory")
MAX_CONCURRENT_JOBS = 32
IO_CONCURRENCY = (1, 8, 32, 128, 512)
JOB_TIMEOUT_MS = 60_000
REQUEST_TIMEOUT_MS = 10_000
OFFICIAL_POLL_INTERVAL = 1.0  # the official worker sleeps this long after every activation
NOOP_ORDER = ("ceiling", "async", "thread", "process", "official")
NOOP_HANDLERS = {"async": "noop_async", "thread": "noop_sync", "process": "noop_sync"}


@attrs.frozen
class Settings:
    """Durations (seconds) and sizes of one run."""

    warmup: float
    duration: float
    official_duration: float
    rounds: int
    io_duration: float
    cpu_duration: float
    cpu_rounds: int
    latency_jobs: int
    latency_rate: float
    official_latency_jobs: int
    official_latency_rate: float
    memory_jobs: int
    memory_warmup_jobs: int
    memory_samples: int


FULL = Settings(
    warmup=1.5,
    duration=6.0,
    official_duration=12.0,
    rounds=2,
    io_duration=4.0,
    cpu_duration=5.0,
    cpu_rounds=4,  # the thread strategy's CPU-bound rate swings by a third from run to run
    latency_jobs=500,
    latency_rate=100.0,
    official_latency_jobs=100,
    official_latency_rate=10.0,
    memory_jobs=100_000,
    memory_warmup_jobs=5_000,
    memory_samples=10,
)
QUICK = Settings(
    warmup=0.5,
    duration=1.0,
    official_duration=2.5,
    rounds=1,
    io_duration=1.0,
    cpu_duration=1.5,
    cpu_rounds=1,
    latency_jobs=40,
    latency_rate=100.0,
    official_latency_jobs=10,
    official_latency_rate=10.0,
    memory_jobs=2_000,
    memory_warmup_jobs=300,
    memory_samples=2,
)


def _spec(kind: str, strategy: str, handler: str, max_concurrent_jobs: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "strategy": strategy,
        "handler": handler,
        "max_concurrent_jobs": max_concurrent_jobs,
        "timeout_ms": JOB_TIMEOUT_MS,
        "request_timeout_ms": REQUEST_TIMEOUT_MS,
    }


def noop_spec(variant: str) -> dict[str, Any]:
    """The load of a no-op variant: ``ceiling``, ``async``, ``thread``, ``process``, ``official``."""
    if variant == "ceiling":
        return _spec("ceiling", "-", "-", MAX_CONCURRENT_JOBS)
    if variant == "official":
        return _spec("official", "async", "noop_async", MAX_CONCURRENT_JOBS)
    return _spec("ours", variant, NOOP_HANDLERS[variant], MAX_CONCURRENT_JOBS)


class Run:
    """One benchmark run: an engine, the settings, and the results so far."""

    def __init__(self, settings: Settings, log: Callable[[str], None]) -> None:
        self.settings = settings
        self.log = log
        self.cpu_loops = calibrate()
        self.results: dict[str, Any] = {}
        self._fastest = 3_000.0  # jobs/s: sizes the jobs created up front until measured

    def _throughput(
        self,
        engine: BenchEngine,
        spec: dict[str, Any],
        duration: float,
        expected: float,
        label: str,
    ) -> dict[str, Any]:
        spec = {**spec, "url": engine.url}
        result = _measure.throughput(
            engine,
            spec,
            warmup=self.settings.warmup,
            duration=duration,
            expected_rate=expected,
            cpu_loops=self.cpu_loops,
        )
        self._fastest = max(self._fastest, 1.5 * result["jobs_per_s"])
        self.log(
            f"{label:<32} {result['jobs_per_s']:8.1f} jobs/s  (engine {result.get('engine_cores')}"
            f" cores, load {result.get('load_cores')} cores, machine busy "
            f"{result.get('machine_busy_cores')} cores{', RAN OUT' if result['ran_out'] else ''})"
        )
        return result

    def noop(self, engine: BenchEngine) -> None:
        """Ceiling, each strategy and the official worker, no-op handler, in rounds."""
        settings = self.settings
        runs: dict[str, list[dict[str, Any]]] = {variant: [] for variant in NOOP_ORDER}
        for index in range(settings.rounds):
            order = NOOP_ORDER if index % 2 == 0 else tuple(reversed(NOOP_ORDER))
            for variant in order:
                official = variant == "official"
                runs[variant].append(
                    self._throughput(
                        engine,
                        noop_spec(variant),
                        settings.official_duration if official else settings.duration,
                        MAX_CONCURRENT_JOBS / OFFICIAL_POLL_INTERVAL * 2
                        if official
                        else self._fastest,
                        f"no-op {variant} (round {index + 1})",
                    )
                )
        self.results["noop"] = {
            variant: {
                "jobs_per_s": round(statistics.fmean(r["jobs_per_s"] for r in results), 1),
                "runs": results,
            }
            for variant, results in runs.items()
        }

    def io(self, engine: BenchEngine) -> None:
        """A 20 ms sleeping handler at rising ``max_concurrent_jobs``, async and thread."""
        series: dict[str, dict[str, Any]] = {}
        for strategy, handler in (("async", "io_async"), ("thread", "io_sync")):
            series[strategy] = {}
            for concurrency in IO_CONCURRENCY:
                ideal = concurrency / IO_SECONDS
                result = self._throughput(
                    engine,
                    _spec("ours", strategy, handler, concurrency),
                    self.settings.io_duration,
                    min(ideal, self._fastest),
                    f"I/O {strategy} max_concurrent_jobs={concurrency}",
                )
                result["ideal_jobs_per_s"] = ideal
                series[strategy][str(concurrency)] = result
        self.results["io"] = series

    def cpu(self, engine: BenchEngine) -> None:
        """A ~10 ms pure-Python handler: thread strategy against process strategy, in rounds."""
        cores = os.cpu_count() or 1
        runs: dict[str, list[dict[str, Any]]] = {"thread": [], "process": []}
        for index in range(self.settings.cpu_rounds):
            order = ("thread", "process") if index % 2 == 0 else ("process", "thread")
            for strategy in order:
                runs[strategy].append(
                    self._throughput(
                        engine,
                        _spec("ours", strategy, "cpu_sync", MAX_CONCURRENT_JOBS),
                        self.settings.cpu_duration,
                        cores / CPU_SECONDS,
                        f"CPU-bound {strategy} (round {index + 1})",
                    )
                )
        self.results["cpu"] = {
            strategy: {
                "jobs_per_s": round(statistics.fmean(r["jobs_per_s"] for r in results), 1),
                "load_cores": round(statistics.fmean(r.get("load_cores", 0) for r in results), 2),
                "runs": results,
            }
            for strategy, results in runs.items()
        }

    def latency(self, engine: BenchEngine) -> None:
        """Activatable-to-completed latency, no-op handler, for each strategy and the official."""
        settings = self.settings
        results = {}
        for variant in ("async", "thread", "process", "official"):
            spec = {**noop_spec(variant), "url": engine.url}
            # The official worker completes at most max_concurrent_jobs per second (it sleeps
            # 1 s per poll): it is fed below that, or its queue (and latency) would only grow.
            official = variant == "official"
            result = _measure.latency(
                engine,
                spec,
                rate=settings.official_latency_rate if official else settings.latency_rate,
                count=settings.official_latency_jobs if official else settings.latency_jobs,
                cpu_loops=self.cpu_loops,
            )
            results[variant] = result
            self.log(
                f"latency {variant:<24} p50 {result['p50_ms']:8.2f} ms   p99 "
                f"{result['p99_ms']:8.2f} ms   ({result['jobs']} jobs)"
            )
        self.results["latency"] = results

    def memory(self, engine: BenchEngine) -> None:
        """RSS and descriptors of the async worker (the fastest) over many jobs."""
        settings = self.settings
        result = _measure.resources(
            engine,
            {**noop_spec("async"), "url": engine.url},
            jobs=settings.memory_jobs,
            warmup_jobs=settings.memory_warmup_jobs,
            samples=settings.memory_samples,
            cpu_loops=self.cpu_loops,
        )
        self.log(
            f"memory over {result['jobs']:,} jobs: RSS {result['rss_mb_before']} -> "
            f"{result['rss_mb_after']} MB ({result['rss_growth']:+.1%}), open fds "
            f"{result['open_fds_before']} -> {result['open_fds_after']}"
        )
        self.results["memory"] = result


def machine() -> dict[str, Any]:
    """The machine and interpreter the run measured."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def run(settings: Settings, groups: tuple[str, ...], log: Callable[[str], None]) -> dict[str, Any]:
    """Measure ``groups`` (see :data:`GROUPS`) in one run; returns everything measured."""
    started = time.perf_counter()
    info = machine()
    bench = Run(settings, log)
    log(
        f"{info['cpus']} CPUs, Python {info['python']}, load average "
        f"{info['load_average_at_start'][0]}; CPU handler: {bench.cpu_loops} loops ~ 10 ms"
    )
    engine = BenchEngine()
    try:
        for group in groups:
            getattr(bench, group)(engine)
    finally:
        engine.close()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": info,
        "quick": settings == QUICK,
        "command": " ".join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        "settings": attrs.asdict(settings),
        "cpu_loops": bench.cpu_loops,
        "max_concurrent_jobs": MAX_CONCURRENT_JOBS,
        "seconds": round(time.perf_counter() - started, 1),
        **bench.results,
    }
