"""``camunda-worker run --processes N``: jobs/s of a CPU-bound sync handler, 1 against 2 processes.

Run: ``python -m benchmarks.scale_out [--rounds 4] [--duration 5]``. The engine serves on
loopback in its own process (:class:`benchmarks._harness.BenchEngine`); each measured run is the
command line itself (``python -m camunda_worker run benchmarks/_scale_out_tasks.py --processes
N``), with the thread strategy and about 10 ms of pure-Python work per job, so one process is
bound by its GIL. Rounds alternate the order (1 2, 2 1, ...); each run waits for its first
completion, then counts the jobs the engine completed in ``--duration`` seconds. Prints jobs/s
per round, the ratio 2/1 of each round and the medians.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time

from benchmarks._handlers import calibrate
from benchmarks._harness import BenchEngine
from benchmarks.engine_throughput import ROOT

TASKS = ROOT / "benchmarks" / "_scale_out_tasks.py"
BACKLOG = 20_000  # more than 2 processes finish in a window
CONCURRENCY = 4


def _measure(
    engine: BenchEngine, processes: int, job_type: str, duration: float, loops: int
) -> float:
    engine.create_jobs(job_type, BACKLOG)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAMUNDA_", "ZEEBE_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        CAMUNDA_REST_ADDRESS=engine.url,
        CAMUNDA_WORKER_TIMEOUT="60000",
        SCALE_OUT_JOB_TYPE=job_type,
        BENCH_CPU_LOOPS=str(loops),
    )
    command = [sys.executable, "-m", "camunda_worker", "run", str(TASKS)]
    command += ["--processes", str(processes), "-c", str(CONCURRENCY), "--log-level", "warn"]
    run = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        first = engine.completed()
        while engine.completed() == first:  # every process imported, connected, working
            time.sleep(0.05)
        time.sleep(1.0)  # the slower process catches up
        before, started = engine.completed(), time.perf_counter()
        time.sleep(duration)
        rate = (engine.completed() - before) / (time.perf_counter() - started)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    engine.drop(job_type)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0)
    arguments = parser.parse_args(argv)
    loops = calibrate()
    print(f"CPU-bound sync handler: {loops} loops (~10 ms), thread strategy, -c {CONCURRENCY}")
    engine = BenchEngine()
    rates: dict[int, list[float]] = {1: [], 2: []}
    try:
        for round_number in range(arguments.rounds):
            order = (1, 2) if round_number % 2 == 0 else (2, 1)
            for processes in order:
                job_type = f"scale-out-{round_number}-{processes}"
                rate = _measure(engine, processes, job_type, arguments.duration, loops)
                rates[processes].append(rate)
            ratio = rates[2][-1] / rates[1][-1]
            print(
                f"round {round_number + 1}: 1 process {rates[1][-1]:7.1f} jobs/s, "
                f"2 processes {rates[2][-1]:7.1f} jobs/s, ratio {ratio:.2f}x",
                flush=True,
            )
    finally:
        engine.close()
    ratios = [two / one for one, two in zip(rates[1], rates[2], strict=True)]
    print(
        f"median: 1 process {statistics.median(rates[1]):.1f} jobs/s, 2 processes "
        f"{statistics.median(rates[2]):.1f} jobs/s, ratio {statistics.median(ratios):.2f}x "
        f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
