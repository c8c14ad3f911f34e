"""Acknowledgements: retried until the deadline, 404/409 logged, a success never turned into a
failure unless the server refuses it as it is (400, 413) or it cannot be encoded."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker import (
    BackpressureError,
    BadRequestError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    ProblemError,
    ServerError,
)
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobError, JobFailure, JobWorker, _invoke
from camunda_worker.worker._outcomes import Completion


def run_one(
    fake: FakeAsyncClient, handler: Any, *, timeout_ms: int = 30_000, **kwargs: Any
) -> JobWorker:
    worker = JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=timeout_ms),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        **kwargs,
    )
    fake.add(make_job(1))
    with worker:
        wait_until(lambda: worker.stats.activated == 1 and worker.stats.in_flight == 0)
    return worker


@pytest.mark.parametrize(
    "error",
    [
        BackpressureError(503, "RESOURCE_EXHAUSTED"),
        BackpressureError(429),
        ServerError(500, "INTERNAL"),
        ServerError(502),
        ConnectError("connection refused"),
    ],
)
def test_a_completion_is_retried_on_transport_errors_503_429_and_5xx(
    fake: FakeAsyncClient, error: Exception
) -> None:
    fake.ack_errors["complete"].extend([error, error])
    worker = run_one(fake, lambda job: {"v": 1})
    assert fake.completed == {"1": {"v": 1}}
    assert [kind for kind, _ in fake.ack_attempts] == ["complete"] * 3
    assert worker.stats.completed == 1
    assert fake.failed == {}


@pytest.mark.parametrize("outcome", ["fail", "error"])
def test_failures_and_bpmn_errors_are_retried_too(fake: FakeAsyncClient, outcome: str) -> None:
    fake.ack_errors[outcome].append(BackpressureError(503))

    def handler(job: Any) -> None:
        if outcome == "fail":
            raise JobFailure("no")
        raise JobError("CODE")

    worker = run_one(fake, handler)
    assert len(fake.ack_attempts) == 2
    assert (worker.stats.failed, worker.stats.errors_thrown) == (
        (1, 0) if outcome == "fail" else (0, 1)
    )


@pytest.mark.parametrize(
    "error", [NotFoundError(404, "NOT_FOUND"), ConflictError(409, "INVALID_STATE")]
)
def test_404_and_409_mean_the_job_is_no_longer_ours_and_are_never_turned_into_a_failure(
    fake: FakeAsyncClient, error: Exception
) -> None:
    fake.ack_errors["complete"].append(error)
    worker = run_one(fake, lambda job: {"v": 1})
    assert fake.ack_attempts == [("complete", "1")]  # not retried, no failure sent
    assert worker.stats.rejected == 1
    assert worker.stats.completed == 0
    assert worker.stats.failed == 0


def test_a_completion_that_keeps_failing_is_given_up_at_the_deadline_not_turned_into_a_failure(
    fake: FakeAsyncClient,
) -> None:
    fake.ack_errors["complete"].extend([BackpressureError(503)] * 10_000)
    from camunda_worker._client.retry import set_testing

    set_testing(False)  # real back-off delays, so the deadline (1 s) is what stops it
    started = time.monotonic()
    worker = run_one(fake, lambda job: {"v": 1}, timeout_ms=1000)
    assert time.monotonic() - started < 30  # it stopped (the deadline), it did not retry forever
    assert worker.stats.acknowledgement_failures == 1
    assert fake.failed == {}
    assert {kind for kind, _ in fake.ack_attempts} == {"complete"}


class BlackHoleClient(FakeAsyncClient):
    """Activations work; an acknowledgement of the first kind ``silent`` never gets an answer
    (and no timeout ends it), as through a connection that went silent."""

    def __init__(self, silent: str) -> None:
        super().__init__()
        self.silent = silent

    async def _hang(self, kind: str, job_key: str) -> None:
        self._ack(kind, job_key)
        if kind == self.silent:
            await anyio.sleep_forever()

    async def complete_job(self, job_key: str, variables: Any = None) -> None:
        await self._hang("complete", job_key)
        self.completed[job_key] = variables

    async def fail_job(self, job_key: str, **kwargs: Any) -> None:
        await self._hang("fail", job_key)
        self.failed[job_key] = kwargs

    async def throw_job_error(self, job_key: str, **kwargs: Any) -> None:
        await self._hang("error", job_key)
        self.thrown[job_key] = kwargs


def _outcome_handler(kind: str) -> Any:
    def handler(job: Any) -> dict[str, Any]:
        if kind == "fail":
            raise JobFailure("no")
        if kind == "error":
            raise JobError("CODE")
        return {"v": 1}

    return handler


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("complete", "completion"),
        ("fail", "failure"),
        ("error", "BPMN error"),
    ],
)
def test_an_acknowledgement_without_an_answer_is_given_up_at_the_jobs_deadline(
    kind: str, what: str
) -> None:
    silent = BlackHoleClient(kind)
    log = RecordingLogger()
    worker = run_one(silent, _outcome_handler(kind), timeout_ms=1000, logger=log, drain_timeout=1)
    assert worker.stats.acknowledgement_failures == 1
    assert silent.ack_attempts == [(kind, "1")]  # no retry after the deadline
    assert (silent.completed, silent.failed, silent.thrown) == ({}, {}, {})
    gave_up = [line for line in log.lines if f"gave up sending the {what} of job 1" in line]
    assert len(gave_up) == 1
    assert "deadline passed" in gave_up[0]


# Long enough for the handler to start on a loaded machine (a job whose deadline passes before its
# handler starts is not run at all: counted as expired), short enough to outlive in the handler.
_SHORT_MS = 1000


def _past_the_deadline(job: Any) -> dict[str, Any]:
    # The worker's deadline is at most the job timeout after the handler started.
    time.sleep(_SHORT_MS / 1000 + 0.2)
    return {"v": 1}


def test_a_completion_whose_deadline_passed_while_its_handler_ran_is_still_sent_once(
    fake: FakeAsyncClient,
) -> None:
    worker = run_one(fake, _past_the_deadline, timeout_ms=_SHORT_MS)  # taken unless activated again
    assert fake.completed == {"1": {"v": 1}}
    assert worker.stats.completed == 1


def test_a_late_completion_without_an_answer_is_given_up_soon() -> None:
    silent = BlackHoleClient("complete")
    log = RecordingLogger()

    worker = run_one(silent, _past_the_deadline, timeout_ms=_SHORT_MS, logger=log, drain_timeout=1)
    assert worker.stats.acknowledgement_failures == 1
    assert silent.ack_attempts == [("complete", "1")]
    assert any("gave up sending the completion" in line for line in log.lines)


def test_a_4xx_other_than_404_409_is_not_retried(fake: FakeAsyncClient) -> None:
    fake.ack_errors["complete"].append(ForbiddenError(403, "FORBIDDEN"))
    worker = run_one(fake, lambda job: {"v": 1})
    assert len(fake.ack_attempts) == 1
    assert worker.stats.acknowledgement_failures == 1
    assert fake.failed == {}


@pytest.mark.parametrize(
    "refusal",
    [
        BadRequestError(400, "INVALID_ARGUMENT", "Failed to read request"),
        ProblemError(413, "Payload Too Large"),
        RecursionError("maximum recursion depth exceeded while encoding a JSON object"),
        ValueError("Out of range float values are not JSON compliant"),
    ],
)
def test_a_completion_that_can_never_be_sent_fails_the_job_instead(
    fake: FakeAsyncClient, refusal: Exception
) -> None:
    # The same request would be refused again after every timeout: the job fails, once.
    fake.ack_errors["complete"].append(refusal)
    worker = run_one(fake, lambda job: {"v": 1})
    assert fake.ack_attempts == [("complete", "1"), ("fail", "1")]
    assert fake.failed["1"]["retries"] == 2
    assert fake.failed["1"]["variables"] is None
    message = fake.failed["1"]["error_message"]
    assert message.startswith("the completion of this job cannot be sent: ")
    assert str(refusal) in message
    assert (worker.stats.failed, worker.stats.acknowledgement_failures) == (1, 0)


def test_a_completion_the_client_cannot_encode_names_the_variable(
    fake: FakeAsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler's check passed it (it ran nearer the top of its stack than the client's
    # encoding, or under a higher recursion limit); the client's encoding did not.
    deep: Any = 1
    for _ in range(5_000):
        deep = [deep]
    passed = Completion({"v": 1, "deep": deep})
    monkeypatch.setattr(_invoke, "outcome_from_result", lambda result, retries: passed)
    fake.ack_errors["complete"].append(RecursionError("maximum recursion depth exceeded"))
    run_one(fake, lambda job: {"v": 1})
    message = fake.failed["1"]["error_message"]
    assert message.startswith("the completion of this job cannot be sent: it cannot be encoded")
    assert "variable 'deep' nests 5000 levels deep" in message


def test_a_failure_whose_variables_are_refused_is_sent_without_them(
    fake: FakeAsyncClient,
) -> None:
    def handler(job: Any) -> None:
        raise JobFailure("later", retries=7, retry_back_off=50, variables={"big": "x"})

    fake.ack_errors["fail"].append(ProblemError(413, "Payload Too Large"))
    run_one(fake, handler)
    assert fake.ack_attempts == [("fail", "1"), ("fail", "1")]
    failure = fake.failed["1"]
    assert (failure["retries"], failure["retry_back_off"], failure["variables"]) == (7, 50, None)
    assert failure["error_message"].startswith("later\n\n(the failure's variables were not set")


def test_a_failure_without_variables_that_is_refused_is_given_up(fake: FakeAsyncClient) -> None:
    fake.ack_errors["fail"].append(BadRequestError(400, "INVALID_ARGUMENT"))
    worker = run_one(fake, lambda job: (_ for _ in ()).throw(ValueError("boom")))
    assert fake.ack_attempts == [("fail", "1")]
    assert worker.stats.acknowledgement_failures == 1


def test_nothing_is_sent_when_the_handler_acknowledged_its_own_job(fake: FakeAsyncClient) -> None:
    async def handler(job: Any) -> dict[str, Any]:
        await job.client.complete_job(job.job_key, {"by": "handler"})
        return {"by": "worker"}

    worker = run_one(fake, handler)
    assert fake.completed == {"1": {"by": "handler"}}
    assert len(fake.ack_attempts) == 1
    assert worker.stats.acknowledged_by_handler == 1


def test_a_handler_that_acknowledged_and_then_raised_gets_nothing_more(
    fake: FakeAsyncClient,
) -> None:
    async def handler(job: Any) -> None:
        await job.client.fail_job(job.job_key, retries=0, error_message="mine")
        raise RuntimeError("after the fact")

    run_one(fake, handler)
    assert fake.ack_attempts == [("fail", "1")]


def test_a_job_whose_deadline_passed_before_its_handler_starts_is_not_run(
    fake: FakeAsyncClient,
) -> None:
    # One answer with two jobs. By the server's deadlines, job 1 was activated 0.8 s before job 2,
    # while the request was open (it took 0.9 s): with a 0.5 s job timeout, job 1 stopped being
    # the worker's 0.3 s before the answer arrived. Job 2 still has its 0.5 s.
    ran: list[str] = []
    newest = make_job(2)
    fake.add(make_job(1).model_copy(update={"deadline": newest.deadline - 800}), newest)
    fake.latency = 0.9
    worker = JobWorker(
        lambda job: ran.append(job.job_key),
        WorkerConfig(job_type="work", job_timeout_milliseconds=500, max_concurrent_jobs=2),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
    )
    with worker:
        wait_until(lambda: worker.stats.activated == 2 and worker.stats.in_flight == 0)
    assert ran == ["2"]
    assert worker.stats.expired == 1
    assert fake.ack_attempts == [("complete", "2")]


def test_the_timeout_is_extended_again_and_again_while_a_long_handler_runs(
    fake: FakeAsyncClient,
) -> None:
    def handler(job: Any) -> dict[str, Any]:
        time.sleep(2.0)  # extensions at about 0.6 s and 1.2 s (a third of the timeout left)
        return {"done": True}

    run_one(fake, handler, timeout_ms=900, auto_extend_timeout=True)
    assert len(fake.updates) >= 2
    assert all(update == ("1", {"timeout": 900}) for update in fake.updates)
    assert fake.completed == {"1": {"done": True}}


def test_extension_stops_when_the_job_is_no_longer_ours(fake: FakeAsyncClient) -> None:
    fake.ack_errors["update"].append(NotFoundError(404))

    def handler(job: Any) -> None:
        time.sleep(1.0)  # the extension is sent at about 0.67 s

    run_one(fake, handler, timeout_ms=_SHORT_MS, auto_extend_timeout=True)
    assert [kind for kind, _ in fake.ack_attempts].count("update") == 1
