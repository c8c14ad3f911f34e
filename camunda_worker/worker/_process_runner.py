"""The ``process`` strategy: handlers run in a pool of child processes, each with its own pipe.

The pool (``pool_size`` children of the configured start method, each running
:func:`._child.serve`) is started on the first job and shut down when the worker closes. Each
child has its own duplex pipe: the worker sends it jobs (:data:`PREFETCH` at once, up to
:data:`PREFETCH_FAST` while its handler is fast, so that a child never waits for the worker's
round trip between two jobs), the child runs them one
at a time and in order, and sends back each outcome and its log records. The event loop itself
watches every child's pipe and its end (a pidfd on Linux; see :meth:`_Pool._watch_end`) (:class:`~._pipe.PipeEnd`: no reader thread):
one read takes every answer that arrived meanwhile, and the jobs dispatched in one loop
iteration reach a child in one write, which never blocks the loop. Everything (which child gets
which job, starting and replacing children) happens on the event loop.

There is no executor in between (a :class:`~concurrent.futures.ProcessPoolExecutor` costs two
threads of its own and several thread switches per job), and a child that dies breaks nothing
else: the job it was running (the oldest one it had no result for) fails, one retry fewer, with
the way it died in the message; the jobs queued behind it in its pipe never started, and go to
another child. A child that dies before it is ready (its initializer failed, a spawned child
cannot import the main module) has no job; after three such deaths in a row the worker stops.
While no child is ready for :data:`READY_WARNING` seconds (an initializer that hangs never dies),
the worker says so, with the jobs waiting, every :data:`READY_WARNING` seconds.
A child replaced after ``max_tasks_per_child`` jobs is sent no more than that many.

A job that runs long holds up no other: its child is sent fewer jobs meanwhile, and once it
has run :data:`STALL_TIME` the jobs queued behind it are taken back for other children (the
child, which reads them later, skips them: :class:`._child.Claims`). Jobs waiting in the worker
past their deadline are settled as expired (:meth:`_Pool._check_stalls`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from camunda_worker.worker import _child
from camunda_worker.worker._blocking import run_blocking
from camunda_worker.worker._child_logs import ChildLogs
from camunda_worker.worker._outcomes import Failure, describe_exception
from camunda_worker.worker._pipe import PipeEnd, frame
from camunda_worker.worker._runners import (
    ABANDONED,
    EXPIRED,
    Abandoned,
    Expired,
    RunnerOptions,
)

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from camunda_worker._api.models import ActivatedJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._options import ProcessOptions
    from camunda_worker.worker._outcomes import Outcome

__all__ = [
    "PREFETCH",
    "PREFETCH_BYTES",
    "PREFETCH_FAST",
    "QUEUED_TIME",
    "TERMINATE_GRACE",
    "ProcessRunner",
]

PREFETCH = 2
"""Jobs a child holds at once while its handler is slow: the one it runs and the next one."""
PREFETCH_FAST = 16
"""Jobs a child may hold at once while its handler is fast (see :data:`QUEUED_TIME`)."""
QUEUED_TIME = 0.002
"""Seconds of work a child may hold beyond the job it runs, by its recent jobs' pace.

A child holds ``QUEUED_TIME / seconds per job`` jobs, between :data:`PREFETCH` and
:data:`PREFETCH_FAST`: a handler of 10 ms gets 2, a no-op 16. Fast handlers then never wait
for the worker's round trip, and a child is refilled once it is half empty, many jobs in one
write, instead of one write (and one wake-up of the child) per job.
"""
_PACE_WEIGHT = 0.2  # of the newest job in a child's pace (an exponential moving average)
STALL_TIME = 0.1
"""Seconds a child's job may run (and :data:`STALL_PACES` times its pace) before the jobs
queued behind it in its pipe are taken back for other children (see :class:`._child.Claims`);
it is sent no more until it answers. A job taking longer as it runs lowers the depth before."""
STALL_PACES = 4
STALL_CHECK = 0.05
"""Seconds between two checks for children stalled with jobs queued, and for jobs waiting in
the worker whose deadline passed (settled as expired there: they hold no slot any longer)."""
PREFETCH_BYTES = 8192
"""The largest job (pickled) sent to a child that is still running another one.

