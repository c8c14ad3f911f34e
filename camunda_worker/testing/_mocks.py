"""Mocked job workers: answer the jobs of one type with what the test says, in the test's thread.

A :class:`MockJobWorker` is not a worker with a thread and a poll loop: the harness serves its
jobs synchronously (:meth:`EngineHarness.pump`) whenever the test drives the engine (starting an
instance, moving the clock, publishing a message, asserting...). So a mocked step takes no real
time, and its record (:attr:`MockJobWorker.jobs`) is complete when the command returns. Real
workers (``job_worker``) serve other job types in their own threads at the same time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from camunda_worker._api.models import ActivatedJob
from camunda_worker.testing._synthetic import HandlerOutcome, run_handler
from camunda_worker.worker._strategy import resolve_strategy

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker.engine import Engine

__all__ = ["MockJobWorker", "ServedJob"]

_BATCH = 32
_LEASE_MS = 5 * 60_000
_MAX_REPEATS = 100
"""Answers one :meth:`MockJobWorker.serve` gives the same job at most (an endless retry loop)."""


@attrs.frozen
class ServedJob:
    """A job a :class:`MockJobWorker` served, and how it answered.

    Attributes:
        job: the job as the mock activated it (variables at activation).
        outcome: what the mock did with it: completed (with ``variables``), failed, threw a
            BPMN error, or ``acknowledged`` (a handler did it itself through ``job.client``).
    """

    job: ActivatedJob
    outcome: HandlerOutcome

    @property
    def variables(self) -> Mapping[str, Any]:
        """The job's variables when it was activated."""
        return self.job.variables


_Answer = Callable[[ActivatedJob], HandlerOutcome]


