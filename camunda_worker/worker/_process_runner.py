"""The ``process`` strategy: handlers run in a pool of child processes.

The pool (a :class:`~concurrent.futures.ProcessPoolExecutor` with the configured start method,
initializer and ``max_tasks_per_child``) is created on the first job and shut down when the
worker closes. Children send three kinds of events through a pipe read by a thread here: "I am
process P" (when a child starts: the runner keeps its :class:`multiprocessing.Process`, found
among :func:`multiprocessing.active_children`, so it knows its pool's children without reading
the executor's private table), "job J started in process P", and their log records.

A child that dies (``os._exit``, a segfault, the OOM killer) breaks the whole executor: every
pending future fails with :class:`BrokenProcessPool` and the other children are terminated. The
executor cannot say whose fault it was, so the runner finds out: when the first future breaks,
it notes which children are dead (before the executor terminates the others); a job whose
"started" event names a dead child fails (one retry fewer, with the exit code in the message);
every other job was innocent and is resubmitted to a new pool. A job caught in three breaks fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from camunda_worker.worker import _child
from camunda_worker.worker._blocking import run_blocking
from camunda_worker.worker._child_logs import ChildLogs
from camunda_worker.worker._handback import ResultHandback
from camunda_worker.worker._outcomes import Failure, describe_exception
from camunda_worker.worker._runners import ABANDONED, Abandoned, Expired, RunnerOptions

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._options import ProcessOptions
    from camunda_worker.worker._outcomes import Outcome

__all__ = ["ProcessRunner"]

_MAX_BREAKS = 3
_MAX_BARREN_BREAKS = 3
_EXIT_CODE_WAIT = 1.0
TERMINATE_GRACE = 1.0
"""Seconds a child gets to end after SIGTERM (at the drain timeout) before it is killed."""


def _how_it_died(exitcode: int | None) -> str:
    if exitcode is None:
        return "it was terminated"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Pool:
    """One executor, its event pipe and the thread that reads the pipe."""

    def __init__(
        self, options: ProcessOptions, setup_args: dict[str, Any], logs: ChildLogs, name: str
    ) -> None:
        context = multiprocessing.get_context(options.start_method)
        self._reader, self._writer = context.Pipe(duplex=False)
        self._wake_reader, self._wake_writer = multiprocessing.Pipe(duplex=False)
        self._read_lock = threading.Lock()
        self._logs = logs
        # The job each child started last: a child runs one job at a time, so at a break the
        # job of a dead child is the one it was running. Bounded by the number of children.
        self.started_by_pid: dict[int, str] = {}
        # This pool's children, by pid, as they announced themselves (another worker's pool in
        # this process has children too: only the pid a child sends through this pipe is ours).
        self.children: dict[int, multiprocessing.process.BaseProcess] = {}
        self._pool_size = options.pool_size
        self.dead: dict[int, int | None] | None = None
        self.barren = False  # broke before any job started in it
        setup = _child.ChildSetup(events=self._writer, events_lock=context.Lock(), **setup_args)
        kwargs: dict[str, Any] = {}
        if options.max_tasks_per_child is not None:
            kwargs["max_tasks_per_child"] = options.max_tasks_per_child
        self.executor = ProcessPoolExecutor(
            options.pool_size,
            mp_context=context,
            initializer=_child.initialize,
            initargs=(setup,),
            **kwargs,
        )
        self._thread = threading.Thread(
            target=self._read_events, name=f"{name} events", daemon=True
        )
        self._thread.start()

    # -- events from the children --------------------------------------------------------------

    def _read_events(self) -> None:
        while True:
            ready = multiprocessing.connection.wait([self._reader, self._wake_reader])
            self.sync()
            if self._wake_reader in ready:
                return

    def sync(self) -> None:
        """Handle every event already written to the pipe."""
        with self._read_lock:
            reader = self._reader
            while not reader.closed and reader.poll():
                try:
                    event = reader.recv()
                except (EOFError, OSError):
                    return
                if event[0] == "started":
                    self.started_by_pid[event[2]] = event[1]
                elif event[0] == "child":
                    self._adopt(event[1])
                else:
                    try:
                        self._logs.handle(event[0], event[1])
                    except Exception:  # noqa: BLE001, S112 - a bad record must not stop the reader
                        continue

    def _adopt(self, pid: int) -> None:
        """Keep the process object of this pool's new child ``pid`` (it announced itself)."""
        for process in multiprocessing.active_children():
            if process.pid == pid:
                self.children[pid] = process
                break
        if len(self.children) > 2 * self._pool_size + 8:
            # Children replaced after max_tasks_per_child: forget those that ended cleanly.
            for old, process in list(self.children.items()):
                if process.exitcode == 0:
                    del self.children[old]

    # -- breaks --------------------------------------------------------------------------------

    def watch(self, future: Future[Any]) -> None:
        """Note which children are dead when ``future`` breaks (before the others are killed)."""

        def on_done(done: Future[Any]) -> None:
            if self.dead is not None or done.cancelled():
                return
            if isinstance(done.exception(), BrokenProcessPool):
                self.dead = self._dead_children()

        future.add_done_callback(on_done)

    def _dead_children(self) -> dict[int, int | None]:
        # Runs in the executor's manager thread, before it terminates the other children. A
        # child's sentinel is ready as soon as it exits, slightly before it can be reaped: wait
        # for its exit code briefly.
        self.sync()  # a child announced just before it broke the pool
        processes = list(self.children.items())
        # Keyed by what connection.wait() hands back (typed as any waitable): the sentinels.
        by_sentinel: dict[Any, tuple[int, multiprocessing.process.BaseProcess]] = {
            process.sentinel: (pid, process) for pid, process in processes
        }
        ready = multiprocessing.connection.wait(list(by_sentinel), timeout=0)
        dead: dict[int, int | None] = {}
        for sentinel in ready:
            pid, process = by_sentinel[sentinel]
            process.join(_EXIT_CODE_WAIT)
            dead[pid] = process.exitcode
        return dead

    def terminate_children(self) -> None:
        """End the children (the worker gave up on their handlers): SIGTERM, then SIGKILL.

        A child still there :data:`TERMINATE_GRACE` seconds after SIGTERM (its handler
        installed a handler of its own for it, or ignores it) is killed. Blocking.
        """
        self.sync()
        processes = [process for process in self.children.values() if process.exitcode is None]
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        sentinels: dict[Any, multiprocessing.process.BaseProcess] = {
            process.sentinel: process for process in processes
        }
        deadline = time.monotonic() + TERMINATE_GRACE
        while sentinels and (left := deadline - time.monotonic()) > 0:
            for ended in multiprocessing.connection.wait(list(sentinels), timeout=left):
                sentinels.pop(ended)
        for process in sentinels.values():
            with contextlib.suppress(Exception):
                process.kill()

    def close(self) -> None:
        """Shut the executor down, stop the reader, close the pipes (blocking)."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        self._wake_writer.send_bytes(b"stop")
        self._thread.join()
        for connection in (self._reader, self._writer, self._wake_reader, self._wake_writer):
            connection.close()


class _Done:
    """A child's result, from the executor's future to the loop's (through a hand-back)."""

    __slots__ = ("future", "on_settled", "settled", "waiter")

    def __init__(self, future: Future[Any], waiter: asyncio.Future[Any]) -> None:
        self.future = future
        self.waiter = waiter
        self.settled = False
        self.on_settled: Callable[[], None] | None = None

    def settle(self) -> None:
        """On the loop: copy the executor future's end to the waiter."""
        self.settled = True
        future, waiter = self.future, self.waiter
        if not waiter.done():
            if future.cancelled():
                waiter.cancel()
            elif (error := future.exception()) is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(future.result())
        if self.on_settled is not None:
            self.on_settled()


