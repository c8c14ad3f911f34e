"""The ``process`` strategy: handlers run in a pool of child processes, each with its own pipe.

The pool (``pool_size`` children of the configured start method, each running
:func:`._child.serve`) is started on the first job and shut down when the worker closes. Each
child has its own duplex pipe: the worker sends it jobs (at most :data:`PREFETCH` at once, so
that a child never waits for the worker's round trip between two jobs), the child runs them one
at a time and in order, and sends back each outcome and its log records. One thread here waits
on every child's pipe and process sentinel; what it reads reaches the event loop through a
:class:`~._handback.ResultHandback`, one wake-up for all that is ready. Everything else (which
child gets which job, starting and replacing children) happens on the event loop.

There is no executor in between (a :class:`~concurrent.futures.ProcessPoolExecutor` costs two
threads of its own and several thread switches per job), and a child that dies breaks nothing
else: the job it was running (the oldest one it had no result for) fails, one retry fewer, with
the way it died in the message; the jobs queued behind it in its pipe never started, and go to
another child. A child that dies before it is ready (its initializer failed, a spawned child
cannot import the main module) has no job; after three such deaths in a row the worker stops.
While no child is ready for :data:`READY_WARNING` seconds (an initializer that hangs never dies),
the worker says so, with the jobs waiting, every :data:`READY_WARNING` seconds.
A child replaced after ``max_tasks_per_child`` jobs is sent no more than that many.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from typing import TYPE_CHECKING, Any

from camunda_worker.worker import _child
from camunda_worker.worker._blocking import run_blocking
from camunda_worker.worker._child_logs import ChildLogs
from camunda_worker.worker._handback import ResultHandback
from camunda_worker.worker._outcomes import Failure, describe_exception
from camunda_worker.worker._runners import ABANDONED, Abandoned, Expired, RunnerOptions

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from camunda_worker._api.models import ActivatedJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._options import ProcessOptions
    from camunda_worker.worker._outcomes import Outcome

__all__ = ["PREFETCH", "PREFETCH_BYTES", "TERMINATE_GRACE", "ProcessRunner"]

PREFETCH = 2
"""Jobs a child holds at once: the one it runs and the next one, already in its pipe."""
PREFETCH_BYTES = 8192
"""The largest job (pickled) sent to a child that is still running another one.

