"""The async core of one worker: poll, run, acknowledge, drain, release. One event loop.

:meth:`WorkerRuntime.serve` runs until its stop event is set (or a fatal error stops the poll
loop), then drains: no more activations, in-flight jobs get ``drain_timeout`` seconds to finish
and send their results (or less: :meth:`WorkerRuntime.abandon`, e.g. on a second signal, ends
the drain at once), jobs still in flight then are reported, counted and abandoned, and the pools
and the clients the worker built are released. Abandoning waits for no handler: async handlers
are cancelled, handler threads are left to run out (they keep nothing from exiting), child
processes are terminated (killed if still there a second later). Whichever way the worker runs
(``async with``, a background thread, ``run()``), this is the code that runs.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import anyio

from camunda_worker._api.models import ActivatedJob
from camunda_worker._client.connection import async_client_from_settings, sync_client_from_settings
from camunda_worker._client.retry import Backoff
from camunda_worker.worker._acks import AckSender
from camunda_worker.worker._blocking import current_worker
from camunda_worker.worker._capacity import Capacity
from camunda_worker.worker._deadline import extend_while_running
from camunda_worker.worker._job_tasks import PLAIN_TASKS, JobTasks
from camunda_worker.worker._loop_watch import LoopWatch
from camunda_worker.worker._outcomes import Acknowledged, BpmnError, Failure
from camunda_worker.worker._overdue import watch_overdue
from camunda_worker.worker._poller import Poller, PollStatus
from camunda_worker.worker._runners import Abandoned, AsyncRunner, Expired, Runner, RunnerOptions
from camunda_worker.worker._state import Counters, WorkerState
from camunda_worker.worker._thread_runner import ThreadRunner

if TYPE_CHECKING:
    from camunda_worker._api.models import UnreadableJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._observer import JobOutcome, ObserverGroup
    from camunda_worker.worker._options import WorkerOptions
    from camunda_worker.worker._outcomes import Outcome

__all__ = ["WorkerRuntime", "describe_start"]

# Measured (benchmarks/, no-op async worker, max_concurrent_jobs 32, against the engine on
# loopback): 4 senders left worker and engine each waiting on the other's round trips, at 0.62 x
# the raw client's rate; 8 gave 0.90 x, 16 gave 1.07-1.14 x (and less CPU per job on both sides,
# as each wake-up carries more answers), 32 fell back to 0.83-0.95 x. A worker never needs more
# senders than it can have jobs in flight.
ACKNOWLEDGEMENT_SENDERS = 16

# How much of an unreadable job's reason goes into its failure message and the log.
_REASON_LENGTH = 1000


class WorkerRuntime:
    """One run of a worker on the current event loop.

    Args:
        options: the worker's resolved options.
        owner: the :class:`~camunda_worker.JobWorker` (to recognise its pool threads).
        status: where the state, the last successful poll and a fatal error are reported.
        counters: the worker's counters.
        log: the worker's logger, bound with its job type and name.
        client: the client to use; ``None`` builds one from the settings (and closes it).
        sync_client: the sync client for thread handlers; ``None`` builds one on first use.
        poll_backoff: the back-off between failed activations.
        observers: told of the worker's events (``None``: nobody watches).
    """

    def __init__(
        self,
        options: WorkerOptions,
        *,
        owner: object,
        status: PollStatus,
        counters: Counters,
        log: JobLogger,
        client: CamundaAsyncClient | None,
        sync_client: CamundaClient | None,
        poll_backoff: Backoff,
        observers: ObserverGroup | None = None,
    ) -> None:
        self._options = options
        self._owner = owner
        self._status = status
        self._counters = counters
        self._log = log
        self._client = client
        self._sync_client = sync_client
        self._owned_sync_client: CamundaClient | None = None
        self._sync_lock = threading.Lock()
        self._poll_backoff = poll_backoff
        self._observers = observers
        # What thread and child-process clients are built from: set when serving starts.
        self._settings_for_children: CamundaSettings | None = None
        self._stop: anyio.Event | None = None
        self._abandon = anyio.Event()
        self._abandon_reason = ""
        self.capacity = Capacity(options.max_concurrent_jobs)
        # Watches the event loop for handlers that block it, while serving (None: off).
        self.loop_watch: LoopWatch | None = None

    # -- clients -------------------------------------------------------------------------------

    def _child_settings(self, client: CamundaAsyncClient) -> CamundaSettings:
        settings = self._options.settings
        if self._client is not None and client.base_url != settings.rest_address:
            # An injected client decides the address; auth and TLS come from the settings.
            return settings.model_copy(update={"rest_address": client.base_url})
        return settings

    def _children_settings(self) -> CamundaSettings:
        settings = self._settings_for_children
        if settings is None:
            msg = "the settings of thread and child-process clients are set when serving starts"
            raise RuntimeError(msg)
        return settings

    def sync_client(self) -> CamundaClient:
        """The sync client of thread handlers: the injected one, or one built on first use."""
        if self._sync_client is not None:
            return self._sync_client
        with self._sync_lock:
            if self._owned_sync_client is None:
                self._owned_sync_client = sync_client_from_settings(self._children_settings())
            return self._owned_sync_client

    def _make_runner(self, client: CamundaAsyncClient) -> Runner:
        options = self._options
        runner_options = RunnerOptions(
            callback=options.callback,
            job_type=options.config.job_type,
            worker_name=options.worker_name,
            logger=options.logger,
            retry_back_off=options.retry_back_off,
            tracing=options.tracing,
        )
        if options.strategy == "async":
            return AsyncRunner(runner_options, client)
        if options.strategy == "thread":
            return ThreadRunner(
                runner_options,
                max_workers=options.max_concurrent_jobs,
                client_factory=self.sync_client,
                owner=self._owner,
            )
        from camunda_worker.worker._process_runner import ProcessRunner  # noqa: PLC0415

        if options.process is None:
            msg = "the process strategy without its process options"
            raise RuntimeError(msg)
        return ProcessRunner(
            runner_options,
            options.process,
            settings=self._children_settings(),
            log=self._log,
            extends_timeout=options.auto_extend_timeout,
            on_fatal=self._fatal,
        )

    # -- serving -------------------------------------------------------------------------------

    async def serve(self, stop: anyio.Event) -> None:
        """Poll and run jobs until ``stop`` is set or a fatal error, then drain and release."""
        options = self._options
        self._stop = stop
        client = self._client
        owned_client = client is None
        if client is None:
            client = async_client_from_settings(options.settings)
        self._settings_for_children = self._child_settings(client)
        runner = self._make_runner(client)
        self._log.info(describe_start(options))
        acks = AckSender(
            client,
            self._counters,
            self._log,
            senders=min(ACKNOWLEDGEMENT_SENDERS, max(1, options.config.max_concurrent_jobs or 1)),
            observers=self._observers,
            on_fatal=self._fatal,
        )
        self.loop_watch = LoopWatch.attach(
            job_type=options.config.job_type,
            threshold_ms=options.loop_block_threshold,
            on_loop=options.strategy == "async",
            log=self._log,
            observers=self._observers,
        )
        abandoned = False
        try:
            async with anyio.create_task_group() as jobs:
                acks.start(jobs)
                watch = self.loop_watch
                # The loop watch learns each job's task from dispatch and forgets it here.
                tasks = JobTasks(jobs, self._log, on_end=None if watch is None else watch.job_ended)
                drained = False
                try:
                    abandoned = await self._serve_jobs(runner, client, acks, tasks, stop)
                    drained = not abandoned
                finally:
                    if not drained:  # abandoned, or cancelled from outside: handlers too
                        tasks.cancel()
                        jobs.cancel_scope.cancel()
                    with anyio.CancelScope(shield=True):
                        await tasks.wait()
        except BaseException:
            abandoned = True  # cancelled from outside: do not wait for handlers either
            raise
        finally:
            if self.loop_watch is not None:
                self.loop_watch.close()
            with anyio.CancelScope(shield=True):
                await self._release(runner, client if owned_client else None, abandoned=abandoned)

    async def _serve_jobs(
        self,
        runner: Runner,
        client: CamundaAsyncClient,
        acks: AckSender,
        tasks: JobTasks,
        stop: anyio.Event,
    ) -> bool:
        """Poll and run jobs until ``stop`` is set, then drain; whether jobs were abandoned."""
        options = self._options

        watch = self.loop_watch

        def dispatch(job: ActivatedJob, deadline: JobDeadline) -> None:
            self._counters.activated += 1
            slot = self.capacity.take(job)
            task = tasks.start(self._handle(runner, acks, client, slot, deadline))
            if watch is not None and task is not None:
                watch.job_running(task, job.job_key)

        def refuse(job: UnreadableJob, deadline: JobDeadline) -> None:
            self._fail_unreadable(acks, job, deadline)

        poller = Poller(
            client,
            options.config,
            self.capacity,
            dispatch,
            self._status,
            self._log,
            backoff=self._poll_backoff,
            startup_jitter=options.startup_jitter,
            observers=self._observers,
            refuse=refuse,
        )
        async with anyio.create_task_group() as polling:
            polling.start_soon(self._poll, poller, stop)
            polling.start_soon(self._watch_overdue)
            await stop.wait()
            polling.cancel_scope.cancel()
        abandoned = await self._drain()
        acks.close()
        return abandoned

    def abandon(self, reason: str) -> None:
        """Stop at once: end the drain now; jobs still in flight are abandoned (loop thread).

        Args:
            reason: why, for the log (e.g. ``a second signal``).
        """
        if not self._abandon.is_set():
            self._abandon_reason = reason
        self._abandon.set()
        if self._stop is not None:
            self._stop.set()

    def _fatal(self, error: BaseException) -> None:
        status = self._status
        if status.error is None:
            status.error = error
            status.state = WorkerState.FAILED
        if self._stop is not None:
            self._stop.set()

    async def _watch_overdue(self) -> None:
        await watch_overdue(self.capacity, self._log, job_timeout_ms=self._options.job_timeout)

    async def _poll(self, poller: Poller, stop: anyio.Event) -> None:
        try:
            await poller.run()
        finally:
            stop.set()  # a fatal error ended the loop: drain and stop

    async def _drain(self) -> bool:
        status = self._status
        if status.state is not WorkerState.FAILED:
            status.state = WorkerState.DRAINING
        capacity = self.capacity
        timeout = self._options.drain_timeout
        if capacity.in_flight and not self._abandon.is_set():
            self._log.info(
                f"draining: waiting up to {timeout:g} s for {capacity.in_flight} job(s) in flight"
            )
        with anyio.move_on_after(timeout):
            async with anyio.create_task_group() as waiting:

                async def abandoned() -> None:
                    await self._abandon.wait()
                    waiting.cancel_scope.cancel()

                waiting.start_soon(abandoned)
                waiting.start_soon(self._watch_overdue)  # a drain may last minutes
                await capacity.wait_empty()
                waiting.cancel_scope.cancel()
        if not capacity.in_flight:
            return False
        now = time.monotonic()
        still = ", ".join(
            f"{slot.job.job_key} ({slot.stage}, {now - slot.started:.1f} s)"
            for slot in capacity.slots()
        )
        why = (
            f"the drain was abandoned ({self._abandon_reason})"
            if self._abandon.is_set()
            else f"drain timeout ({timeout:g} s) hit"
        )
        self._counters.abandoned += capacity.in_flight
        self._log.warning(
            f"{why} with {capacity.in_flight} job(s) still in flight: {still}; they are "
            "abandoned and will be activated again after their deadline (the job timeout)"
        )
        return True

    async def _release(
        self, runner: Runner, owned_client: CamundaAsyncClient | None, *, abandoned: bool
    ) -> None:
        try:
            await runner.aclose(abandon=abandoned)
        except Exception:  # noqa: BLE001 - closing must go on
            self._log.exception("error while shutting the handler pool down")
        sync_client, self._owned_sync_client = self._owned_sync_client, None
        if sync_client is not None:
            sync_client.close()
        if owned_client is not None:
            await owned_client.aclose()

    # -- one job -------------------------------------------------------------------------------

    async def _handle(
        self,
        runner: Runner,
        acks: AckSender,
        client: CamundaAsyncClient,
        slot: Slot,
        deadline: JobDeadline,
    ) -> None:
        handed_over = False
        current_worker.set(self._owner)  # this task's own context: lets aclose() see it
        observers = self._observers
        started = time.monotonic() if observers is not None else 0.0
        # A plain task was noted by dispatch (JobTasks forgets it); the task group's: here.
        watch = None if PLAIN_TASKS else self.loop_watch
        watched = watch.job_started(slot.job.job_key) if watch is not None else None
        try:
            extending = self._options.auto_extend_timeout
            deadline = deadline.copy() if extending else deadline  # its own: extensions move it
            slot.deadline = deadline
            if self._options.tracing is not None:
                outcome = await self._run_traced(runner, client, slot, deadline)
            elif extending:
                outcome = await self._run_extending(runner, client, slot, deadline)
            else:  # the hot path: no extra frame per job
                outcome = await runner.run(slot, deadline)
            if observers is not None:
                observers.job_finished(
                    slot.job.job_type,
                    outcome=_outcome_name(outcome),
                    duration=time.monotonic() - started,
                )
            if isinstance(outcome, Expired):
                self._counters.expired += 1
                self._log.warning(
                    f"job {slot.job.job_key} was not run: its deadline passed before its handler "
                    "could start (it will be activated again)"
                )
            elif isinstance(outcome, Acknowledged):
                self._counters.acknowledged_by_handler += 1
            elif isinstance(outcome, Abandoned):
                pass  # the worker is stopping because of it; the job times out
            else:
                self._note(slot, outcome)
                handed_over = acks.submit(slot, outcome, deadline)
        except Exception:  # noqa: BLE001 - a bug here must not stop the other jobs
            self._log.exception(f"internal error while handling job {slot.job.job_key}")
        finally:
            if watch is not None:
                watch.job_ended(watched)
            if not handed_over and not slot.held_by_thread:
                slot.release()

    async def _run_traced(
        self, runner: Runner, client: CamundaAsyncClient, slot: Slot, deadline: JobDeadline
    ) -> Outcome | Expired | Abandoned:
        tracing = self._options.tracing
        if tracing is None:  # pragma: no cover - _handle calls this only when tracing
            return await runner.run(slot, deadline)
        with tracing.job_span(slot) as span:
            if self._options.auto_extend_timeout:
                outcome = await self._run_extending(runner, client, slot, deadline)
            else:
                outcome = await runner.run(slot, deadline)
            tracing.record(span, outcome)
        return outcome

    async def _run_extending(
        self, runner: Runner, client: CamundaAsyncClient, slot: Slot, deadline: JobDeadline
    ) -> Outcome | Expired | Abandoned:
        async with anyio.create_task_group() as extending:
            extending.start_soon(
                lambda: extend_while_running(
                    client,
                    slot.job.job_key,
                    timeout_ms=self._options.job_timeout,
                    deadline=deadline,
                    log=self._log,
                )
            )
            try:
                return await runner.run(slot, deadline)
            finally:
                extending.cancel_scope.cancel()
        raise AssertionError("unreachable: the task group re-raises")

    def _fail_unreadable(self, acks: AckSender, job: UnreadableJob, deadline: JobDeadline) -> None:
        """Fail a job the client could not read, with no retries left: an incident shows why.

        Reading the same job again gives the same result, so retries would only repeat the
        failure; after the cause is fixed (the variables, or the worker), resolving the
        incident lets a worker activate it again. A job whose key cannot be found cannot be
        failed: it is logged as an error each time it comes back after its timeout.
        """
        self._counters.activated += 1
        reason = job.reason
        if len(reason) > _REASON_LENGTH:
            reason = reason[: _REASON_LENGTH - 3] + "..."
        if job.job_key is None:
            self._log.error(
                f"an activated job without a job key cannot be read ({reason}); it cannot be "
                "failed without its key: it will be activated again after its timeout"
            )
            return
        self._log.warning(
            f"job {job.job_key} cannot be read ({reason}); failing it with no retries left "
            "(an incident): reading it again would fail again"
        )
        # What the slot and the sender need (the key and type); the rest is unknown.
        held = ActivatedJob(
            job_key=job.job_key,
            job_type=job.job_type or self._options.config.job_type,
            process_instance_key="",
            process_definition_id="",
            process_definition_version=0,
            process_definition_key="",
            element_id="",
            element_instance_key="",
            custom_headers={},
            worker=self._options.worker_name,
            retries=job.retries if job.retries is not None else 0,
            deadline=job.deadline if job.deadline is not None else 0,
            variables={},
            tenant_id="",
        )
        failure = Failure(
            retries=0,
            error_message=f"this job cannot be read by the worker: {reason}. Reading it again would "
            "fail again, so it is failed with no retries left: fix the cause and resolve the "
            "incident",
        )
        slot = self.capacity.take(held)
        if not acks.submit(slot, failure, deadline):  # pragma: no cover - only while polling
            slot.release()

    def _note(self, slot: Slot, outcome: Outcome) -> None:
        if isinstance(outcome, Failure):
            headline = outcome.error_message.split("\n", 1)[0]
            self._log.warning(
                f"job {slot.job.job_key} failed ({outcome.retries} retries left): {headline}"
            )
        elif isinstance(outcome, BpmnError):
            self._log.info(
                f"job {slot.job.job_key} throws BPMN error {outcome.error_code!r}"
                + (f": {outcome.error_message}" if outcome.error_message else "")
            )


def describe_start(options: WorkerOptions) -> str:
    """The line a worker logs when it starts: strategy, handler parameters, fetched variables."""
    fetch = options.config.fetch_variables
    fetched = ", ".join(fetch) if fetch else "all"
    if options.fetch_inferred:
        fetched += " (from the handler's parameters)"
    return (
        f"worker for job type {options.config.job_type!r} starts: strategy {options.strategy}, "
        f"handler ({options.plan.description}), fetch variables: {fetched}"
    )


def _outcome_name(outcome: Outcome | Expired | Abandoned) -> JobOutcome:
    if isinstance(outcome, Expired):
        return "expired"
    if isinstance(outcome, Abandoned):
        return "abandoned"
    if isinstance(outcome, Acknowledged):
        return "acknowledged_by_handler"
    if isinstance(outcome, Failure):
        return "failed"
    if isinstance(outcome, BpmnError):
        return "bpmn_error"
    return "completed"
