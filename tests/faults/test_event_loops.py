"""A worker runs to the end on every asyncio event loop implementation, and under ``python -O``.

On uvloop (what uvicorn runs on whenever it is installed: a worker in a FastAPI lifespan) the
fast lane once failed every request with an ``AssertionError`` and the worker completed nothing,
saying nothing. Each test here runs a worker against the engine served over loopback TCP and
asserts every job's end state: on the fast lane and through httpx, with the ``async`` and the
``thread`` strategies, on the default loop and on uvloop; and once more in a ``python -O``
process, where ``assert`` statements vanish.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from wire_servers import clear_proxies

from camunda_worker import CamundaAsyncClient, WorkerConfig
from camunda_worker.testing import EngineHarness
from camunda_worker.worker import JobWorker, WorkerState

from .wire import LOOPS, ORDER_BPMN, eventually, run_on

JOBS = 6


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment turns the fast lane off: these tests choose the path."""
    clear_proxies(monkeypatch)


class PlainAuth(httpx.Auth):
    """An httpx authentication of the user's own: the client sends through httpx, not the lane."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Plain"] = "1"
        yield request


async def charge_async(job: Any) -> dict[str, Any]:
    return {"charged": job.variables["order"] * 10}


def charge(job: Any) -> dict[str, Any]:
    return {"charged": job.variables["order"] * 10}


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("path", ["lane", "httpx"])
@pytest.mark.parametrize("strategy", ["async", "thread"])
def test_a_worker_completes_every_job_over_tcp(
    camunda_engine: EngineHarness, loop: str, path: str, strategy: str
) -> None:
    camunda_engine.deploy(ORDER_BPMN)
    keys = [camunda_engine.start_instance("order", {"order": n}) for n in range(JOBS)]
    url = camunda_engine.serve().url

    async def serve() -> tuple[JobWorker, WorkerState]:
        auth = PlainAuth() if path == "httpx" else None
        async with CamundaAsyncClient(url, auth=auth) as client:
            if (client._wire is not None) != (path == "lane"):
                raise AssertionError(f"the client does not send through the {path}")
            worker = JobWorker(
                charge_async if strategy == "async" else charge,
                WorkerConfig(job_type="charge", job_timeout_milliseconds=30_000),
                client=client,
                execution_strategy=strategy,  # type: ignore[arg-type]
                settings={"rest_address": url},
            )
            async with worker:
                await eventually(
                    lambda: all(camunda_engine.instance(key).state == "COMPLETED" for key in keys)
                )
                running = worker.state
        return worker, running

    worker, running = run_on(loop, serve)

    assert [camunda_engine.variables(key)["charged"] for key in keys] == [
        n * 10 for n in range(JOBS)
    ]
    assert {job.state for job in camunda_engine.jobs(job_type="charge")} == {"COMPLETED"}
    assert running is WorkerState.POLLING
    assert worker.state is WorkerState.STOPPED
    assert worker.error is None
    stats = worker.stats
    assert (stats.completed, stats.rejected, stats.acknowledgement_failures) == (JOBS, 0, 0)


RUN_WORKER = Path(__file__).with_name("wire_run.py")


def test_a_worker_completes_every_job_under_python_dash_o() -> None:
    # One run (a process start costs seconds): on the default loop, which every platform has.
    loop = "asyncio"
    root = Path(__file__).resolve().parents[2]
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"}
    }
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(root / "tests")])
    finished = subprocess.run(
        [sys.executable, "-O", str(RUN_WORKER), loop, str(JOBS)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr[-3000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["optimize"] == 1  # asserts were really gone
    assert result["lane"] is True
    assert result["loop"] == loop
    assert result["instances"] == ["COMPLETED"] * JOBS
    assert result["charged"] == [n * 10 for n in range(JOBS)]
    assert result["worker"] == {"state": "stopped", "error": None, "completed": JOBS}