A job waiting in a child's pipe must fit in the pipe's buffer (a socket pair: 8 KiB on macOS,
more on Linux), or sending it would block the event loop until the child finishes the job it
runs, which may be never. A bigger job waits on the worker's side for an idle child.
"""
_MAX_BARREN_DEATHS = 3
_EXIT_CODE_WAIT = 1.0
_CLOSE_WAIT = 5.0
TERMINATE_GRACE = 1.0
"""Seconds a child gets to end after SIGTERM (at the drain timeout) before it is killed."""
READY_WARNING = 30.0
"""Seconds with no child ready (all still starting: a process initializer that hangs, a slow
import) after which the worker warns, and again every as many seconds while it lasts."""


def _dumps(value: object) -> bytes:
    return bytes(ForkingPickler.dumps(value))


def _how_it_died(exitcode: int | None) -> str:
    if exitcode is None:
        return "it was terminated"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Work:
    """One job on its way through a child: its waiter on the loop and, later, its result."""

    __slots__ = (
        "cancelled",
        "deadline_wall",
        "error",
        "job",
        "message",
        "on_settled",
        "result",
        "sent",
        "settled",
        "slot",
        "trace",
        "waiter",
    )

    def __init__(
        self,
        job: ActivatedJob,
        deadline_wall: float | None,
        waiter: asyncio.Future[Any],
        trace: dict[str, str] | None = None,
    ) -> None:
        self.job = job
        self.deadline_wall = deadline_wall
        self.waiter = waiter
        self.trace = trace  # the job span's trace context, made current in the child
        self.slot: Slot | None = None  # its stage says whether a child runs it
        self.message: bytes | None = None  # pickled, until it is sent
        self.sent = False  # in a child's pipe: it runs, or will, unless that child dies
        self.cancelled = False  # nobody waits for it any more (not sent: it never will be)
        self.settled = False
        self.result: Any = None
        self.error: BaseException | None = None
        # Called on the loop once the work is settled (a slot held by a running child).
        self.on_settled: Callable[[], None] | None = None

    def started(self) -> None:
        """On the loop: the job is the first one its child has not answered; it runs."""
        if self.slot is not None and self.slot.stage == "queued":
            self.slot.stage = "running"

    def settle(self) -> None:
        """On the loop: give the waiter its result."""
        self.settled = True
        waiter = self.waiter
        if not waiter.done():
            if self.error is not None:
                waiter.set_exception(self.error)
            else:
                waiter.set_result(self.result)
        self.error = self.result = None
        if self.on_settled is not None:
            self.on_settled()


class _Child:
    """A child process, its pipe, and the jobs sent to it that it has not answered yet."""

    def __init__(self, process: BaseProcess, pipe: Connection, setup: _child.ChildSetup) -> None:
        self.process = process
        self.setup = setup  # alive while the child is: a spawned child unpickles it later
        self.pipe = pipe
        self.ready = False
        self.started = time.monotonic()
        self.sent = 0  # jobs sent in its life (max_tasks_per_child)
        self.outstanding: collections.deque[_Work] = collections.deque()  # sent, no answer yet
        self.dead = False  # the reader saw it end (set by the reader thread only)
        self.unwritable = False  # a send failed: it is ending
        self._pipe_lock = threading.Lock()
        self._pipe_closed = False

    def close_pipe(self) -> None:
        """Close the parent's end of the pipe, once, from whichever thread comes first.

        The loop (the child ended) and the shutdown thread (the pool closes) both close it;
        two unguarded closes race inside ``Connection.close`` and the second ``os.close`` fails
        with EBADF, or closes a descriptor the process opened meanwhile under the same number.
        """
        with self._pipe_lock:
            if self._pipe_closed:
                return
            self._pipe_closed = True
        self.pipe.close()


class _Event:
    """Something the reader thread saw, for the loop: a child ready, or a child ended."""

    __slots__ = ("child", "handle", "kind")

    def __init__(self, handle: Callable[[str, _Child], None], kind: str, child: _Child) -> None:
        self.handle = handle
        self.kind = kind
        self.child = child

    def settle(self) -> None:
        self.handle(self.kind, self.child)


class _Pool:
    """The children, the thread that reads their pipes, and the queue of jobs not sent yet.

    Everything but :meth:`_read` runs on the event loop.
    """

    def __init__(
        self,
        options: ProcessOptions,
        setup_args: dict[str, Any],
        logs: ChildLogs,
        name: str,
        handback: ResultHandback,
        on_barren: Callable[[list[int | None]], None],
        log: JobLogger,
    ) -> None:
        self._options = options
        self._context = multiprocessing.get_context(options.start_method)
        self._setup_args = setup_args
        self._logs = logs
        self._name = name
        self._handback = handback
        self._on_barren = on_barren
        self._log = log
        self._children: list[_Child] = []
        self._children_lock = threading.Lock()  # the list the reader thread waits on
        self._pending: collections.deque[_Work] = collections.deque()
        self._barren: list[int | None] = []  # exit codes of children that died before ready
        self._closing = False
        self.broken = False  # children cannot start: no job is sent any more
        self._wake_reader, self._wake_writer = multiprocessing.Pipe(duplex=False)
        self._loop = handback.loop
        for _ in range(options.pool_size):
            self._start_child()
        self._loop.call_later(READY_WARNING, self._check_ready)
        self._thread = threading.Thread(target=self._read, name=f"{name} children", daemon=True)
        self._thread.start()

    # -- children ------------------------------------------------------------------------------

    def _start_child(self) -> None:
        ours, theirs = self._context.Pipe(duplex=True)
        setup = _child.ChildSetup(
            events=theirs, events_lock=self._context.Lock(), **self._setup_args
        )
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_child.serve,
            args=(setup, theirs, self._options.max_tasks_per_child),
            name=f"{self._name} child",
            daemon=True,
        )
        process.start()
        theirs.close()  # the child's end lives in the child alone: its death is our EOF
        with self._children_lock:
            self._children.append(_Child(process, ours, setup))
        self._wake()

    def _check_ready(self) -> None:
        """On the loop, every :data:`READY_WARNING` s: warn while no child has become ready."""
        if self._closing or self.broken:
            return
        with self._children_lock:
            children = list(self._children)
        now = time.monotonic()
        if children and not any(child.ready for child in children):
            waited = now - min(child.started for child in children)
            if waited >= READY_WARNING:
                self._log.warning(
                    f"no child process of the 'process' strategy is ready {waited:.0f} s after "
                    f"it started ({len(self._pending)} job(s) waiting): its process initializer "
                    "may hang, or the main module may take that long to import in a child"
                )
        self._loop.call_later(READY_WARNING, self._check_ready)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_writer.send_bytes(b"w")

    def _on_event(self, kind: str, child: _Child) -> None:
        if kind == "answered":  # it has room again, and runs its next job if it has one
            with contextlib.suppress(IndexError):  # the reader may have taken it meanwhile
                child.outstanding[0].started()
            self.dispatch()
        elif kind == "ready":
            child.ready = True
            self._barren.clear()
            self.dispatch()
        else:
            self._ended(child)

    def _ended(self, child: _Child) -> None:
        """On the loop: ``child`` is gone; settle its jobs, start another one."""
        with self._children_lock:
            if child in self._children:
                self._children.remove(child)
        child.close_pipe()
        code = child.process.exitcode
        if not child.ready:
            self._barren.append(code)
        outstanding = list(child.outstanding)
        child.outstanding.clear()
        # The first one was running: whatever the exit code (a handler may os._exit(0)), a child
        # asked to stop only does so between jobs, when it has answered every one it was sent.
        if outstanding and not self._closing:
            culprit = outstanding.pop(0)
            how = _how_it_died(code)
            self._log.error(
                f"the child process {child.process.pid} running job {culprit.job.job_key} "
                f"died ({how})"
            )
            culprit.result = Failure(
                retries=max(culprit.job.retries - 1, 0),
                error_message=f"the child process running the handler died ({how}); the worker "
                "started another child process",
            )
            culprit.settle()
        elif child.ready and code != 0 and not self._closing:  # 0: it stopped on purpose
            self._log.warning(
                f"the child process {child.process.pid} died between jobs "
                f"({_how_it_died(code)}); the worker starts another child process"
            )
        for work in reversed(outstanding):  # never started: first in line for another child
            work.sent = False
            self._pending.appendleft(work)
        if self._closing or self.broken:
            return
        if len(self._barren) >= _MAX_BARREN_DEATHS:
            self.broken = True
            self._on_barren(list(self._barren))
            for work in self._pending:
                work.result = ABANDONED
                work.settle()
            self._pending.clear()
            return
        self._start_child()
        self.dispatch()

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, work: _Work) -> None:
        """Queue ``work`` and send what can be sent."""
        if self.broken:
            work.result = ABANDONED
            work.settle()
            return
        self._pending.append(work)
        self.dispatch()

    def dispatch(self) -> None:
        """Send pending jobs to ready children with room, idle children first.

        Each round gives one job to each child holding ``load`` jobs: every idle child gets one
        before any busy child gets one more in its pipe. While a child is starting, no job is
        queued behind a busy one: the starting child will be idle in a moment.
        """
        if self._closing:
            return
        limit = self._options.max_tasks_per_child
        starting = any(not child.ready for child in self._children)
        for load in range(1 if starting else PREFETCH):
            for child in self._children:
                if not self._pending:
                    return
                if (
                    child.ready
                    and not child.unwritable
                    and len(child.outstanding) == load
                    and (limit is None or child.sent < limit)
                ):
                    self._send_one(child)

    def _send_one(self, child: _Child) -> None:
        """Send ``child`` the first pending job that is still wanted, if it may take it."""
        pending = self._pending
        while pending:
            work = pending.popleft()
            if work.cancelled:
                continue
            message = work.message
            if message is None:
                try:
                    message = _dumps((work.job, work.deadline_wall, work.trace))
                except Exception as error:  # noqa: BLE001 - e.g. a job that cannot be pickled
                    work.error = error
                    work.settle()
                    continue
            if child.outstanding and len(message) > PREFETCH_BYTES:
                work.message = message  # for an idle child (this one, or another)
                pending.appendleft(work)
                return
            work.message = None
            # In line before it is sent: the reader thread may read the answer before
            # send_bytes() returns here.
            work.sent = True
            idle = not child.outstanding
            child.outstanding.append(work)
            try:
                child.pipe.send_bytes(message)
            except OSError:  # the child died a moment ago: its end is on its way here
                child.outstanding.pop()
                work.message = message
                work.sent = False
                pending.appendleft(work)
                child.unwritable = True
                return
            child.sent += 1
            if idle:
                work.started()
            return

    def cancel(self, work: _Work) -> bool:
        """Forget ``work`` if no child has it; ``True`` then (it never runs)."""
        work.cancelled = True
        if work.sent:
            return False
        with contextlib.suppress(ValueError):
            self._pending.remove(work)
        return True

    # -- the reader thread ---------------------------------------------------------------------

    def _read(self) -> None:
        while True:
            with self._children_lock:
                children = [child for child in self._children if not child.dead]
            by_waitable: dict[Any, _Child] = {}
            for child in children:
                by_waitable[child.pipe] = child
                by_waitable[child.process.sentinel] = child
            try:
                ready = multiprocessing.connection.wait([self._wake_reader, *by_waitable])
            except OSError:  # a pipe closed under us: look again
                continue
            if self._wake_reader in ready:
                try:
                    while self._wake_reader.poll():
                        if self._wake_reader.recv_bytes() == b"stop":
                            return
                except (EOFError, OSError):
                    return
            for waitable in ready:
                found = by_waitable.get(waitable)
                if found is not None and not found.dead:
                    self._receive(found, ended=waitable is found.process.sentinel)

    def _receive(self, child: _Child, *, ended: bool) -> None:
        pipe = child.pipe
        try:
            while pipe.poll():
                data = pipe.recv_bytes()
                try:
                    message = pickle.loads(data)  # noqa: S301 - our own child's answer
                except Exception as error:  # noqa: BLE001 - e.g. nested deeper than we can read
                    # Log records are plain data: what cannot be read is a job's outcome.
                    message = ("error", error)
                del data
                self._message(child, message)
        except (EOFError, OSError):
            ended = True
        if ended:
            child.process.join(_EXIT_CODE_WAIT)
            child.dead = True
            self._handback.put(_Event(self._on_event, "ended", child))

    def _message(self, child: _Child, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind in {"result", "error"}:
            if not child.outstanding:  # pragma: no cover - a child answers only what it got
                return
            work = child.outstanding.popleft()
            if kind == "result":
                work.result = message[1]
            else:
                work.error = message[1]
            self._handback.put(work)
            self._handback.put(_Event(self._on_event, "answered", child))
        elif kind == "ready":
            self._handback.put(_Event(self._on_event, "ready", child))
        elif kind in ("loguru", "logging"):
            with contextlib.suppress(Exception):  # a bad record must not stop the reader
                self._logs.handle(kind, message[1])

    # -- the end -------------------------------------------------------------------------------

    def stop(self) -> None:
        """On the loop, before :meth:`close`: no child is started or sent a job any more."""
        self._closing = True
        self.broken = True

    def terminate_children(self) -> None:
        """End the children (the worker gave up on their handlers): SIGTERM, then SIGKILL.

        A child still there :data:`TERMINATE_GRACE` seconds after SIGTERM (its handler
        installed a handler of its own for it, or ignores it) is killed. Blocking.
        """
        with self._children_lock:
            processes = [child.process for child in self._children]
        processes = [process for process in processes if process.exitcode is None]
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        sentinels: dict[Any, BaseProcess] = {process.sentinel: process for process in processes}
        deadline = time.monotonic() + TERMINATE_GRACE
        while sentinels and (left := deadline - time.monotonic()) > 0:
            for ended in multiprocessing.connection.wait(list(sentinels), timeout=left):
                sentinels.pop(ended)
        for process in sentinels.values():
            with contextlib.suppress(Exception):
                process.kill()

    def close(self) -> None:
        """Tell the children to end, wait for them, stop the reader, close the pipes (blocking)."""
        self._closing = True
        with self._children_lock:
            children = list(self._children)
        for child in children:
            with contextlib.suppress(Exception):
                child.pipe.send(None)
        deadline = time.monotonic() + _CLOSE_WAIT
        for child in children:
            child.process.join(max(deadline - time.monotonic(), 0))
            if child.process.exitcode is None:
                child.process.kill()
                child.process.join()
        with contextlib.suppress(OSError):
            self._wake_writer.send_bytes(b"stop")
        self._thread.join()
        for child in children:
            child.close_pipe()
        self._wake_reader.close()
        self._wake_writer.close()


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
        self._on_fatal = on_fatal
        self._name = f"camunda-worker[{options.job_type}]"

    def _current(self, loop: asyncio.AbstractEventLoop) -> _Pool:
        pool = self._pool
        if pool is None:
            pool = self._pool = _Pool(
                self._process,
                self._setup_args,
                self._logs,
                self._name,
                ResultHandback(loop),
                self._barren,
                self._log,
            )
        return pool

    async def run(self, slot: Slot, deadline: JobDeadline) -> Outcome | Expired | Abandoned:
        """Run the handler in a child process with a :class:`SyncJobContext`."""
        job = slot.job
        loop = asyncio.get_running_loop()
        pool = self._current(loop)
        # While the worker extends the timeout, a job waiting for a free child stays ours.
        deadline_wall = None if self._extends else deadline.wall
        waiter: asyncio.Future[Outcome | Expired | Abandoned] = loop.create_future()
        tracing = self._options.tracing
        work = _Work(job, deadline_wall, waiter, None if tracing is None else tracing.carrier())
        work.slot = slot  # "queued" until a child runs it (see _Work.started)
        pool.submit(work)
        try:
            return await waiter
        except asyncio.CancelledError:
            if not pool.cancel(work) and not work.settled:
                # A child cannot be stopped by a cancel: its slot stays taken until it answers.
                slot.held_by_thread = True
                work.on_settled = slot.release
            raise
        except Exception as error:  # noqa: BLE001 - e.g. an unpicklable job or result
            return Failure(
                retries=max(job.retries - 1, 0),
                error_message=f"the job could not be run in a child process: "
                f"{describe_exception(error)}",
            )

    def _barren(self, codes: list[int | None]) -> None:
        # Children died before running any job: the initializer failed, or a spawned child
        # could not import the main module. Retrying forever would hide it; failing the jobs
        # would burn their retries for a problem that is not theirs.
        how = ", ".join(_how_it_died(code) for code in codes) or "exit unknown"
        error = RuntimeError(
            f"the child processes of the 'process' strategy die before running any job "
            f"({how}), {_MAX_BARREN_DEATHS} in a row; check the process initializer "
            "(its error is logged above), and that a child can import the main module (start "
            "workers under `if __name__ == '__main__':`)"
        )
        self._log.error(str(error))
        if self._on_fatal is not None:
            self._on_fatal(error)

    async def aclose(self, *, abandon: bool) -> None:
        """Shut the pool down; end children still running handlers when ``abandon``."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.stop()

        def close() -> None:
            if abandon:
                pool.terminate_children()
            pool.close()

        await run_blocking(close, name=f"{self._name} shutdown")
