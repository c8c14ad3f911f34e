"""One definition of each REST endpoint the clients call.

Each function here turns typed arguments into a :class:`Call`: the HTTP method, the path relative
to the ``/v2`` base URL, the body, how long the server may hold the request, and how to read the
answer. The sync and the async client both send these calls; neither builds a request body or
parses an answer itself, so every endpoint exists exactly once.

Bodies are plain dicts (the activation and completion paths are hot: no model per request). Times
are milliseconds, as on the wire.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import attrs

from camunda_worker._api.models import (
    ActivatedJobs,
    CreatedProcessInstance,
    DeploymentResult,
    ElementInstanceSearchResult,
    Incident,
    IncidentSearchResult,
    JobSearchResult,
    ProcessInstance,
    ProcessInstanceSearchResult,
    PublishedMessage,
    Topology,
    UserTask,
    UserTaskSearchResult,
    VariableSearchResult,
    parse_activated_jobs,
)

__all__ = [
    "Call",
    "Resource",
    "activate_jobs",
    "assign_user_task",
    "complete_job",
    "complete_user_task",
    "create_process_instance",
    "deploy_resources",
    "fail_job",
    "get_incident",
    "get_process_instance",
    "get_user_task",
    "pin_clock",
    "publish_message",
    "reset_clock",
    "search_element_instances",
    "search_incidents",
    "search_jobs",
    "search_process_instances",
    "search_user_tasks",
    "search_variables",
    "status",
    "throw_job_error",
    "topology",
    "unassign_user_task",
    "update_job",
]

T = TypeVar("T")

Resource = tuple[str, bytes | str] | str | os.PathLike[str]
"""A resource to deploy: ``(file name, content)`` or the path of a file to read."""

_Files = list[tuple[str, tuple[str, bytes, str]]]


@attrs.frozen
class Call(Generic[T]):
    """A request to send and the way to read its answer.

    Attributes:
        method: the HTTP method.
        path: the path below the base URL, starting with ``/``.
        parse: turns a successful answer (its status code and body) into the endpoint's
            result.
        json: the JSON body, if any.
        files: multipart file parts, if any.
        data: multipart form fields, if any.
        wait_ms: the ``requestTimeout`` the server may hold the request for (long poll),
            ``None`` for an ordinary request; the client extends its read timeout past it.
        ok_statuses: error statuses that are answers rather than errors for this endpoint.
    """

    method: str
    path: str
    parse: Callable[[int, bytes], T]
    json: Any = None
    files: _Files | None = None
    data: dict[str, str] | None = None
    wait_ms: int | None = None
    ok_statuses: frozenset[int] = frozenset()


def _no_content(status: int, content: bytes) -> None:
    return None


def _key(key: str | int) -> str:
    # Keys are digits, but a path segment must never let a caller's string escape it.
    if type(key) is str and key.isascii() and key.isdigit():
        return key  # what quote() gives for it, without its work (one per acknowledgement)
    return quote(str(key), safe="")


def _jobs(status: int, content: bytes) -> ActivatedJobs:
    return parse_activated_jobs(content)


def activate_jobs(
    *,
    job_type: str,
    max_jobs_to_activate: int,
    timeout: int,
    worker: str,
    request_timeout: int | None = None,
    fetch_variable: Sequence[str] | None = None,
    tenant_ids: Sequence[str] | None = None,
) -> Call[ActivatedJobs]:
    """``POST /jobs/activation``: long-poll for up to ``max_jobs_to_activate`` jobs."""
    body: dict[str, Any] = {
        "type": job_type,
        "worker": worker,
        "timeout": timeout,
        "maxJobsToActivate": max_jobs_to_activate,
    }
    if request_timeout is not None:
        body["requestTimeout"] = request_timeout
    if fetch_variable is not None:
        body["fetchVariable"] = list(fetch_variable)
    if tenant_ids is not None:
        body["tenantIds"] = list(tenant_ids)
    wait = 0 if request_timeout is None else request_timeout
    return Call("POST", "/jobs/activation", _jobs, json=body, wait_ms=wait)


def _dict(variables: Mapping[str, Any]) -> dict[str, Any]:
    return variables if isinstance(variables, dict) else dict(variables)


def complete_job(job_key: str, variables: Mapping[str, Any] | None = None) -> Call[None]:
    """``POST /jobs/{jobKey}/completion``: complete a job, merging ``variables``."""
    body = {} if variables is None else {"variables": _dict(variables)}
    return Call("POST", f"/jobs/{_key(job_key)}/completion", _no_content, json=body)


def fail_job(
    job_key: str,
    *,
    retries: int,
    error_message: str | None = None,
    retry_back_off: int = 0,
    variables: Mapping[str, Any] | None = None,
) -> Call[None]:
    """``POST /jobs/{jobKey}/failure``: fail a job, leaving ``retries`` retries."""
    body: dict[str, Any] = {"retries": retries, "retryBackOff": retry_back_off}
    if error_message is not None:
        body["errorMessage"] = error_message
    if variables is not None:
        body["variables"] = _dict(variables)
    return Call("POST", f"/jobs/{_key(job_key)}/failure", _no_content, json=body)


def throw_job_error(
    job_key: str,
    *,
    error_code: str,
    error_message: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Call[None]:
    """``POST /jobs/{jobKey}/error``: throw a BPMN error with ``error_code`` from a job."""
    body: dict[str, Any] = {"errorCode": error_code}
    if error_message is not None:
        body["errorMessage"] = error_message
    if variables is not None:
        body["variables"] = _dict(variables)
    return Call("POST", f"/jobs/{_key(job_key)}/error", _no_content, json=body)


def update_job(
    job_key: str, *, retries: int | None = None, timeout: int | None = None
) -> Call[None]:
    """``PATCH /jobs/{jobKey}``: change a job's retries and/or timeout (ms from now).

    Raises:
        ValueError: neither ``retries`` nor ``timeout`` was given.
    """
    changeset: dict[str, int] = {}
    if retries is not None:
        changeset["retries"] = retries
    if timeout is not None:
        changeset["timeout"] = timeout
    if not changeset:
        msg = "update_job needs retries, timeout or both"
        raise ValueError(msg)
    return Call("PATCH", f"/jobs/{_key(job_key)}", _no_content, json={"changeset": changeset})


def _search_body(
    filter: Mapping[str, Any] | None,
    limit: int,
    sort: Sequence[Mapping[str, str]] | None,
    after: str | None,
) -> dict[str, Any]:
    page: dict[str, Any] = {"limit": limit}
    if after is not None:
        page["after"] = after
    body: dict[str, Any] = {"page": page}
    if filter is not None:
        body["filter"] = _dict(filter)
    if sort is not None:
        body["sort"] = [dict(item) for item in sort]
    return body


def search_jobs(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[JobSearchResult]:
    """``POST /jobs/search``: one page of jobs matching ``filter``."""
    return Call(
        "POST",
        "/jobs/search",
        lambda _, content: JobSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def _read_resource(resource: Resource) -> tuple[str, bytes]:
    if isinstance(resource, tuple):
        name, content = resource
        return name, content.encode() if isinstance(content, str) else content
    path = Path(resource)
    return path.name, path.read_bytes()


def deploy_resources(
    resources: Sequence[Resource], *, tenant_id: str | None = None
) -> Call[DeploymentResult]:
    """``POST /deployments``: deploy BPMN/DMN/form resources in one multipart request.

    Paths are read here, synchronously: resources are small and deploying is not a hot path.

    Raises:
        ValueError: ``resources`` is empty.
    """
    if not resources:
        msg = "deploy_resources needs at least one resource"
        raise ValueError(msg)
    files: _Files = [
        ("resources", (name, content, "application/octet-stream"))
        for name, content in map(_read_resource, resources)
    ]
    data = None if tenant_id is None else {"tenantId": tenant_id}
    return Call(
        "POST",
        "/deployments",
        lambda _, content: DeploymentResult.model_validate_json(content),
        files=files,
        data=data,
    )


def create_process_instance(
    *,
    process_definition_id: str | None = None,
    process_definition_key: str | None = None,
    version: int | None = None,
    variables: Mapping[str, Any] | None = None,
    tenant_id: str | None = None,
    await_completion: bool = False,
    request_timeout: int | None = None,
    fetch_variables: Sequence[str] | None = None,
) -> Call[CreatedProcessInstance]:
    """``POST /process-instances``: start a process by BPMN id (latest or ``version``) or by key.

    Raises:
        ValueError: not exactly one of ``process_definition_id`` and ``process_definition_key``.
    """
    if (process_definition_id is None) == (process_definition_key is None):
        msg = "give exactly one of process_definition_id and process_definition_key"
        raise ValueError(msg)
    body: dict[str, Any] = (
        {"processDefinitionId": process_definition_id}
        if process_definition_id is not None
        else {"processDefinitionKey": str(process_definition_key)}
    )
    if version is not None:
        body["processDefinitionVersion"] = version
    if variables is not None:
        body["variables"] = _dict(variables)
    if tenant_id is not None:
        body["tenantId"] = tenant_id
    if await_completion:
        body["awaitCompletion"] = True
    if request_timeout is not None:
        body["requestTimeout"] = request_timeout
    if fetch_variables is not None:
        body["fetchVariables"] = list(fetch_variables)
    # Awaiting completion holds the request like a long poll: the read timeout must outlast it.
    wait = (request_timeout or 0) if await_completion else None
    return Call(
        "POST",
        "/process-instances",
        lambda _, content: CreatedProcessInstance.model_validate_json(content),
        json=body,
        wait_ms=wait,
    )


def get_process_instance(process_instance_key: str) -> Call[ProcessInstance]:
    """``GET /process-instances/{processInstanceKey}``: one process instance."""
    return Call(
        "GET",
        f"/process-instances/{_key(process_instance_key)}",
        lambda _, content: ProcessInstance.model_validate_json(content),
    )


def search_process_instances(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[ProcessInstanceSearchResult]:
    """``POST /process-instances/search``: one page of process instances matching ``filter``."""
    return Call(
        "POST",
        "/process-instances/search",
        lambda _, content: ProcessInstanceSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def search_incidents(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[IncidentSearchResult]:
    """``POST /incidents/search``: one page of incidents matching ``filter``."""
    return Call(
        "POST",
        "/incidents/search",
        lambda _, content: IncidentSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def get_incident(incident_key: str) -> Call[Incident]:
    """``GET /incidents/{incidentKey}``: one incident."""
    return Call(
        "GET",
        f"/incidents/{_key(incident_key)}",
        lambda _, content: Incident.model_validate_json(content),
    )


def search_element_instances(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[ElementInstanceSearchResult]:
    """``POST /element-instances/search``: one page of element instances matching ``filter``."""
    return Call(
        "POST",
        "/element-instances/search",
        lambda _, content: ElementInstanceSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def search_variables(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[VariableSearchResult]:
    """``POST /variables/search``: one page of variables matching ``filter``."""
    return Call(
        "POST",
        "/variables/search",
        lambda _, content: VariableSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def search_user_tasks(
    *,
    filter: Mapping[str, Any] | None = None,
    limit: int = 100,
    sort: Sequence[Mapping[str, str]] | None = None,
    after: str | None = None,
) -> Call[UserTaskSearchResult]:
    """``POST /user-tasks/search``: one page of user tasks matching ``filter``."""
    return Call(
        "POST",
        "/user-tasks/search",
        lambda _, content: UserTaskSearchResult.model_validate_json(content),
        json=_search_body(filter, limit, sort, after),
    )


def get_user_task(user_task_key: str) -> Call[UserTask]:
    """``GET /user-tasks/{userTaskKey}``: one user task."""
    return Call(
        "GET",
        f"/user-tasks/{_key(user_task_key)}",
        lambda _, content: UserTask.model_validate_json(content),
    )


def assign_user_task(
    user_task_key: str, assignee: str, *, allow_override: bool | None = None
) -> Call[None]:
    """``POST /user-tasks/{userTaskKey}/assignment``: give a user task to someone."""
    body: dict[str, Any] = {"assignee": assignee}
    if allow_override is not None:
        body["allowOverride"] = allow_override
    return Call("POST", f"/user-tasks/{_key(user_task_key)}/assignment", _no_content, json=body)


def unassign_user_task(user_task_key: str) -> Call[None]:
    """``DELETE /user-tasks/{userTaskKey}/assignee``: take a user task's assignee away."""
    return Call("DELETE", f"/user-tasks/{_key(user_task_key)}/assignee", _no_content)


