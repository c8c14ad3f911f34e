"""Code that runs in the child processes of the ``process`` strategy.

:func:`initialize` runs once per child (it is the pool's initializer): it ties the child's life to
the worker's (see below), resets the signal handling a ``fork`` child inherits (SIGTERM ends a
child, SIGINT is ignored: the worker decides), keeps the handler and the settings, sends every
log record of the child (loguru, and stdlib ``logging`` when the child has no handler of its
own) to the worker through a pipe, then calls the user's initializer.
:func:`serve` is a child's main function: after :func:`initialize` it says it is ready, then
runs the jobs the worker sends through its own pipe, one at a time and in order (so at a crash
the worker knows the job that was running: the oldest one without a result), and sends each
outcome back (but for the jobs the worker took back: see :class:`Claims`). :func:`run_job` runs one job: it checks the job's deadline, builds a :class:`SyncJobContext` whose client is built
from the settings on first use, calls the handler and returns the outcome. An outcome whose
variables cannot be pickled back to the worker (JSON can encode them, pickle cannot: an
instance of a class defined in a function, nesting deeper than pickle reaches) becomes a
failure that names the variable, here, where it is known.

**A child never outlives its worker.** When the worker process dies without shutting its pool
down (SIGKILL, the OOM killer, a crash), nothing would stop a child in the middle of a handler:
it would run on, with its side effects, for a job that will be activated again elsewhere. So
each child exits as soon as the worker is gone:

- on Linux, for ``spawn`` and ``fork`` children (whose parent is the worker), the kernel kills
  the child when its parent goes (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), at once, even while the
  handler holds the GIL. (The "parent" is the thread that created the child: the worker's event
  loop thread, which starts every child, replacements included, and outlives the pool.)
- everywhere, and for ``forkserver`` children (whose parent is the fork server), a daemon thread
  waits on :func:`multiprocessing.parent_process`'s sentinel, which becomes ready when the
  worker process ends (for ``fork``, once the siblings forked after this child, which inherited
  the pipe, are gone too), and ends the child with :func:`os._exit`.

Once the children are gone, multiprocessing's resource tracker and fork server, which live as
long as a process holds their pipes, exit too.

**Children yield to the worker.** On Linux each child runs under the ``SCHED_BATCH`` policy: the
same share of the CPU as before (its nice value is unchanged), but a child woken by a job does
not preempt the process running on that CPU, which is often the worker's event loop sending it
more jobs. Measured with a no-op handler on 2 cores: 10.5k jobs/s before, 11.7k-12.3k after.
A handler that needs the default policy back sets it in its process initializer
(``os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing import util
from typing import TYPE_CHECKING, Any, cast

import attrs
from loguru import logger

from camunda_worker._api.models import ActivatedJob
from camunda_worker._base.logs import bind_job_logger
from camunda_worker.worker._context import SyncJobContext
from camunda_worker.worker._invoke import PendingAwaitable, invoke_async, invoke_sync
from camunda_worker.worker._outcomes import (
    Acknowledged,
    BpmnError,
    Completion,
    Failure,
    truncate_message,
)
from camunda_worker.worker._runners import EXPIRED, Expired
from camunda_worker.worker._tracing import continue_trace
from camunda_worker.worker._tracking import SyncTrackingClient

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.synchronize import Lock

    from camunda_worker._client import CamundaClient
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker._outcomes import Outcome

__all__ = [
    "ChildSetup",
    "Claims",
    "decode_outcome",
    "encode_outcome",
    "initialize",
    "run_job",
    "serve",
]

_SIMPLE = (str, int, float, bool, type(None))
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_ORPHANED_EXIT_CODE = 1


class Claims:
    """Which of the jobs sent to a child it may still start: shared by the child and the worker.

    The worker may take back the jobs queued in a child's pipe behind a job that runs long, and
    send them to other children; the child, which reads them later, must then skip them. Each
    job sent to a child has a number, counted by both sides from 0. Under the lock:

    - the child, before it runs job ``n``, checks that ``n`` is not in the range the worker took
      back, and records ``n + 1`` as the first job it has not reached (``passed``);
    - the worker takes back jobs ``passed`` and up, never one the child has reached, and
      records them as that range (the child has passed every range taken back before).

    The worker only tries the lock (:meth:`take_back`): it never waits on the event loop, even
    for a child that died holding it.
    """

    PASSED, FIRST, END = 0, 1, 2

    def __init__(self, values: Any, lock: Lock) -> None:
        self.values = values  # a shared array of three integers: passed, first, end
        self.lock = lock

    def reach(self, number: int) -> bool:
        """In the child: whether to run job ``number`` (``False``: the worker took it back)."""
        values = self.values
        with self.lock:
            values[0] = number + 1
            return not values[1] <= number < values[2]

    def take_back(self, end: int) -> int | None:
        """In the worker: take back the jobs the child has not reached, below ``end``.

        Returns the first job taken back (every one from it up to ``end`` is), or ``None``
        when there is none, or the child holds the lock this moment (try again later).
        """
        if not self.lock.acquire(block=False):
            return None
        try:
            values = self.values
            first = values[0]
            if first >= end:
                return None
            values[1], values[2] = first, end
            return int(first)
        finally:
            self.lock.release()


class ChildSetup:
    """What every child needs; pickled once per child as the pool initializer's argument."""

    def __init__(
        self,
        *,
        callback: Callable[[Any], Any],
        settings: CamundaSettings,
        job_type: str,
        worker_name: str,
        retry_back_off: int,
        events: Connection,
        events_lock: Lock,
        initializer: Callable[..., object] | None,
        initargs: tuple[Any, ...],
        claims: Claims | None = None,
    ) -> None:
        self.callback = callback
        self.settings = settings
        self.job_type = job_type
        self.worker_name = worker_name
        self.retry_back_off = retry_back_off
        self.events = events
        self.events_lock = events_lock
        self.initializer = initializer
        self.initargs = initargs
        self.claims = claims


