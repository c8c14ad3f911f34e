"""Activate + complete throughput of the in-memory engine over loopback, against its ceiling.

Run: ``python -m benchmarks.engine_throughput [--duration 5] [--runs 2]``.

Two servers, each in its own process, on 127.0.0.1:

* the engine, served exactly as ``camunda-worker engine`` serves it (recording off), with enough
  jobs of type ``bench`` created up front for every run;
* a minimal Starlette app with the same two routes (``benchmarks/_starlette_echo.py``) behind
  uvicorn + httptools: the ceiling of a Python ASGI server on this machine.

The same client loop drives each for the same duration, alternating servers run by run: one
sync ``httpx.Client`` activates 32 jobs, then completes each of them, one after the other. With
one client process the client itself is the bottleneck (as for one worker); with two client
processes (``--clients 1 2``, the default measures both) the server must keep up with two
clients at once. Both apps are also timed in-process (called directly, no sockets). The result
is jobs/s per server and their ratio (goal: >= 0.7, so the engine is not what limits the
worker benchmarks). Results go to ``benchmarks/results/engine.json`` and into ``docs/engine.md``
between the ``engine-benchmark`` markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "engine.json"
DOCS = ROOT / "docs" / "engine.md"
START, END = "<!-- engine-benchmark:start -->", "<!-- engine-benchmark:end -->"
BATCH = 32
JOBS_PER_SECOND_BUDGET = 6_000  # jobs created up front per second of engine runs


def serve_engine(jobs: int) -> None:
    """Child process: an engine with ``jobs`` activatable jobs, served like the CLI serves it."""
    from camunda_worker.engine import Engine, EngineApp, serve

    engine = Engine(server_line="8.10", retention=10_000)
    for index in range(jobs):
        engine.create_job("bench", variables={"orderId": index, "amount": 42.5})
    app = EngineApp(engine, record=False)
    serve(app, port=0, on_ready=lambda url: print(f"listening on {url}", flush=True))


def start(
    args: list[str], root: Path = ROOT, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start a server process of checkout ``root``; its process and its URL once it listens."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, text=True, cwd=root, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return process, line.removeprefix("listening on ")


def drive(url: str, duration: float) -> dict[str, float]:
    """The client loop: activate 32, complete each; returns jobs/s and request counts."""
    body = {
        "type": "bench",
        "worker": "bench",
        "timeout": 60_000,
        "maxJobsToActivate": BATCH,
        "requestTimeout": 1_000,
    }
    completed = activations = empty = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        client.get("/status")  # connect before the clock starts
        started = time.perf_counter()
        deadline = started + duration
        while time.perf_counter() < deadline:
            response = client.post("/jobs/activation", json=body)
            response.raise_for_status()
            jobs = response.json()["jobs"]
            activations += 1
            if not jobs:
                empty += 1
                continue
            for job in jobs:
                answer = client.post(f"/jobs/{job['jobKey']}/completion", json={})
                if answer.status_code != 204:
                    raise RuntimeError(f"completion answered {answer.status_code}: {answer.text}")
                completed += 1
        elapsed = time.perf_counter() - started
    return {
        "jobs_per_s": completed / elapsed,
        "jobs": completed,
        "activations": activations,
        "empty_activations": empty,
        "seconds": elapsed,
    }


def drive_together(
    url: str, duration: float, clients: int, pool: Executor | None
) -> dict[str, float]:
    """Run ``clients`` client loops at once (one per process when more than one); sum them."""
    if pool is None:
        return drive(url, duration)
    parts = list(pool.map(drive, [url] * clients, [duration] * clients))
    return {
        "jobs_per_s": sum(p["jobs_per_s"] for p in parts),
        "jobs": sum(p["jobs"] for p in parts),
        "activations": sum(p["activations"] for p in parts),
        "empty_activations": sum(p["empty_activations"] for p in parts),
        "seconds": max(p["seconds"] for p in parts),
    }


def measure(
    engine_url: str, echo_url: str, duration: float, runs: int, clients: int
) -> dict[str, Any]:
    pool = (
        ProcessPoolExecutor(clients, mp_context=multiprocessing.get_context("spawn"))
        if clients > 1
        else None
    )
    results: dict[str, list[dict[str, float]]] = {"engine": [], "echo": []}
    try:
        for url in (engine_url, echo_url):  # warm-up: imports, first connections
            drive_together(url, 0.5, clients, pool)
        for index in range(runs):
            order = (("echo", echo_url), ("engine", engine_url))
            for name, url in order if index % 2 == 0 else reversed(order):
                result = drive_together(url, duration, clients, pool)
                results[name].append(result)
                print(
                    f"{clients} client(s), run {index + 1}, {name:>6}: "
                    f"{result['jobs_per_s']:8.0f} jobs/s",
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.shutdown()
    if any(r["empty_activations"] for r in results["engine"]):
        raise RuntimeError("the engine ran out of jobs: raise JOBS_PER_SECOND_BUDGET")
    engine_rate = statistics.mean(r["jobs_per_s"] for r in results["engine"])
    echo_rate = statistics.mean(r["jobs_per_s"] for r in results["echo"])
    return {
        "clients": clients,
        "engine_jobs_per_s": round(engine_rate),
        "echo_jobs_per_s": round(echo_rate),
        "ratio": round(engine_rate / echo_rate, 3),
        "details": results,
    }


def in_process(jobs: int = 20_000) -> dict[str, float]:
    """The ASGI apps' own cost per job, called directly (no sockets, no HTTP parsing)."""
    from benchmarks._starlette_echo import app as echo_app
    from camunda_worker.engine import Engine, EngineApp

    engine = Engine(server_line="8.10")
    for index in range(jobs + BATCH):
        engine.create_job("bench", variables={"orderId": index, "amount": 42.5})
    engine_app = EngineApp(engine, record=False)
    activation = json.dumps(
        {"type": "bench", "worker": "bench", "timeout": 60_000, "maxJobsToActivate": BATCH}
    ).encode()

    async def call(app: Any, path: str, body: bytes) -> bytes:
        sent: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                sent.append(message.get("body", b""))

        scope = {
            "type": "http",
            "method": "POST",
            "path": path,
            "headers": [(b"content-type", b"application/json")],
            "query_string": b"",
        }
        await app(scope, receive, send)
        return b"".join(sent)

    async def loop(app: Any) -> float:
        done = 0
        started = time.perf_counter()
        while done < jobs:
            answer = await call(app, "/v2/jobs/activation", activation)
            for job in json.loads(answer)["jobs"]:
                await call(app, f"/v2/jobs/{job['jobKey']}/completion", b"{}")
                done += 1
        return (time.perf_counter() - started) / done * 1e6

    echo_us = asyncio.run(loop(echo_app))
    engine_us = asyncio.run(loop(engine_app))
    engine.close()
    print(f"in-process: engine {engine_us:.1f} us/job, Starlette {echo_us:.1f} us/job", flush=True)
    return {"engine_us_per_job": round(engine_us, 1), "echo_us_per_job": round(echo_us, 1)}


