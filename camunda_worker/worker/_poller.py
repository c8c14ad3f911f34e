"""The poll loop: long-poll activations for exactly the free capacity, with no fixed sleep.

- Each activation asks for ``max_concurrent_jobs`` minus the jobs in flight. Until one has
  succeeded, activations do not long-poll (``requestTimeout`` -1): the first answer says at
  once whether the cluster is reached. While jobs are in
  flight, the loop waits until a quarter of the slots are free, or at most 10 ms after the first
  one is: under load, one activation per freed slot would double the requests per job.
- Transport errors, backpressure and 5xx back off exponentially with jitter (capped, reset after
  a successful activation). So does any unexpected error: it is logged with its traceback and the
  loop goes on; the loop never dies silently. What the operator reads about it (reached,
  failing, still failing, back) is :class:`~camunda_worker.worker._connection.ConnectionLog`'s.
- A long poll is given up by the client ``requestTimeout`` + ``LONG_POLL_MARGIN`` after it was
  sent (a black-holed connection), like any transport error. While one is in flight its send
  time is in :class:`PollStatus`, so a probe sees it overdue even when the loop cannot run.
- Errors that retrying cannot fix stop the worker (state ``FAILED``, ``JobWorker.error``): a 401
  after the token was refreshed, a rejected client secret, a bad configuration, any other 4xx
  (a 400 for a bad job type or tenant, a 403, a 404 for a wrong address).
- A job of the answer that the client could not read (``ActivatedJobs.unreadable``) goes to
  ``refuse``, which fails it; the other jobs of the answer run as usual.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import anyio

from camunda_worker._base.errors import AuthenticationError, ConfigurationError, ProblemError
from camunda_worker._base.logs import DebugGate
from camunda_worker._client.retry import Backoff
from camunda_worker.worker._connection import ConnectionLog
from camunda_worker.worker._deadline import JobDeadline, activation_deadlines
from camunda_worker.worker._state import WorkerState

if TYPE_CHECKING:
    from camunda_worker._api.models import ActivatedJob, UnreadableJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker._config.worker_config import WorkerConfig
    from camunda_worker.worker._capacity import Capacity
    from camunda_worker.worker._observer import ObserverGroup

__all__ = [
    "ACTIVATION_BATCH_DIVISOR",
    "ACTIVATION_BATCH_MAX",
    "ACTIVATION_LINGER",
    "PollStatus",
    "Poller",
    "is_fatal",
]

ACTIVATION_BATCH_DIVISOR = 4
"""While jobs are in flight, activate once ``max_concurrent_jobs // 4`` slots are free..."""

ACTIVATION_BATCH_MAX = 32
"""...but never wait for more than this many: at 512 in flight (50 ms handlers) a quarter of
the capacity, 128 slots, left freed slots idle for the whole linger and cost 8-10 % of the jobs
per second (``benchmarks``, alternating rounds); 32 is a quarter of 128 and below."""

ACTIVATION_LINGER = 0.01
"""...or once a free slot has waited this many seconds for the others."""

_ANSWER_AT_ONCE = -1  # requestTimeout < 0: the gateway answers without waiting for jobs


def is_fatal(error: BaseException) -> bool:
    """Whether an activation error stops the worker instead of being retried.

    Args:
        error: what the activation raised.

    Returns:
        ``True`` for configuration and authentication errors and 4xx answers other than
        backpressure (429) and request timeout (408).
    """
    if isinstance(error, ConfigurationError | AuthenticationError):
        return True
    return (
        isinstance(error, ProblemError)
        and not error.retryable
        and 400 <= error.status < 500
        and error.status != 408
    )


class PollStatus:
    """What the poll loop reports: the worker's state, last successful poll and fatal error.

    ``poll_sent`` is the :func:`time.monotonic` time the activation in flight was sent (``None``
    while none is: waiting for capacity, backing off, stopped): a probe on another thread sees
    a poll that outlives its long poll even while the worker's event loop cannot run.
    """

    def __init__(self) -> None:
        self.state = WorkerState.CREATED
        self.last_successful_poll: datetime | None = None
        self.error: BaseException | None = None
        self.poll_sent: float | None = None


