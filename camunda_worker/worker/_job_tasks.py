"""The tasks that run jobs: one plain asyncio task per job, cancelled together on abandon.

Every activated job runs in a task of its own (its handler may await anything). An anyio task
group spawns each one with a task handle, a cancel scope, an event and several look-ups of the
current task and library: on a no-op worker that was about a tenth of its CPU per job
(py-spy, ``benchmarks.compare_revisions``). The worker always runs on asyncio, so the jobs'
tasks are plain asyncio tasks kept in a set; what the task group gave them is kept:

- :meth:`JobTasks.cancel` cancels every one of them (an abandoned drain), and keeps cancelling,
  as a cancel scope does, those that are still running at each :meth:`JobTasks.wait` tick (a
  handler that swallowed one ``CancelledError`` gets another);
- :meth:`JobTasks.wait` returns once every task has ended, so nothing outlives the worker's
  run;
- a task's exception never goes unseen: the job's coroutine catches and logs its own errors,
  and whatever escapes it anyway (a ``KeyboardInterrupt``, ``SystemExit``) is logged here.

On Python 3.10 a cancelled task cannot tell that it is being cancelled (``Task.cancelling()``
is 3.11's), which handlers' outcome rules need: there, jobs run in the anyio task group as
before.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from anyio.abc import TaskGroup

    from camunda_worker._base.logs import JobLogger

__all__ = ["PLAIN_TASKS", "RECANCEL_SECONDS", "JobTasks"]

PLAIN_TASKS = sys.version_info >= (3, 11)
"""Whether jobs run in plain asyncio tasks (Python 3.11+) or in the anyio task group."""

RECANCEL_SECONDS = 0.05
"""How often tasks still running after :meth:`JobTasks.cancel` are cancelled again."""


class JobTasks:
    """The jobs' tasks of one worker run (on its event loop).

    Args:
        group: the task group that holds them on Python 3.10 (and the worker's other tasks).
        log: where an exception that escaped a job's coroutine is logged.
    """

    def __init__(
        self,
        group: TaskGroup,
        log: JobLogger,
        *,
        on_end: Callable[[asyncio.Task[None]], None] | None = None,
    ) -> None:
        self._group = group
        self._log = log
        self._on_end = on_end
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._serial = 0
        self._cancelled = False
        self._loop = asyncio.get_running_loop()

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, job: Coroutine[object, object, None]) -> asyncio.Task[None] | None:
        """Run ``job`` in a task of its own, from the next turn of the loop; the task.

        Returns:
            The task (``None`` on Python 3.10, where the task group runs it).
        """
        if not PLAIN_TASKS:  # pragma: no cover - Python 3.10
            self._group.start_soon(lambda: job)
            return None
        self._serial += 1
        key = self._serial
        # The task forgets itself as it ends (a done callback would be one more callback on
        # the loop per job); once cancelling, wait() cancels it as soon as it runs.
        task = self._tasks[key] = self._loop.create_task(self._run(key, job))
        return task

    async def _run(self, key: int, job: Coroutine[object, object, None]) -> None:
        try:
            await job
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            trace = "".join(traceback.format_exception(error)).rstrip()
            self._log.error(f"a job's task ended with {type(error).__name__}: {error}\n{trace}")
            raise
        finally:
            self._ended(key)

    def _ended(self, key: int) -> None:
        task = self._tasks.pop(key, None)
        if task is not None and self._on_end is not None:
            self._on_end(task)

    def cancel(self) -> None:
        """Cancel every job's task, now and until it ends (see the module's docstring)."""
        self._cancelled = True
        if not PLAIN_TASKS:  # pragma: no cover - Python 3.10: the caller cancels the group
            return
        for task in self._tasks.values():
            task.cancel()

    async def wait(self) -> None:
        """Return once every job's task has ended."""
        while True:
            # A task cancelled before it ever ran never ran its own clean-up: forget it here.
            for key, task in list(self._tasks.items()):
                if task.done():
                    self._ended(key)
            if not self._tasks:
                return
            await asyncio.wait(
                list(self._tasks.values()),
                timeout=RECANCEL_SECONDS if self._cancelled else None,
            )
            if self._cancelled:
                for task in self._tasks.values():
                    task.cancel()
