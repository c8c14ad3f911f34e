"""Life cycle: with / async with / run(), drain, drain timeout, close from anywhere, no reuse."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any

import anyio
import pytest
from conftest import FakeAsyncClient, FakeSyncClient, await_until, make_job, wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, WorkerState, run_workers


def build(fake: FakeAsyncClient, handler: Any, job_type: str = "work", **kwargs: Any) -> JobWorker:
    kwargs.setdefault("settings", CamundaSettings())
    return JobWorker(
        handler,
        WorkerConfig(job_type=job_type, job_timeout_milliseconds=30_000),
        client=fake,  # type: ignore[arg-type]
        **kwargs,
    )


class Records:
    """A logger that keeps what it was given (any object with the four methods is accepted)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def debug(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("debug", message))

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("info", message))

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("warning", message))

    def error(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("error", message))


def test_leaving_the_with_block_drains_in_flight_jobs_and_sends_their_results(
    fake: FakeAsyncClient,
) -> None:
    started = threading.Event()

    def handler(job: Any) -> dict[str, Any]:
        started.set()
        time.sleep(0.3)
        return {"finished": True}

    fake.add(make_job(1))
    worker = build(fake, handler)
    with worker:
        started.wait(10)
    # close() returned only after the job finished and its completion was sent
    assert fake.completed == {"1": {"finished": True}}
    assert worker.state is WorkerState.STOPPED
    assert worker.stats.in_flight == 0


@pytest.mark.asyncio
async def test_async_with_drains_in_flight_async_jobs(fake: FakeAsyncClient) -> None:
    started = asyncio.Event()

    async def handler(job: Any) -> dict[str, Any]:
        started.set()
        await asyncio.sleep(0.2)
        return {"finished": True}

    fake.add(make_job(1))
    async with build(fake, handler) as worker:
        await asyncio.wait_for(started.wait(), 10)
        assert worker.state is WorkerState.POLLING
    assert fake.completed == {"1": {"finished": True}}
    assert worker.state is WorkerState.STOPPED


