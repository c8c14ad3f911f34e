"""Handlers of the endpoints other than jobs: deployments, instances, incidents, messages...

Deployments, process instances (create, cancel, ``awaitCompletion``), incident resolution,
variables, message publication, topology and status. Same conventions as ``_job_routes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from camunda_worker.engine._http.answers import NO_CONTENT, HttpError, Reply, invalid_argument
from camunda_worker.engine._http.multipart import parse_deployment_form
from camunda_worker.engine._http.requests import (
    BroadcastSignalBody,
    CorrelateMessageBody,
    CreateProcessInstanceBody,
    OperationBody,
    PublishMessageBody,
    SetVariablesBody,
    check_key,
    parse_body,
    tenant_violations,
)
from camunda_worker.engine._http.tenancy import check_tenant

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call, RouteHost

__all__ = [
    "cancel_instance",
    "create_instance",
    "deploy",
    "publish",
    "resolve_incident",
    "set_variables",
    "status",
    "topology",
]

_DEFAULT_AWAIT_TIMEOUT_MS = 10_000


async def deploy(app: RouteHost, call: Call) -> Reply:
    form = parse_deployment_form(call.content_type, call.body)
    if not form.resources:
        raise invalid_argument("No resources provided")
    if form.tenant_id is not None:
        violations = tenant_violations("Deploy Resources", [form.tenant_id])
        if violations:
            raise invalid_argument(*violations)
    check_tenant(app.engine, "Deploy Resources", form.tenant_id)
    result = app.engine.deploy(form.resources, tenant_id=form.tenant_id)
    return Reply(200, result)


async def create_instance(app: RouteHost, call: Call) -> Reply:
    body = parse_body(CreateProcessInstanceBody, call, line=app.engine.server_line)
    by_id, by_key = body.process_definition_id, body.process_definition_key
    if by_id is None and by_key is None:
        raise invalid_argument(
            "At least one of [processDefinitionId, processDefinitionKey] is required"
        )
    if by_id is not None and by_key is not None:
        raise invalid_argument("Only one of [processDefinitionId, processDefinitionKey] is allowed")
    if by_key is not None:
        check_key("processDefinitionKey", by_key)
    if body.runtime_instructions:
        raise invalid_argument("Runtime instructions are not supported by the in-memory engine")
    start_at = _start_elements(body.start_instructions)
    if body.tenant_id is not None:
        violations = tenant_violations("Create Process Instance", [body.tenant_id])
        if violations:
            raise invalid_argument(*violations)
    check_tenant(app.engine, "Create Process Instance", body.tenant_id)
    created = app.engine.create_process_instance(
        process_definition_id=by_id,
        process_definition_key=by_key,
        version=body.process_definition_version,
        variables=body.variables,
        tenant_id=body.tenant_id,
        start_instructions=start_at,
    )
    if not body.await_completion:
        return Reply(200, created)
    timeout_ms = body.request_timeout if body.request_timeout > 0 else _await_default(app)
    result = await app.guard_long_poll(
        app.engine.await_process_instance(
            created["processInstanceKey"],
            timeout_ms=timeout_ms,
            fetch_variables=body.fetch_variables,
        ),
        closed=_shutting_down,
        receive=call.receive,
    )
    return Reply(200, result)


def _start_elements(instructions: list[Any] | None) -> list[str] | None:
    # ``startInstructions``: [{"elementId": "..."}, ...] (ProcessInstanceCreationStartInstruction).
    if not instructions:
        return None
    elements = []
    for instruction in instructions:
        element = instruction.get("elementId") if isinstance(instruction, dict) else None
        if not isinstance(element, str) or not element:
            raise invalid_argument("No elementId provided in startInstructions")
        elements.append(element)
    return elements


def _await_default(app: RouteHost) -> int:
    default = getattr(app.engine, "default_request_timeout_ms", _DEFAULT_AWAIT_TIMEOUT_MS)
    return default if isinstance(default, int) and default > 0 else _DEFAULT_AWAIT_TIMEOUT_MS


def _shutting_down() -> dict[str, Any]:
    raise HttpError(503, "UNAVAILABLE", "The engine is shutting down")


async def publish(app: RouteHost, call: Call) -> Reply:
    body = parse_body(PublishMessageBody, call, line=app.engine.server_line)
    if body.name is None or not body.name.strip():
        raise invalid_argument("No name provided")
    check_tenant(app.engine, "Publish Message", body.tenant_id)
    result = app.engine.publish_message(
        name=body.name,
        correlation_key=body.correlation_key,
        variables=body.variables,
        time_to_live_ms=body.time_to_live,
        message_id=body.message_id,
        tenant_id=body.tenant_id,
    )
    return Reply(200, result)


async def correlate(app: RouteHost, call: Call) -> Reply:
    body = parse_body(CorrelateMessageBody, call, line=app.engine.server_line)
    if body.name is None or not body.name.strip():
        raise invalid_argument("No name provided")
    check_tenant(app.engine, "Correlate Message", body.tenant_id)
    result = app.engine.correlate_message(
        name=body.name,
        correlation_key=body.correlation_key,
        variables=body.variables,
        tenant_id=body.tenant_id,
    )
    return Reply(200, result)


async def broadcast(app: RouteHost, call: Call) -> Reply:
    body = parse_body(BroadcastSignalBody, call, line=app.engine.server_line)
    if body.signal_name is None or not body.signal_name.strip():
        raise invalid_argument("No signalName provided")
    check_tenant(app.engine, "Broadcast Signal", body.tenant_id)
    result = app.engine.broadcast_signal(
        signal_name=body.signal_name, variables=body.variables, tenant_id=body.tenant_id
    )
    return Reply(200, result)


async def topology(app: RouteHost, call: Call) -> Reply:
    return Reply(200, app.engine.topology())


async def status(app: RouteHost, call: Call) -> Reply:
    return NO_CONTENT


async def cancel_instance(app: RouteHost, call: Call) -> Reply:
    key = check_key("processInstanceKey", call.params[0])
    parse_body(OperationBody, call, line=app.engine.server_line, required=False)
    app.engine.cancel_process_instance(key)
    return NO_CONTENT


async def resolve_incident(app: RouteHost, call: Call) -> Reply:
    key = check_key("incidentKey", call.params[0])
    parse_body(OperationBody, call, line=app.engine.server_line, required=False)
    app.engine.resolve_incident(key)
    return NO_CONTENT


async def set_variables(app: RouteHost, call: Call) -> Reply:
    key = check_key("elementInstanceKey", call.params[0])
    body = parse_body(SetVariablesBody, call, line=app.engine.server_line)
    if body.variables is None:
        raise invalid_argument("No variables provided")
    app.engine.set_variables(key, body.variables, local=body.local)
    return NO_CONTENT
