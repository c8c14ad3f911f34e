"""Handlers running past their job's deadline: warned about once, counted while they run, and a
worker whose every slot is taken by one is not ready; the job itself goes on (the engine gives
it to another worker, whose completion wins; the late one is rejected)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import handlers
import pytest
from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.health import check
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker
from camunda_worker.worker._capacity import Capacity
from camunda_worker.worker._deadline import JobDeadline

OVERDUE = "past the job's deadline"


def _warnings(log: RecordingLogger) -> list[str]:
    return [line for line in log.lines if OVERDUE in line]


@pytest.mark.parametrize("strategy", ["thread", "process"])
def test_a_handler_hung_past_its_deadline_is_reported_while_another_worker_does_the_job(
    engine: Any, client: Any, tmp_path: Path, strategy: str
) -> None:
    release = tmp_path / "release"
    job = engine.create_job(
        "work", variables={"started": str(tmp_path / "started"), "release": str(release)}
    )
    log = RecordingLogger()
    hung = JobWorker(
        handlers.wait_for_release,
        WorkerConfig(job_type="work", job_timeout_milliseconds=1000, max_concurrent_jobs=1),
        client=client,
        settings=CamundaSettings(),
        execution_strategy=strategy,
        logger=log,
    )
    with hung:
        wait_until(lambda: hung.stats.overdue_handlers == 1, timeout=30)
        (entry,) = check([hung]).workers
        assert (entry.live, entry.ready, entry.overdue_handlers) == (True, False, 1)
        assert "all 1 handler(s) that can run at once are running past their job's" in str(
            entry.reason
        )
        (warning,) = _warnings(log)
        assert f"the handler of job {job} is still running" in warning
        assert "job timeout 1000 ms" in warning
        assert "auto_extend_timeout" in warning  # what to do about it

        other = JobWorker(
            handlers.complete,
            WorkerConfig(job_type="work", job_timeout_milliseconds=30_000),
            client=client,
            settings=CamundaSettings(),
        )
        with other:  # the engine gave the job back after its deadline
            wait_until(lambda: other.stats.completed == 1, timeout=30)

        release.touch()
        wait_until(lambda: hung.stats.in_flight == 0, timeout=30)
        assert hung.stats.overdue_handlers == 0
        assert hung.stats.rejected == 1  # its late completion found the job done
        assert check([hung]).ready
    (record,) = engine.jobs(job_type="work")
    assert record.state == "COMPLETED"
    assert record.variables.get("done") is True  # the other worker's result
    assert len(_warnings(log)) == 1  # one warning per job, however long it hung


def test_an_async_handler_past_its_deadline_is_counted_until_it_returns(
    fake: FakeAsyncClient,
) -> None:
    import asyncio

    go = threading.Event()

    async def hold(job: Any) -> dict[str, Any]:
        while not go.is_set():  # noqa: ASYNC110 - an event set by the test thread
            await asyncio.sleep(0.01)
        return {"late": True}

    log = RecordingLogger()
    worker = JobWorker(
        hold,
        WorkerConfig(job_type="work", job_timeout_milliseconds=1000, max_concurrent_jobs=2),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        logger=log,
    )
    fake.add(make_job(1))
    with worker:
        wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
        assert check([worker]).ready  # one of two slots: it still activates
        go.set()
        wait_until(lambda: worker.stats.completed == 1, timeout=30)
        assert worker.stats.overdue_handlers == 0
    assert fake.completed == {"1": {"late": True}}  # sent: Camunda takes it unless given away
    assert len(_warnings(log)) == 1


def test_a_handler_whose_deadline_is_extended_is_not_overdue(fake: FakeAsyncClient) -> None:
    seen: list[int] = []

    def slow(job: Any) -> dict[str, Any]:
        time.sleep(2.5)  # past 900 ms twice over; extended at about 0.6 s, 1.2 s, 1.8 s...
        return {"done": True}

    log = RecordingLogger()
    worker = JobWorker(
        slow,
        WorkerConfig(job_type="work", job_timeout_milliseconds=900),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        auto_extend_timeout=True,
        logger=log,
    )
    fake.add(make_job(1))
    with worker:
        wait_until(
            lambda: seen.append(worker.stats.overdue_handlers) or worker.stats.completed == 1
        )
    assert len(fake.updates) >= 2  # it was extended
    assert set(seen) == {0}
    assert _warnings(log) == []


# -- the slots' bookkeeping ------------------------------------------------------------------------


def _slot(capacity: Capacity, key: int, *, stage: str, late: float) -> Any:
    slot = capacity.take(make_job(key))
    slot.stage = stage
    slot.deadline = JobDeadline(time.monotonic() - late)
    return slot


def test_only_running_handlers_past_their_deadline_are_marked_and_each_once() -> None:
    capacity = Capacity(4)
    running = _slot(capacity, 1, stage="running", late=1.0)
    _slot(capacity, 2, stage="running", late=-60.0)  # deadline ahead
    _slot(capacity, 3, stage="queued", late=1.0)  # never started: expired when it would start
    capacity.take(make_job(4)).stage = "running"  # no deadline known yet
    now = time.monotonic()
    assert capacity.mark_overdue(now) == [running]
    assert capacity.mark_overdue(now) == []  # marked once
    assert capacity.overdue == 1


def test_an_overdue_slot_stops_counting_when_its_handler_returns_and_not_twice() -> None:
    capacity = Capacity(4)
    acknowledged = _slot(capacity, 1, stage="running", late=1.0)
    released = _slot(capacity, 2, stage="running", late=1.0)
    capacity.mark_overdue(time.monotonic())
    assert capacity.overdue == 2
    acknowledged.acknowledging()  # the handler returned; its late completion is being sent
    assert capacity.overdue == 1
    acknowledged.release()
    released.release()
    released.release()
    assert capacity.overdue == 0
    assert capacity.mark_overdue(time.monotonic()) == []  # given back: never marked again