class _Child:
    """The state of this child process."""

    def __init__(self, setup: ChildSetup) -> None:
        self.setup = setup
        self._client: CamundaClient | None = None
        self._client_lock = threading.Lock()

    def send(self, event: tuple[Any, ...]) -> None:
        self.send_bytes(pickle.dumps(event, protocol=pickle.HIGHEST_PROTOCOL))

    def send_bytes(self, data: bytes) -> None:
        with self.setup.events_lock:
            self.setup.events.send_bytes(data)

    def client(self) -> CamundaClient:
        with self._client_lock:
            if self._client is None:
                from camunda_worker._client.connection import sync_client_from_settings  # noqa: PLC0415

                client = sync_client_from_settings(self.setup.settings)
                util.Finalize(None, client.close, exitpriority=10)  # closed when the child exits
                self._client = client
            return self._client


_child: _Child | None = None


def initialize(setup: ChildSetup) -> None:
    """The pool initializer: remember the setup, forward logs, call the user's initializer."""
    global _child  # noqa: PLW0603 - one state per child process
    _exit_with_the_worker()
    _reset_signals()
    _schedule_as_batch()
    _child = _Child(setup)
    _child.send(("child", os.getpid()))  # the parent learns its pool's children from this
    _forward_loguru(_child)
    _forward_stdlib(_child)
    if setup.initializer is not None:
        try:
            setup.initializer(*setup.initargs)
        except BaseException:
            logger.exception("the process initializer failed; this child process exits")
            raise


