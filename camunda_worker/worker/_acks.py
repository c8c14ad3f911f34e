"""Sending acknowledgements (completion, failure, BPMN error), retried until the job's deadline.

Acknowledgements go through a queue to a fixed number of sender tasks, each sending one
request at a time: one ``httpx.AsyncClient`` answers sequential requests about twice as fast as
many concurrent ones, and a sender stuck retrying (503, dropped connection) leaves another free.

Rules:

- transport errors, backpressure (503/429) and other 5xx are retried with back-off until the
  job's deadline (after it the job is no longer reserved for this worker);
- every attempt waits for its answer at most until the job's deadline (whatever the client's
  own timeouts), so a connection that went silent cannot hold an acknowledgement, its sender
  and its slot past the job's life. An acknowledgement whose deadline passed while its handler
  ran is still sent once (Camunda accepts it unless the job was activated again), and waits at
  most :data:`LATE_ATTEMPT_TIMEOUT` for its answer;
- 404 and 409 mean the job is no longer ours (it timed out and went to another worker, was
  cancelled, or its process instance ended): logged, never turned into anything else. On a retry
  after an attempt whose answer was lost (the connection dropped after the request was sent),
  they most likely mean that attempt took effect: a completion is sent at least once;
- a failed acknowledgement never turns a success into a failure; the job is simply activated
  again after its deadline. Except when the request itself can never be sent: the server
  refused it as malformed or too large (400, 413), or its variables cannot be encoded as JSON.
  Sending it again would fail again after every timeout, so the job is failed instead (one
  retry fewer, the reason in the message); a failure whose variables are refused is sent again
  without them;
- an exception that is neither a :class:`CamundaError` nor a transport error (nor one of
  encoding, above) is a bug that retrying cannot fix: that acknowledgement is given up (logged
  with its traceback); after :data:`MAX_UNEXPECTED_ERRORS` such failures in a row, with no
  acknowledgement answered in between, the worker stops (``FAILED``, ``JobWorker.error``)
  instead of completing nothing.

The job's capacity slot is given back once its acknowledgement was sent or given up; while it
waits, the job no longer counts against ``max_concurrent_jobs`` (within the bound
:mod:`camunda_worker.worker._capacity` sets).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import anyio
import attrs
import httpx

from camunda_worker._base.errors import (
    BackpressureError,
    BadRequestError,
    CamundaError,
    ConflictError,
    ConnectError,
    NotFoundError,
    ProblemError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from camunda_worker._base.logs import DebugGate
from camunda_worker._client.retry import Backoff, is_retryable, retry_async
from camunda_worker.worker._attempt_timer import AttemptTimer
from camunda_worker.worker._outcomes import (
    BpmnError,
    Completion,
    Failure,
    refusal_hint,
    truncate_message,
    why_not_json,
)

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._observer import ObserverGroup
    from camunda_worker.worker._outcomes import Outcome
    from camunda_worker.worker._state import Counters

__all__ = ["LATE_ATTEMPT_TIMEOUT", "MAX_UNEXPECTED_ERRORS", "AckSender"]

MAX_UNEXPECTED_ERRORS = 3
"""Acknowledgements in a row that fail with an unexpected exception before the worker stops."""

LATE_ATTEMPT_TIMEOUT = 1.0
"""Seconds the one attempt of an acknowledgement whose deadline already passed may wait."""

_Item = tuple["Slot", "Completion | Failure | BpmnError", "JobDeadline"]
_ACKNOWLEDGEMENTS = (Completion, Failure, BpmnError)


class _DeadlinePassedError(RequestTimeoutError):
    """An attempt got no answer before the job's deadline: it was given up.

    A timeout like any other (expected, and it may have reached the engine), but not retried:
    no retry could start before a deadline that has passed.
    """

    retryable = False


def _within_deadline(
    call: Callable[[], Awaitable[None]], deadline: JobDeadline, timer: AttemptTimer
) -> Callable[[], Awaitable[None]]:
    """``call`` made to give up when the job's deadline passes (the first try: at least soon)."""
    attempts = 0

    async def attempt() -> None:
        nonlocal attempts
        attempts += 1
        left = deadline.remaining()
        if left <= 0:
            if attempts > 1:
                raise _DeadlinePassedError("the job's deadline passed before this retry")
            left = LATE_ATTEMPT_TIMEOUT
        if not await timer.within(call, left):
            raise _DeadlinePassedError(f"no answer within the {left:.1f} s it had")

    return attempt


