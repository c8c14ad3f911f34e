"""Running one handler on a synthetic job, without an engine, and reading how the job would end.

:func:`run_handler` and :func:`run_handler_async` build the same context the worker builds and
decide the outcome with the worker's own code (``camunda_worker.worker._invoke`` and
``_outcomes``), so a result that cannot be sent as JSON, a :class:`~camunda_worker.worker.JobError`
or an unexpected exception end exactly as they would in a running worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import anyio
import anyio.to_thread
import attrs

from camunda_worker._api.models import ActivatedJob
from camunda_worker.testing._loops import run_coroutine
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker._binding import bind_handler
from camunda_worker.worker._context import ConnectedJobContext, SyncJobContext
from camunda_worker.worker._invoke import PendingAwaitable, invoke_async, invoke_sync, settle
from camunda_worker.worker._outcomes import BpmnError, Completion, Failure
from camunda_worker.worker._policies import outcome_policy_of
from camunda_worker.worker._strategy import ExecutionStrategy, check_picklable, resolve_strategy
from camunda_worker.worker._tracking import AsyncTrackingClient, SyncTrackingClient

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker.worker._binding import InvalidVariables, Middleware
    from camunda_worker.worker._outcomes import Outcome
    from camunda_worker.worker._policies import ErrorHook

__all__ = ["HandlerOutcome", "run_handler", "run_handler_async", "synthetic_job"]

OutcomeKind = Literal["completed", "failed", "bpmn_error", "acknowledged"]

_JOB_KEY = "2251799813685300"


def synthetic_job(
    variables: Mapping[str, Any] | None = None,
    *,
    job_type: str = "test-job",
    retries: int = 3,
    custom_headers: Mapping[str, str] | None = None,
    job_key: str = _JOB_KEY,
    process_instance_key: str = "2251799813685200",
    process_definition_id: str = "test-process",
    element_id: str = "test-task",
    **fields: Any,
) -> ActivatedJob:
    """Build an activated job, as an activation would hand it to a worker.

    Args:
        variables: the job's variables.
        job_type: the job type.
        retries: retries left.
        custom_headers: the task's custom headers.
        job_key: the job's key.
        process_instance_key: the key of its process instance.
        process_definition_id: the BPMN process id.
        element_id: the id of the task that created it.
        **fields: any other :class:`~camunda_worker.ActivatedJob` field, by its Python name
            (``tenant_id="acme"``, ``tags=("vip",)``...).

    Returns:
        The job. Its deadline is 5 minutes from now.
    """
    document: dict[str, Any] = {
        "job_key": job_key,
        "job_type": job_type,
        "process_instance_key": process_instance_key,
        "process_definition_id": process_definition_id,
        "process_definition_version": 1,
        "process_definition_key": "2251799813685100",
        "element_id": element_id,
        "element_instance_key": "2251799813685201",
        "custom_headers": dict(custom_headers or {}),
        "worker": "test-worker",
        "retries": retries,
        "deadline": int(time.time() * 1000) + 300_000,
        "variables": dict(variables or {}),
        "tenant_id": "<default>",
    }
    document.update(fields)
    return ActivatedJob.model_validate(document)


@attrs.frozen
class HandlerOutcome:
    """How a job would end after its handler ran: what the worker would send.

    Attributes:
        status: ``completed``, ``failed``, ``bpmn_error``, or ``acknowledged`` (the handler
            completed, failed or threw an error for its job itself through ``job.client``).
        variables: the variables the worker would send with the completion, failure or BPMN
            error (``None`` when there are none).
        retries: the retries left after a failure.
        retry_back_off: the back-off of a failure, in milliseconds.
        error_message: the failure's message (for an unexpected exception: its type, text and
            the tail of its traceback), or the BPMN error's message.
        error_code: the BPMN error's code.
        logs: what the handler logged through ``job.log``, one ``"LEVEL: message"`` line each.
    """

    status: OutcomeKind
    variables: dict[str, Any] | None = None
    retries: int | None = None
    retry_back_off: int | None = None
    error_message: str | None = None
    error_code: str | None = None
    logs: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        """Whether the job would be completed."""
        return self.status == "completed"

    @property
    def failed(self) -> bool:
        """Whether the job would be failed."""
        return self.status == "failed"

    @property
    def bpmn_error(self) -> bool:
        """Whether a BPMN error would be thrown for the job."""
        return self.status == "bpmn_error"

    @classmethod
    def _of(cls, outcome: Outcome, logs: tuple[str, ...]) -> HandlerOutcome:
        if isinstance(outcome, Completion):
            return cls("completed", variables=outcome.variables, logs=logs)
        if isinstance(outcome, Failure):
            return cls(
                "failed",
                variables=outcome.variables,
                retries=outcome.retries,
                retry_back_off=outcome.retry_back_off,
                error_message=outcome.error_message,
                logs=logs,
            )
        if isinstance(outcome, BpmnError):
            return cls(
                "bpmn_error",
                variables=outcome.variables,
                error_message=outcome.error_message,
                error_code=outcome.error_code,
                logs=logs,
            )
        return cls("acknowledged", logs=logs)  # the last kind of Outcome: Acknowledged


class _NoClient:
    """Stands in for ``job.client`` when the test gave none: any use says how to give one."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"the handler used job.client.{name}, but this synthetic job has no client: pass "
            "client=... to run_handler (e.g. the camunda_client fixture, or "
            "camunda_async_client for async handlers)"
        )