class MockJobWorker:
    """Answers every job of one type with the answers given, in order; the last one repeats.

    Made by :meth:`EngineHarness.mock_job_worker` (``camunda_engine.mock_job_worker("type")``).
    Each of :meth:`complete`, :meth:`fail`, :meth:`throw_bpmn_error` and :meth:`with_handler`
    adds an answer and returns the mock, so a sequence reads as one line:
    ``mock_job_worker("charge").fail("card reader down").complete({"charged": 30})`` fails the
    first job and completes every later one. With no answer the mock completes without
    variables.

    Attributes:
        job_type: the job type it serves.
        worker_name: the worker name its activations carry (``mock:<type>``).
    """

    def __init__(
        self,
        engine: Engine,
        job_type: str,
        client: Callable[[], CamundaClient],
        async_client: Callable[[], CamundaAsyncClient],
    ) -> None:
        self.job_type = job_type
        self.worker_name = f"mock:{job_type}"
        self._engine = engine
        self._client = client
        self._async_client_factory = async_client
        self._async_client: CamundaAsyncClient | None = None
        self._answers: list[_Answer] = []
        self._served: list[ServedJob] = []
        self._looping: str | None = None

    def __repr__(self) -> str:
        return f"<MockJobWorker {self.job_type!r}: {len(self._served)} job(s) served>"

    # -- answers -------------------------------------------------------------------------------

    def complete(self, variables: Mapping[str, Any] | None = None, /, **more: Any) -> MockJobWorker:
        """Complete the job with these variables (``thenComplete``).

        Args:
            variables: the variables.
            **more: more variables, by name.
        """
        values = {**(variables or {}), **more}
        self._answers.append(lambda job: HandlerOutcome("completed", variables=dict(values)))
        return self

    def fail(
        self,
        error_message: str = "failed by a mock job worker",
        *,
        retries: int | None = None,
        retry_back_off: int = 0,
        variables: Mapping[str, Any] | None = None,
    ) -> MockJobWorker:
        """Fail the job (``thenFail``); with no retries left it raises a ``JOB_NO_RETRIES`` incident.

        Args:
            error_message: the failure's message.
            retries: the retries left after it (default: one fewer than the job has).
            retry_back_off: milliseconds of engine time before the job is activatable again.
            variables: variables set in the task's local scope.
        """
        values = dict(variables) if variables else None

        def answer(job: ActivatedJob) -> HandlerOutcome:
            left = job.retries - 1 if retries is None else retries
            return HandlerOutcome(
                "failed",
                variables=values,
                retries=max(left, 0),
                retry_back_off=retry_back_off,
                error_message=error_message,
            )

        self._answers.append(answer)
        return self

    def throw_bpmn_error(
        self,
        error_code: str,
        variables: Mapping[str, Any] | None = None,
        *,
        error_message: str | None = None,
    ) -> MockJobWorker:
        """Throw a BPMN error for the job (``thenThrowBpmnError``).

        Args:
            error_code: the error code an error boundary event catches.
            variables: the error's variables.
            error_message: its message.
        """
        values = dict(variables) if variables else None
        self._answers.append(
            lambda job: HandlerOutcome(
                "bpmn_error",
                variables=values,
                error_code=error_code,
                error_message=error_message or "",
            )
        )
        return self

    def with_handler(self, handler: Callable[..., Any]) -> MockJobWorker:
        """Answer with a handler (``withHandler``), run as a worker runs one.

        The handler gets the job's context (``job.variables``, ``job.client``...) and ends the
        job as in a worker: a returned dict (or model) completes it, ``JobError`` throws a BPMN
        error, ``JobFailure`` or any other exception fails it. Async handlers run too, with an
        async ``job.client``.
        """
        if resolve_strategy(handler, "auto") == "async":
            self._answers.append(lambda job: run_handler(handler, job=job, client=self._async()))
        else:
            self._answers.append(lambda job: run_handler(handler, job=job, client=self._client()))
        return self

    def _async(self) -> CamundaAsyncClient:
        if self._async_client is None:
            self._async_client = self._async_client_factory()
        return self._async_client

    # -- the record ----------------------------------------------------------------------------

    @property
    def jobs(self) -> tuple[ServedJob, ...]:
        """Every job served so far, oldest first, with its outcome."""
        return tuple(self._served)

    @property
    def count(self) -> int:
        """How many jobs it served."""
        return len(self._served)

    @property
    def looping_job(self) -> str | None:
        """The key of a job the last :meth:`serve` stopped answering: its answers never end it.

        A job failed with retries left and no back-off is activatable again at once; when the
        answers never complete it (``fail("down", retries=1)`` as the last, repeating answer)
        the mock would answer it for ever. It stops after 100 answers in a row instead, leaves
        the job activatable, and says so in the assertions' failures. ``None`` otherwise.
        """
        return self._looping

    # -- serving -------------------------------------------------------------------------------

    def serve(self) -> int:
        """Answer the jobs of its type that are activatable now; return how many it served.

        Called by the harness; call it yourself only with a bare :class:`~camunda_worker.engine.Engine`.
        """
        engine = self._engine
        served = 0
        repeats: dict[str, int] = {}
        self._looping = None
        while True:
            documents = engine.activate_ready_jobs(
                job_type=self.job_type,
                max_jobs_to_activate=_BATCH,
                timeout_ms=_LEASE_MS,
                worker=self.worker_name,
                request_timeout_ms=-1,
            )
            if not documents:
                return served
            for document in documents:
                job = ActivatedJob.model_validate(document)
                answer = (
                    self._answers[min(len(self._served), len(self._answers) - 1)]
                    if (self._answers)
                    else _complete_empty
                )
                outcome = answer(job)
                self._apply(job, outcome)
                self._served.append(ServedJob(job, outcome))
                served += 1
                key = str(job.job_key)
                repeats[key] = repeats.get(key, 0) + 1
                if repeats[key] >= _MAX_REPEATS:
                    self._looping = key
                    return served

    def _apply(self, job: ActivatedJob, outcome: HandlerOutcome) -> None:
        engine = self._engine
        key = str(job.job_key)
        if outcome.status == "completed":
            engine.complete_job(key, outcome.variables)
        elif outcome.status == "failed":
            engine.fail_job(
                key,
                retries=outcome.retries if outcome.retries is not None else job.retries - 1,
                error_message=outcome.error_message,
                retry_back_off_ms=outcome.retry_back_off or 0,
                variables=outcome.variables,
            )
        elif outcome.status == "bpmn_error":
            engine.throw_job_error(
                key,
                error_code=outcome.error_code or "",
                error_message=outcome.error_message,
                variables=outcome.variables,
            )
        # "acknowledged": the handler ended the job itself


def _complete_empty(job: ActivatedJob) -> HandlerOutcome:
    return HandlerOutcome("completed", variables={})
