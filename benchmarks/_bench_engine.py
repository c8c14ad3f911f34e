"""The engine the benchmarks run against: the in-memory engine plus a few benchmark-only routes.

Run as its own process (``python -m benchmarks._bench_engine``); it is served exactly as
``camunda-worker engine`` serves it (its own HTTP/1.1 server on 127.0.0.1, recording off, on
uvloop when installed; ``BENCH_ENGINE_LOOP`` says otherwise), and the
harness reaches these extra routes over the same loopback socket:

- ``POST /bench/jobs {"type", "count"}``: create ``count`` standalone jobs of ``type`` now,
  before a measurement starts (the engine's direct :meth:`Engine.create_job`, no BPMN);
- ``POST /bench/counters``: the engine's counters (completions, time-outs, failures),
  ``{"type"}``'s activatable jobs left, and the event loop it serves on (``asyncio``, ``uvloop``);
- ``POST /bench/drop {"type"}``: complete every job of ``type`` still activatable (left over
  from a measurement), so leftovers never pile up in the engine;
- ``POST /bench/feed {"type", "rate", "count"}``: create ``count`` jobs, one every ``1/rate``
  seconds, noting when each became activatable; ``POST /bench/latencies`` then returns, for
  every fed job completed so far, the seconds from its creation to the engine's answer to its
  completion (both read from this process's clock).

Every job carries the same variables as in ``engine_throughput``.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

from camunda_worker.engine import Engine, EngineApp, EngineError, serve

_JSON = [(b"content-type", b"application/json")]


def _variables(index: int) -> dict[str, Any]:
    return {"orderId": index, "amount": 42.5}


class BenchEngineApp(EngineApp):
    """:class:`EngineApp` with the ``/bench`` routes and completion timing for fed jobs."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, record=False)
        self._fed: dict[str, float] = {}
        self._latencies: list[float] = []
        self._feeding: set[asyncio.Task[None]] = set()
        self._created = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/bench/"):
                await self._admin(path, receive, send)
                return
            if self._fed and path.endswith("/completion"):
                await super().__call__(scope, receive, send)
                created = self._fed.pop(path.rsplit("/", 2)[-2], None)
                if created is not None:
                    self._latencies.append(time.perf_counter() - created)
                return
        await super().__call__(scope, receive, send)

    async def _admin(self, path: str, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body or b"{}")
        answer = getattr(self, "_route_" + path.removeprefix("/bench/"))(request)
        data = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": 200, "headers": _JSON})
        await send({"type": "http.response.body", "body": data})

    def _route_jobs(self, request: dict[str, Any]) -> dict[str, Any]:
        engine = self.engine
        for _ in range(request["count"]):
            engine.create_job(request["type"], variables=_variables(self._created))
            self._created += 1
        return {"created": request["count"]}

    def _route_counters(self, request: dict[str, Any]) -> dict[str, Any]:
        stats = self.engine.stats()
        left = None
        if "type" in request:
            left = len(self.engine.jobs(job_type=request["type"], lifecycle="ACTIVATABLE"))
        return {
            "completed": stats.jobs_completed,
            "failed": stats.jobs_failed,
            "timed_out": stats.jobs_timed_out,
            "retained_jobs": stats.retained_jobs,
            "activatable": left,
            "loop": type(asyncio.get_running_loop()).__module__.partition(".")[0],
        }

    def _route_drop(self, request: dict[str, Any]) -> dict[str, Any]:
        dropped = 0
        for job in self.engine.jobs(job_type=request["type"], lifecycle="ACTIVATABLE"):
            try:
                self.engine.complete_job(job.key)
            except EngineError:
                continue
            dropped += 1
        return {"dropped": dropped}

    def _route_feed(self, request: dict[str, Any]) -> dict[str, Any]:
        self._latencies.clear()
        task = asyncio.get_running_loop().create_task(
            self._feed_jobs(request["type"], float(request["rate"]), int(request["count"]))
        )
        self._feeding.add(task)
        task.add_done_callback(self._feeding.discard)
        return {"feeding": request["count"]}

    async def _feed_jobs(self, job_type: str, rate: float, count: int) -> None:
        started = time.perf_counter()
        for index in range(count):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            key = self.engine.create_job(job_type, variables=_variables(index))
            self._fed[key] = now

    def _route_latencies(self, request: dict[str, Any]) -> dict[str, Any]:
        return {"seconds": list(self._latencies), "pending": len(self._fed) + len(self._feeding)}


def main() -> None:
    """Serve the benchmark engine on a free port; print ``listening on URL`` once bound."""
    engine = Engine(server_line="8.10", retention=10_000)
    serve(
        BenchEngineApp(engine),
        port=0,
        on_ready=lambda url: print(f"listening on {url}", flush=True),
        loop=os.environ.get("BENCH_ENGINE_LOOP", "auto"),  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
