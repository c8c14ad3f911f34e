"""Watching a worker's event loop: a handler that blocks it is named, reported, and measured.

A synchronous call in an ``async def`` handler (``time.sleep``, a blocking client, a long
computation) stalls every job on the loop, the poll loop and the acknowledgements with it. While
the loop is blocked nothing on it runs, so the watch is split in two:

- on the loop, a tick every :data:`TICK_SECONDS` (half the threshold when that is shorter than
  two ticks, never under 10 ms), scheduled with ``call_later``, records when the next tick is due;
- one daemon thread per process (``camunda-worker-event-loop-watch``) sleeps until a tick would be
  overdue by the threshold. If the loop has not ticked by then it is blocked: the thread logs one
  warning for the episode, naming what runs on the loop (the job whose handler is the loop's
  current task, or else the async jobs in flight), through the logger of that job's worker;
- the next tick (the loop runs again) ends the episode: its duration is logged, and each worker's
  observers are told (:meth:`WorkerObserver.event_loop_blocked`).

Health probes and metric scrapes, which run in other threads, read how overdue the tick is
(:attr:`JobWorker.event_loop_block`): they need neither the loop nor the thread.

The workers on one event loop share its watch: one warning per episode, at the lowest threshold
among them. What it costs: about ten ticks a second per loop, a thread that wakes about once per
threshold while the loops are responsive, and per job one dict entry added and removed.

asyncio only, like the worker itself (any asyncio loop: the default one, uvloop).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

    from camunda_worker._base.logs import JobLogger
    from camunda_worker.worker._observer import ObserverGroup

__all__ = ["TICK_SECONDS", "EventLoopBlock", "LoopWatch"]

TICK_SECONDS = 0.1
"""How often the watch runs on a responsive loop (and so the precision of a measured block)."""

_SHORTEST_TICK = 0.01
_LISTED_JOBS = 5


@attrs.frozen
class EventLoopBlock:
    """A worker's event loop is blocked now (see :attr:`JobWorker.event_loop_block`).

    Attributes:
        seconds: how long the loop has not run so far (measured to within the watch's tick,
            0.1 s at most).
        threshold: the worker's threshold in seconds (``CAMUNDA_WORKER_LOOP_BLOCK_THRESHOLD``).
        culprit: what runs on the loop, e.g. ``"job 2251799813685249 (type 'ship-order')"``;
            ``None`` until the watch's thread has looked.
    """

    seconds: float
    threshold: float
    culprit: str | None

    def describe(self) -> str:
        """One line for health reasons: how long, the threshold, and what blocks the loop."""
        by = f" by {self.culprit}" if self.culprit else ""
        return (
            f"the event loop has been blocked for {self.seconds:.1f} s (threshold "
            f"{self.threshold:g} s){by}: no job on it makes progress"
        )


@attrs.define
class _Episode:
    """One block of a loop, from the moment the watch saw it until the loop runs again."""

    due: float  # when the tick that did not come was due
    culprit: str
    log: JobLogger


class LoopWatch:
    """One worker's view of the watch of the event loop it runs on.

    Made by :meth:`attach` on the loop; :meth:`close` (on the loop) detaches it.

    Attributes:
        job_type: the worker's job type.
        threshold: seconds without a tick that count as blocked.
    """

    def __init__(
        self,
        watched: _WatchedLoop,
        *,
        job_type: str,
        threshold: float,
        on_loop: bool,
        log: JobLogger,
        observers: ObserverGroup | None,
    ) -> None:
        self._watched = watched
        self.job_type = job_type
        self.threshold = threshold
        self.on_loop = on_loop  # whether this worker's handlers run on the loop (async strategy)
        self.log = log
        self.observers = observers
        self._closed = False

    @classmethod
    def attach(
        cls,
        *,
        job_type: str,
        threshold_ms: int,
        on_loop: bool,
        log: JobLogger,
        observers: ObserverGroup | None,
    ) -> LoopWatch | None:
        """Watch the running event loop for this worker; ``None`` when the threshold is 0.

        Args:
            job_type: the worker's job type.
            threshold_ms: how long without running counts as blocked; 0 turns the watch off.
            on_loop: whether the worker's handlers run on the loop (the ``async`` strategy).
            log: the worker's logger (warnings about its jobs go there).
            observers: the worker's observers (told of each episode).

        Returns:
            The watch, to :meth:`close` when the worker stops.
        """
        if threshold_ms <= 0:
            return None
        loop = asyncio.get_running_loop()
        return _WATCHDOG.attach(
            loop,
            lambda watched: cls(
                watched,
                job_type=job_type,
                threshold=threshold_ms / 1000,
                on_loop=on_loop,
                log=log,
                observers=observers,
            ),
        )

    def close(self) -> None:
        """Stop watching for this worker (on its loop); the last worker stops the loop's watch."""
        if not self._closed:
            self._closed = True
            _WATCHDOG.detach(self._watched, self)

    def job_started(self, job_key: str) -> object:
        """Note that the current task handles ``job_key`` (on the loop); returns a token."""
        task = asyncio.current_task()
        self._watched.running[task] = (self, job_key)
        return task

    def job_running(self, task: object, job_key: str) -> None:
        """Note that ``task`` handles ``job_key`` (on the loop), from where the task is made.

        :meth:`job_started` without looking the current task up (a few percent of a no-op job).
        """
        self._watched.running[task] = (self, job_key)

    def job_ended(self, token: object) -> None:
        """Forget the job of :meth:`job_started`'s token."""
        self._watched.running.pop(token, None)

    def block(self) -> EventLoopBlock | None:
        """The loop's block now, when longer than this worker's threshold (any thread)."""
        if self._closed:
            return None
        watched = self._watched
        seconds = time.monotonic() - watched.due
        if seconds < self.threshold or not watched.loop.is_running():
            return None
        episode = watched.episode
        return EventLoopBlock(
            seconds=seconds,
            threshold=self.threshold,
            culprit=episode.culprit if episode is not None else None,
        )


