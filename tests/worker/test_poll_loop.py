"""The poll loop: exact capacity, no fixed sleep, back-off on errors, fatal errors stop the worker."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from conftest import FakeAsyncClient, await_until, make_job, wait_until

from camunda_worker import (
    AuthenticationError,
    BackpressureError,
    BadRequestError,
    ConfigurationError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from camunda_worker._client.retry import Backoff
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, WorkerState
from camunda_worker.worker._poller import is_fatal


def config(**overrides: Any) -> WorkerConfig:
    values: dict[str, Any] = {"job_type": "work", "job_timeout_milliseconds": 30_000}
    values.update(overrides)
    return WorkerConfig(**values)


def worker_for(fake: FakeAsyncClient, handler: Any, **kwargs: Any) -> JobWorker:
    kwargs.setdefault("config", config())
    kwargs.setdefault("settings", CamundaSettings())
    return JobWorker(handler, client=fake, **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_each_activation_asks_for_exactly_the_free_capacity(fake: FakeAsyncClient) -> None:
    release = threading.Event()
    asked: list[tuple[int, int]] = []

    def handler(job: Any) -> None:
        release.wait(10)

    worker = worker_for(fake, handler, config=config(max_concurrent_jobs=3))
    original = fake.activate_jobs

    async def recording(**kwargs: Any) -> Any:
        stats = worker.stats
        asked.append((kwargs["max_jobs_to_activate"], stats.free_capacity))
        return await original(**kwargs)

    fake.activate_jobs = recording  # type: ignore[method-assign]
    fake.add(make_job(1), make_job(2))
    async with worker:
        await await_until(lambda: worker.stats.in_flight == 2)
        fake.add(make_job(3), make_job(4))
        await await_until(lambda: worker.stats.in_flight == 3)
        polls_at_full_capacity = len(asked)
        release.set()
        await await_until(lambda: fake.acknowledged() == 4)
    assert asked[0] == (3, 3)
    assert all(count == free for count, free in asked)
    # While every slot was taken, the loop waited for a free slot instead of polling.
    assert asked[polls_at_full_capacity - 1][0] >= 1
    assert worker.stats.activated == 4


@pytest.mark.asyncio
async def test_a_job_whose_result_is_being_sent_frees_its_slot_for_the_next_activation(
    fake: FakeAsyncClient,
) -> None:
    answered = anyio.Event()
    original = fake.complete_job

    async def slow_completion(job_key: str, variables: Any = None) -> None:
        await answered.wait()  # the engine has not answered this completion yet
        await original(job_key, variables)

    fake.complete_job = slow_completion  # type: ignore[method-assign]
    ran: list[str] = []

    async def handler(job: Any) -> None:
        ran.append(job.job_key)

    worker = worker_for(fake, handler, config=config(max_concurrent_jobs=1))
    fake.add(make_job(1), make_job(2))
    async with worker:
        # max_concurrent_jobs is 1, yet the second job runs while the first one's
        # completion still waits for its answer: the round trip overlaps the next activation.
        await await_until(lambda: len(ran) == 2)
        assert fake.acknowledged() == 0
        assert worker.stats.in_flight == 2
        answered.set()
        await await_until(lambda: fake.acknowledged() == 2)
    assert sorted(fake.completed) == [make_job(1).job_key, make_job(2).job_key]


@pytest.mark.asyncio
async def test_results_waiting_for_their_answer_are_bounded_by_max_concurrent_jobs(
    fake: FakeAsyncClient,
) -> None:
    answered = anyio.Event()
    original = fake.complete_job

    async def stuck_completion(job_key: str, variables: Any = None) -> None:
        await answered.wait()  # an engine that does not answer completions
        await original(job_key, variables)

    fake.complete_job = stuck_completion  # type: ignore[method-assign]
    worker = worker_for(fake, lambda job: None, config=config(max_concurrent_jobs=2))
    fake.add(*(make_job(index) for index in range(10)))
    async with worker:
        # 2 results waiting are exempt, 2 more count against the 2 slots: the worker stops
        # activating with 4 jobs held, instead of piling up unsent results.
        await await_until(lambda: worker.stats.in_flight == 4)
        await await_until(lambda: worker.stats.free_capacity == 0)
        activations = len(fake.activations)
        for _ in range(20):  # many loop turns: a worker that kept activating would show it
            await await_until(lambda: True)
        assert len(fake.activations) == activations
        assert worker.stats.in_flight == 4
        answered.set()
        await await_until(lambda: fake.acknowledged() == 10)
    assert worker.stats.activated == 10


@pytest.mark.asyncio
async def test_no_activation_while_every_slot_is_taken(fake: FakeAsyncClient) -> None:
    release = threading.Event()
    worker = worker_for(fake, lambda job: release.wait(10), config=config(max_concurrent_jobs=1))
    fake.add(make_job(1))
    async with worker:
        await await_until(lambda: worker.stats.in_flight == 1)
        count = len(fake.activations)
        for _ in range(20):  # many loop turns: a busy loop would poll again
            await await_until(lambda: True)
        assert len(fake.activations) == count
        release.set()
        await await_until(lambda: fake.acknowledged() == 1)
        await await_until(lambda: len(fake.activations) > count)  # polls again at once


@pytest.mark.parametrize(
    "error",
    [
        ConnectError("refused"),
        TransportError("reset"),
        BackpressureError(503, "RESOURCE_EXHAUSTED"),
        ServerError(502, "ABORTED"),
        BackpressureError(429),
    ],
)
def test_transport_errors_and_backpressure_back_off_then_the_worker_recovers(
    fake: FakeAsyncClient, error: Exception
) -> None:
    states: list[WorkerState] = []
    fake.activation_errors.extend([error, error, error])
    worker = worker_for(fake, lambda job: {"ok": True})
    original = fake.activate_jobs

    async def recording(**kwargs: Any) -> Any:
        states.append(worker.state)
        return await original(**kwargs)

    fake.activate_jobs = recording  # type: ignore[method-assign]
    fake.add(make_job(1))
    with worker:
        wait_until(lambda: fake.acknowledged() == 1)
        assert worker.last_successful_poll is not None
    assert WorkerState.BACKING_OFF in states
    assert worker.error is None
    assert worker.state is WorkerState.STOPPED
    assert fake.completed == {"1": {"ok": True}}


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_loop_goes_on(
    fake: FakeAsyncClient,
) -> None:
    records: list[str] = []

    class Log:
        def debug(self, message: str, *args: Any, **kwargs: Any) -> None: ...
        def info(self, message: str, *args: Any, **kwargs: Any) -> None: ...
        def warning(self, message: str, *args: Any, **kwargs: Any) -> None: ...
        def error(self, message: str, *args: Any, **kwargs: Any) -> None:
            records.append(message)

        def exception(self, message: str, *args: Any, **kwargs: Any) -> None:
            records.append(message)

    fake.activation_errors.append(ZeroDivisionError("a bug somewhere"))
    fake.add(make_job(1))
    with worker_for(fake, lambda job: None, logger=Log()):
        wait_until(lambda: fake.acknowledged() == 1)
    assert any(
        "unexpected error while activating jobs" in r and "ZeroDivisionError" in r for r in records
    )


@pytest.mark.parametrize(
    "error",
    [
        UnauthorizedError(401, "UNAUTHORIZED"),
        ForbiddenError(403, "FORBIDDEN"),
        BadRequestError(400, "INVALID_ARGUMENT", "type must not be empty"),
        NotFoundError(404),
        AuthenticationError("the token endpoint refused the client credentials"),
        ConfigurationError("bad", variable="CAMUNDA_REST_ADDRESS"),
    ],
)
def test_errors_retrying_cannot_fix_stop_the_worker_with_a_clear_error(
    fake: FakeAsyncClient, error: Exception
) -> None:
    fake.activation_errors.append(error)
    worker = worker_for(fake, lambda job: None)
    with worker:
        wait_until(lambda: worker.state is WorkerState.FAILED)
    assert worker.error is error
    assert len(fake.activations) == 1  # not retried forever


def test_run_raises_the_error_that_stopped_the_worker(fake: FakeAsyncClient) -> None:
    fake.activation_errors.append(UnauthorizedError(401, "UNAUTHORIZED", "token refused"))
    worker = worker_for(fake, lambda job: None)
    with pytest.raises(UnauthorizedError, match="token refused"):
        worker.run()
    assert worker.state is WorkerState.FAILED


def test_a_fatal_error_still_lets_in_flight_jobs_finish(fake: FakeAsyncClient) -> None:
    started = threading.Event()
    release = threading.Event()

    def handler(job: Any) -> dict[str, Any]:
        started.set()
        release.wait(10)
        return {"finished": True}

    worker = worker_for(fake, handler)
    fake.add(make_job(1))
    original = fake.activate_jobs

    async def failing_later(**kwargs: Any) -> Any:
        if started.is_set():
            release.set()
            raise UnauthorizedError(401)
        return await original(**kwargs)

    fake.activate_jobs = failing_later  # type: ignore[method-assign]
    with worker:
        wait_until(lambda: worker.state is WorkerState.FAILED)
    assert fake.completed == {"1": {"finished": True}}


@pytest.mark.parametrize(
    ("error", "fatal"),
    [
        (ServerError(500, "INTERNAL"), False),
        (BackpressureError(500, "INTERNAL", "RESOURCE_EXHAUSTED"), False),
        (BackpressureError(429), False),
        (ConnectError("x"), False),
        (ValueError("x"), False),
        (UnauthorizedError(401), True),
        (ConfigurationError("x"), True),
    ],
)
def test_which_errors_are_fatal(error: Exception, fatal: bool) -> None:
    assert is_fatal(error) is fatal


def test_state_and_last_successful_poll_are_visible(fake: FakeAsyncClient) -> None:
    worker = worker_for(fake, lambda job: None)
    assert worker.state is WorkerState.CREATED
    assert worker.last_successful_poll is None
    with worker:
        wait_until(lambda: worker.last_successful_poll is not None)
        assert worker.state is WorkerState.POLLING
    assert worker.state is WorkerState.STOPPED


def test_the_activation_carries_the_resolved_configuration(fake: FakeAsyncClient) -> None:
    cfg = config(
        worker_name="billing-1",
        request_timeout_milliseconds=2000,
        fetch_variables=["a", "b"],
        tenant_ids=["t1"],
        max_concurrent_jobs=4,
        job_timeout_milliseconds=12_345,
    )
    with worker_for(fake, lambda job: None, config=cfg):
        wait_until(lambda: len(fake.activations) >= 1)
    first = fake.activations[0]
    assert first == {
        "max_jobs_to_activate": 4,
        "job_type": "work",
        "timeout": 12_345,
        "worker": "billing-1",
        "fetch_variable": ("a", "b"),
        "tenant_ids": ("t1",),
    }


@pytest.mark.asyncio
async def test_startup_jitter_delays_the_first_activation_randomly(
    fake: FakeAsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return 0.0

    monkeypatch.setattr("camunda_worker.worker._poller.random.uniform", uniform)
    async with worker_for(fake, lambda job: None, startup_jitter_max_seconds=2.5):
        await await_until(lambda: len(fake.activations) >= 1)
    assert drawn == [(0, 2.5)]


def test_the_back_off_counts_failed_activations_and_resets_after_a_success(
    fake: FakeAsyncClient,
) -> None:
    fake.activation_errors.extend([ConnectError("x")] * 4)
    worker = worker_for(fake, lambda job: None)
    seen: list[int] = []

    class Recording(Backoff):
        def reset(self) -> None:
            seen.append(self.attempts)
            super().reset()

    backoff = worker._poll_backoff = Recording(initial=0.1, maximum=10.0)
    fake.add(make_job(1))
    with worker:
        wait_until(lambda: fake.acknowledged() == 1)
    assert seen[0] == 4  # four delays, growing (see test_retry), then a success resets
    assert backoff.attempts == 0
