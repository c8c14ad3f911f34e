"""The collector's young generation while a worker owns the process (``worker/_gc.py``).

A runner that handles the process's signals (``run()``, ``run_workers``) raises the young
generation's threshold while it runs and puts it back after; one that does not own the process
(``with``, ``async with``, a worker thread) leaves it alone, and so does every runner when the
process set its own thresholds.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker
from camunda_worker.worker._gc import DEFAULT_THRESHOLDS, WORKER_YOUNG_THRESHOLD


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*DEFAULT_THRESHOLDS)
    yield
    gc.set_threshold(*before)


def _worker(
    fake: FakeAsyncClient, seen: list[tuple[int, ...]], job_type: str = "work"
) -> JobWorker:
    def handler(job: Any) -> None:
        seen.append(gc.get_threshold())

    return JobWorker(
        handler,
        WorkerConfig(job_type, job_timeout_milliseconds=60_000),
        client=fake,
        settings=CamundaSettings(),
    )


def _run_until_acknowledged(fake: FakeAsyncClient, worker: JobWorker, count: int) -> None:
    def stop_when_done() -> None:
        wait_until(lambda: fake.acknowledged() == count)
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=stop_when_done)
    helper.start()
    worker.run()
    helper.join()


def test_run_raises_the_young_generation_while_it_runs_and_puts_it_back(
    fake: FakeAsyncClient,
) -> None:
    seen: list[tuple[int, ...]] = []
    fake.add(make_job(1))
    _run_until_acknowledged(fake, _worker(fake, seen), 1)
    assert seen == [(WORKER_YOUNG_THRESHOLD, *DEFAULT_THRESHOLDS[1:])]
    assert gc.get_threshold() == DEFAULT_THRESHOLDS


def test_thresholds_the_process_chose_are_kept(fake: FakeAsyncClient) -> None:
    gc.set_threshold(2_000, 20, 5)
    seen: list[tuple[int, ...]] = []
    fake.add(make_job(1))
    _run_until_acknowledged(fake, _worker(fake, seen), 1)
    assert seen == [(2_000, 20, 5)]
    assert gc.get_threshold() == (2_000, 20, 5)


def test_a_disabled_collector_is_left_alone(fake: FakeAsyncClient) -> None:
    gc.disable()
    try:
        seen: list[tuple[int, ...]] = []
        fake.add(make_job(1))
        _run_until_acknowledged(fake, _worker(fake, seen), 1)
        assert seen == [DEFAULT_THRESHOLDS]
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_handler_that_sets_its_own_thresholds_keeps_them(fake: FakeAsyncClient) -> None:
    def handler(job: Any) -> None:
        gc.set_threshold(5_000, 10, 10)

    worker = JobWorker(
        handler,
        WorkerConfig("work", job_timeout_milliseconds=60_000),
        client=fake,
        settings=CamundaSettings(),
    )
    fake.add(make_job(1))
    _run_until_acknowledged(fake, worker, 1)
    assert gc.get_threshold() == (5_000, 10, 10)


def test_a_worker_in_a_with_block_does_not_own_the_process(fake: FakeAsyncClient) -> None:
    seen: list[tuple[int, ...]] = []
    fake.add(make_job(1))
    with _worker(fake, seen):
        wait_until(lambda: fake.acknowledged() == 1)
    assert seen == [DEFAULT_THRESHOLDS]
    assert gc.get_threshold() == DEFAULT_THRESHOLDS
