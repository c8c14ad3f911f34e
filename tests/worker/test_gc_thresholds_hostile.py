"""The collector's thresholds while a runner owns the process, in hostile cases: the run ending
by a fatal error, an abandoned drain or a KeyboardInterrupt, a group that cannot start, a
non-main thread, a handler that disables the collector (``worker/_gc.py``, ``serve_group``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import FakeAsyncClient, fake_worker, make_job, wait_until

from camunda_worker._base.errors import UnauthorizedError
from camunda_worker.worker import JobWorker, run_workers, serve_workers
from camunda_worker.worker._gc import DEFAULT_THRESHOLDS, WORKER_YOUNG_THRESHOLD

RAISED = (WORKER_YOUNG_THRESHOLD, *DEFAULT_THRESHOLDS[1:])
LIMIT = 30.0  # seconds: every wait is bounded by this


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    enabled = gc.isenabled()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    gc.enable()
    yield
    gc.set_threshold(*before)
    if not enabled:  # pragma: no cover - pytest runs with the collector on
        gc.disable()


class _Watchdog:
    """Stops the workers if a run in the main thread outlives ``LIMIT`` (never a signal)."""

    def __init__(self, *workers: JobWorker) -> None:
        self._workers = workers
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        if not self._done.wait(LIMIT):
            for worker in self._workers:
                worker.stop()

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(LIMIT)


def _sigterm_when(condition: Callable[[], bool], times: int = 1) -> threading.Thread:
    def send() -> None:
        wait_until(condition, timeout=LIMIT)
        for _ in range(times):
            os.kill(os.getpid(), signal.SIGTERM)
            threading.Event().wait(0.05)

    helper = threading.Thread(target=send, daemon=True)
    helper.start()
    return helper


def test_a_fatal_activation_error_puts_the_thresholds_back(fake: FakeAsyncClient) -> None:
    seen: list[tuple[int, ...]] = []

    def handler(job: Any) -> None:
        seen.append(gc.get_threshold())
        fake.activation_errors.append(UnauthorizedError(401, "UNAUTHORIZED", "token refused"))

    fake.add(make_job(1))
    worker = fake_worker(fake, handler)
    with _Watchdog(worker), pytest.raises(UnauthorizedError):
        worker.run()
    assert seen == [RAISED]  # it did own the process while running
    assert gc.get_threshold() == DEFAULT_THRESHOLDS
    assert gc.isenabled()


def test_a_second_signal_abandoning_the_drain_puts_the_thresholds_back(
    fake: FakeAsyncClient,
) -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[tuple[int, ...]] = []

    def handler(job: Any) -> None:
        seen.append(gc.get_threshold())
        started.set()
        release.wait(LIMIT)

    fake.add(make_job(1))
    worker = fake_worker(fake, handler, execution_strategy="thread", drain_timeout=60.0)
    try:
        with _Watchdog(worker):
            helper = _sigterm_when(started.is_set, times=2)
            worker.run()
            helper.join(LIMIT)
        assert worker.stats.abandoned == 1  # the drain was abandoned, not waited for
        assert seen == [RAISED]
        assert gc.get_threshold() == DEFAULT_THRESHOLDS
    finally:
        release.set()


def test_a_keyboard_interrupt_out_of_a_handler_puts_the_thresholds_back(
    fake: FakeAsyncClient,
) -> None:
    seen: list[tuple[int, ...]] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    async def handler(job: Any) -> None:
        # A handler's own KeyboardInterrupt fails its job; one out of a loop callback (as
        # Ctrl-C in code that is not the worker's) ends the event loop itself.
        seen.append(gc.get_threshold())
        asyncio.get_running_loop().call_soon(interrupt)

    fake.add(make_job(1))
    worker = fake_worker(fake, handler, execution_strategy="async")
    with _Watchdog(worker), pytest.raises(KeyboardInterrupt):
        worker.run()
    assert seen == [RAISED]
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


def test_serve_workers_handling_signals_off_the_main_thread_leaves_the_thresholds(
    fake: FakeAsyncClient,
) -> None:
    seen: list[tuple[int, ...]] = []
    errors: list[BaseException] = []
    worker = fake_worker(fake, lambda job: seen.append(gc.get_threshold()))

    def serve() -> None:
        try:
            asyncio.run(serve_workers(worker, handle_signals=True))
        except BaseException as error:
            errors.append(error)

    fake.add(make_job(1), make_job(2))
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        wait_until(lambda: fake.acknowledged() == 2, timeout=LIMIT)
        assert gc.get_threshold() == DEFAULT_THRESHOLDS  # while it still runs
    finally:
        worker.stop()
        thread.join(LIMIT)
    assert not thread.is_alive()
    assert errors == []
    assert seen == [DEFAULT_THRESHOLDS, DEFAULT_THRESHOLDS]
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


def test_two_runs_one_after_another_each_raise_and_put_back(fake: FakeAsyncClient) -> None:
    for round_ in (1, 2):
        seen: list[tuple[int, ...]] = []
        fake.add(make_job(round_))
        worker = fake_worker(fake, lambda job, seen=seen: seen.append(gc.get_threshold()))
        with _Watchdog(worker):
            helper = _sigterm_when(lambda round_=round_: fake.acknowledged() == round_)
            worker.run()
            helper.join(LIMIT)
        assert seen == [RAISED], round_
        assert gc.get_threshold() == DEFAULT_THRESHOLDS, round_


def test_run_workers_twice_with_the_same_workers_changes_nothing_the_second_time(
    fake: FakeAsyncClient,
) -> None:
    fake.add(make_job(1))
    worker = fake_worker(fake, lambda job: None)
    with _Watchdog(worker):
        helper = _sigterm_when(lambda: fake.acknowledged() == 1)
        run_workers(worker)
        helper.join(LIMIT)
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    with pytest.raises(RuntimeError):
        run_workers(worker)  # stopped: cannot be started again
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


def test_a_worker_that_cannot_start_leaves_the_thresholds(fake: FakeAsyncClient) -> None:
    other = FakeAsyncClient()
    started = fake_worker(other, lambda job: None, job_type="started")
    fresh = fake_worker(fake, lambda job: None)
    with started:
        with pytest.raises(RuntimeError):
            run_workers(started)
        assert gc.get_threshold() == DEFAULT_THRESHOLDS
        with pytest.raises(RuntimeError):
            run_workers(fresh, started)  # the second one refuses after the first was claimed
        assert gc.get_threshold() == DEFAULT_THRESHOLDS
    fresh.close()
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


def test_a_handler_that_disables_the_collector_keeps_it_disabled(fake: FakeAsyncClient) -> None:
    def handler(job: Any) -> None:
        gc.disable()

    fake.add(make_job(1))
    worker = fake_worker(fake, handler)
    try:
        with _Watchdog(worker):
            helper = _sigterm_when(lambda: fake.acknowledged() == 1)
            worker.run()
            helper.join(LIMIT)
        assert not gc.isenabled()  # its choice stands
        assert gc.get_threshold() == DEFAULT_THRESHOLDS  # and the young generation is back
    finally:
        gc.enable()
