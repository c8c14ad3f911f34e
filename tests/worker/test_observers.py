"""The observer seam: what a WorkerObserver is told, and that a broken one cannot break a worker."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker import BackpressureError, ConnectError, NotFoundError
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobError, JobWorker, WorkerObserver


class Recorder(WorkerObserver):
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def worker_started(self, worker: JobWorker) -> None:
        self.events.append(("started", worker.job_type))

    def worker_stopped(self, worker: JobWorker) -> None:
        self.events.append(("stopped", worker.job_type))

    def activation_finished(
        self, job_type: str, *, duration: float, jobs: int, error: BaseException | None
    ) -> None:
        assert duration >= 0
        self.events.append(("activation", jobs, type(error).__name__ if error else None))

    def backing_off(self, job_type: str, *, delay: float, error: BaseException) -> None:
        self.events.append(("backing off", type(error).__name__))

    def job_finished(self, job_type: str, *, outcome: Any, duration: float) -> None:
        assert duration >= 0
        self.events.append(("finished", outcome))

    def job_acknowledged(self, job_type: str, *, outcome: Any, result: Any) -> None:
        self.events.append(("acknowledged", outcome, result))

    def acknowledgement_retried(self, job_type: str, *, outcome: Any, error: BaseException) -> None:
        self.events.append(("retried", outcome, type(error).__name__))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [event for event in self.events if event[0] == kind]


def handler(job: Any) -> dict[str, Any]:
    what = job.variables["what"]
    if what == "error":
        raise JobError("NO_STOCK")
    if what == "fail":
        raise RuntimeError("down")
    if what == "self":
        job.client.complete_job(job.job_key)
        return {}
    return {"ok": True}


def build(fake: FakeAsyncClient, *observers: WorkerObserver, **kwargs: Any) -> JobWorker:
    return JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        observers=observers,
        **kwargs,
    )


def test_an_observer_is_told_every_activation_outcome_and_acknowledgement(
    fake: FakeAsyncClient,
) -> None:
    recorder = Recorder()
    fake.activation_errors.append(ConnectError("connection refused"))
    fake.ack_errors["complete"].append(BackpressureError(503, "RESOURCE_EXHAUSTED"))
    fake.ack_errors["fail"].append(NotFoundError(404, "NOT_FOUND"))
    fake.add(
        make_job(1, what="ok"),
        make_job(2, what="error"),
        make_job(3, what="fail"),
    )
    worker = build(fake, recorder)
    with worker:
        wait_until(lambda: len(recorder.of("acknowledged")) == 3)
    assert recorder.events[0] == ("started", "work")
    assert recorder.events[-1] == ("stopped", "work")
    assert recorder.of("activation")[0] == ("activation", 0, "ConnectError")
    assert recorder.of("backing off") == [("backing off", "ConnectError")]
    assert sum(event[1] for event in recorder.of("activation")) == 3
    assert sorted(event[1] for event in recorder.of("finished")) == [
        "bpmn_error",
        "completed",
        "failed",
    ]
    assert recorder.of("retried") == [("retried", "completed", "BackpressureError")]
    assert sorted(recorder.of("acknowledged")) == [
        ("acknowledged", "bpmn_error", "sent"),
        ("acknowledged", "completed", "sent"),
        ("acknowledged", "failed", "rejected"),
    ]


class Broken(WorkerObserver):
    def __init__(self) -> None:
        self.calls = 0

    def job_finished(self, job_type: str, *, outcome: Any, duration: float) -> None:
        self.calls += 1
        raise RuntimeError("observer bug")

    def activation_finished(self, job_type: str, **kwargs: Any) -> None:
        self.calls += 1
        raise RuntimeError("observer bug")


class ListLogger:
    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def bind(self, **context: Any) -> ListLogger:
        return self

    def debug(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.records.append(("debug", message))

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.records.append(("info", message))

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.records.append(("warning", message))

    def error(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.records.append(("error", message))

    def exception(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.records.append(("exception", message))


def test_an_observer_that_raises_is_logged_once_and_the_jobs_still_complete(
    fake: FakeAsyncClient,
) -> None:
    broken, recorder, log = Broken(), Recorder(), ListLogger()
    fake.add(make_job(1, what="ok"), make_job(2, what="ok"))
    worker = build(fake, broken, recorder, logger=log)
    with worker:
        wait_until(lambda: worker.stats.completed == 2)
    assert sorted(fake.completed) == ["1", "2"]
    assert broken.calls >= 3
    assert len(recorder.of("finished")) == 2  # observers after the broken one still hear
    complaints = [message for level, message in log.records if "observer" in message]
    assert len(complaints) == 1
    assert "raised in" in complaints[0]


def test_jobs_the_handler_acknowledged_itself_are_reported_as_such(
    fake: FakeAsyncClient,
) -> None:
    from conftest import FakeSyncClient

    recorder = Recorder()
    fake.add(make_job(1, what="self"))
    worker = build(fake, recorder, execution_strategy="thread", sync_client=FakeSyncClient())
    with worker:
        wait_until(lambda: worker.stats.acknowledged_by_handler == 1)
    assert recorder.of("finished") == [("finished", "acknowledged_by_handler")]
    assert recorder.of("acknowledged") == []


def test_one_observer_instead_of_a_list_is_a_clear_error(fake: FakeAsyncClient) -> None:
    with pytest.raises(TypeError, match=r"pass observers=\[observer\]"):
        JobWorker(
            handler,
            WorkerConfig(job_type="work", job_timeout_milliseconds=30_000),
            client=fake,  # type: ignore[arg-type]
            settings=CamundaSettings(),
            observers=Recorder(),  # type: ignore[arg-type]
        )