class _WatchedLoop:
    """The watch of one event loop, shared by the workers that run on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watches: list[LoopWatch] = []
        # The tasks handling jobs now; read by the watch's thread while the loop is blocked.
        self.running: dict[object, tuple[LoopWatch, str]] = {}
        self.threshold = 0.0
        self.tick = TICK_SECONDS
        self.due = time.monotonic() + self.tick
        self.episode: _Episode | None = None
        self.lock = threading.Lock()  # hands an episode over between the thread and the loop
        self._timer: asyncio.TimerHandle | None = None

    def configure(self) -> None:
        """Follow the lowest threshold of the workers on the loop (on the loop)."""
        self.threshold = min(watch.threshold for watch in self.watches)
        self.tick = max(_SHORTEST_TICK, min(TICK_SECONDS, self.threshold / 2))

    def start(self) -> None:
        """Schedule the first tick (on the loop)."""
        self._on_tick()

    def stop(self) -> None:
        """Cancel the ticks and end an open episode (on the loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._end_episode(time.monotonic())

    def _on_tick(self) -> None:
        now = time.monotonic()
        with self.lock:
            self.due = now + self.tick
        self._end_episode(now)
        self._timer = self.loop.call_later(self.tick, self._on_tick)

    def _end_episode(self, now: float) -> None:
        if self.episode is None:
            # Read without the lock: after a tick moved ``due`` (locked), the thread can no
            # longer open an episode for the block that just ended.
            return
        episode = self._take_episode()
        if episode is None:
            return
        duration = max(now - episode.due, 0.0)
        episode.log.info(
            f"the event loop runs again: it was blocked for {duration:.1f} s by {episode.culprit}"
        )
        for watch in list(self.watches):
            if watch.observers is not None and duration >= watch.threshold:
                watch.observers.event_loop_blocked(watch.job_type, duration=duration)

    def _take_episode(self) -> _Episode | None:
        with self.lock:
            episode, self.episode = self.episode, None
        return episode

    # -- the watch's thread --------------------------------------------------------------------

    def check(self, now: float) -> float:
        """Open an episode if the loop is blocked (the thread); return when to check again."""
        due = self.due
        if not self.loop.is_running():
            return now + max(self.threshold, TICK_SECONDS)  # stopped (between runs), not blocked
        if self.episode is not None:
            return now + self.tick  # blocked: look again soon, to end what the loop cannot
        if now < due + self.threshold:
            return due + self.threshold
        with self.lock:
            if self.due != due or self.episode is not None:
                return now  # the loop ticked meanwhile
            culprit, log = self._culprit()
            blocked = now - due
            log.warning(
                f"the event loop is blocked: it has not run for {blocked:.1f} s (threshold "
                f"{self.threshold:g} s); {culprit} holds it with a synchronous call, and "
                "every other job, the polling and the acknowledgements wait. Await "
                "asynchronous I/O in async handlers, or run blocking code in a thread "
                "(execution_strategy='thread' or 'process')"
            )
            self.episode = _Episode(due=due, culprit=culprit, log=log)
        return now + self.tick

    def _culprit(self) -> tuple[str, JobLogger]:
        """What runs on the blocked loop now, and the logger to name it in."""
        try:
            task = asyncio.current_task(self.loop)
            running = list(self.running.items())
        except RuntimeError:  # the loop stopped or changed meanwhile
            task, running = None, []
        first = self.watches[0].log if self.watches else _NULL_LOG
        for handling, (watch, job_key) in running:
            if handling is task:
                return f"the handler of job {job_key} (type {watch.job_type!r})", watch.log
        jobs = [(watch, key) for _, (watch, key) in running if watch.on_loop]
        if task is None:
            what = "a callback of the event loop (not a job handler)"
        else:
            what = f"the task {_task_name(task)} (not a job handler)"
        if not jobs:
            return what, first
        listed = ", ".join(f"{key} (type {watch.job_type!r})" for watch, key in jobs[:_LISTED_JOBS])
        more = f" and {len(jobs) - _LISTED_JOBS} more" if len(jobs) > _LISTED_JOBS else ""
        return f"{what}, with async jobs in flight: {listed}{more}", jobs[0][0].log


def _task_name(task: object) -> str:
    get_name = getattr(task, "get_name", None)
    return repr(get_name()) if callable(get_name) else repr(task)


class _NullLog:
    def info(self, message: str, /, *args: object, **kwargs: object) -> None:
        """Drop the record."""

    def warning(self, message: str, /, *args: object, **kwargs: object) -> None:
        """Drop the record."""


_NULL_LOG: JobLogger = _NullLog()  # type: ignore[assignment]


class _Watchdog:
    """The process's watch: the watched loops and the one thread that checks them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, _WatchedLoop] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()

    def attach(
        self,
        loop: asyncio.AbstractEventLoop,
        make: Callable[[_WatchedLoop], LoopWatch],
    ) -> LoopWatch:
        with self._lock:
            watched = self._loops.get(loop)
            new = watched is None
            if watched is None:
                watched = self._loops[loop] = _WatchedLoop(loop)
            watch = make(watched)
            watched.watches.append(watch)
            watched.configure()
            if self._thread is None:
                self._stop, self._wake = threading.Event(), threading.Event()
                self._thread = threading.Thread(
                    target=self._run,
                    args=(self._stop, self._wake),
                    name="camunda-worker-event-loop-watch",
                    daemon=True,
                )
                self._thread.start()
            self._wake.set()  # a lower threshold may be due sooner
        if new:
            watched.start()
        return watch

    def detach(self, watched: _WatchedLoop, watch: LoopWatch) -> None:
        thread = None
        with self._lock:
            with contextlib.suppress(ValueError):
                watched.watches.remove(watch)
            last = not watched.watches
            if last:
                self._loops.pop(watched.loop, None)
            else:
                watched.configure()
            if not self._loops:
                thread, self._thread = self._thread, None
                self._stop.set()
                self._wake.set()
        if last:
            watched.stop()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self, stop: threading.Event, wake: threading.Event) -> None:
        while not stop.is_set():
            wake.clear()  # before looking: a wake-up from now on is kept for the wait below
            with self._lock:
                watched = list(self._loops.values())
            now = time.monotonic()
            next_check = now + 1.0
            for loop in watched:
                next_check = min(next_check, loop.check(now))
            wake.wait(max(next_check - time.monotonic(), 0.0))

    def forget_after_fork(self) -> None:
        """In a forked child: the parent's loops and thread are not here."""
        self._lock = threading.Lock()
        self._loops = {}
        self._thread = None
        self._wake = threading.Event()
        self._stop = threading.Event()


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_WATCHDOG.forget_after_fork)
