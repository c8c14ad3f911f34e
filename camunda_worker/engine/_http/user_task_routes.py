"""Handlers of the user task commands: assignment, unassignment, update, completion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from camunda_worker.engine._http.answers import NO_CONTENT, Reply, invalid_argument
from camunda_worker.engine._http.requests import check_key
from camunda_worker.engine._http.search_requests import (
    AssignUserTaskBody,
    CompleteUserTaskBody,
    UpdateUserTaskBody,
    read_body,
)

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call, RouteHost

__all__ = ["assign", "complete", "unassign", "update"]


async def assign(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    body = read_body(AssignUserTaskBody, call)
    if body.assignee is None or not body.assignee.strip():
        raise invalid_argument("No assignee provided")
    allow = body.allow_override if body.allow_override is not None else True
    app.engine.assign_user_task(key, body.assignee, allow_override=allow)
    return NO_CONTENT


async def unassign(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    app.engine.unassign_user_task(key)
    return NO_CONTENT


async def update(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    body = read_body(UpdateUserTaskBody, call, required=False)
    changes = body.changeset
    if changes is None or not changes.model_fields_set:
        if body.action is None:
            raise invalid_argument(
                'No update data provided. Provide at least an "action" or a non-null value'
                " for at least one of the changeset attributes"
                " [candidateGroups, candidateUsers, dueDate, followUpDate, priority]"
            )
        app.engine.update_user_task(key)
        return NO_CONTENT
    app.engine.update_user_task(
        key,
        due_date=changes.due_date,
        follow_up_date=changes.follow_up_date,
        candidate_users=changes.candidate_users,
        candidate_groups=changes.candidate_groups,
        priority=changes.priority,
    )
    return NO_CONTENT


async def complete(app: RouteHost, call: Call) -> Reply:
    key = check_key("userTaskKey", call.params[0])
    body = read_body(CompleteUserTaskBody, call, required=False)
    app.engine.complete_user_task(key, body.variables)
    return NO_CONTENT