class Poller:
    """Activates jobs for one worker and hands each one to ``dispatch``.

    Args:
        client: the worker's client.
        config: the resolved worker configuration (every field set).
        capacity: the worker's slots.
        dispatch: called on the loop with each activated job and its local deadline.
        status: where the loop reports its state.
        log: the worker's logger.
        backoff: the back-off between failed activations.
        startup_jitter: at most this many seconds of random delay before the first activation.
        observers: told of each activation and back-off (``None``: nobody watches).
        refuse: called on the loop with each job of an answer that could not be read, and the
            answer's local deadline (``None``: such jobs are only logged).
    """

    def __init__(
        self,
        client: CamundaAsyncClient,
        config: WorkerConfig,
        capacity: Capacity,
        dispatch: Callable[[ActivatedJob, JobDeadline], None],
        status: PollStatus,
        log: JobLogger,
        *,
        backoff: Backoff,
        startup_jitter: float,
        observers: ObserverGroup | None = None,
        refuse: Callable[[UnreadableJob, JobDeadline], None] | None = None,
    ) -> None:
        self._client = client
        self._refuse = refuse
        self._config = config
        self._capacity = capacity
        self._dispatch = dispatch
        self._status = status
        self._log = log
        self._backoff = backoff
        self._startup_jitter = startup_jitter
        self._observers = observers
        # Ask for a quarter of the capacity (up to ACTIVATION_BATCH_MAX) when jobs are in
        # flight: one activation per freed slot would double the requests per job under load.
        self._batch = max(
            1, min(capacity.maximum // ACTIVATION_BATCH_DIVISOR, ACTIVATION_BATCH_MAX)
        )
        self._connection = ConnectionLog(log, client.base_url)
        self._debug = DebugGate(log)  # the DEBUG lines of each activation, when wanted

    async def run(self) -> None:
        """Poll until cancelled, or until a fatal error (recorded in the status) stops it."""
        if self._startup_jitter > 0:
            await anyio.sleep(random.uniform(0, self._startup_jitter))  # noqa: S311 - not crypto
        config = self._config
        timeout = config.job_timeout_milliseconds
        if timeout is None:  # resolve_options refuses a worker without one
            msg = "the worker has no job timeout"
            raise ConfigurationError(msg, variable="job_timeout_milliseconds")
        status = self._status
        status.state = WorkerState.POLLING
        while True:
            await self._capacity.wait_free(self._batch, ACTIVATION_LINGER)
            asked = self._capacity.free
            debug = self._debug.open()
            if debug:
                self._log.debug(f"activating up to {asked} job(s)")
            sent_monotonic = time.monotonic()
            try:
                jobs = await self._activate(sent_monotonic, timeout, asked)
            except Exception as error:  # noqa: BLE001 - sorted out below; the loop must go on
                if self._observers is not None:
                    self._observers.activation_finished(
                        config.job_type,
                        duration=time.monotonic() - sent_monotonic,
                        jobs=0,
                        error=error,
                    )
                if is_fatal(error):
                    self._fail(error)
                    return
                await self._back_off(error)
                continue
            received_monotonic = time.monotonic()
            if debug:
                self._log.debug(
                    f"activated {len(jobs)} of {asked} job(s) in "
                    f"{(received_monotonic - sent_monotonic) * 1000:.0f} ms"
                )
            if self._observers is not None:
                self._observers.activation_finished(
                    config.job_type,
                    duration=received_monotonic - sent_monotonic,
                    jobs=len(jobs),
                    error=None,
                )
            self._backoff.reset()
            status.last_successful_poll = datetime.now(timezone.utc)
            status.state = WorkerState.POLLING
            unreadable: tuple[UnreadableJob, ...] = getattr(jobs, "unreadable", ())
            if jobs or unreadable:
                # The server's deadlines on the local clock, never earlier than the engine's. A
                # job that could not be read has its own when found, else counts as the latest.
                server_deadlines = [job.deadline for job in jobs]
                found = [job.deadline for job in unreadable if job.deadline is not None]
                latest = max(server_deadlines + found, default=0)
                deadlines = activation_deadlines(
                    server_deadlines
                    + [latest if job.deadline is None else job.deadline for job in unreadable],
                    timeout_ms=timeout,
                    sent_monotonic=sent_monotonic,
                    received_monotonic=received_monotonic,
                )
                for job, deadline in zip(jobs, deadlines, strict=False):
                    self._dispatch(job, deadline)
                for refused, deadline in zip(unreadable, deadlines[len(jobs) :], strict=True):
                    self._unreadable(refused, deadline)
            await self._connection.succeeded(self._cluster_version)

    async def _cluster_version(self) -> str:
        return (await self._client.topology()).gateway_version

    def _unreadable(self, job: UnreadableJob, deadline: JobDeadline) -> None:
        if self._refuse is not None:
            self._refuse(job, deadline)
        else:
            self._log.warning(f"job {job.job_key} cannot be read: {job.reason}")

    async def _activate(self, sent: float, job_timeout: int, asked: int) -> list[ActivatedJob]:
        config = self._config
        status = self._status
        status.poll_sent = sent  # a probe sees a poll that outlives its long poll
        try:
            return await self._client.activate_jobs(
                job_type=config.job_type,
                max_jobs_to_activate=asked,
                timeout=job_timeout,
                worker=config.worker_name or "camunda-worker",
                # The first one answers at once: whether the cluster is reached is known (and
                # said) now, not after a long poll of an idle worker.
                request_timeout=(
                    config.request_timeout_milliseconds
                    if self._connection.reached
                    else _ANSWER_AT_ONCE
                ),
                fetch_variable=config.fetch_variables,
                tenant_ids=config.tenant_ids,
            )
        finally:
            status.poll_sent = None

    def _fail(self, error: BaseException) -> None:
        self._status.error = error
        self._status.state = WorkerState.FAILED
        self._log.error(
            f"the worker stops: activating jobs failed with an error that retrying cannot fix "
            f"({type(error).__name__}: {error})"
        )

    async def _back_off(self, error: Exception) -> None:
        delay = self._backoff.next_delay()
        self._status.state = WorkerState.BACKING_OFF
        if self._observers is not None:
            self._observers.backing_off(self._config.job_type, delay=delay, error=error)
        if is_expected(error):
            self._connection.failed(error, delay)
        else:
            self._log.exception(
                f"unexpected error while activating jobs ({type(error).__name__}: {error}); "
                f"retrying in {delay:.2f} s"
            )
        await anyio.sleep(delay)


def is_expected(error: BaseException) -> bool:
    """Whether an activation error is an ordinary one (transport, backpressure, 5xx)."""
    return isinstance(error, ProblemError) or getattr(error, "retryable", False) is True
