"""The benchmarks' raw client (the engine's limit) sends what ``JobWorker`` sends, no more.

The limit every no-op ratio is divided by is only fair if its requests are the worker's: the
same headers in the same order, the same activation fields and the same completion body.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not a package
    sys.path.insert(0, str(ROOT))

from benchmarks import _raw_client  # noqa: E402
from camunda_worker import WorkerConfig  # noqa: E402
from camunda_worker.engine import Engine, EngineApp, EngineServer  # noqa: E402
from camunda_worker.worker import JobWorker  # noqa: E402


class Capture(EngineApp):
    """Notes each request's header names (in order) and body, by path kind."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, record=True)
        self.heads: dict[str, list[list[bytes]]] = {"activation": [], "completion": []}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            kind = scope["path"].rsplit("/", 1)[-1]
            if kind in self.heads:
                self.heads[kind].append([name for name, _ in scope["headers"]])
        await super().__call__(scope, receive, send)


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _requests(app: Capture, kind: str) -> list[Any]:
    return [e.request for e in app.requests if e.path.endswith(f"/{kind}")]


def test_the_raw_client_sends_the_workers_requests() -> None:
    worker_app, raw_app = Capture(Engine()), Capture(Engine())
    for app in (worker_app, raw_app):
        for _ in range(3):
            app.engine.create_job("shape", variables={"orderId": 1})

    async def noop(job: Any) -> None:
        return None

    with EngineServer(worker_app) as server:
        worker = JobWorker(
            noop,
            WorkerConfig("shape", job_timeout_milliseconds=60_000, worker_name="bench"),
            settings={"CAMUNDA_REST_ADDRESS": server.address},
        )
        worker.start()
        try:
            _wait(lambda: worker_app.engine.stats().jobs_completed == 3, "the worker")
        finally:
            worker.close()

    spec = {"job_type": "shape", "timeout_ms": 60_000, "request_timeout_ms": 10_000}
    with EngineServer(raw_app) as server:
        loop = asyncio.new_event_loop()
        task = loop.create_task(_raw_client.drive({**spec, "url": server.url, "connections": 1}))

        def run() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(task)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            _wait(lambda: raw_app.engine.stats().jobs_completed == 3, "the raw client")
        finally:
            loop.call_soon_threadsafe(task.cancel)
            thread.join(timeout=10)
            loop.close()

    for kind in ("activation", "completion"):
        assert raw_app.heads[kind][0] == worker_app.heads[kind][0], kind
    assert worker_app.heads["completion"][0] == [
        b"host",
        b"accept",
        b"connection",
        b"user-agent",
        b"content-type",
        b"content-length",
    ]
    worker_activation = _requests(worker_app, "activation")[0]
    raw_activation = _requests(raw_app, "activation")[0]
    assert list(raw_activation) == list(worker_activation)
    assert raw_activation["type"] == worker_activation["type"] == "shape"
    assert _requests(raw_app, "completion")[0] == _requests(worker_app, "completion")[0] == {}
