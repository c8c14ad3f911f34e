"""An async handler that blocks the event loop: warned about once, and seen by health and metrics.

A synchronous call in an ``async def`` handler stalls every job on the loop. The worker must say
so while it happens (a warning naming the job), report it on ``/readyz`` and in the metrics
(probed from other threads: nothing on the blocked loop can answer), and be green again after.
Each blocking handler here waits on a ``threading.Event`` the test sets once it has seen all of
that: the episode lasts as long as the test needs, so nothing depends on the machine's speed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
import anyio.to_thread
import pytest
from prometheus_client import CollectorRegistry

from camunda_worker import CamundaSettings, WorkerConfig
from camunda_worker.health import HealthServer, check
from camunda_worker.metrics import PrometheusObserver
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

THRESHOLD_MS = 200
WAIT = 30.0  # seconds: generous bound of every wait for an end state


class Block:
    """A handler that blocks its event loop (synchronously) on jobs with ``block`` set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    async def handler(self, job: Any) -> dict[str, Any]:
        if job.variables.get("block"):
            self.entered.set()
            self.release.wait(WAIT)  # a blocking call in an async handler: the mistake under test
        return {"done": True}


async def quick(job: Any) -> dict[str, Any]:
    await anyio.sleep(0.001)
    return {"done": True}


def wait_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT:g} s: {what}")
        time.sleep(0.01)