class ProcessRunner:
    """Runs picklable handlers in child processes.

    Args:
        options: the worker's runner options.
        process: the pool options.
        settings: what the children's clients are built from.
        log: the worker's logger.
        extends_timeout: whether the worker extends job timeouts while handlers run.
        on_fatal: called when children keep dying before running any job (the worker stops).
    """

    def __init__(
        self,
        options: RunnerOptions,
        process: ProcessOptions,
        *,
        settings: CamundaSettings,
        log: JobLogger,
        extends_timeout: bool = False,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._options = options
        self._extends = extends_timeout
        self._process = process
        self._log = log
        self._logs = ChildLogs(options.logger)
        self._setup_args: dict[str, Any] = {
            "callback": options.callback,
            "settings": settings,
            "job_type": options.job_type,
            "worker_name": options.worker_name,
            "retry_back_off": options.retry_back_off,
            "initializer": process.initializer,
            "initargs": process.initargs,
        }
        self._pool: _Pool | None = None
        self._handback: ResultHandback | None = None
        self._retired: list[threading.Thread] = []
        self._barren_breaks = 0
        self._on_fatal = on_fatal
        self._name = f"camunda-worker[{options.job_type}]"

    def _current(self) -> _Pool:
        pool = self._pool
        if pool is None:
            pool = self._pool = _Pool(self._process, self._setup_args, self._logs, self._name)
        return pool

    def _retire(self, pool: _Pool) -> None:
        if self._pool is pool:
            self._pool = None
            closer = threading.Thread(target=pool.close, name=f"{self._name} retire", daemon=True)
            closer.start()
            self._retired.append(closer)

    async def run(self, slot: Slot, deadline: JobDeadline) -> Outcome | Expired | Abandoned:
        """Run the handler in a child process with a :class:`SyncJobContext`."""
        job = slot.job
        # While the worker extends the timeout, a job waiting for a free child stays ours.
        deadline_wall = None if self._extends else deadline.wall
        breaks = 0
        while True:
            pool = self._current()
            try:
                future = pool.executor.submit(_child.run_job, job, deadline_wall)
            except BrokenProcessPool:  # broke under another job; its handling replaces it
                self._retire(pool)
                continue
            pool.watch(future)
            slot.stage = "running"
            try:
                return await self._wait(slot, future)
            except BrokenProcessPool:
                pass
            except Exception as error:  # noqa: BLE001 - e.g. an unpicklable job or result
                return Failure(
                    retries=max(job.retries - 1, 0),
                    error_message=f"the job could not be run in a child process: "
                    f"{describe_exception(error)}",
                )
            verdict = self._after_break(pool, job.job_key)
            if isinstance(verdict, Failure):
                return Failure(
                    retries=max(job.retries - 1, 0),
                    error_message=verdict.error_message,
                )
            if self._barren_breaks >= _MAX_BARREN_BREAKS:
                return ABANDONED  # children cannot start: the worker stops, the job times out
            if verdict == "barren":
                continue  # not this job's doing, nor any job's: not counted against it
            breaks += 1
            if breaks >= _MAX_BREAKS:
                return Failure(
                    retries=max(job.retries - 1, 0),
                    error_message=f"the process pool broke {_MAX_BREAKS} times while this job "
                    "was queued or running in it (other jobs' child processes died)",
                )
            self._log.warning(
                f"job {job.job_key} was interrupted because another job's child process died; "
                f"running it again ({breaks}/{_MAX_BREAKS})"
            )

    async def _wait(self, slot: Slot, future: Future[Any]) -> Outcome | Expired:
        loop = asyncio.get_running_loop()
        handback = self._handback
        if handback is None or handback.loop is not loop:
            handback = self._handback = ResultHandback(loop)
        waiter: asyncio.Future[Outcome | Expired] = loop.create_future()
        done = _Done(future, waiter)
        future.add_done_callback(lambda _: handback.put(done))
        try:
            result = await waiter
        except asyncio.CancelledError:
            if not future.cancel() and not done.settled:
                slot.held_by_thread = True
                done.on_settled = slot.release
            raise
        self._barren_breaks = 0
        return result

    def _after_break(self, pool: _Pool, job_key: str) -> Failure | str:
        """Decide what a break means for one of its jobs: its fault, innocent, or barren."""
        pool.sync()  # a child wrote "started" before it died: read it now
        dead = pool.dead or {}
        if self._pool is pool:  # the first job to see this break handles the pool
            pool.barren = not pool.started_by_pid
            self._retire(pool)
            if pool.barren:
                self._barren_break(dead)
            else:
                self._barren_breaks = 0
        pid = next((pid for pid in dead if pool.started_by_pid.get(pid) == job_key), None)
        if pid is None:
            return "barren" if pool.barren else "innocent"
        how = _how_it_died(dead[pid])
        self._log.error(f"the child process {pid} running job {job_key} died ({how})")
        return Failure(
            retries=0,
            error_message=f"the child process running the handler died ({how}); the worker "
            "replaced its process pool",
        )

    def _barren_break(self, dead: dict[int, int | None]) -> None:
        # Children died before running any job: the initializer failed, or a spawned child
        # could not import the main module. Retrying forever would hide it; failing the jobs
        # would burn their retries for a problem that is not theirs.
        self._barren_breaks += 1
        if self._barren_breaks < _MAX_BARREN_BREAKS:
            return
        codes = ", ".join(_how_it_died(code) for code in dead.values()) or "exit unknown"
        error = RuntimeError(
            f"the child processes of the 'process' strategy die before running any job "
            f"({codes}), {_MAX_BARREN_BREAKS} pools in a row; check the process initializer "
            "(its error is logged above), and that a child can import the main module (start "
            "workers under `if __name__ == '__main__':`)"
        )
        self._log.error(str(error))
        if self._on_fatal is not None:
            self._on_fatal(error)

    async def aclose(self, *, abandon: bool) -> None:
        """Shut the pool down; end children still running handlers when ``abandon``."""
        pool, self._pool = self._pool, None
        if pool is not None:

            def close() -> None:
                if abandon:
                    pool.terminate_children()
                pool.close()

            await run_blocking(close, name=f"{self._name} shutdown")
        retired, self._retired = self._retired, []
        for thread in retired:
            if thread.is_alive():
                await run_blocking(thread.join, name=f"{self._name} join")
