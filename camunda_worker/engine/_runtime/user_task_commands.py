"""Commands on Camunda user tasks, as Tasklist and the user task endpoints send them.

Assignment, unassignment and update of a ``CREATED`` user task; completion is
:meth:`~camunda_worker.engine.Engine.complete_user_task`. A completed or canceled user task is
gone from the engine's runtime state, as in Zeebe: commands on it answer 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from camunda_worker.engine._runtime.commands import EngineBase, parse_key
from camunda_worker.engine._runtime.errors import invalid_argument, rejected
from camunda_worker.engine._runtime.user_tasks import CREATED, UserTaskRecord

__all__ = ["EngineUserTasks"]


class EngineUserTasks(EngineBase):
    """Assign, unassign and update Camunda user tasks."""

    def assign_user_task(
        self, user_task_key: str, assignee: str, *, allow_override: bool = True
    ) -> None:
        """Assign a user task to someone.

        Args:
            user_task_key: the user task.
            assignee: who works on it (not blank).
            allow_override: reassign a task that has an assignee already (else 409).

        Raises:
            EngineError: 400 for a blank assignee; 404 for an unknown, completed or canceled
                user task; 409 when it is assigned and ``allow_override`` is false.
        """
        key = parse_key("userTaskKey", user_task_key)
        if not assignee.strip():
            raise invalid_argument("No assignee provided")
        with self._lock:
            task = self._user_task(key, "assign")
            if not allow_override and task.assignee:
                reason = (
                    f"Expected to assign user task with key '{key}', but it is already assigned"
                )
                raise rejected("ASSIGN", "INVALID_STATE", reason)
            task.assignee = assignee

    def unassign_user_task(self, user_task_key: str) -> None:
        """Remove a user task's assignee (404 for an unknown, completed or canceled task)."""
        key = parse_key("userTaskKey", user_task_key)
        with self._lock:
            self._user_task(key, "unassign").assignee = None

    def update_user_task(
        self,
        user_task_key: str,
        *,
        due_date: str | None = None,
        follow_up_date: str | None = None,
        candidate_users: Sequence[str] | None = None,
        candidate_groups: Sequence[str] | None = None,
        priority: int | None = None,
    ) -> None:
        """Change a user task's dates, candidates or priority; ``None`` leaves a field as is.

        Args:
            user_task_key: the user task.
            due_date: an RFC 3339 date-time, ``""`` to clear it.
            follow_up_date: an RFC 3339 date-time, ``""`` to clear it.
            candidate_users: the new candidate users (``[]`` clears them).
            candidate_groups: the new candidate groups (``[]`` clears them).
            priority: 0 to 100.

        Raises:
            EngineError: 400 for a malformed date or a priority out of range; 404 for an
                unknown, completed or canceled user task.
        """
        key = parse_key("userTaskKey", user_task_key)
        problems = [
            f"The provided {label} '{value}' cannot be parsed as a date according to RFC 3339,"
            " section 5.6"
            for label, value in (("due date", due_date), ("follow-up date", follow_up_date))
            if value and not _is_date_time(value)
        ]
        if priority is not None and not 0 <= priority <= 100:
            problems.append(
                f"The value for priority is '{priority}' but must be within the [0,100] range"
            )
        if problems:
            raise invalid_argument(". ".join(problems))
        with self._lock:
            task = self._user_task(key, "update")
            if due_date is not None:
                task.due_date = due_date or None
            if follow_up_date is not None:
                task.follow_up_date = follow_up_date or None
            if candidate_users is not None:
                task.candidate_users = tuple(candidate_users)
            if candidate_groups is not None:
                task.candidate_groups = tuple(candidate_groups)
            if priority is not None:
                task.priority = priority

    def _user_task(self, key: int, intent: str) -> UserTaskRecord:
        # Under the lock.
        self._tick()
        task = self._machine.user_tasks.get(key)
        if task is None or task.state != CREATED:
            reason = (
                f"Expected to {intent} user task with key '{key}', but no such user task was found"
            )
            raise rejected(intent.upper(), "NOT_FOUND", reason)
        return task


def _is_date_time(text: str) -> bool:
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in text and moment.tzinfo is not None