Writes never block the loop (what the socket does not take waits in the worker), but a big job
queued behind a busy child would hold the worker's memory and the job itself until that child
is done, which may be never; a bigger job waits on the worker's side for an idle child.
"""
_MAX_BARREN_DEATHS = 3
_EXIT_CODE_WAIT = 1.0
_REAP_INTERVAL = 0.01
EXIT_POLL = 0.5
"""Seconds between two reads of the children's exit codes where no pidfd says when they end."""
START_RETRY = (0.1, 5.0)
"""The first and the longest wait (s) before starting a child again after a start failed."""
_CLOSE_WAIT = 5.0
TERMINATE_GRACE = 1.0
"""Seconds a child gets to end after SIGTERM (at the drain timeout) before it is killed."""
READY_WARNING = 30.0
"""Seconds with no child ready (all still starting: a process initializer that hangs, a slow
import) after which the worker warns, and again every as many seconds while it lasts."""


_socket_pair = socket.socketpair  # (a name of its own: tests make it fail)


def _dumps(value: object) -> bytes:
    # Jobs, deadlines and trace contexts need none of ForkingPickler's reducers (for pipes
    # and sockets), which cost it half again as much per job.
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _held(child: _Child) -> int:
    return len(child.outstanding)


def _how_it_died(exitcode: int | None) -> str:
    if exitcode is None:
        return "it was terminated"
    if exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _waited_past_its_deadline(work: _Work, wall: float) -> bool:
    """Whether ``work``, waiting for a child, is no longer the worker's (``wall``: now)."""
    if work.deadline_wall is not None:
        return wall >= work.deadline_wall
    return work.extended is not None and work.extended.expired()


