"""Before/after: the no-op worker of this checkout against the same worker of another checkout.

    python -m benchmarks.compare_revisions --baseline /path/to/other/checkout [--rounds 3]

One engine (this checkout's) serves both, over loopback TCP in its own process; the two loads
alternate, round by round (ABBA order), each in its own process running the worker and the
runner of its own checkout (``git worktree add /tmp/base <rev>`` makes a baseline). It prints
jobs/s per round, the means, and the ratio this/baseline for each strategy. Not part of the tests.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

from benchmarks import _measure
from benchmarks._harness import BenchEngine
from benchmarks._suite import noop_spec


def compare(
    baseline: Path, *, strategies: list[str], rounds: int, warmup: float, duration: float
) -> dict[str, Any]:
    """Alternate this checkout's and ``baseline``'s no-op workers; jobs/s of each, per strategy."""
    engine = BenchEngine()
    results: dict[str, dict[str, list[float]]] = {
        strategy: {"this": [], "baseline": []} for strategy in strategies
    }
    cpu: dict[str, dict[str, list[float]]] = {
        strategy: {"this": [], "baseline": []} for strategy in strategies
    }
    try:
        for index in range(rounds):
            sides = ("this", "baseline") if index % 2 == 0 else ("baseline", "this")
            for strategy in strategies:
                for side in sides:
                    spec = {**noop_spec(strategy), "url": engine.url}
                    if side == "baseline":
                        spec["root"] = str(baseline)
                    result = _measure.throughput(
                        engine,
                        spec,
                        warmup=warmup,
                        duration=duration,
                        expected_rate=20_000,
                        cpu_loops=1,
                    )
                    results[strategy][side].append(result["jobs_per_s"])
                    # The worker's own CPU per job: steadier than jobs/s on a shared machine.
                    per_job = 1e6 * (result.get("load_cores") or 0.0) / result["jobs_per_s"]
                    cpu[strategy][side].append(per_job)
                    print(
                        f"round {index + 1} {strategy:<8} {side:<8} {result['jobs_per_s']:8.1f} "
                        f"jobs/s, worker {per_job:6.1f} us CPU/job (machine busy "
                        f"{result.get('machine_busy_cores')} cores)",
                        flush=True,
                    )
    finally:
        engine.close()
    summary: dict[str, Any] = {}
    for strategy, sides in results.items():
        this, base = statistics.fmean(sides["this"]), statistics.fmean(sides["baseline"])
        cpu_this = statistics.median(cpu[strategy]["this"])
        cpu_base = statistics.median(cpu[strategy]["baseline"])
        summary[strategy] = {
            "this": this,
            "baseline": base,
            "ratio": this / base,
            "cpu_us_per_job": {"this": cpu_this, "baseline": cpu_base},
            **sides,
        }
        print(
            f"{strategy:<8} this {this:8.1f}  baseline {base:8.1f} jobs/s  ratio {this / base:5.2f}"
            f"  | worker CPU/job (median) this {cpu_this:6.1f} us  baseline {cpu_base:6.1f} us"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--strategy", nargs="+", default=["async"], dest="strategies")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args()
    compare(
        args.baseline.resolve(),
        strategies=args.strategies,
        rounds=args.rounds,
        warmup=args.warmup,
        duration=args.duration,
    )


if __name__ == "__main__":
    main()