class AckSender:
    """Sends every job's acknowledgement and then gives its slot back.

    Args:
        client: the worker's client.
        counters: the worker's counters.
        log: the worker's logger.
        senders: how many requests may be in flight at once.
        backoff: makes the back-off for one acknowledgement's retries.
        observers: told of each acknowledgement settled or retried (``None``: nobody watches).
        on_fatal: called with the error that stops the worker, once acknowledgements keep
            failing with unexpected exceptions (``None``: they are only logged).
    """

    def __init__(
        self,
        client: CamundaAsyncClient,
        counters: Counters,
        log: JobLogger,
        *,
        senders: int = 2,
        backoff: Callable[[], Backoff] = lambda: Backoff(initial=0.05, maximum=2.0),
        observers: ObserverGroup | None = None,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._client = client
        self._counters = counters
        self._log = log
        self._senders = senders
        self._backoff = backoff
        self._observers = observers
        self._on_fatal = on_fatal
        self._unexpected = 0  # acknowledgements in a row given up on an unexpected exception
        self._debug = DebugGate(log)  # the DEBUG lines of each acknowledgement, when wanted
        # A plain asyncio queue: an anyio memory stream yields to the loop on every receive
        # (one more turn of the loop per acknowledgement). ``None`` tells a sender to end.
        self._queue: asyncio.Queue[_Item | None] | None = None
        self._closed = False

    def start(self, task_group: TaskGroup) -> None:
        """Start the sender tasks in ``task_group``."""
        self._queue = asyncio.Queue()
        for _ in range(self._senders):
            task_group.start_soon(self._run, self._queue)

    def submit(self, slot: Slot, outcome: Outcome, deadline: JobDeadline) -> bool:
        """Queue the acknowledgement of ``slot.job`` (never blocks).

        Returns:
            Whether it was queued: not once :meth:`close` was called (the worker stopped
            waiting for the job, which it has counted as abandoned: a handler that swallowed
            the cancel at the drain's end returns too late). That is logged; the slot is the
            caller's to give back.

        Raises:
            RuntimeError: :meth:`start` was not called first.
            TypeError: ``outcome`` is not a completion, a failure or a BPMN error.
        """
        if self._queue is None:
            raise RuntimeError("AckSender.submit() before start()")
        if not isinstance(outcome, _ACKNOWLEDGEMENTS):
            raise TypeError(f"not an acknowledgement: {outcome!r}")
        if self._closed:
            self._log.warning(
                f"the handler of job {slot.job.job_key} returned after the worker stopped "
                f"waiting for it: its {_describe(outcome)} is not sent (the job will be activated "
                "again after its deadline)"
            )
            return False
        slot.acknowledging()
        self._queue.put_nowait((slot, outcome, deadline))
        return True

    def close(self) -> None:
        """No more submissions: the senders end once the queue is empty."""
        if self._queue is not None and not self._closed:
            self._closed = True
            for _ in range(self._senders):
                self._queue.put_nowait(None)  # after everything queued so far

    async def _run(self, queue: asyncio.Queue[_Item | None]) -> None:
        # One timer for all of this sender's attempts (see AttemptTimer).
        timer = AttemptTimer()
        try:
            while (item := await queue.get()) is not None:
                slot, outcome, deadline = item
                try:
                    await self._acknowledge(slot, outcome, deadline, timer)
                finally:
                    slot.release()
        finally:
            timer.close()

    def _call(
        self, job_key: str, outcome: Completion | Failure | BpmnError
    ) -> Callable[[], Awaitable[None]]:
        client = self._client
        if isinstance(outcome, Completion):
            return lambda: client.complete_job(job_key, outcome.variables)
        if isinstance(outcome, Failure):
            return lambda: client.fail_job(
                job_key,
                retries=outcome.retries,
                error_message=outcome.error_message,
                retry_back_off=outcome.retry_back_off,
                variables=outcome.variables,
            )
        return lambda: client.throw_job_error(
            job_key,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            variables=outcome.variables,
        )

    async def _acknowledge(
        self,
        slot: Slot,
        outcome: Completion | Failure | BpmnError,
        deadline: JobDeadline,
        timer: AttemptTimer,
    ) -> None:
        job_key = slot.job.job_key
        call = _within_deadline(self._call(job_key, outcome), deadline, timer)
        log = self._log
        debug = self._debug.open()
        if debug:
            log.debug(f"sending the {_describe(outcome)} of job {job_key}")
        started = time.monotonic() if debug else 0.0
        try:
            await call()
        except Exception as error:  # noqa: BLE001 - every failure is sorted out below
            sent = await self._retry(
                job_key, outcome, call, error, deadline, job_type=slot.job.job_type
            )
            if sent is not True:
                if sent is not False:
                    await self._send_instead(slot, outcome, sent, deadline, timer)
                return
        if debug:
            log.debug(
                f"the {_describe(outcome)} of job {job_key} was answered in "
                f"{(time.monotonic() - started) * 1000:.0f} ms"
            )
        self._unexpected = 0
        counters = self._counters
        if isinstance(outcome, Completion):
            counters.completed += 1
        elif isinstance(outcome, Failure):
            counters.failed += 1
        else:
            counters.errors_thrown += 1
        if self._observers is not None:
            self._observers.job_acknowledged(
                slot.job.job_type, outcome=_kind(outcome), result="sent"
            )

    async def _send_instead(
        self,
        slot: Slot,
        outcome: Completion | Failure | BpmnError,
        refused: Exception,
        deadline: JobDeadline,
        timer: AttemptTimer,
    ) -> None:
        """Fail the job whose acknowledgement can never be sent (see the module's rules)."""
        job = slot.job
        what = _describe(outcome)
        why = _unsendable(refused) or str(refused)
        if isinstance(refused, ProblemError):
            why += refusal_hint(outcome.variables, refused.status)
        elif outcome.variables:
            # The handler's check passed, the client's encoding did not (it ran deeper in the
            # stack, nearer the recursion limit): name the variable now, where possible.
            named = why_not_json(outcome.variables)
            if not named.startswith("the variables"):
                why = f"{why}: {named}"
        if isinstance(outcome, Failure) and outcome.variables is None:
            # Only its message can be the trouble: a lone surrogate (from an exception's text).
            clean = _clean(outcome.error_message)
            if isinstance(refused, ProblemError) or clean == outcome.error_message:
                self._gave_up(job.job_key, job.job_type, outcome, refused)
                return
            instead = attrs.evolve(outcome, error_message=clean)
        elif isinstance(outcome, Failure):
            instead = attrs.evolve(
                outcome,
                variables=None,
                error_message=truncate_message(
                    _clean(
                        f"{outcome.error_message}\n\n(the failure's variables were not set: {why})"
                    )
                ),
            )
        else:
            instead = Failure(
                retries=max(job.retries - 1, 0),
                error_message=truncate_message(
                    _clean(f"the {what} of this job cannot be sent: {why}")
                ),
            )
        self._log.warning(
            f"the {what} of job {job.job_key} cannot be sent ({why}); "
            + (
                "sending it without what cannot be sent"
                if isinstance(outcome, Failure)
                else "failing the job instead"
            )
        )
        await self._acknowledge(slot, instead, deadline, timer)

    def _gave_up(
        self,
        job_key: str,
        job_type: str,
        outcome: Completion | Failure | BpmnError,
        final: Exception,
    ) -> None:
        self._counters.acknowledgement_failures += 1
        if self._observers is not None:
            self._observers.job_acknowledged(job_type, outcome=_kind(outcome), result="gave_up")
        message = (
            f"gave up sending the {_describe(outcome)} of job {job_key}: {_why(final)}; "
            "the job will be activated again after its timeout"
        )
        if _expected(final):
            self._unexpected = 0
            self._log.error(message)
        else:
            self._log.exception(message)  # a bug: its traceback tells where
            self._unexpected_error(final)

    async def _retry(
        self,
        job_key: str,
        outcome: Completion | Failure | BpmnError,
        call: Callable[[], Awaitable[None]],
        error: Exception,
        deadline: JobDeadline,
        *,
        job_type: str,
    ) -> bool | Exception:
        """Retry a failed acknowledgement until it is sent or the job's deadline.

        Returns:
            ``True`` once sent; ``False`` when given up or rejected (logged); the error itself
            when the request can never be sent as it is (see :func:`_unsendable`).
        """
        what = _describe(outcome)
        backoff = self._backoff()
        observers = self._observers
        lost = [_may_have_taken_effect(error)]  # an earlier attempt may have reached the engine

        def on_retry(retry_error: BaseException, delay: float) -> None:
            lost[0] = lost[0] or _may_have_taken_effect(retry_error)
            self._log.warning(
                f"sending the {what} of job {job_key} failed ({retry_error}); "
                f"retrying in {delay:.2f} s"
            )
            if observers is not None:
                observers.acknowledgement_retried(
                    job_type, outcome=_kind(outcome), error=retry_error
                )

        try:
            if not is_retryable(error):
                raise error
            delay = backoff.next_delay()
            if delay > deadline.remaining():
                raise error
            on_retry(error, delay)
            await anyio.sleep(delay)
            ends = time.monotonic() + deadline.remaining()
            await retry_async(call, backoff=backoff, deadline=ends, on_retry=on_retry)
        except (NotFoundError, ConflictError) as rejected:
            self._unexpected = 0
            self._counters.rejected += 1
            if observers is not None:
                observers.job_acknowledged(job_type, outcome=_kind(outcome), result="rejected")
            if lost[0]:
                self._log.warning(
                    f"the {what} of job {job_key} was refused when sent again ({rejected}): "
                    "an earlier attempt, whose answer was lost, most likely took effect (or the "
                    "job is no longer this worker's)"
                )
            else:
                self._log.warning(
                    f"the {what} of job {job_key} was refused: the job is no longer this "
                    f"worker's ({rejected})"
                )
            return False
        except Exception as final:  # noqa: BLE001 - given up: logged, the job times out
            if _unsendable(final) is not None:
                return final
            self._gave_up(job_key, job_type, outcome, final)
            return False
        return True

    def _unexpected_error(self, error: Exception) -> None:
        self._unexpected += 1
        if self._unexpected < MAX_UNEXPECTED_ERRORS or self._on_fatal is None:
            return
        fatal = RuntimeError(
            f"sending acknowledgements failed with an unexpected error {self._unexpected} times "
            f"in a row ({type(error).__name__}: {error}); the worker stops: it cannot complete "
            "jobs (a bug; its traceback is logged above)"
        )
        fatal.__cause__ = error
        self._log.error(f"the worker stops: {fatal}")
        self._on_fatal(fatal)


def _expected(error: BaseException) -> bool:
    """Whether ``error`` is one an acknowledgement may meet: an answer, or no answer at all."""
    return isinstance(error, CamundaError | httpx.TransportError)


def _may_have_taken_effect(error: BaseException) -> bool:
    """Whether the attempt that raised ``error`` may have reached the engine and taken effect.

    A connection that could not be made, or a 503/429 refusal, did not; a connection that
    dropped or timed out after the request was sent, or another 5xx, may have.
    """
    if isinstance(error, ConnectError | BackpressureError | httpx.ConnectError):
        return False
    return isinstance(error, TransportError | ServerError | httpx.TransportError)


def _why(error: BaseException) -> str:
    if isinstance(error, _DeadlinePassedError):
        return f"the job's deadline passed while waiting for the answer ({error})"
    if is_retryable(error):  # retried until no retry could end before the deadline
        return f"the job's deadline passed (last error: {type(error).__name__}: {error})"
    return f"{type(error).__name__}: {error}"


def _unsendable(error: BaseException) -> str | None:
    """Why a request can never be sent as it is, or ``None`` when it might be later."""
    if isinstance(error, BadRequestError) or (
        isinstance(error, ProblemError) and error.status == 413
    ):
        return f"the server refused it ({error})"
    if isinstance(error, TypeError | ValueError | RecursionError) and not isinstance(
        error, CamundaError
    ):
        return f"it cannot be encoded as JSON ({type(error).__name__}: {error})"
    return None


def _clean(text: str) -> str:
    """``text`` with what UTF-8 cannot encode (lone surrogates) replaced by ``?``."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _kind(
    outcome: Completion | Failure | BpmnError,
) -> Literal["completed", "failed", "bpmn_error"]:
    if isinstance(outcome, Completion):
        return "completed"
    if isinstance(outcome, Failure):
        return "failed"
    return "bpmn_error"


def _describe(outcome: Completion | Failure | BpmnError) -> str:
    if isinstance(outcome, Completion):
        return "completion"
    if isinstance(outcome, Failure):
        return "failure"
    return "BPMN error"
