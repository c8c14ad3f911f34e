"""Camunda user tasks (``zeebe:userTask``): records of the tasks people work on.

A user task is created when its element is entered (assignment, schedule and form evaluated
then), completed by :meth:`Engine.complete_user_task` (its variables then reach the process as a
job's would: output mappings, else propagation), and canceled when its element is terminated.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["CANCELED", "COMPLETED", "CREATED", "UserTaskRecord"]

CREATED = "CREATED"
COMPLETED = "COMPLETED"
CANCELED = "CANCELED"


@attrs.define(slots=True, eq=False)
class UserTaskRecord:
    """One Camunda user task (mutable, guarded by the engine's lock)."""

    key: int
    element_id: str
    name: str | None
    element_instance_key: int
    process_instance_key: int
    process_definition_key: int
    process_definition_id: str
    process_definition_version: int
    tenant_id: str
    created_ms: int
    assignee: str | None = None
    candidate_groups: tuple[str, ...] = ()
    candidate_users: tuple[str, ...] = ()
    due_date: str | None = None
    follow_up_date: str | None = None
    form_key: str | None = None
    external_form_reference: str | None = None
    priority: int = 50
    custom_headers: dict[str, str] = attrs.field(factory=dict)
    state: str = CREATED
    completed_ms: int | None = None
    variables: dict[str, Any] | None = None