def serve(setup: ChildSetup, jobs: Connection, max_tasks: int | None) -> None:
    """A child's main function: initialize, say ``ready``, run the jobs sent until told to stop.

    Args:
        setup: what the child needs (its ``events`` are ``jobs``, shared with its log records).
        jobs: the child's end of its pipe: ``(job state, deadline_wall, trace_context)`` in, ``("result", outcome)``
            or ``("error", exception)`` out; ``None`` in ends the child.
        max_tasks: end after this many jobs (the worker starts another child), or never.
    """
    initialize(setup)
    child = _child
    if child is None:  # pragma: no cover - initialize() sets it
        return
    child.send(("ready",))
    claims = setup.claims
    done = received = 0
    while max_tasks is None or done < max_tasks:
        try:
            message = jobs.recv()
        except (EOFError, OSError):  # the worker is gone or closed the pipe
            return
        if message is None:
            return
        received += 1
        if claims is not None and not claims.reach(received - 1):
            continue  # the worker took it back: another child runs it
        state, deadline_wall, trace = message
        job = ActivatedJob.__new__(ActivatedJob)
        job.__setstate__(state)  # as unpickling it would: the worker sent its pickle state
        try:
            with continue_trace(trace):
                outcome = _run(job, deadline_wall)
            try:
                data = _dumps(("result", encode_outcome(outcome)))
            except Exception:  # pickled once; the failure names the variable
                if isinstance(outcome, Expired):  # pragma: no cover - it always pickles
                    raise
                data = _dumps(("result", encode_outcome(_picklable(outcome, job.retries))))
        except Exception as error:  # noqa: BLE001 - handed to the worker, which fails the job
            try:
                data = _dumps(("error", error))
            except Exception as unpicklable:  # noqa: BLE001 - the error itself cannot be pickled
                data = _dumps(
                    ("error", RuntimeError(f"{type(unpicklable).__name__}: {unpicklable}"))
                )
        child.send_bytes(data)
        done += 1
        del message, job, data


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_OUTCOME_CLASSES: tuple[type[Any], ...] = (Completion, Failure, BpmnError, Acknowledged, Expired)
_OUTCOME_FIELDS = {
    cls: tuple(field.name for field in attrs.fields(cls)) for cls in _OUTCOME_CLASSES
}


def encode_outcome(outcome: Outcome | Expired) -> tuple[Any, ...]:
    """``outcome`` as plain values for the pipe: its class's place, then its fields in order.

    Pickling the attrs class itself writes a reference to the class and rebuilds it through
    its ``__setstate__``: several times the cost of these few values, on both sides.
    """
    cls = type(outcome)
    return (_OUTCOME_CLASSES.index(cls), *(getattr(outcome, name) for name in _OUTCOME_FIELDS[cls]))


def decode_outcome(values: tuple[Any, ...]) -> Outcome | Expired:
    """The outcome :func:`encode_outcome` made ``values`` of."""
    outcome: Outcome | Expired = _OUTCOME_CLASSES[values[0]](*values[1:])
    return outcome


def run_job(job: ActivatedJob, deadline_wall: float | None) -> Outcome | Expired:
    """Run the handler for ``job`` in this child and return how the job ended.

    Args:
        job: the activated job.
        deadline_wall: the local deadline (``time.time()`` seconds); ``None`` when the worker
            extends the job's timeout while it runs.
    """
    outcome = _run(job, deadline_wall)
    if isinstance(outcome, Expired):
        return outcome
    return _picklable(outcome, job.retries)


def _run(job: ActivatedJob, deadline_wall: float | None) -> Outcome | Expired:
    """:func:`run_job` but for the check that the outcome can be pickled."""
    child = _child
    if child is None:
        msg = "run_job() in a process whose initialize() did not run"
        raise RuntimeError(msg)
    if deadline_wall is not None and time.time() >= deadline_wall:
        return EXPIRED
    setup = child.setup
    tracker = SyncTrackingClient(child.client, job.job_key)
    context = SyncJobContext(
        job=job,
        log=bind_job_logger(
            cast("Any", logger),
            job_type=setup.job_type,
            job_key=job.job_key,
            process_instance_key=job.process_instance_key,
            worker=setup.worker_name,
        ),
        client=cast("CamundaClient", tracker),
    )
    outcome = invoke_sync(
        setup.callback, context, tracker, retries=job.retries, retry_back_off=setup.retry_back_off
    )
    if isinstance(outcome, PendingAwaitable):
        # An async handler in a child: its coroutine runs on a loop of this child's own.
        awaitable = outcome.awaitable
        outcome = asyncio.run(
            invoke_async(
                lambda _context: awaitable,
                None,
                tracker,
                retries=job.retries,
                retry_back_off=setup.retry_back_off,
            )
        )
    return outcome


def _pickles(value: object) -> bool:
    try:
        pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - PicklingError, AttributeError, TypeError, RecursionError...
        return False
    return True


