"""Before/after: the engine's limit, this checkout's engine against another checkout's.

    python -m benchmarks.engine_limit --baseline /path/to/other/checkout [--rounds 4]

Three engines serve at once, each in its own process on loopback: this checkout's on its
default loop (uvloop when installed), this checkout's on asyncio's loop (``--loop asyncio``),
and the baseline checkout's (``git worktree add /tmp/base <rev>`` makes one). The raw client of
the benchmarks (:mod:`benchmarks._raw_client`, the ``limit`` load) drives one engine at a time,
in rounds whose order alternates; it prints jobs/s and the engine's CPU per job each round,
then the medians and the ratios to the baseline. Not part of the tests.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from benchmarks import _measure
from benchmarks._harness import BenchEngine
from benchmarks._suite import noop_spec, per_job_us


def compare(baseline: Path, *, rounds: int, warmup: float, duration: float) -> dict[str, Any]:
    """Alternate the three engines under the raw client; jobs/s and engine µs/job of each."""
    engines = {
        "this": BenchEngine(),
        "this-asyncio": BenchEngine(loop="asyncio"),
        "baseline": BenchEngine(root=baseline),
    }
    rates: dict[str, list[float]] = {name: [] for name in engines}
    cpu: dict[str, list[float]] = {name: [] for name in engines}
    try:
        names = list(engines)
        for index in range(rounds):
            for name in names if index % 2 == 0 else list(reversed(names)):
                engine = engines[name]
                result = _measure.throughput(
                    engine,
                    {**noop_spec("limit"), "url": engine.url},
                    warmup=warmup,
                    duration=duration,
                    expected_rate=30_000,
                    cpu_loops=1,
                )
                rates[name].append(result["jobs_per_s"])
                cpu[name].append(per_job_us(result, "engine_cores") or 0.0)
                print(
                    f"round {index + 1} {name:<13} ({engine.loop:<7}) {result['jobs_per_s']:8.0f}"
                    f" jobs/s, engine {result.get('engine_cores')} cores = {cpu[name][-1]:5.1f}"
                    f" us/job (machine busy {result.get('machine_busy_cores')} cores)",
                    flush=True,
                )
    finally:
        for engine in engines.values():
            engine.close()
    base_rate, base_cpu = statistics.median(rates["baseline"]), statistics.median(cpu["baseline"])
    summary: dict[str, Any] = {}
    for name in engines:
        rate, per_job = statistics.median(rates[name]), statistics.median(cpu[name])
        ratios = [a / b for a, b in zip(rates[name], rates["baseline"], strict=True)]
        summary[name] = {"jobs_per_s": rate, "engine_us_per_job": per_job, "rounds": rates[name]}
        print(
            f"{name:<13} median {rate:8.0f} jobs/s ({rate / base_rate:4.2f} x baseline; per round "
            f"{' / '.join(f'{r:.2f}' for r in ratios)}), engine {per_job:5.1f} us/job "
            f"({per_job / base_cpu:4.2f} x baseline)"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args()
    compare(args.baseline.resolve(), rounds=args.rounds, warmup=args.warmup, duration=args.duration)


if __name__ == "__main__":
    main()