def test_no_activation_after_stop(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    worker.start()
    wait_until(lambda: len(fake.activations) >= 1)
    worker.stop()
    wait_until(lambda: worker.state is WorkerState.STOPPED)
    count = len(fake.activations)
    fake.add(make_job(1))
    worker.close()
    assert len(fake.activations) == count
    assert fake.ack_attempts == []


def test_the_drain_timeout_abandons_and_reports_jobs_still_running(fake: FakeAsyncClient) -> None:
    release = threading.Event()
    log = Records()

    def handler(job: Any) -> dict[str, Any]:
        release.wait(10)
        return {"late": True}

    fake.add(make_job(1), make_job(2))
    worker = build(fake, handler, drain_timeout=0.2, logger=log)
    with worker:
        wait_until(lambda: worker.stats.in_flight == 2)
    warnings = [message for level, message in log.lines if level == "warning"]
    assert any("drain timeout" in m and "1 (running" in m and "2 (running" in m for m in warnings)
    assert worker.state is WorkerState.STOPPED
    assert worker.stats.abandoned == 2
    # The threads cannot be stopped: they still hold their slots until they really end.
    assert worker.stats.in_flight == 2
    release.set()
    assert fake.completed == {}  # abandoned: the jobs will time out and be activated again


@pytest.mark.asyncio
async def test_the_drain_timeout_cancels_async_handlers(fake: FakeAsyncClient) -> None:
    cancelled = asyncio.Event()

    async def handler(job: Any) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    fake.add(make_job(1))
    async with build(fake, handler, drain_timeout=0.1) as worker:
        await await_until(lambda: worker.stats.in_flight == 1)
    assert cancelled.is_set()
    assert worker.stats.in_flight == 0
    assert worker.stats.abandoned == 1
    assert fake.ack_attempts == []


@pytest.mark.asyncio
async def test_an_abandoned_handler_that_swallows_a_cancel_is_cancelled_again(
    fake: FakeAsyncClient,
) -> None:
    swallowed = asyncio.Event()

    async def handler(job: Any) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            swallowed.set()  # and carry on, as a careless handler does
        await asyncio.sleep(30)

    fake.add(make_job(1))
    with anyio.fail_after(20):
        async with build(fake, handler, drain_timeout=0.1) as worker:
            await await_until(lambda: worker.stats.in_flight == 1)
    assert swallowed.is_set()
    assert worker.stats.in_flight == 0
    assert worker.stats.abandoned == 1
    assert fake.ack_attempts == []


def test_close_is_idempotent_and_safe_from_many_threads(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    worker.start()
    wait_until(lambda: len(fake.activations) >= 1)
    threads = [threading.Thread(target=worker.close) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    worker.close()
    assert worker.state is WorkerState.STOPPED
    assert not any(t.name == "camunda-worker[work]" for t in threading.enumerate())


def test_close_from_a_handler_thread_does_not_deadlock(fake: FakeAsyncClient) -> None:
    holder: list[JobWorker] = []

    def handler(job: Any) -> dict[str, Any]:
        holder[0].close()  # from a pool thread: starts the shutdown, does not wait for itself
        return {"closed_from_handler": True}

    worker = build(fake, handler)
    holder.append(worker)
    fake.add(make_job(1))
    worker.start()
    wait_until(lambda: worker.state is WorkerState.STOPPED)
    assert fake.completed == {"1": {"closed_from_handler": True}}
    worker.close()


@pytest.mark.asyncio
async def test_aclose_from_an_async_handler_does_not_deadlock(fake: FakeAsyncClient) -> None:
    holder: list[JobWorker] = []

    async def handler(job: Any) -> dict[str, Any]:
        await holder[0].aclose()
        return {"ok": True}

    worker = build(fake, handler)
    holder.append(worker)
    fake.add(make_job(1))
    async with worker:
        await await_until(lambda: worker.state is WorkerState.STOPPED)
    assert fake.completed == {"1": {"ok": True}}


@pytest.mark.asyncio
async def test_aclose_never_blocks_the_event_loop(fake: FakeAsyncClient) -> None:
    release = threading.Event()
    ticks = 0

    async def ticker() -> None:
        # Runs only if the loop is free while aclose() waits; the drain waits for `release`.
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 5:
                release.set()
            await asyncio.sleep(0.01)

    fake.add(make_job(1))
    worker = build(fake, lambda job: release.wait(10), drain_timeout=5)
    worker.start()  # its own thread and loop; we close it from this loop
    wait_until(lambda: worker.stats.in_flight == 1)
    task = asyncio.create_task(ticker())
    await worker.aclose()
    task.cancel()
    assert release.is_set()  # the loop kept running while aclose() waited for the drain
    assert fake.acknowledged() == 1


def test_a_closed_worker_cannot_be_reused(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    with worker:
        pass
    for attempt in (worker.start, worker.run, worker.__enter__):
        with pytest.raises(RuntimeError, match="closed and cannot be reused"):
            attempt()


@pytest.mark.asyncio
async def test_a_closed_worker_cannot_be_reused_async(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    await worker.aclose()
    assert worker.state is WorkerState.STOPPED
    with pytest.raises(RuntimeError, match="closed"):
        async with worker:
            pass


def test_a_worker_cannot_be_started_twice(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    with worker, pytest.raises(RuntimeError, match="already started"):
        worker.start()


def test_closing_a_worker_that_never_started_leaves_nothing_behind(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    worker.close()
    assert worker.state is WorkerState.STOPPED
    assert fake.activations == []


def test_run_blocks_and_drains_on_sigterm(fake: FakeAsyncClient) -> None:
    started = threading.Event()

    def handler(job: Any) -> dict[str, Any]:
        started.set()
        time.sleep(0.2)
        return {"drained": True}

    def send_signal() -> None:
        started.wait(10)
        os.kill(os.getpid(), signal.SIGTERM)

    fake.add(make_job(1))
    worker = build(fake, handler)
    killer = threading.Thread(target=send_signal)
    killer.start()
    worker.run()  # returns once drained
    killer.join()
    assert fake.completed == {"1": {"drained": True}}
    assert worker.state is WorkerState.STOPPED
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM)
    )


def test_a_second_signal_abandons_the_drain(fake: FakeAsyncClient) -> None:
    started = threading.Event()
    release = threading.Event()

    def handler(job: Any) -> None:
        started.set()
        release.wait(10)

    def send_signals() -> None:
        started.wait(10)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGINT)

    fake.add(make_job(1))
    log = Records()
    worker = build(fake, handler, drain_timeout=60, logger=log)
    killer = threading.Thread(target=send_signals)
    killer.start()
    worker.run()  # would wait 60 s for the handler without the second signal
    killer.join()
    release.set()
    assert fake.completed == {}
    assert worker.stats.abandoned == 1
    warnings = [message for level, message in log.lines if level == "warning"]
    assert any("drain was abandoned" in m and "1 (running" in m for m in warnings), warnings


def test_several_workers_share_one_client_and_run_together(fake: FakeAsyncClient) -> None:
    fake.add(make_job(1, job_type="a"), make_job(2, job_type="b"))

    def stop_all_when_done() -> None:
        wait_until(lambda: fake.acknowledged() == 2)
        os.kill(os.getpid(), signal.SIGINT)

    async def async_handler(job: Any) -> dict[str, Any]:
        return {"by": "async"}

    first = build(fake, lambda job: {"by": "thread"}, job_type="a")
    second = build(fake, async_handler, job_type="b")
    helper = threading.Thread(target=stop_all_when_done)
    helper.start()
    run_workers(first, second)
    helper.join()
    assert fake.acknowledged() == 2
    assert first.state is second.state is WorkerState.STOPPED


def test_thread_handlers_get_the_injected_sync_client_which_the_worker_does_not_close(
    fake: FakeAsyncClient,
) -> None:
    sync = FakeSyncClient()

    def handler(job: Any) -> None:
        job.client.complete_job(job.job_key, {"via": "sync client"})

    fake.add(make_job(1))
    worker = build(fake, handler, sync_client=sync)
    with worker:
        wait_until(lambda: worker.stats.acknowledged_by_handler == 1)
    assert sync.completed == {"1": {"via": "sync client"}}
    assert fake.ack_attempts == []
    assert not sync.closed
    assert not fake.closed  # an injected client belongs to the caller


def test_repr_names_job_type_strategy_and_state(fake: FakeAsyncClient) -> None:
    worker = build(fake, lambda job: None)
    assert repr(worker) == "<JobWorker job_type='work' strategy=thread state=created>"


def test_a_group_that_cannot_start_leaves_its_other_workers_as_they_were(
    fake: FakeAsyncClient,
) -> None:
    # run_workers(fresh, started): ``started`` refuses, so the group never runs. ``fresh`` had
    # been marked started already: it stayed STARTING, could never be run, and close() waited
    # a minute for a run that never began.
    other = FakeAsyncClient()
    started = build(other, lambda job: None, job_type="started")
    fresh = build(fake, lambda job: {"ran": True})
    with started:
        with pytest.raises(RuntimeError, match="already started"):
            run_workers(fresh, started)
        with pytest.raises(RuntimeError, match="already started"):
            run_workers(fresh, fresh)  # the same worker twice: refused the same way
    assert fresh.state is WorkerState.CREATED
    fake.add(make_job(1))
    with fresh:  # it can still be started
        wait_until(lambda: fake.acknowledged() == 1)
    assert fake.completed == {"1": {"ran": True}}
    assert fresh.state is WorkerState.STOPPED
