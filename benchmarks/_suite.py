"""What one benchmark run measures, in which order, for how long; and the goals it checks.

Every variant is measured in one run against one engine process. Throughput is held to the
engine's **limit**: what the leanest raw client (:mod:`benchmarks._raw_client`) completes per
second, measured in the same run. The no-op comparison runs in at least three rounds whose order
alternates (forward, reversed, forward), so the limit opens one round and closes the next and
slow drifts of a shared machine hit every variant alike; each ratio is taken within a round and
the median of the rounds reported.
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
from benchmarks._official_ts import PACKAGE, OfficialTs

GROUPS = ("noop", "io", "cpu", "scale_out", "latency", "memory")
MAX_CONCURRENT_JOBS = 32
OFFICIAL_MAX_CONCURRENT_JOBS = 1024  # the official Python worker sleeps 1 s per poll: go wide
IO_CONCURRENCY = (64, 512)
SCALE_OUT_CONCURRENCY = 4  # per process: more threads only fight for its GIL (and starve its loop)
JOB_TIMEOUT_MS = 60_000
REQUEST_TIMEOUT_MS = 10_000
OFFICIAL_POLL_INTERVAL = 1.0  # the official Python worker sleeps this long after every activation
NOOP_ORDER = ("limit", "async", "thread", "process", "official_py", "official_ts")
REFERENCE = "sync_httpx"  # the old "ceiling": a sync httpx loop, measured once, for reference
NOOP_HANDLERS = {"async": "noop_async", "thread": "noop_sync", "process": "noop_sync"}
_FIRST_GUESS = {  # jobs/s that size the jobs created up front, until a variant is measured
    "limit": 25_000.0,
    "async": 15_000.0,
    "thread": 10_000.0,
    "process": 8_000.0,
    "official_py": 2.0 * OFFICIAL_MAX_CONCURRENT_JOBS / OFFICIAL_POLL_INTERVAL,
    "official_ts": 5_000.0,
    REFERENCE: 3_000.0,
}


@attrs.frozen
class Settings:
    """Durations (seconds) and sizes of one run."""

    warmup: float
    duration: float
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
    warmup=1.0,
    duration=4.0,
    # Five rounds: on these shared machines one window can be half as fast as the next (the
    # limit moved 11,730-16,548 jobs/s within one run), and a median of three still moved
    # each goal's ratio by 0.1-0.2 between full runs of the same code.
    rounds=5,
    io_duration=4.0,
    cpu_duration=4.0,
    cpu_rounds=5,
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
    """The load of a no-op variant (see :data:`NOOP_ORDER` and :data:`REFERENCE`)."""
    if variant == "limit":
        return _spec("limit", "-", "-", MAX_CONCURRENT_JOBS)
    if variant == REFERENCE:
        return _spec("ceiling", "-", "-", MAX_CONCURRENT_JOBS)
    if variant == "official_py":
        return _spec("official", "async", "noop_async", OFFICIAL_MAX_CONCURRENT_JOBS)
    if variant == "official_ts":
        return _spec("official_ts", "async", "-", MAX_CONCURRENT_JOBS)
    return _spec("ours", variant, NOOP_HANDLERS[variant], MAX_CONCURRENT_JOBS)


def per_job_us(result: dict[str, Any], key: str) -> float | None:
    """Microseconds of ``key`` (``load_cores``, ``engine_cores``) CPU per job in a window."""
    cores, rate = result.get(key), result["jobs_per_s"]
    return round(1e6 * cores / rate, 1) if cores is not None and rate else None


def _median(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known), 3) if known else None


class Run:
    """One benchmark run: an engine, the settings, and the results so far."""

    def __init__(self, settings: Settings, log: Callable[[str], None]) -> None:
        self.settings = settings
        self.log = log
        self.cpu_loops = calibrate()
        self.results: dict[str, Any] = {}
        self._rates = dict(_FIRST_GUESS)
        self.official_ts: OfficialTs | None = None

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
        self.log(
            f"{label:<36} {result['jobs_per_s']:8.1f} jobs/s  (engine {result.get('engine_cores')}"
            f" cores, load {result.get('load_cores')} cores = {per_job_us(result, 'load_cores')}"
            f" us/job, machine busy {result.get('machine_busy_cores')} cores"
            f"{', RAN OUT' if result['ran_out'] else ''})"
        )
        return result

    def _ts(self) -> OfficialTs:
        if self.official_ts is None:
            self.official_ts = OfficialTs()
            if self.official_ts.skipped:
                self.log(f"official TypeScript worker skipped: {self.official_ts.skipped}")
            else:
                self.log(f"official TypeScript worker: {PACKAGE} {self.official_ts.version}")
        return self.official_ts

    def _noop_once(self, engine: BenchEngine, variant: str, label: str) -> dict[str, Any]:
        spec = noop_spec(variant)
        if variant == "official_ts":
            spec["command"] = self._ts().command
        result = self._throughput(
            engine, spec, self.settings.duration, self._rates[variant] * 1.5, label
        )
        self._rates[variant] = max(result["jobs_per_s"], 100.0)
        result["load_us_per_job"] = per_job_us(result, "load_cores")
        result["engine_us_per_job"] = per_job_us(result, "engine_cores")
        return result

    def noop(self, engine: BenchEngine) -> None:
        """The limit, each strategy and the official workers, no-op handler, in rounds.

        Rounds alternate their order (forward, then reversed): the limit opens one round and
        closes the next. Each ratio is taken within its round (a variant over that round's
        limit, or over that round's async worker), and the median of the rounds is reported.
        """
        settings = self.settings
        variants = [
            variant for variant in NOOP_ORDER if variant != "official_ts" or not self._ts().skipped
        ]
        rounds: list[dict[str, dict[str, Any]]] = []
        reference: dict[str, Any] | None = None
        for index in range(settings.rounds):
            order = variants if index % 2 == 0 else list(reversed(variants))
            measured: dict[str, dict[str, Any]] = {}
            for variant in order:
                measured[variant] = self._noop_once(
                    engine, variant, f"no-op {variant} (round {index + 1})"
                )
                if variant == "limit" and reference is None:
                    reference = self._noop_once(engine, REFERENCE, f"no-op {REFERENCE} (reference)")
            rounds.append(measured)
        summary: dict[str, Any] = {}
        for variant in variants:
            runs = [measured[variant] for measured in rounds]
            entry: dict[str, Any] = {
                "jobs_per_s": _median([run["jobs_per_s"] for run in runs]),
                "max_concurrent_jobs": noop_spec(variant)["max_concurrent_jobs"],
                "load_us_per_job": _median([run["load_us_per_job"] for run in runs]),
                "engine_us_per_job": _median([run["engine_us_per_job"] for run in runs]),
                "engine_cores": _median([run.get("engine_cores") for run in runs]),
                "runs": runs,
            }
            for base in ("limit", "async"):
                ratios = [m[variant]["jobs_per_s"] / m[base]["jobs_per_s"] for m in rounds]
                entry[f"x_{base}_rounds"] = [round(ratio, 3) for ratio in ratios]
                entry[f"x_{base}"] = _median(list(ratios))
            summary[variant] = entry
        if self.official_ts is not None and self.official_ts.skipped:
            summary["official_ts"] = {"skipped": self.official_ts.skipped}
        if reference is not None:
            limit = rounds[0]["limit"]["jobs_per_s"]
            summary[REFERENCE] = {
                "jobs_per_s": reference["jobs_per_s"],
                "max_concurrent_jobs": MAX_CONCURRENT_JOBS,
                "load_us_per_job": reference["load_us_per_job"],
                "engine_us_per_job": reference["engine_us_per_job"],
                "engine_cores": reference.get("engine_cores"),
                "x_limit": round(reference["jobs_per_s"] / limit, 3),
                "x_limit_rounds": [round(reference["jobs_per_s"] / limit, 3)],
                "runs": [reference],
            }
        self.results["noop"] = summary

    def limit(self) -> float | None:
        """The engine's limit measured in this run (the median of the rounds), if it was."""
        noop = self.results.get("noop")
        return float(noop["limit"]["jobs_per_s"]) if noop else None

    def io(self, engine: BenchEngine) -> None:
        """A 50 ms sleeping handler at 64 and 512 in flight, async and thread strategies.

        Each point is held to the lower of its ideal (in flight / sleep) and the engine's limit
        (measured by the ``noop`` group of the same run; without it, the ideal alone).
        """
        limit = self.limit()
        series: dict[str, dict[str, Any]] = {}
        for strategy, handler in (("async", "io_async"), ("thread", "io_sync")):
            series[strategy] = {}
            for concurrency in IO_CONCURRENCY:
                ideal = concurrency / IO_SECONDS
                bound = min(ideal, limit) if limit else ideal
                result = self._throughput(
                    engine,
                    _spec("ours", strategy, handler, concurrency),
                    self.settings.io_duration,
                    bound,
                    f"I/O {strategy} max_concurrent_jobs={concurrency}",
                )
                result.update(
                    ideal_jobs_per_s=ideal,
                    bound_jobs_per_s=bound,
                    x_bound=round(result["jobs_per_s"] / bound, 3),
                    load_us_per_job=per_job_us(result, "load_cores"),
                )
                series[strategy][str(concurrency)] = result
        self.results["io"] = series

    def cpu(self, engine: BenchEngine) -> None:
        """A ~10 ms pure-Python handler: thread strategy against process strategy, in rounds."""
        cores = os.cpu_count() or 1
        rounds: list[dict[str, dict[str, Any]]] = []
        for index in range(self.settings.cpu_rounds):
            order = ("thread", "process") if index % 2 == 0 else ("process", "thread")
            measured = {}
            for strategy in order:
                measured[strategy] = self._throughput(
                    engine,
                    _spec("ours", strategy, "cpu_sync", MAX_CONCURRENT_JOBS),
                    self.settings.cpu_duration,
                    cores / CPU_SECONDS,
                    f"CPU-bound {strategy} (round {index + 1})",
                )
            rounds.append(measured)
        ratios = [m["process"]["jobs_per_s"] / m["thread"]["jobs_per_s"] for m in rounds]
        self.results["cpu"] = {
            **{
                strategy: {
                    "jobs_per_s": _median([m[strategy]["jobs_per_s"] for m in rounds]),
                    "load_cores": _median([m[strategy].get("load_cores") for m in rounds]),
                    "runs": [m[strategy] for m in rounds],
                }
                for strategy in ("thread", "process")
            },
            "process_x_thread_rounds": [round(ratio, 3) for ratio in ratios],
            "process_x_thread": _median(list(ratios)),
        }

    def scale_out(self, engine: BenchEngine) -> None:
        """``camunda-worker run --processes 1`` against ``--processes 2``, CPU-bound sync handler.

        Measured only when the CLI has the option; otherwise the reason is recorded.
        """
        if not scale_out_available():
            self.results["scale_out"] = {"skipped": "`camunda-worker run --processes` not found"}
            self.log("scale-out skipped: `camunda-worker run --processes` not found")
            return
        cores = os.cpu_count() or 1
        rounds: list[dict[str, dict[str, Any]]] = []
        for index in range(self.settings.cpu_rounds):
            order = (1, 2) if index % 2 == 0 else (2, 1)
            measured = {}
            for processes in order:
                spec = {
                    **_spec("cli", "thread", "cpu_sync", SCALE_OUT_CONCURRENCY),
                    "processes": processes,
                }
                measured[str(processes)] = self._throughput(
                    engine,
                    spec,
                    self.settings.cpu_duration,
                    cores / CPU_SECONDS,
                    f"scale-out --processes {processes} (round {index + 1})",
                )
            rounds.append(measured)
        ratios = [m["2"]["jobs_per_s"] / m["1"]["jobs_per_s"] for m in rounds]
        self.results["scale_out"] = {
            **{
                key: {
                    "jobs_per_s": _median([m[key]["jobs_per_s"] for m in rounds]),
                    "runs": [m[key] for m in rounds],
                }
                for key in ("1", "2")
            },
            "x_rounds": [round(ratio, 3) for ratio in ratios],
            "x": _median(list(ratios)),
        }

    def latency(self, engine: BenchEngine) -> None:
        """Activatable-to-completed latency, no-op handler, each strategy and the official ones."""
        settings = self.settings
        results = {}
        variants = ["async", "thread", "process", "official_py", "official_ts"]
        if self._ts().skipped:
            variants.remove("official_ts")
        for variant in variants:
            spec = {**noop_spec(variant), "url": engine.url}
            if variant == "official_ts":
                spec["command"] = self._ts().command
            # The official Python worker sleeps 1 s per poll: it is fed slowly, and its latency
            # is that second whatever the rate.
            official = variant == "official_py"
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


def scale_out_available() -> bool:
    """Whether ``camunda-worker run`` has the ``--processes`` option (issue 19, point 5)."""
    from camunda_worker.cli.run import build_parser

    return "--processes" in build_parser().format_help()


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
        if bench.official_ts is not None:
            bench.official_ts.close()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": info,
        "quick": settings == QUICK,
        "command": " ".join(["python", "-m", "benchmarks", *sys.argv[1:]]),
        "settings": attrs.asdict(settings),
        "cpu_loops": bench.cpu_loops,
        "max_concurrent_jobs": MAX_CONCURRENT_JOBS,
        "official_ts_version": bench.official_ts.version if bench.official_ts else None,
        "engine_loop": engine.loop,
        "seconds": round(time.perf_counter() - started, 1),
        **bench.results,
    }