@attrs.frozen
class _Prepared:
    job: ActivatedJob
    strategy: Literal["async", "thread", "process"]
    log: RecordingLogger


def _bound(
    handler: Callable[..., Any],
    dependencies: Mapping[str | type, object] | None,
    bpmn_errors: Mapping[type[BaseException], str] | None,
    on_error: ErrorHook | None,
    middleware: Sequence[Middleware],
    invalid_variables: InvalidVariables,
) -> Callable[[Any], Any]:
    """The handler as the worker would call it (bound from its signature, with its policy)."""
    policy = outcome_policy_of(bpmn_errors=bpmn_errors, retry_back_off=None, on_error=on_error)
    callback, _ = bind_handler(
        handler,
        dependencies=dependencies,
        invalid_variables=invalid_variables,
        middleware=middleware,
        policy=policy,
    )
    return callback


def _prepare(
    handler: Callable[[Any], Any],
    job: ActivatedJob | None,
    variables: Mapping[str, Any] | None,
    execution_strategy: ExecutionStrategy,
) -> _Prepared:
    if job is not None and variables is not None:
        raise ValueError("give either job or variables, not both")
    strategy = resolve_strategy(handler, execution_strategy)
    if strategy == "process":
        check_picklable(handler)
    actual = job if job is not None else synthetic_job(variables)
    log = RecordingLogger().bind(
        job_type=actual.job_type,
        job_key=actual.job_key,
        process_instance_key=actual.process_instance_key,
        worker=actual.worker,
    )
    return _Prepared(actual, strategy, log)


def _sync_context(prepared: _Prepared, client: object | None) -> tuple[Any, SyncTrackingClient]:
    target = client if client is not None else _NoClient()
    tracker = SyncTrackingClient(lambda: cast("CamundaClient", target), prepared.job.job_key)
    context = SyncJobContext(
        job=prepared.job, log=prepared.log, client=cast("CamundaClient", tracker)
    )
    return context, tracker


def _async_context(prepared: _Prepared, client: object | None) -> tuple[Any, AsyncTrackingClient]:
    target = client if client is not None else _NoClient()
    tracker = AsyncTrackingClient(cast("CamundaAsyncClient", target), prepared.job.job_key)
    context = ConnectedJobContext(
        job=prepared.job, log=prepared.log, client=cast("CamundaAsyncClient", tracker)
    )
    return context, tracker