def run(duration: float, runs: int, client_counts: list[int]) -> dict[str, Any]:
    total = sum(client_counts) * duration * runs
    jobs = int(JOBS_PER_SECOND_BUDGET * total) + 10_000
    engine, engine_url = start(["-m", "benchmarks.engine_throughput", "serve-engine", str(jobs)])
    echo, echo_url = start(["-m", "benchmarks._starlette_echo"])
    try:
        measurements = [
            measure(engine_url, echo_url, duration, runs, clients) for clients in client_counts
        ]
    finally:
        for process in (engine, echo):
            process.terminate()
            process.wait(timeout=20)
    app_cost = in_process()
    return {
        "benchmark": "activate(32) + sequential completions per client, sync httpx, loopback",
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "duration_s": duration,
        "runs": runs,
        "batch": BATCH,
        "load_average": os.getloadavg(),
        "measurements": measurements,
        "in_process": app_cost,
    }


def write(result: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not DOCS.exists():
        return
    text = DOCS.read_text()
    if START not in text or END not in text:
        return
    rows = [
        f"| {m['clients']} | {m['engine_jobs_per_s']:,} | {m['echo_jobs_per_s']:,} "
        f"| **{m['ratio']:.2f}** |"
        for m in result["measurements"]
    ]
    table = "\n".join(
        [
            START,
            "| client processes | engine jobs/s | Starlette ceiling jobs/s | ratio |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Mean of {result['runs']} runs of {result['duration_s']:g} s per server, measured "
            f"{result['date']} with Python {result['python']} on {result['cpus']} CPUs "
            f"({result['platform']}, load average {result['load_average'][0]:.1f} during the "
            "run); raw figures in `benchmarks/results/engine.json`. The apps' own cost, called "
            f"in-process without sockets: engine {result['in_process']['engine_us_per_job']} "
            f"µs per job (activation share + completion), Starlette "
            f"{result['in_process']['echo_us_per_job']} µs.",
            END,
        ]
    )
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(head + table + tail)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve-engine":
        serve_engine(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--runs", type=int, default=2, help="runs per server")
    parser.add_argument(
        "--clients",
        type=int,
        nargs="+",
        default=[1, 2],
        help="client process counts to measure (default: 1 2)",
    )
    parser.add_argument("--no-write", action="store_true", help="only print the results")
    args = parser.parse_args()
    result = run(args.duration, args.runs, args.clients)
    for m in result["measurements"]:
        print(
            f"{m['clients']} client(s): engine {m['engine_jobs_per_s']} jobs/s, "
            f"ceiling {m['echo_jobs_per_s']} jobs/s, ratio {m['ratio']}"
        )
    if not args.no_write:
        write(result)


if __name__ == "__main__":
    main()