def _picklable(outcome: Outcome, retries: int) -> Outcome:
    """``outcome``, or a failure naming the variable that cannot be pickled back to the worker."""
    if isinstance(outcome, Acknowledged) or not outcome.variables:
        return outcome
    try:
        pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - see _pickles
        variables = outcome.variables
        name = next((name for name, value in variables.items() if not _pickles(value)), None)
        which = f"variable {name!r}" if name is not None else "its variables"
        return Failure(
            retries=max(retries - 1, 0),
            error_message=truncate_message(
                f"the handler's result cannot be sent back from its child process: {which} "
                f"cannot be pickled ({type(error).__name__}: {error})"
            ),
        )
    return outcome


def _exit_with_the_worker() -> None:
    """End this child as soon as the worker process is gone (see the module docstring)."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return
    if os.getppid() == parent.pid:  # spawn and fork (a forkserver child's parent is the server)
        _kill_me_with_my_parent()
        if os.getppid() != parent.pid:  # the worker died before the kernel was told
            os._exit(_ORPHANED_EXIT_CODE)
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])  # ready once the worker process has ended
        os._exit(_ORPHANED_EXIT_CODE)

    threading.Thread(target=watch, name="camunda-worker worker watch", daemon=True).start()


def _kill_me_with_my_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes  # noqa: PLC0415 - Linux only, and only in children

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):  # no libc prctl: the watch thread remains
        return
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _schedule_as_batch() -> None:
    """On Linux, run this child under ``SCHED_BATCH`` (see the module docstring)."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None or not hasattr(os, "sched_setscheduler"):
        return
    with contextlib.suppress(OSError):  # a sandbox may refuse it: the child runs all the same
        os.sched_setscheduler(0, policy, os.sched_param(0))


def _reset_signals() -> None:
    """Undo the signal handling a ``fork`` child inherits from the worker's event loop.

    asyncio forwards SIGINT and SIGTERM to the loop through a wakeup fd that a forked child
    shares with the worker: the child would ignore ``terminate()`` (at the drain timeout) and
    the worker would take the child's signal for one of its own. SIGTERM ends a child; SIGINT
    (Ctrl-C reaches the whole process group) is ignored, so that the worker alone decides:
    it drains, and terminates the children still running at the drain timeout.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _simple(value: object) -> object:
    # Exact builtins only: a str or int subclass (an enum member of a class the worker cannot
    # import, such as a spawned child's __mp_main__) pickles here and not in the worker, where
    # an unreadable message can only be taken for a job's outcome.
    if type(value) in _SIMPLE:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    return repr(value)


def _forward_loguru(child: _Child) -> None:
    def sink(message: Any) -> None:
        record = message.record
        error = record["exception"]
        child.send(
            (
                "loguru",
                {
                    "level": record["level"].name,
                    "levelno": record["level"].no,
                    "message": record["message"],
                    "extra": {key: _simple(value) for key, value in record["extra"].items()},
                    "name": record["name"],
                    "function": record["function"],
                    "line": record["line"],
                    "path": record["file"].path,
                    "time": record["time"],
                    "exception": "".join(traceback.format_exception(*error)) if error else None,
                    "pid": os.getpid(),
                },
            )
        )

    # The child's records go to the worker's sinks only (with fork, the inherited sinks would
    # write a second copy from the child).
    logger.remove()
    logger.add(sink, level="DEBUG", format="{message}", enqueue=False, catch=True)


class _StdlibForwarder(logging.Handler):
    def __init__(self, child: _Child) -> None:
        super().__init__()
        self._child = child

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            exc_text = None
            if record.exc_info:
                exc_text = "".join(traceback.format_exception(*record.exc_info))
            state = {
                key: _simple(value)
                for key, value in vars(record).items()
                if key not in ("args", "exc_info", "msg", "message")
            }
            state.update(
                msg=message, args=None, exc_info=None, exc_text=exc_text, child_pid=os.getpid()
            )
            self._child.send(("logging", state))
        except Exception:  # noqa: BLE001 - logging must never break the handler
            self.handleError(record)


def _forward_stdlib(child: _Child) -> None:
    root = logging.getLogger()
    if not root.handlers:  # forked children keep the parent's handlers; they already write
        root.addHandler(_StdlibForwarder(child))
