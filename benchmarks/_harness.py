"""The harness's handles on its processes: the benchmark engine, one load process, a window.

Each runs in its own process on loopback: the engine (``benchmarks._bench_engine``, started with
``engine_throughput``'s ``start``) and one load at a time (``benchmarks._runner``). A
:class:`Window` reads the engine's completion counter and the CPU time of every process at its
start and end: throughput is counted where the jobs end, the same way for every load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks import _procfs
from benchmarks.engine_throughput import ROOT, start

CHUNK = 20_000  # jobs per creation request: keeps each request well under a second


class BenchEngine:
    """The benchmark engine process and its ``/bench`` routes."""

    def __init__(self, root: Path = ROOT, loop: str = "auto") -> None:
        # ``root``: the checkout whose engine serves (benchmarks.engine_limit compares two);
        # ``loop``: the event loop it serves on (a checkout that cannot choose ignores it).
        self.process, self.url = start(
            ["-m", "benchmarks._bench_engine"], root, {"BENCH_ENGINE_LOOP": loop}
        )
        self._admin = httpx.Client(base_url=self.url.removesuffix("/v2"), timeout=120)
        self.loop: str = self.counters().get("loop", "asyncio")  # the loop it serves on

    @property
    def pid(self) -> int:
        """The engine process's id."""
        return self.process.pid

    def _call(self, route: str, **body: Any) -> dict[str, Any]:
        response = self._admin.post(f"/bench/{route}", json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def create_jobs(self, job_type: str, count: int) -> None:
        """Create ``count`` activatable jobs of ``job_type`` now."""
        while count > 0:
            self._call("jobs", type=job_type, count=min(count, CHUNK))
            count -= CHUNK

    def completed(self) -> int:
        """Jobs completed since the engine started."""
        return int(self._call("counters")["completed"])

    def counters(self, job_type: str | None = None) -> dict[str, Any]:
        """The engine's counters, and the jobs of ``job_type`` still activatable."""
        return self._call("counters", **({"type": job_type} if job_type else {}))

    def drop(self, job_type: str) -> int:
        """Complete every job of ``job_type`` still activatable; returns how many."""
        return int(self._call("drop", type=job_type)["dropped"])

    def feed(self, job_type: str, rate: float, count: int) -> None:
        """Start creating ``count`` jobs at ``rate`` per second (returns at once)."""
        self._call("feed", type=job_type, rate=rate, count=count)

    def latencies(self) -> tuple[list[float], int]:
        """Creation-to-completion seconds of the fed jobs done, and how many are pending."""
        answer = self._call("latencies")
        return answer["seconds"], answer["pending"]

    def close(self) -> None:
        """Stop the engine process."""
        self._admin.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Load:
    """One load process (``benchmarks._runner``); ``with Load(spec):`` stops it on exit."""

    def __init__(self, spec: dict[str, Any], *, cpu_loops: int) -> None:
        # ``spec["root"]``: another checkout whose worker (and runner) this load runs, for
        # before/after comparisons (benchmarks.compare_revisions); this one by default.
        root = Path(spec.get("root") or ROOT)
        path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, "BENCH_CPU_LOOPS": str(cpu_loops)}
        # ``spec["command"]``: a load that is not Python (the official TypeScript worker), run
        # with the spec as its one argument.
        command = spec.get("command") or [sys.executable, "-m", "benchmarks._runner"]
        self.process = subprocess.Popen(
            [*command, json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env=env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise RuntimeError(f"the load {spec['kind']} did not start: {line!r}")
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        """The load process's id."""
        return self.process.pid

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (a worker drains and exits), then SIGKILL after ``timeout``; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.exit_code = self.process.returncode
        return self.exit_code

    def __enter__(self) -> Load:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms until it holds; RuntimeError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


class Window:
    """A measurement window: completions and CPU time between :meth:`open` and :meth:`close`."""

    def __init__(self, engine: BenchEngine, load: Load) -> None:
        self._engine = engine
        self._load = load
        self._start: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        completed = self._engine.completed()
        return {
            "time": time.perf_counter(),
            "completed": completed,
            "engine_cpu": _procfs.cpu_seconds(self._engine.pid),
            "load_cpu": _procfs.cpu_seconds(self._load.pid, tree=True),
            "machine": _procfs.machine_cpu_seconds(),
        }

    def open(self) -> None:
        """Start counting."""
        self._start = self._read()

    def close(self) -> dict[str, Any]:
        """Stop counting; jobs/s, and the CPU cores each process used on average."""
        end, start_ = self._read(), self._start
        seconds = end["time"] - start_["time"]
        jobs = end["completed"] - start_["completed"]
        result: dict[str, Any] = {
            "jobs": jobs,
            "seconds": round(seconds, 3),
            "jobs_per_s": round(jobs / seconds, 1),
        }
        for key in ("engine_cpu", "load_cpu"):
            if end[key] is not None and start_[key] is not None:
                result[key.replace("_cpu", "_cores")] = round((end[key] - start_[key]) / seconds, 2)
        if end["machine"] is not None and start_["machine"] is not None:
            busy = end["machine"][0] - start_["machine"][0]
            total = end["machine"][1] - start_["machine"][1]
            cores = os.cpu_count() or 1
            result["machine_busy_cores"] = round(busy / total * cores, 2) if total else None
        return result
