"""The routes of the engine's app: every ``/v2`` endpoint it serves, and its handler."""

from __future__ import annotations

from camunda_worker.engine._http import job_routes as jobs
from camunda_worker.engine._http import modification_routes as modification
from camunda_worker.engine._http import process_routes as processes
from camunda_worker.engine._http import query_routes as queries
from camunda_worker.engine._http import user_task_routes as user_tasks
from camunda_worker.engine._http.call import Call, Route

__all__ = ["ROUTES", "Call", "Route"]

_COMMANDS: tuple[Route, ...] = (
    Route("POST", "/v2/jobs/activation", "activate", jobs.activate),
    Route("POST", "/v2/jobs/{jobKey}/completion", "complete", jobs.complete),
    Route("POST", "/v2/jobs/{jobKey}/failure", "fail", jobs.fail),
    Route("POST", "/v2/jobs/{jobKey}/error", "error", jobs.throw_error),
    Route("PATCH", "/v2/jobs/{jobKey}", "update", jobs.update),
    Route("POST", "/v2/deployments", "deploy", processes.deploy),
    Route("POST", "/v2/process-instances", "create_instance", processes.create_instance),
    Route(
        "POST",
        "/v2/process-instances/{processInstanceKey}/cancellation",
        "cancel_instance",
        processes.cancel_instance,
    ),
    Route(
        "POST",
        "/v2/process-instances/{processInstanceKey}/modification",
        "modify_instance",
        modification.modify,
    ),
    Route(
        "POST",
        "/v2/incidents/{incidentKey}/resolution",
        "resolve_incident",
        processes.resolve_incident,
    ),
    Route(
        "PUT",
        "/v2/element-instances/{elementInstanceKey}/variables",
        "set_variables",
        processes.set_variables,
    ),
    Route("POST", "/v2/messages/publication", "publish", processes.publish),
    Route("POST", "/v2/messages/correlation", "correlate", processes.correlate),
    Route("POST", "/v2/signals/broadcast", "broadcast", processes.broadcast),
    Route(
        "POST",
        "/v2/user-tasks/{userTaskKey}/assignment",
        "assign_user_task",
        user_tasks.assign,
    ),
    Route(
        "DELETE",
        "/v2/user-tasks/{userTaskKey}/assignee",
        "unassign_user_task",
        user_tasks.unassign,
    ),
    Route("PATCH", "/v2/user-tasks/{userTaskKey}", "update_user_task", user_tasks.update),
    Route(
        "POST",
        "/v2/user-tasks/{userTaskKey}/completion",
        "complete_user_task",
        user_tasks.complete,
    ),
    Route("PUT", "/v2/clock", "pin_clock", queries.pin_clock),
    Route("POST", "/v2/clock/reset", "reset_clock", queries.reset_clock),
    Route("GET", "/v2/topology", "topology", processes.topology),
    Route("GET", "/v2/status", "status", processes.status, authenticated=False),
)

# (path segment, record kind, key parameter, endpoint names) of the searchable records.
_RECORDS = (
    ("jobs", "jobs", None, "search_jobs", None),
    ("process-instances", "processInstances", "processInstanceKey", "search_instances",
     "get_instance"),
    ("incidents", "incidents", "incidentKey", "search_incidents", "get_incident"),
    ("element-instances", "elementInstances", "elementInstanceKey",
     "search_element_instances", "get_element_instance"),
    ("variables", "variables", "variableKey", "search_variables", "get_variable"),
    ("user-tasks", "userTasks", "userTaskKey", "search_user_tasks", "get_user_task"),
    ("process-definitions", "processDefinitions", "processDefinitionKey",
     "search_process_definitions", "get_process_definition"),
    ("message-subscriptions", "messageSubscriptions", None, "search_message_subscriptions",
     None),
)  # fmt: skip

_SEARCHES: tuple[Route, ...] = tuple(
    Route("POST", f"/v2/{segment}/search", search, queries.searcher(kind))
    for segment, kind, _, search, _ in _RECORDS
)
_GETS: tuple[Route, ...] = tuple(
    Route("GET", f"/v2/{segment}/{{{key}}}", get, queries.getter(kind, key))
    for segment, kind, key, _, get in _RECORDS
    if key is not None and get is not None
)
_NESTED: tuple[Route, ...] = (
    Route(
        "POST",
        "/v2/process-instances/{processInstanceKey}/incidents/search",
        "search_instance_incidents",
        queries.search_instance_incidents,
    ),
    Route(
        "POST",
        "/v2/element-instances/{elementInstanceKey}/incidents/search",
        "search_element_instance_incidents",
        queries.since("8.9", "POST", queries.search_element_incidents),
    ),
    Route(
        "POST",
        "/v2/user-tasks/{userTaskKey}/variables/search",
        "search_user_task_variables",
        queries.search_user_task_variables,
    ),
    Route(
        "GET",
        "/v2/process-instances/{processInstanceKey}/call-hierarchy",
        "call_hierarchy",
        queries.call_hierarchy,
    ),
    Route(
        "GET",
        "/v2/process-definitions/{processDefinitionKey}/xml",
        "get_process_definition_xml",
        queries.definition_xml,
    ),
    Route(
        "POST",
        "/v2/user-tasks/{userTaskKey}/effective-variables/search",
        "search_user_task_effective_variables",
        queries.search_user_task_effective_variables,
    ),
    Route(
        "GET",
        "/v2/process-instances/{processInstanceKey}/statistics/element-instances",
        "instance_statistics",
        queries.instance_statistics,
    ),
    Route(
        "POST",
        "/v2/process-definitions/{processDefinitionKey}/statistics/element-instances",
        "definition_statistics",
        queries.definition_statistics,
    ),
    Route(
        "GET",
        "/v2/user-tasks/{userTaskKey}/form",
        "get_user_task_form",
        queries.form("userTasks", "userTaskKey"),
    ),
    Route(
        "GET",
        "/v2/process-definitions/{processDefinitionKey}/form",
        "get_process_definition_form",
        queries.form("processDefinitions", "processDefinitionKey"),
    ),
    Route(
        "POST",
        "/v2/expression/evaluation",
        "evaluate_expression",
        queries.since("8.9", "POST", queries.evaluate_expression),
    ),
)

ROUTES: tuple[Route, ...] = (*_COMMANDS, *_SEARCHES, *_GETS, *_NESTED)
"""Every route of the ``/v2`` API the engine serves (the token endpoint is added by the app)."""