def probe(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def block_warnings(log: RecordingLogger) -> list[str]:
    return [line for line in log.lines if line.startswith("WARNING:") and "event loop" in line]


def completed(camunda: EngineHarness, keys: list[str]) -> bool:
    states = {job.key: job.state for job in camunda.jobs()}
    return all(states.get(key) == "COMPLETED" for key in keys)


def test_a_handler_blocking_its_workers_loop_is_warned_about_and_reported(
    camunda_engine: EngineHarness,
) -> None:
    """``with JobWorker`` (its own loop in a thread): warning, /readyz, metrics, then green."""
    block = Block()
    log = RecordingLogger()
    registry = CollectorRegistry()
    slow_key = camunda_engine.create_job("ship-order", variables={"block": True})
    worker = camunda_engine.start_worker(
        block.handler,
        "ship-order",
        max_concurrent_jobs=1,  # a full worker: only the block itself can make it not live
        logger=log,
        observers=[PrometheusObserver(registry)],
        loop_block_threshold=THRESHOLD_MS,
    )
    labels = {"job_type": "ship-order"}
    with HealthServer([worker]) as health:
        try:
            assert block.entered.wait(WAIT), "the blocking job never ran"
            wait_until(lambda: bool(block_warnings(log)), "a warning about the blocked loop")
            # Jobs created during the block wait for it, and still complete after it.
            others = [camunda_engine.create_job("ship-order") for _ in range(3)]
            wait_until(lambda: not check([worker]).ready, "readiness reports the block")
            status, body = probe(f"{health.url}/readyz")
            live_status, _ = probe(f"{health.url}/livez")
            # Blocked for longer than the liveness bound: restart me, although every slot is full.
            wait_until(
                lambda: not check([worker], liveness_bound_seconds=0.5).live,
                "liveness reports a block longer than its bound",
            )
            not_live = check([worker], liveness_bound_seconds=0.5).reasons()
            gauge = registry.get_sample_value("camunda_worker_event_loop_blocked_seconds", labels)
        finally:
            block.release.set()
        wait_until(lambda: completed(camunda_engine, [slow_key, *others]), "every job completed")
        wait_until(lambda: check([worker]).ready, "readiness after the block")
        wait_until(
            lambda: bool(
                registry.get_sample_value(
                    "camunda_worker_event_loop_block_duration_seconds_count", labels
                )
            ),
            "the episode in the metrics",
        )
        status_after, body_after = probe(f"{health.url}/readyz")

    warnings = block_warnings(log)
    assert len([line for line in warnings if slow_key in line]) == 1, warnings
    assert "ship-order" in warnings[0]
    # Named as the culprit (its task is the loop's current one), not merely listed in flight.
    assert f"the handler of job {slow_key} (type 'ship-order')" in warnings[0], warnings
    ended = [line for line in log.lines if "event loop" in line and "blocked for" in line]
    assert any(slow_key in line and line.startswith("INFO:") for line in ended), log.lines

    assert status == 503
    assert body["ready"] is False
    assert any("event loop" in reason and slow_key in reason for reason in body["reasons"])
    assert body["workers"][0]["event_loop_blocked_seconds"] >= THRESHOLD_MS / 1000
    assert live_status == 200  # a short block is not a reason to restart the process
    assert any("event loop" in reason for reason in not_live), not_live
    assert gauge is not None
    assert gauge >= THRESHOLD_MS / 1000

    assert status_after == 200
    assert body_after["workers"][0]["event_loop_blocked_seconds"] == 0
    assert registry.get_sample_value("camunda_worker_event_loop_blocked_seconds", labels) == 0
    episodes = registry.get_sample_value(
        "camunda_worker_event_loop_block_duration_seconds_count", labels
    )
    assert episodes is not None
    assert episodes >= 1
    assert worker.state is WorkerState.POLLING
    assert worker.event_loop_block is None


AppLoop = Callable[[Callable[[], Coroutine[Any, Any, None]]], None]


@pytest.fixture(
    scope="module",
    params=[
        "asyncio",
        pytest.param(
            "uvloop",
            marks=pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build"),
        ),
    ],
)
def app_loop(request: pytest.FixtureRequest) -> AppLoop:
    """Runs a coroutine as an application would: on asyncio's own loop, or on uvloop (uvicorn's)."""
    if request.param == "asyncio":
        return lambda main: asyncio.run(main())
    import uvloop  # only this variant needs it

    # uvloop opens a process-wide pipe on its first run: once here, before any leak guard looks.
    uvloop.run(asyncio.sleep(0))
    return lambda main: uvloop.run(main())


def test_workers_in_an_applications_loop_share_one_watch(
    camunda_engine: EngineHarness, app_loop: AppLoop
) -> None:
    """``async with`` in the app's loop, two workers: one warning, both not ready, then green."""
    block = Block()
    logs = {"ship-order": RecordingLogger(), "send-invoice": RecordingLogger()}
    seen: dict[str, Any] = {}
    slow_key = camunda_engine.create_job("ship-order", variables={"block": True})
    invoices = [camunda_engine.create_job("send-invoice") for _ in range(3)]

    async def application() -> None:
        client = camunda_engine.async_client()

        def build(job_type: str, handler: Callable[[Any], Any]) -> JobWorker:
            return JobWorker(
                handler,
                WorkerConfig(job_type, job_timeout_milliseconds=30_000),
                client=client,
                logger=logs[job_type],
                settings=CamundaSettings(worker_loop_block_threshold=THRESHOLD_MS),
            )

        slow, other = build("ship-order", block.handler), build("send-invoice", quick)
        seen["workers"] = (slow, other)

        def watch_from_a_thread() -> None:
            try:
                if not block.entered.wait(WAIT):
                    return
                wait_until(
                    lambda: not any(entry.ready for entry in check([slow, other]).workers),
                    "both workers reported not ready",
                )
                with HealthServer([slow, other]) as health:
                    seen["readyz"] = probe(f"{health.url}/readyz")
                seen["blocked"] = (slow.event_loop_block, other.event_loop_block)
            finally:
                block.release.set()

        watcher = threading.Thread(target=watch_from_a_thread)
        watcher.start()
        try:
            async with slow, other:
                with anyio.fail_after(WAIT):
                    # Polled: the engine and the health checks have no event to wait on.
                    while not completed(camunda_engine, [slow_key, *invoices]):  # noqa: ASYNC110
                        await anyio.sleep(0.01)
                    while not check([slow, other]).ready:  # noqa: ASYNC110
                        await anyio.sleep(0.01)
        finally:
            block.release.set()
            await anyio.to_thread.run_sync(watcher.join, WAIT)
            await client.aclose()

    app_loop(application)

    slow, other = seen["workers"]
    status, body = seen["readyz"]
    assert status == 503
    assert [entry["ready"] for entry in body["workers"]] == [False, False]
    assert all(entry["event_loop_blocked_seconds"] > 0 for entry in body["workers"])
    assert all(block is not None for block in seen["blocked"])
    # One warning for the episode, from the worker whose handler blocked, naming its job.
    warned = {job_type: block_warnings(log) for job_type, log in logs.items()}
    assert len([line for line in warned["ship-order"] if slow_key in line]) == 1, warned
    assert not any(slow_key in line for line in warned["send-invoice"]), warned
    assert completed(camunda_engine, [slow_key, *invoices])
    assert slow.state is other.state is WorkerState.STOPPED
    assert slow.error is other.error is None


def test_a_worker_that_never_blocks_its_loop_warns_about_nothing(
    camunda_engine: EngineHarness,
) -> None:
    """The default threshold: responsive handlers, no warning, and health says 0 s blocked."""
    log = RecordingLogger()
    keys = [camunda_engine.create_job("ship-order") for _ in range(20)]
    worker = camunda_engine.start_worker(quick, "ship-order", max_concurrent_jobs=4, logger=log)
    wait_until(lambda: completed(camunda_engine, keys), "every job completed")
    entry = check([worker]).to_dict()["workers"][0]
    assert entry["event_loop_blocked_seconds"] == 0
    assert entry["ready"] is True
    assert worker.event_loop_block is None
    assert block_warnings(log) == []


def test_a_threshold_of_zero_turns_the_watch_off(camunda_engine: EngineHarness) -> None:
    """``CAMUNDA_WORKER_LOOP_BLOCK_THRESHOLD=0``: no watch, no thread, no warning."""
    block = Block()
    log = RecordingLogger()
    slow_key = camunda_engine.create_job("ship-order", variables={"block": True})
    worker = camunda_engine.start_worker(
        block.handler, "ship-order", logger=log, settings={"worker_loop_block_threshold": 0}
    )
    try:
        assert block.entered.wait(WAIT), "the blocking job never ran"
        watching = [t.name for t in threading.enumerate() if "event-loop-watch" in t.name]
        blocked = worker.event_loop_block
        ready = check([worker]).ready
    finally:
        block.release.set()
    wait_until(lambda: completed(camunda_engine, [slow_key]), "the job completed")
    assert watching == []
    assert blocked is None
    assert ready is True
    assert block_warnings(log) == []
