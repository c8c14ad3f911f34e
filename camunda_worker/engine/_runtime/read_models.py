"""Wire documents of the read-only records the search endpoints list, per server line.

Element instances, variables, user tasks, process definitions and message subscriptions, as
the 8.9 spec shapes them; 8.8 leaves absent values out instead of ``null``; 8.10 adds
``businessId`` to user tasks, and ``businessId`` with the type, tool and connector fields to
message subscriptions.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from camunda_worker.engine._runtime.lines import ServerLine, iso_time

if TYPE_CHECKING:
    from camunda_worker.engine._model.definitions import ProcessDefinition
    from camunda_worker.engine._runtime.messages import MessageSubscription
    from camunda_worker.engine._runtime.user_tasks import UserTaskRecord

__all__ = [
    "ELEMENT_TYPES",
    "call_hierarchy_entry",
    "element_instance",
    "element_type",
    "message_subscription",
    "process_definition",
    "user_task",
    "variable",
]

#: The ``type`` values of ``ElementInstanceResult``.
ELEMENT_TYPES = frozenset(
    {
        "PROCESS",
        "SUB_PROCESS",
        "EVENT_SUB_PROCESS",
        "AD_HOC_SUB_PROCESS",
        "START_EVENT",
        "INTERMEDIATE_CATCH_EVENT",
        "INTERMEDIATE_THROW_EVENT",
        "BOUNDARY_EVENT",
        "END_EVENT",
        "SERVICE_TASK",
        "RECEIVE_TASK",
        "USER_TASK",
        "MANUAL_TASK",
        "TASK",
        "EXCLUSIVE_GATEWAY",
        "INCLUSIVE_GATEWAY",
        "PARALLEL_GATEWAY",
        "EVENT_BASED_GATEWAY",
        "MULTI_INSTANCE_BODY",
        "CALL_ACTIVITY",
        "BUSINESS_RULE_TASK",
        "SCRIPT_TASK",
        "SEND_TASK",
    }
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _finish(line: ServerLine, document: dict[str, Any]) -> dict[str, Any]:
    if line == "8.8":
        return {name: value for name, value in document.items() if value is not None}
    return document


def element_type(kind: str) -> str:
    """The ``ElementInstanceResult`` type of a BPMN element kind (``serviceTask`` -> ``SERVICE_TASK``)."""
    name = "TASK" if kind == "task" else _CAMEL.sub("_", kind).upper()
    return name if name in ELEMENT_TYPES else "UNKNOWN"


def element_instance(
    line: ServerLine,
    *,
    key: int,
    element_id: str,
    element_name: str,
    kind: str,
    instance_key: int,
    definition: ProcessDefinition,
    tenant_id: str,
    start_ms: int | None,
    incident_key: int | None,
    state: str = "ACTIVE",
    end_ms: int | None = None,
    root_key: int | None = None,
) -> dict[str, Any]:
    """An ``ElementInstanceResult`` (``ACTIVE``, ``COMPLETED`` or ``TERMINATED``)."""
    return _finish(
        line,
        {
            "elementInstanceKey": str(key),
            "elementId": element_id,
            "elementName": element_name,
            "type": element_type(kind),
            "state": state,
            "startDate": iso_time(start_ms),
            "endDate": iso_time(end_ms),
            "hasIncident": incident_key is not None,
            "incidentKey": str(incident_key) if incident_key is not None else None,
            "processInstanceKey": str(instance_key),
            "rootProcessInstanceKey": str(root_key or instance_key),
            "processDefinitionKey": str(definition.key),
            "processDefinitionId": definition.process_id,
            "tenantId": tenant_id,
        },
    )


def variable(
    line: ServerLine,
    *,
    key: int,
    name: str,
    value: Any,
    scope_key: int,
    instance_key: int,
    tenant_id: str,
    root_key: int | None = None,
) -> dict[str, Any]:
    """A ``VariableSearchResult``: the value is its JSON text, never truncated here."""
    return _finish(
        line,
        {
            "variableKey": str(key),
            "name": name,
            "value": json.dumps(value, ensure_ascii=False, separators=(",", ":")),
            "isTruncated": False,
            "scopeKey": str(scope_key),
            "processInstanceKey": str(instance_key),
            "rootProcessInstanceKey": str(root_key or instance_key),
            "tenantId": tenant_id,
        },
    )


def user_task(
    line: ServerLine, task: UserTaskRecord, process_name: str | None, root_key: int | None = None
) -> dict[str, Any]:
    """A ``UserTaskResult`` (``formKey`` only for a key of a deployed form: none here)."""
    form_key = task.form_key if task.form_key is not None and task.form_key.isdigit() else None
    document = _finish(
        line,
        {
            "userTaskKey": str(task.key),
            "name": task.name,
            "state": task.state,
            "assignee": task.assignee,
            "elementId": task.element_id,
            "candidateGroups": list(task.candidate_groups),
            "candidateUsers": list(task.candidate_users),
            "processDefinitionId": task.process_definition_id,
            "creationDate": iso_time(task.created_ms),
            "completionDate": iso_time(task.completed_ms),
            "followUpDate": task.follow_up_date,
            "dueDate": task.due_date,
            "tenantId": task.tenant_id,
            "externalFormReference": task.external_form_reference,
            "processDefinitionVersion": task.process_definition_version,
            "customHeaders": dict(task.custom_headers),
            "priority": task.priority,
            "elementInstanceKey": str(task.element_instance_key),
            "processName": process_name,
            "processDefinitionKey": str(task.process_definition_key),
            "processInstanceKey": str(task.process_instance_key),
            "rootProcessInstanceKey": str(root_key or task.process_instance_key),
            "formKey": form_key,
            "tags": [],
        },
    )
    if line == "8.10":
        document["businessId"] = None
    return document


def process_definition(line: ServerLine, definition: ProcessDefinition) -> dict[str, Any]:
    """A ``ProcessDefinitionResult``."""
    return _finish(
        line,
        {
            "processDefinitionKey": str(definition.key),
            "processDefinitionId": definition.process_id,
            "name": definition.model.name,
            "resourceName": definition.resource_name,
            "version": definition.version,
            "versionTag": definition.model.version_tag,
            "tenantId": definition.tenant_id,
            "hasStartForm": False,
            "state": "ACTIVE",
        },
    )


def message_subscription(
    line: ServerLine,
    subscription: MessageSubscription,
    definition: ProcessDefinition,
    updated_ms: int | None,
    root_key: int | None = None,
) -> dict[str, Any]:
    """A ``MessageSubscriptionResult`` of an open subscription (state ``CREATED``)."""
    document = _finish(
        line,
        {
            "messageSubscriptionKey": str(subscription.key),
            "processDefinitionId": definition.process_id,
            "processDefinitionKey": str(definition.key),
            "processInstanceKey": str(subscription.process_instance_key),
            "rootProcessInstanceKey": str(root_key or subscription.process_instance_key),
            "elementId": subscription.node_id,
            "elementInstanceKey": str(subscription.element_key),
            "messageSubscriptionState": "CREATED",
            "lastUpdatedDate": iso_time(updated_ms),
            "messageName": subscription.name,
            "correlationKey": subscription.correlation_key,
            "tenantId": subscription.tenant_id,
        },
    )
    if line == "8.10":
        document.update(
            messageSubscriptionType="PROCESS_EVENT",
            processDefinitionName=definition.model.name,
            processDefinitionVersion=definition.version,
            toolName=None,
            toolProperties={},
            inboundConnectorType=None,
            # Newer 8.10 builds (and the 10.x Python SDK) require it, nullable; the engine
            # keeps no business ids, as on user tasks.
            businessId=None,
        )
    return document


def call_hierarchy_entry(instance_key: int, definition: ProcessDefinition) -> dict[str, Any]:
    """A ``ProcessInstanceCallHierarchyEntry``."""
    return {
        "processInstanceKey": str(instance_key),
        "processDefinitionKey": str(definition.key),
        "processDefinitionName": definition.model.name or definition.process_id,
    }