class _Work:
    """One job on its way through a child: its waiter on the loop and, later, its result."""

    __slots__ = (
        "cancelled",
        "deadline_wall",
        "error",
        "extended",
        "job",
        "message",
        "number",
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
        # The deadline the worker's extensions move (deadline_wall is None then), else None.
        self.extended: JobDeadline | None = None
        self.message: bytes | None = None  # pickled, until it is sent
        self.sent = False  # in a child's pipe: it runs, or will, unless that child dies
        self.number = 0  # its number in its child's count of jobs sent (see _child.Claims)
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
    """A child process, the worker's end of its pipe, and the jobs sent that it has not answered."""

    def __init__(self, process: BaseProcess, setup: _child.ChildSetup) -> None:
        self.process = process
        self.setup = setup  # alive while the child is: a spawned child unpickles it later
        self.pipe: PipeEnd | None = None
        self.ready = False
        self.started = time.monotonic()
        self.sent = 0  # jobs sent in its life (max_tasks_per_child)
        self.outstanding: collections.deque[_Work] = collections.deque()  # sent, no answer yet
        self.ended = False  # the pool has settled its end
        self.watching = False  # its end (end_fd) is watched by the loop
        self.end_fd: int = -1  # ready once its process has ended: a pidfd, or its sentinel
        self.pidfd: int | None = None  # ours to close
        self.timer: asyncio.TimerHandle | None = None  # the one check of its end pending
        self.released = False  # its process is closed: nothing may read it any more
        self.pace: float | None = None  # seconds per job, lately (None: none answered yet)
        self.running_since = 0.0  # when its first outstanding job started
        self.depth = PREFETCH  # how many jobs it may hold, by its pace
        self.room = PREFETCH  # how many it may hold now (wants_more): fewer while a job runs long
        self.numbered = 0  # jobs numbered for it (sent, or on their way): see _child.Claims

    def answered(self, now: float) -> None:
        """Its first outstanding job was answered at ``now``: learn the pace, start the next."""
        took = now - self.running_since
        pace = self.pace
        self.pace = pace = took if pace is None else pace + _PACE_WEIGHT * (took - pace)
        self.depth = min(PREFETCH_FAST, max(PREFETCH, int(QUEUED_TIME / pace) if pace else 0))
        self.running_since = now

    def reached(self) -> int | None:
        """How many of the jobs sent the child has reached (run, or skipped); ``None``: unknown."""
        claims = self.setup.claims if self.setup is not None else None
        return None if claims is None else int(claims.values[_child.Claims.PASSED])

    def stalled(self, now: float) -> bool:
        """Whether the job it runs has run too long for more to wait behind it (STALL_TIME)."""
        if not self.outstanding:
            return False
        pace = self.pace or 0.0
        return now - self.running_since > max(STALL_TIME, STALL_PACES * pace)

    def wants_more(self, now: float) -> bool:
        """Whether to send it jobs now: idle, or down to half of what it may hold (``room``).

        While its job runs longer than its pace says, it may hold fewer, as if that were its
        pace; stalled, none behind the one it runs.
        """
        held = len(self.outstanding)
        if held == 0:
            self.room = self.depth
            return True
        elapsed = now - self.running_since
        room = self.depth
        if elapsed > (self.pace or 0.0) and room > PREFETCH:
            room = max(PREFETCH, min(room, int(QUEUED_TIME / elapsed)))
        if self.stalled(now):
            room = 1
        self.room = room
        return held < room and held <= room // 2

    def close_pipe(self) -> None:
        """Close the worker's end of the pipe (once: later calls do nothing)."""
        if self.pipe is not None:
            self.pipe.close()

    def release(self) -> None:
        """Cancel its pending check; free its process's descriptors once it has exited."""
        self.released = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        with contextlib.suppress(ValueError):  # still running (a zombie unreaped): the GC will
            self.process.close()

    @property
    def writable(self) -> bool:
        """Whether a job sent now can reach it."""
        pipe = self.pipe
        return pipe is not None and not pipe.closed and not pipe.broken


class _Pool:
    """The children, the loop's watch on their pipes and sentinels, and the jobs not sent yet.

    Everything runs on the event loop, but :meth:`terminate_children` and :meth:`join_children`
    (blocking, run in a thread of their own at the end).
    """

    def __init__(
        self,
        options: ProcessOptions,
        setup_args: dict[str, Any],
        logs: ChildLogs,
        name: str,
        loop: asyncio.AbstractEventLoop,
        on_barren: Callable[[list[int | None]], None],
        log: JobLogger,
    ) -> None:
        self._options = options
        self._context = multiprocessing.get_context(options.start_method)
        self._setup_args = setup_args
        self._logs = logs
        self._name = name
        self._on_barren = on_barren
        self._log = log
        self._children: list[_Child] = []
        self._pending: collections.deque[_Work] = collections.deque()
        self._barren: list[int | None] = []  # exit codes of children that died before ready
        self._closing = False
        self._ended_while_closing: list[_Child] = []
        self._dispatch_scheduled = False
        self.broken = False  # children cannot start: no job is sent any more
        self._loop = loop
        self._exit_poll: asyncio.TimerHandle | None = None  # for children with no pidfd
        self._stall_check: asyncio.TimerHandle | None = None
        self._start_failures = 0  # starts that failed in a row
        self._start_retries: set[asyncio.TimerHandle] = set()
        for _ in range(options.pool_size):
            self._start_child()
        self._loop.call_later(READY_WARNING, self._check_ready)

    # -- children ------------------------------------------------------------------------------

    def _start_child(self) -> None:
        """Start a child; if that fails (no descriptors, no processes left), try again later.

        The failure is logged each time, and the next try waits twice as long, from
        ``START_RETRY[0]`` up to ``START_RETRY[1]`` seconds: the jobs wait meanwhile (a start
        failure is the machine's, not theirs), in the pool's other children if it has any.
        """
        try:
            self._start_one_child()
        except Exception as error:  # noqa: BLE001 - EMFILE, EAGAIN, ENOMEM: the machine's limits
            self._start_failures += 1
            first, longest = START_RETRY
            wait = min(first * 2 ** (self._start_failures - 1), longest)
            self._log.error(
                "could not start a child process of the 'process' strategy "
                f"({describe_exception(error)}); trying again in {wait:g} s "
                f"({len(self._children)} child process(es) running, "
                f"{len(self._pending)} job(s) waiting)"
            )

            def start_again() -> None:
                self._start_retries.discard(retry)  # it ran: close() has nothing to cancel
                self._retry_start()

            retry = self._loop.call_later(wait, start_again)
            self._start_retries.add(retry)
        else:
            self._start_failures = 0

    def _retry_start(self) -> None:
        if self._closing or self.broken:
            return
        self._start_child()
        self.dispatch()

    def _start_one_child(self) -> None:
        ours, theirs_socket = _socket_pair()  # what multiprocessing.Pipe() is on POSIX
        theirs = multiprocessing.connection.Connection(theirs_socket.detach())
        context = self._context
        try:
            claims = _child.Claims(context.RawArray("q", 3), context.Lock())
            setup = _child.ChildSetup(
                events=theirs, events_lock=context.Lock(), claims=claims, **self._setup_args
            )
            process = context.Process(  # type: ignore[attr-defined]
                target=_child.serve,
                args=(setup, theirs, self._options.max_tasks_per_child),
                name=f"{self._name} child",
                daemon=True,
            )
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the child's end lives in the child alone: its death is our EOF
        child = _Child(process, setup)
        child.pipe = PipeEnd(
            ours,
            self._loop,
            functools.partial(self._messages, child),
            functools.partial(self._pipe_closed, child),
        )
        self._watch_end(child)
        self._children.append(child)

    def _watch_end(self, child: _Child) -> None:
        """Have the loop call :meth:`_process_ended` once ``child``'s process has ended.

        Its sentinel and its pipe are not enough: a process the handler forked (``os.fork``, a
        library's helper) inherits both, and keeps them open after the child's death, for as
        long as it lives. A pidfd (Linux) is the process itself; elsewhere the exit codes are
        read every :data:`EXIT_POLL` seconds besides.
        """
        process = child.process
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is not None:
            with contextlib.suppress(OSError):  # a kernel before 5.3, a sandbox refusing it
                child.pidfd = pidfd_open(process.pid)
        child.end_fd = child.pidfd if child.pidfd is not None else process.sentinel
        self._loop.add_reader(child.end_fd, self._process_ended, child)
        child.watching = True
        if child.pidfd is None:
            self._schedule_exit_poll()

    def _schedule_exit_poll(self) -> None:
        if self._exit_poll is None:  # one read of the exit codes at a time, for every child
            self._exit_poll = self._loop.call_later(EXIT_POLL, self._poll_exits)

    def _unwatch_end(self, child: _Child) -> None:
        if child.watching:
            child.watching = False
            self._loop.remove_reader(child.end_fd)

    def _poll_exits(self) -> None:
        """On the loop: settle the end of children that exited with no pidfd to say so."""
        self._exit_poll = None
        if self._closing:
            return
        polled = [child for child in self._children if child.pidfd is None and child.watching]
        for child in polled:
            if not child.released and child.process.exitcode is not None:
                self._process_ended(child)
        if polled:  # a child replaced meanwhile (no pidfd for it either) scheduled it already
            self._schedule_exit_poll()

    def _check_ready(self) -> None:
        """On the loop, every :data:`READY_WARNING` s: warn while no child has become ready."""
        if self._closing or self.broken:
            return
        children = self._children
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

    def _pipe_closed(self, child: _Child) -> None:
        """Its pipe reached its end: the child is ending (its sentinel says when it has)."""
        if child.ended or not child.watching:  # ended, or its end is being settled already
            return
        # A child that closed its pipe and lives on can run nothing more: it is ended for it.
        child.timer = self._loop.call_later(_EXIT_CODE_WAIT, self._kill_if_alive, child)

    def _kill_if_alive(self, child: _Child) -> None:
        child.timer = None
        if not child.released and not child.ended and child.process.exitcode is None:
            with contextlib.suppress(Exception):
                child.process.kill()

    def _process_ended(self, child: _Child) -> None:
        """The child's process has ended: read what it sent before, then settle its end."""
        if child.timer is not None:
            child.timer.cancel()
        self._unwatch_end(child)
        if child.pipe is not None:
            child.pipe.read_ready()  # its last answers are in the socket: they count first
        self._reap(child, time.monotonic() + _EXIT_CODE_WAIT)

    def _reap(self, child: _Child, until: float) -> None:
        # The sentinel closes as the process exits, a moment before its exit code is there.
        child.timer = None
        if child.released:  # the pool closed it meanwhile
            return
        if child.process.exitcode is None and time.monotonic() < until:
            child.timer = self._loop.call_later(_REAP_INTERVAL, self._reap, child, until)
            return
        self._ended(child)

    def _ended(self, child: _Child) -> None:
        """On the loop: ``child`` is gone; settle its jobs, start another one."""
        if child.ended:
            return
        child.ended = True
        if child in self._children:
            self._children.remove(child)
        self._unwatch_end(child)
        child.close_pipe()
        code = child.process.exitcode
        pid = child.process.pid
        if self._closing:  # the shutdown thread may still join it: released by close()
            self._ended_while_closing.append(child)
        else:
            child.release()
        if not child.ready:
            self._barren.append(code)
        outstanding = list(child.outstanding)
        child.outstanding.clear()
        # The first one was running if the child had reached it: whatever the exit code (a
        # handler may os._exit(0)), a child asked to stop only does so between jobs, when it has
        # answered every one it was sent. A child killed between two jobs had not.
        reached = child.reached()
        running = bool(outstanding) and (reached is None or outstanding[0].number < reached)
        if running and not self._closing:
            culprit = outstanding.pop(0)
            how = _how_it_died(code)
            self._log.error(
                f"the child process {pid} running job {culprit.job.job_key} died ({how})"
            )
            culprit.result = Failure(
                retries=max(culprit.job.retries - 1, 0),
                error_message=f"the child process running the handler died ({how}); the worker "
                "started another child process",
            )
            culprit.settle()
        elif child.ready and code != 0 and not self._closing:  # 0: it stopped on purpose
            self._log.warning(
                f"the child process {pid} died between jobs "
                f"({_how_it_died(code)}); the worker starts another child process"
            )
        for work in reversed(outstanding):  # never started: first in line for another child
            work.sent = False
            if work.slot is not None and work.slot.stage == "running":
                work.slot.stage = "queued"
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
        """Queue ``work``; it is sent at the end of this loop iteration, with the others."""
        if self.broken:
            work.result = ABANDONED
            work.settle()
            return
        self._pending.append(work)
        if not self._dispatch_scheduled:
            self._dispatch_scheduled = True
            self._loop.call_soon(self._scheduled_dispatch)

    def _scheduled_dispatch(self) -> None:
        self._dispatch_scheduled = False
        self.dispatch()

    def dispatch(self) -> None:
        """Send pending jobs to ready children with room, idle children first.

        Each round gives one job to each child holding ``load`` jobs: every idle child gets one
        before any busy child gets one more in its pipe. While a child is starting, no job is
        queued behind a busy one: the starting child will be idle in a moment. What a child
        gets in one dispatch goes out in one write.
        """
        if self._closing or not self._pending:
            return
        limit = self._options.max_tasks_per_child
        children = self._children
        starting = any(not child.ready for child in children)
        now = time.monotonic()
        takers = [
            child
            for child in children
            if child.ready
            and child.writable
            and (not starting or not child.outstanding)
            and child.wants_more(now)
        ]
        batches: dict[_Child, list[bytes]] = {}
        pending = self._pending
        while pending and takers:
            child = min(takers, key=_held)  # the idle ones first, then the least busy
            if (
                len(child.outstanding) >= (1 if starting else child.room)
                or (limit is not None and child.sent >= limit)
                or (message := self._take_one(child)) is None  # too big to queue behind
            ):
                takers.remove(child)
                continue
            batches.setdefault(child, []).append(message)
        for child, messages in batches.items():
            self._send(child, messages)
        if self._stall_check is None and (pending or batches):
            self._stall_check = self._loop.call_later(STALL_CHECK, self._check_stalls)

    def _check_stalls(self) -> None:
        """On the loop, every :data:`STALL_CHECK` s while jobs wait: free what waits in vain.

        The jobs queued behind a stalled child's job go to other children; the jobs waiting in
        the worker whose deadline passed are settled as expired (the engine activates them
        again; a child would not run them either).
        """
        self._stall_check = None
        if self._closing:
            return
        now = time.monotonic()
        took_back = False
        for child in self._children:
            if len(child.outstanding) > 1 and child.stalled(now):
                took_back = self._take_back(child, now) or took_back
        pending = self._pending
        if pending:
            wall = time.time()
            expired = [work for work in pending if _waited_past_its_deadline(work, wall)]
            for work in expired:
                pending.remove(work)
                work.result = EXPIRED
                work.settle()
        if took_back:
            self.dispatch()
        if self._stall_check is None and (
            self._pending or any(len(child.outstanding) > 1 for child in self._children)
        ):
            self._stall_check = self._loop.call_later(STALL_CHECK, self._check_stalls)

    def _take_back(self, child: _Child, now: float) -> bool:
        """Take the jobs queued behind ``child``'s long-running one back to the pending queue."""
        claims = child.setup.claims
        if claims is None:  # pragma: no cover - the pool gives every child its claims
            return False
        first = claims.take_back(child.numbered)
        if first is None:  # nothing it has not reached, or it holds the lock right now
            return False
        outstanding = child.outstanding
        taken: list[_Work] = []
        while outstanding and outstanding[-1].number >= first:
            taken.append(outstanding.pop())
        child.sent -= len(taken)
        for work in taken:  # newest first: the oldest ends first in line
            work.sent = False
            if work.slot is not None and work.slot.stage == "running":
                work.slot.stage = "queued"  # the child was not running it after all
            self._pending.appendleft(work)
        running = outstanding[0].job.job_key if outstanding else None
        self._log.debug(
            f"the child process {child.process.pid} has run job {running} for "
            f"{now - child.running_since:.1f} s: the {len(taken)} job(s) queued behind it go "
            "to other children"
        )
        return bool(taken)

    def _take_one(self, child: _Child) -> bytes | None:
        """The first pending job still wanted, framed, if ``child`` may take it; in its line."""
        pending = self._pending
        while pending:
            work = pending.popleft()
            if work.cancelled:  # sent once, and back (its child died, or it was taken back)
                work.settle()  # its slot, held for the child, is free
                continue
            message = work.message
            if message is None:
                try:
                    # The job as its pickle state: the child knows its class, and a class
                    # pickled by reference costs as much as all of the job's fields.
                    state = work.job.__getstate__()
                    message = frame(_dumps((state, work.deadline_wall, work.trace)))
                except Exception as error:  # noqa: BLE001 - e.g. a job that cannot be pickled
                    work.error = error
                    work.settle()
                    continue
            if child.outstanding and len(message) > PREFETCH_BYTES:
                work.message = message  # for an idle child (this one, or another)
                pending.appendleft(work)
                return None
            work.message = message  # until it is written
            work.sent = True
            work.number = child.numbered
            child.numbered += 1
            idle = not child.outstanding
            child.outstanding.append(work)
            child.sent += 1
            if idle:
                child.running_since = time.monotonic()
                work.started()
            return message
        return None

    def _send(self, child: _Child, messages: list[bytes]) -> None:
        sent = child.outstanding
        batch = list(itertools.islice(reversed(sent), len(messages)))  # these, newest first
        try:
            if child.pipe is None:
                raise BrokenPipeError
            child.pipe.send(messages[0] if len(messages) == 1 else b"".join(messages))
        except OSError:  # the child died a moment ago: its end is on its way here
            for work in batch:
                sent.pop()
                work.sent = False
                child.sent -= 1
                child.numbered -= 1
                self._pending.appendleft(work)
            first = batch[-1].slot if batch and not sent else None
            if first is not None and first.stage == "running":  # it never reached the child
                first.stage = "queued"
            return
        for work in batch:
            work.message = None

    def cancel(self, work: _Work) -> bool:
        """Forget ``work`` if no child has it; ``True`` then (it never runs)."""
        work.cancelled = True
        if work.sent:
            return False
        with contextlib.suppress(ValueError):
            self._pending.remove(work)
        return True

    def _messages(self, child: _Child, messages: list[bytes]) -> None:
        """What ``child`` sent: answers, log records, ``ready``."""
        answered = False
        now = time.monotonic()
        for data in messages:
            try:
                message = pickle.loads(data)  # noqa: S301 - our own child's answer
            except Exception as error:  # noqa: BLE001 - e.g. nested deeper than we can read
                # Log records are plain data: what cannot be read is a job's outcome.
                message = ("error", error)
            kind = message[0]
            if kind in {"result", "error"}:
                if not child.outstanding:  # pragma: no cover - a child answers only what it got
                    continue
                work = child.outstanding.popleft()
                child.answered(now)
                if kind == "result":
                    work.result = _child.decode_outcome(message[1])
                else:
                    work.error = message[1]
                work.settle()
                answered = True
            elif kind == "ready":
                child.ready = True
                self._barren.clear()
                answered = True
            elif kind in ("loguru", "logging"):
                with contextlib.suppress(Exception):  # a bad record must not stop the others
                    self._logs.handle(kind, message[1])
        if answered:  # it has room again, and runs its next job if it has one
            if child.outstanding:
                child.outstanding[0].started()
            self.dispatch()

    # -- the end -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Before the end: no child is started or sent a job any more."""
        self._closing = True
        self.broken = True

    def processes(self) -> list[BaseProcess]:
        """The children's processes (on the loop, for the blocking calls below)."""
        return [child.process for child in self._children]

    @staticmethod
    def terminate_children(processes: list[BaseProcess]) -> None:
        """End the children (the worker gave up on their handlers): SIGTERM, then SIGKILL.

        A child still there :data:`TERMINATE_GRACE` seconds after SIGTERM (its handler
        installed a handler of its own for it, or ignores it) is killed. Blocking.
        """
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

    def ask_to_end(self) -> None:
        """Tell every child to end once it has answered what it has."""
        self._closing = True
        goodbye = frame(_dumps(None))
        for child in self._children:
            if child.writable and child.pipe is not None:
                with contextlib.suppress(OSError):
                    child.pipe.send(goodbye)

    @staticmethod
    def join_children(processes: list[BaseProcess]) -> None:
        """Wait for the children to end, :data:`_CLOSE_WAIT` s at most, then kill them (blocking)."""
        deadline = time.monotonic() + _CLOSE_WAIT
        for process in processes:
            process.join(max(deadline - time.monotonic(), 0))
            if process.exitcode is None:
                process.kill()
                process.join()

    def close(self) -> None:
        """Stop watching the children and close their pipes (on the loop, after the joins)."""
        for retry in self._start_retries:
            retry.cancel()
        self._start_retries.clear()
        if self._exit_poll is not None:
            self._exit_poll.cancel()
            self._exit_poll = None
        if self._stall_check is not None:
            self._stall_check.cancel()
        for child in list(self._children):
            self._unwatch_end(child)
            if child.pipe is not None:
                child.pipe.read_ready()  # their last log records
            child.close_pipe()
            child.ended = True
            child.release()
        self._children.clear()
        for child in self._ended_while_closing:
            child.release()
        self._ended_while_closing.clear()


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
                loop,
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
        if self._extends:  # refused extensions leave it behind: it expires as any other
            work.extended = deadline
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
        processes = pool.processes()
        try:
            if abandon:
                await run_blocking(
                    lambda: pool.terminate_children(processes), name=f"{self._name} terminate"
                )
            pool.ask_to_end()
            await run_blocking(lambda: pool.join_children(processes), name=f"{self._name} join")
        finally:
            pool.close()
