"""What framing an answer costs the fast lane: h11 against httptools, and the lane end to end.

Run: ``python -m benchmarks.wire_parsers [--duration 5] [--tree PATH ...]``.

* ``parse``: the client CPU time of reading one typical engine answer (a completion's ``204``,
  an activation's ``200`` with 32 jobs) with h11 (as httpx and httpcore drive it: one request
  event sent, the answer's events read, the next cycle started) and with httptools (llhttp: the
  answer fed to a response parser whose callbacks collect the fields and the body).
* ``lane``: the client CPU time per completed job of ``CamundaAsyncClient`` (the fast lane)
  against the engine served over loopback in its own process: activate 32, complete each. Each
  ``--tree`` (a checkout of this project, default: this one) runs the same client loop in a
  process of its own, alternately, so two versions of the lane are measured side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH = 32
_DATE = b"date: Tue, 01 Dec 2026 22:00:00 GMT\r\nserver: uvicorn\r\n"


def _answers() -> dict[str, bytes]:
    job = {
        "jobKey": "2251799813685249",
        "type": "bench",
        "processInstanceKey": "2251799813685248",
        "elementId": "task",
        "retries": 3,
        "deadline": 1_800_000_000_000,
        "variables": {"orderId": 1, "amount": 42.5},
        "customHeaders": {},
        "tenantId": "<default>",
        "worker": "bench",
    }
    body = json.dumps({"jobs": [job] * BATCH}).encode()
    return {
        "completion 204": b"HTTP/1.1 204 No Content\r\n" + _DATE + b"\r\n",
        f"activation 200 ({len(body)} B)": (
            b"HTTP/1.1 200 OK\r\n" + _DATE + b"content-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body) + body
        ),
    }


def _h11_us(data: bytes, count: int) -> float:
    import h11

    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="POST", target="/", headers=[("Host", "x"), ("Content-Length", "0")]
    )
    started = time.process_time()
    for _ in range(count):
        conn.send(request)
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        parts = []
        while True:
            event = conn.next_event()
            if type(event) is h11.Data:
                parts.append(event.data)
            elif type(event) is h11.EndOfMessage:
                break
            elif event is h11.NEED_DATA:  # pragma: no cover - the answer is whole
                raise RuntimeError("h11 wants more")
        conn.start_next_cycle()
    return (time.process_time() - started) / count * 1e6


class _Collect:
    __slots__ = ("body", "done", "headers")

    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.body: list[bytes] = []
        self.done = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


def _httptools_us(data: bytes, count: int) -> float:
    import httptools

    started = time.process_time()
    for _ in range(count):
        collect = _Collect()  # one parser per answer, as the lane does
        parser = httptools.HttpResponseParser(collect)
        parser.feed_data(data)
        if not collect.done:  # pragma: no cover - the answer is whole
            raise RuntimeError("httptools wants more")
        b"".join(collect.body)
        parser.get_status_code()
    return (time.process_time() - started) / count * 1e6


def parse(count: int) -> list[dict[str, Any]]:
    rows = []
    for name, data in _answers().items():
        h11_us = min(_h11_us(data, count) for _ in range(3))
        httptools_us = min(_httptools_us(data, count) for _ in range(3))
        rows.append(
            {"answer": name, "h11_us": round(h11_us, 2), "httptools_us": round(httptools_us, 2)}
        )
    return rows


def serve_engine(jobs: int) -> None:
    """Child process: an engine with ``jobs`` activatable jobs, served as the CLI serves it."""
    from camunda_worker.engine import Engine, EngineApp, serve

    engine = Engine(server_line="8.10", retention=10_000)
    for index in range(jobs):
        engine.create_job("bench", variables={"orderId": index, "amount": 42.5})
    serve(
        EngineApp(engine, record=False),
        port=0,
        on_ready=lambda url: print(f"listening on {url}", flush=True),
    )


def drive(url: str, duration: float) -> None:
    """Child process: the lane's client loop; prints client CPU µs per job and jobs."""
    from camunda_worker import CamundaAsyncClient

    async def run() -> tuple[float, int]:
        async with CamundaAsyncClient(url) as client:
            await client.status()
            done = 0
            cpu = time.process_time()
            deadline = time.perf_counter() + duration
            while time.perf_counter() < deadline:
                jobs = await client.activate_jobs(
                    job_type="bench",
                    max_jobs_to_activate=BATCH,
                    timeout=60_000,
                    worker="bench",
                    request_timeout=1_000,
                )
                if not jobs:
                    raise RuntimeError("the engine ran out of jobs")
                for job in jobs:
                    await client.complete_job(job.job_key)
                    done += 1
            return (time.process_time() - cpu) / done * 1e6, done

    per_job, done = asyncio.run(run())
    print(json.dumps({"cpu_us_per_job": per_job, "jobs": done}), flush=True)


def _python(tree: Path, *args: str) -> subprocess.Popen[str]:
    """This script in a child process that imports ``camunda_worker`` from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        env.pop(name, None)  # a proxy turns the fast lane off
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=tree, env=env)


def lane(trees: list[Path], duration: float, runs: int) -> dict[str, list[float]]:
    jobs = int(6_000 * duration * runs * len(trees)) + 10_000
    server = _python(ROOT, "--serve", str(jobs))
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().removeprefix("listening on ")
        figures: dict[str, list[float]] = {str(tree): [] for tree in trees}
        for index in range(runs):
            for tree in trees if index % 2 == 0 else list(reversed(trees)):
                child = _python(tree, "--drive", url, str(duration))
                out, _ = child.communicate()
                result = json.loads(out.strip().splitlines()[-1])
                figures[str(tree)].append(result["cpu_us_per_job"])
                print(
                    f"run {index + 1} {tree}: {result['cpu_us_per_job']:.1f} µs CPU per job ({result['jobs']} jobs)",
                    flush=True,
                )
        return figures
    finally:
        server.terminate()
        server.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.wire_parsers", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--count", type=int, default=20_000, help="answers parsed per figure")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per lane run")
    parser.add_argument("--runs", type=int, default=2, help="lane runs per tree")
    parser.add_argument("--tree", type=Path, action="append", help="a checkout whose lane to run")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--drive", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve_engine(args.serve)
        return 0
    if args.drive is not None:
        drive(args.drive[0], float(args.drive[1]))
        return 0
    for row in parse(args.count):
        print(
            f"parse {row['answer']}: h11 {row['h11_us']} µs, httptools {row['httptools_us']} µs",
            flush=True,
        )
    figures = lane([tree.resolve() for tree in args.tree or [ROOT]], args.duration, args.runs)
    for tree, values in figures.items():
        print(
            f"lane {tree}: {statistics.mean(values):.1f} µs client CPU per job (mean of {len(values)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
