"""Handlers of the job endpoints: activation, completion, failure, BPMN error, update.

Each handler reads and checks its body (``_wire``), calls the engine core and returns a
:class:`~camunda_worker.engine._http.answers.Reply`. Refusals of the core (``EngineError``) and of the
checks (``HttpError``) propagate to the app, which answers them as problem details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from camunda_worker.engine._http.answers import NO_CONTENT, Reply, invalid_argument
from camunda_worker.engine._http.requests import (
    ActivateJobsBody,
    CompleteJobBody,
    FailJobBody,
    ThrowErrorBody,
    UpdateJobBody,
    check_activation,
    check_key,
    parse_body,
)
from camunda_worker.engine._http.tenancy import check_tenant_ids

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call, RouteHost

__all__ = [
    "activate",
    "complete",
    "fail",
    "throw_error",
    "update",
]


async def activate(app: RouteHost, call: Call) -> Reply:
    body = parse_body(ActivateJobsBody, call, line=app.engine.server_line)
    check_activation(body)
    tenant_ids = check_tenant_ids(app.engine, "Activate Jobs", body.tenant_ids, body.tenant_filter)
    job_type, max_jobs, timeout_ms = body.type, body.max_jobs_to_activate, body.timeout
    if job_type is None or max_jobs is None or timeout_ms is None:
        msg = "check_activation let an activation without type, maxJobsToActivate or timeout by"
        raise RuntimeError(msg)
    arguments: dict[str, Any] = {
        "job_type": job_type,
        "max_jobs_to_activate": max_jobs,
        "timeout_ms": timeout_ms,
        "worker": body.worker or "",
        "request_timeout_ms": body.request_timeout,
        "fetch_variable": body.fetch_variable,
        "tenant_ids": tenant_ids,
        "with_lease": bool(body.with_lease),
    }
    # Jobs ready now: answer without setting up a long poll and its disconnect watch.
    jobs = app.engine.activate_ready_jobs(**arguments)
    if jobs is None:
        jobs = await app.guard_long_poll(
            app.engine.activate_jobs(**arguments), closed=list, receive=call.receive
        )
    return Reply(200, {"jobs": jobs})


async def complete(app: RouteHost, call: Call) -> Reply:
    job_key = check_key("jobKey", call.params[0])
    body = parse_body(CompleteJobBody, call, line=app.engine.server_line, required=False)
    app.engine.complete_job(job_key, body.variables, lease_token=body.lease_token)
    return NO_CONTENT


async def fail(app: RouteHost, call: Call) -> Reply:
    job_key = check_key("jobKey", call.params[0])
    body = parse_body(FailJobBody, call, line=app.engine.server_line, required=False)
    app.engine.fail_job(
        job_key,
        retries=body.retries,
        error_message=body.error_message,
        retry_back_off_ms=body.retry_back_off,
        variables=body.variables,
        lease_token=body.lease_token,
    )
    return NO_CONTENT


async def throw_error(app: RouteHost, call: Call) -> Reply:
    job_key = check_key("jobKey", call.params[0])
    body = parse_body(ThrowErrorBody, call, line=app.engine.server_line)
    if body.error_code is None or not body.error_code.strip():
        raise invalid_argument("No errorCode provided")
    app.engine.throw_job_error(
        job_key,
        error_code=body.error_code,
        error_message=body.error_message,
        variables=body.variables,
        lease_token=body.lease_token,
    )
    return NO_CONTENT


async def update(app: RouteHost, call: Call) -> Reply:
    job_key = check_key("jobKey", call.params[0])
    body = parse_body(UpdateJobBody, call, line=app.engine.server_line)
    changeset = body.changeset
    if changeset is None or (changeset.retries is None and changeset.timeout is None):
        raise invalid_argument("At least one of [retries, timeout] is required")
    app.engine.update_job(job_key, retries=changeset.retries, timeout_ms=changeset.timeout)
    return NO_CONTENT