def run_handler(
    handler: Callable[..., Any],
    variables: Mapping[str, Any] | None = None,
    *,
    job: ActivatedJob | None = None,
    client: CamundaClient | CamundaAsyncClient | None = None,
    execution_strategy: ExecutionStrategy = "auto",
    retry_back_off: int = 0,
    dependencies: Mapping[str | type, object] | None = None,
    bpmn_errors: Mapping[type[BaseException], str] | None = None,
    on_error: ErrorHook | None = None,
    middleware: Sequence[Middleware] = (),
    invalid_variables: InvalidVariables = "incident",
) -> HandlerOutcome:
    """Run a handler once on a synthetic job and say how its job would end; no engine needed.

    The handler gets the context a worker would give it: a :class:`SyncJobContext` for the
    ``thread`` and ``process`` strategies, a :class:`ConnectedJobContext` for ``async``. Sync
    handlers run in the calling thread; async ones in a fresh event loop (in a thread of its own
    when the caller already runs a loop: prefer :func:`run_handler_async` in async tests). With
    ``process`` the handler is checked for picklability, as the worker checks it, then run here.

    Args:
        handler: the handler, as given to :class:`~camunda_worker.worker.JobWorker`.
        variables: the job's variables (a job built by :func:`synthetic_job`).
        job: the job to hand it instead (see :func:`synthetic_job`).
        client: what the handler gets as ``job.client``: a
            :class:`~camunda_worker.CamundaClient` for sync handlers, a
            :class:`~camunda_worker.CamundaAsyncClient` for async ones. Without one, using
            ``job.client`` raises an error that says so.
        execution_strategy: as for the worker; ``auto`` picks ``async`` or ``thread``.
        retry_back_off: the worker's back-off (ms) after an unexpected exception.
        dependencies: what the handler's parameters receive by name or type, as the worker's
            ``dependencies`` (a handler with typed parameters is bound as the worker binds it).
        bpmn_errors: exception types and their BPMN error codes, as for the worker.
        on_error: the worker's ``on_error`` hook.
        middleware: the worker's middleware, the first one outermost.
        invalid_variables: ``incident`` or ``retry``, as for the worker.

    Returns:
        The outcome: completed with variables, failed with retries and message, a BPMN error, or
        acknowledged by the handler itself.

    Raises:
        ConfigurationError: the strategy is unknown, or the handler cannot be used with it
            (not picklable for ``process``, a generator function).
    """
    prepared = _prepare(handler, job, variables, execution_strategy)
    handler = _bound(handler, dependencies, bpmn_errors, on_error, middleware, invalid_variables)
    if prepared.strategy == "async":

        async def run_async() -> Outcome:
            context, tracker = _async_context(prepared, client)
            return await invoke_async(
                handler,
                context,
                tracker,
                retries=prepared.job.retries,
                retry_back_off=retry_back_off,
            )

        outcome: Outcome = run_coroutine(run_async)
        return HandlerOutcome._of(outcome, prepared.log.lines)
    context, tracker = _sync_context(prepared, client)
    pending = invoke_sync(
        handler, context, tracker, retries=prepared.job.retries, retry_back_off=retry_back_off
    )
    if isinstance(pending, PendingAwaitable):

        async def settle_pending() -> Outcome:
            return await settle(
                pending, tracker, retries=prepared.job.retries, retry_back_off=retry_back_off
            )

        outcome = run_coroutine(settle_pending)
    else:
        outcome = pending
    return HandlerOutcome._of(outcome, prepared.log.lines)


async def run_handler_async(
    handler: Callable[..., Any],
    variables: Mapping[str, Any] | None = None,
    *,
    job: ActivatedJob | None = None,
    client: CamundaClient | CamundaAsyncClient | None = None,
    execution_strategy: ExecutionStrategy = "auto",
    retry_back_off: int = 0,
    dependencies: Mapping[str | type, object] | None = None,
    bpmn_errors: Mapping[type[BaseException], str] | None = None,
    on_error: ErrorHook | None = None,
    middleware: Sequence[Middleware] = (),
    invalid_variables: InvalidVariables = "incident",
) -> HandlerOutcome:
    """Like :func:`run_handler`, from async code: async handlers run on the caller's loop.

    Sync handlers run in a worker thread (``anyio.to_thread``), so the loop is never blocked.
    Works under asyncio and trio.

    Args:
        handler: the handler.
        variables: the job's variables.
        job: the job to hand it instead.
        client: what the handler gets as ``job.client``.
        execution_strategy: as for the worker.
        retry_back_off: the worker's back-off (ms) after an unexpected exception.
        dependencies: as for :func:`run_handler`.
        bpmn_errors: as for :func:`run_handler`.
        on_error: as for :func:`run_handler`.
        middleware: as for :func:`run_handler`.
        invalid_variables: as for :func:`run_handler`.

    Returns:
        The outcome (see :func:`run_handler`).
    """
    prepared = _prepare(handler, job, variables, execution_strategy)
    handler = _bound(handler, dependencies, bpmn_errors, on_error, middleware, invalid_variables)
    retries = prepared.job.retries
    if prepared.strategy == "async":
        async_context, async_tracker = _async_context(prepared, client)
        outcome = await invoke_async(
            handler, async_context, async_tracker, retries=retries, retry_back_off=retry_back_off
        )
        return HandlerOutcome._of(outcome, prepared.log.lines)
    context, tracker = _sync_context(prepared, client)

    def call() -> Outcome | PendingAwaitable:
        return invoke_sync(
            handler, context, tracker, retries=retries, retry_back_off=retry_back_off
        )

    pending = await anyio.to_thread.run_sync(call)
    outcome = await settle(pending, tracker, retries=retries, retry_back_off=retry_back_off)
    return HandlerOutcome._of(outcome, prepared.log.lines)