def complete_user_task(
    user_task_key: str, variables: Mapping[str, Any] | None = None
) -> Call[None]:
    """``POST /user-tasks/{userTaskKey}/completion``: complete a user task."""
    body = {"variables": _dict(variables)} if variables is not None else {}
    return Call("POST", f"/user-tasks/{_key(user_task_key)}/completion", _no_content, json=body)


def pin_clock(timestamp: int) -> Call[None]:
    """``PUT /clock``: pin the engine's clock at ``timestamp`` (epoch milliseconds)."""
    return Call("PUT", "/clock", _no_content, json={"timestamp": timestamp})


def reset_clock() -> Call[None]:
    """``POST /clock/reset``: let the engine's clock run on the system time again."""
    return Call("POST", "/clock/reset", _no_content)


def publish_message(
    *,
    name: str,
    correlation_key: str = "",
    variables: Mapping[str, Any] | None = None,
    time_to_live: int | None = None,
    message_id: str | None = None,
    tenant_id: str | None = None,
) -> Call[PublishedMessage]:
    """``POST /messages/publication``: publish a message (buffered for ``time_to_live`` ms)."""
    body: dict[str, Any] = {"name": name, "correlationKey": correlation_key}
    if variables is not None:
        body["variables"] = _dict(variables)
    if time_to_live is not None:
        body["timeToLive"] = time_to_live
    if message_id is not None:
        body["messageId"] = message_id
    if tenant_id is not None:
        body["tenantId"] = tenant_id
    return Call(
        "POST",
        "/messages/publication",
        lambda _, content: PublishedMessage.model_validate_json(content),
        json=body,
    )


def topology() -> Call[Topology]:
    """``GET /topology``: the brokers, partitions and gateway version of the cluster."""
    return Call("GET", "/topology", lambda _, content: Topology.model_validate_json(content))


def status() -> Call[bool]:
    """``GET /status``: ``True`` when the cluster is ready (204), ``False`` when not (503)."""
    return Call("GET", "/status", lambda status, _: status < 300, ok_statuses=frozenset({503}))
