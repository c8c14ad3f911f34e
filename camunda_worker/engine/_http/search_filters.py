"""Enum-valued search filters, checked as a cluster's gateway checks them.

Every ``POST .../search`` endpoint of the spec has filter properties whose values come from an
enum (a job's ``state``, an incident's ``errorType``...). A cluster's gateway reads the body
into those enums, so a value outside the enum (``{"state": "FOO"}``, also inside ``$eq``,
``$neq``, ``$in`` and ``$notIn``) is a 400 ``Bad Request`` before any search runs:
``Unexpected value 'FOO' for enum field 'state'. Use any of the following values: [...]``.

The tables below are the enums of the official specs of each server line, per search endpoint
(``tests/engine/test_search_filters.py`` checks them against the specs). The app checks every
search request whose route is in the table, so a new search route is covered without code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from camunda_worker.engine._http.answers import bad_request

__all__ = ["check_search_enums", "enum_filters", "sort_fields"]

_Table = Mapping[str, Mapping[str, tuple[str, ...]]]

_KIND = ("BPMN_ELEMENT", "EXECUTION_LISTENER", "TASK_LISTENER", "AD_HOC_SUB_PROCESS")
_LISTENER_EVENT_TYPE = (
    "ASSIGNING",
    "CANCELING",
    "COMPLETING",
    "CREATING",
    "END",
    "START",
    "UNSPECIFIED",
    "UPDATING",
)
_STATE = (
    "CANCELED",
    "COMPLETED",
    "CREATED",
    "ERROR_THROWN",
    "FAILED",
    "MIGRATED",
    "RETRIES_UPDATED",
    "TIMED_OUT",
)
_STATE_2 = (
    "CREATING",
    "CREATED",
    "ASSIGNING",
    "UPDATING",
    "COMPLETING",
    "COMPLETED",
    "CANCELING",
    "CANCELED",
    "FAILED",
)
_STATE_3 = ("ACTIVE", "DELETED")
_STATE_4 = ("ACTIVE", "COMPLETED", "TERMINATED")
_TYPE = (
    "UNSPECIFIED",
    "PROCESS",
    "SUB_PROCESS",
    "EVENT_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
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
    "SEQUENCE_FLOW",
    "MULTI_INSTANCE_BODY",
    "CALL_ACTIVITY",
    "BUSINESS_RULE_TASK",
    "SCRIPT_TASK",
    "SEND_TASK",
    "UNKNOWN",
)
_STATE_5 = ("EVALUATED", "FAILED", "UNSPECIFIED", "UNKNOWN")
_DECISION_DEFINITION_TYPE = ("DECISION_TABLE", "LITERAL_EXPRESSION", "UNSPECIFIED", "UNKNOWN")
_OWNER_TYPE = ("USER", "CLIENT", "ROLE", "GROUP", "MAPPING_RULE", "UNSPECIFIED")
_RESOURCE_TYPE = (
    "AUTHORIZATION",
    "MAPPING_RULE",
    "MESSAGE",
    "BATCH",
    "COMPONENT",
    "SYSTEM",
    "TENANT",
    "RESOURCE",
    "PROCESS_DEFINITION",
    "DECISION_REQUIREMENTS_DEFINITION",
    "DECISION_DEFINITION",
    "GROUP",
    "USER",
    "ROLE",
    "DOCUMENT",
)
_MESSAGE_SUBSCRIPTION_STATE = ("CORRELATED", "CREATED", "DELETED", "MIGRATED")
_ERROR_TYPE = (
    "UNSPECIFIED",
    "UNKNOWN",
    "IO_MAPPING_ERROR",
    "JOB_NO_RETRIES",
    "EXECUTION_LISTENER_NO_RETRIES",
    "TASK_LISTENER_NO_RETRIES",
    "AD_HOC_SUB_PROCESS_NO_RETRIES",
    "CONDITION_ERROR",
    "EXTRACT_VALUE_ERROR",
    "CALLED_ELEMENT_ERROR",
    "UNHANDLED_ERROR_EVENT",
    "MESSAGE_SIZE_EXCEEDED",
    "CALLED_DECISION_ERROR",
    "DECISION_EVALUATION_ERROR",
    "FORM_NOT_FOUND",
    "RESOURCE_NOT_FOUND",
)
_STATE_6 = ("ACTIVE", "MIGRATED", "RESOLVED", "PENDING")
_OPERATION_TYPE = (
    "CANCEL_PROCESS_INSTANCE",
    "RESOLVE_INCIDENT",
    "MIGRATE_PROCESS_INSTANCE",
    "MODIFY_PROCESS_INSTANCE",
    "DELETE_PROCESS_INSTANCE",
    "ADD_VARIABLE",
    "UPDATE_VARIABLE",
    "DELETE_DECISION_DEFINITION",
    "DELETE_PROCESS_DEFINITION",
)
_STATE_7 = (
    "ACTIVE",
    "CANCELED",
    "COMPLETED",
    "CREATED",
    "FAILED",
    "PARTIALLY_COMPLETED",
    "SUSPENDED",
)
_STATE_8 = ("ACTIVE", "COMPLETED", "CANCELED", "FAILED")
_OPERATION_TYPE_2 = (
    "ASSIGN",
    "CANCEL",
    "COMPLETE",
    "CREATE",
    "DELETE",
    "EVALUATE",
    "MIGRATE",
    "MODIFY",
    "RESOLVE",
    "RESUME",
    "SUSPEND",
    "UNASSIGN",
    "UNKNOWN",
    "UPDATE",
)
_RESULT = ("FAIL", "SUCCESS")
_ACTOR_TYPE = ("ANONYMOUS", "CLIENT", "UNKNOWN", "USER")
_ENTITY_TYPE = (
    "AUTHORIZATION",
    "BATCH",
    "DECISION",
    "GROUP",
    "INCIDENT",
    "JOB",
    "MAPPING_RULE",
    "PROCESS_INSTANCE",
    "RESOURCE",
    "ROLE",
    "TENANT",
    "USER",
    "USER_TASK",
    "VARIABLE",
    "CLIENT",
)
_CATEGORY = ("ADMIN", "DEPLOYED_RESOURCES", "USER_TASKS")
_BATCH_OPERATION_TYPE = (
    "ADD_VARIABLE",
    "CANCEL_PROCESS_INSTANCE",
    "DELETE_DECISION_DEFINITION",
    "DELETE_DECISION_INSTANCE",
    "DELETE_PROCESS_DEFINITION",
    "DELETE_PROCESS_INSTANCE",
    "MIGRATE_PROCESS_INSTANCE",
    "MODIFY_PROCESS_INSTANCE",
    "RESOLVE_INCIDENT",
    "UPDATE_VARIABLE",
)
_RESOURCE_TYPE_2 = (
    "AUDIT_LOG",
    "AUTHORIZATION",
    "BATCH",
    "CLUSTER_VARIABLE",
    "COMPONENT",
    "DECISION_DEFINITION",
    "DECISION_REQUIREMENTS_DEFINITION",
    "DOCUMENT",
    "EXPRESSION",
    "GLOBAL_LISTENER",
    "GROUP",
    "MAPPING_RULE",
    "MESSAGE",
    "PROCESS_DEFINITION",
    "RESOURCE",
    "ROLE",
    "SYSTEM",
    "TENANT",
    "USER",
    "USER_TASK",
)
_SCOPE = ("GLOBAL", "TENANT")
_ERROR_TYPE_2 = (
    "AD_HOC_SUB_PROCESS_NO_RETRIES",
    "CALLED_DECISION_ERROR",
    "CALLED_ELEMENT_ERROR",
    "CONDITION_ERROR",
    "DECISION_EVALUATION_ERROR",
    "EXECUTION_LISTENER_NO_RETRIES",
    "EXTRACT_VALUE_ERROR",
    "FORM_NOT_FOUND",
    "IO_MAPPING_ERROR",
    "JOB_NO_RETRIES",
    "MESSAGE_SIZE_EXCEEDED",
    "RESOURCE_NOT_FOUND",
    "TASK_LISTENER_NO_RETRIES",
    "UNHANDLED_ERROR_EVENT",
    "UNKNOWN",
    "UNSPECIFIED",
)
_STATE_9 = ("ACTIVE", "MIGRATED", "PENDING", "RESOLVED", "UNKNOWN")
_SOURCE = ("CONFIGURATION", "API")
_AGENT_TYPE = ("AI_AGENT_SUB_PROCESS", "AI_AGENT_TASK", "EXTERNAL_AGENT")
_STATUS = (
    "UNKNOWN",
    "COMPLETED",
    "IDLE",
    "INITIALIZING",
    "THINKING",
    "TOOL_CALLING",
    "TOOL_DISCOVERY",
)
_ROLE = ("USER", "ASSISTANT", "TOOL_RESULT", "CONFIGURATION")
_COMMIT_STATUS = ("COMMITTED", "PENDING", "DISCARDED")
_BATCH_OPERATION_TYPE_2 = (
    "ADD_VARIABLE",
    "CANCEL_PROCESS_INSTANCE",
    "DELETE_DECISION_DEFINITION",
    "DELETE_DECISION_INSTANCE",
    "DELETE_PROCESS_DEFINITION",
    "DELETE_PROCESS_INSTANCE",
    "MIGRATE_PROCESS_INSTANCE",
    "MODIFY_PROCESS_INSTANCE",
    "RESOLVE_INCIDENT",
    "RESUME_PROCESS_INSTANCE",
    "SUSPEND_PROCESS_INSTANCE",
    "UPDATE_JOB",
    "UPDATE_VARIABLE",
)
_RESOURCE_TYPE_3 = (
    "AUDIT_LOG",
    "AUTHORIZATION",
    "BACKUP",
    "BATCH",
    "CLUSTER_VARIABLE",
    "COMPONENT",
    "DECISION_DEFINITION",
    "DECISION_REQUIREMENTS_DEFINITION",
    "DOCUMENT",
    "EXPORTER",
    "EXPRESSION",
    "GLOBAL_LISTENER",
    "GROUP",
    "MAPPING_RULE",
    "MESSAGE",
    "PROCESS_DEFINITION",
    "RESOURCE",
    "ROLE",
    "SECRET",
    "SYSTEM",
    "TENANT",
    "USER",
    "USER_TASK",
)
_KIND_2 = ("JSON", "SECRET_REFERENCE")
_ELEMENT_TYPE = (
    "AD_HOC_SUB_PROCESS",
    "AD_HOC_SUB_PROCESS_INNER_INSTANCE",
    "BOUNDARY_EVENT",
    "BUSINESS_RULE_TASK",
    "CALL_ACTIVITY",
    "END_EVENT",
    "EVENT_BASED_GATEWAY",
    "EVENT_SUB_PROCESS",
    "EXCLUSIVE_GATEWAY",
    "INCLUSIVE_GATEWAY",
    "INTERMEDIATE_CATCH_EVENT",
    "INTERMEDIATE_THROW_EVENT",
    "MANUAL_TASK",
    "MULTI_INSTANCE_BODY",
    "PARALLEL_GATEWAY",
    "PROCESS",
    "RECEIVE_TASK",
    "SCRIPT_TASK",
    "SEND_TASK",
    "SEQUENCE_FLOW",
    "SERVICE_TASK",
    "START_EVENT",
    "SUB_PROCESS",
    "TASK",
    "UNKNOWN",
    "UNSPECIFIED",
    "USER_TASK",
)
_WAIT_STATE_TYPE = ("JOB", "MESSAGE", "USER_TASK", "TIMER", "SIGNAL", "CONDITION")
_ERROR_TYPE_3 = (
    "AD_HOC_SUB_PROCESS_NO_RETRIES",
    "CALLED_DECISION_ERROR",
    "CALLED_ELEMENT_ERROR",
    "CONDITION_ERROR",
    "DECISION_EVALUATION_ERROR",
    "EXECUTION_LISTENER_NO_RETRIES",
    "EXTRACT_VALUE_ERROR",
    "FORM_NOT_FOUND",
    "IO_MAPPING_ERROR",
    "JOB_NO_RETRIES",
    "MESSAGE_SIZE_EXCEEDED",
    "RESOURCE_NOT_FOUND",
    "SECRET_RESOLUTION_ERROR",
    "TASK_LISTENER_NO_RETRIES",
    "UNHANDLED_ERROR_EVENT",
    "UNKNOWN",
    "UNSPECIFIED",
)
_LISTENER_EVENT_TYPE_2 = (
    "ASSIGNING",
    "BEFORE_ALL",
    "CANCEL",
    "CANCELING",
    "COMPLETING",
    "CREATING",
    "END",
    "START",
    "UNSPECIFIED",
    "UPDATING",
)
_STATE_10 = (
    "CANCELED",
    "COMPLETED",
    "CREATED",
    "ERROR_THROWN",
    "FAILED",
    "MIGRATED",
    "PRIORITY_UPDATED",
    "RETRIES_UPDATED",
    "TIMEOUT_UPDATED",
    "TIMED_OUT",
)
_MESSAGE_SUBSCRIPTION_TYPE = ("START_EVENT", "PROCESS_EVENT")
_STATE_11 = ("ACTIVE", "DRAINING", "DELETED")
_STATE_12 = ("ACTIVE", "COMPLETED", "SUSPENDED", "TERMINATED")

_LINE_8_8: _Table = {
    "/v2/jobs/search": {
        "kind": _KIND,
        "listenerEventType": _LISTENER_EVENT_TYPE,
        "state": _STATE,
    },
    "/v2/user-tasks/search": {
        "state": _STATE_2,
    },
    "/v2/process-definitions/search": {
        "state": _STATE_3,
    },
    "/v2/process-instances/search": {
        "state": _STATE_4,
        "elementInstanceState": _STATE_4,
    },
    "/v2/element-instances/search": {
        "state": _STATE_4,
        "type": _TYPE,
    },
    "/v2/decision-instances/search": {
        "state": _STATE_5,
        "decisionDefinitionType": _DECISION_DEFINITION_TYPE,
    },
    "/v2/authorizations/search": {
        "ownerType": _OWNER_TYPE,
        "resourceType": _RESOURCE_TYPE,
    },
    "/v2/message-subscriptions/search": {
        "messageSubscriptionState": _MESSAGE_SUBSCRIPTION_STATE,
    },
    "/v2/incidents/search": {
        "errorType": _ERROR_TYPE,
        "state": _STATE_6,
    },
    "/v2/batch-operations/search": {
        "operationType": _OPERATION_TYPE,
        "state": _STATE_7,
    },
    "/v2/batch-operation-items/search": {
        "state": _STATE_8,
    },
}
_LINE_8_9: _Table = {
    "/v2/audit-logs/search": {
        "operationType": _OPERATION_TYPE_2,
        "result": _RESULT,
        "actorType": _ACTOR_TYPE,
        "entityType": _ENTITY_TYPE,
        "category": _CATEGORY,
        "batchOperationType": _BATCH_OPERATION_TYPE,
        "relatedEntityType": _ENTITY_TYPE,
    },
    "/v2/authorizations/search": {
        "ownerType": _OWNER_TYPE,
        "resourceType": _RESOURCE_TYPE_2,
    },
    "/v2/batch-operation-items/search": {
        "state": _STATE_8,
        "operationType": _BATCH_OPERATION_TYPE,
    },
    "/v2/batch-operations/search": {
        "operationType": _BATCH_OPERATION_TYPE,
        "state": _STATE_7,
        "actorType": _ACTOR_TYPE,
    },
    "/v2/cluster-variables/search": {
        "scope": _SCOPE,
    },
    "/v2/decision-instances/search": {
        "state": _STATE_5,
        "decisionDefinitionType": _DECISION_DEFINITION_TYPE,
    },
    "/v2/element-instances/search": {
        "state": _STATE_4,
        "type": _TYPE,
    },
    "/v2/element-instances/{elementInstanceKey}/incidents/search": {
        "errorType": _ERROR_TYPE_2,
        "state": _STATE_9,
    },
    "/v2/global-task-listeners/search": {
        "source": _SOURCE,
    },
    "/v2/incidents/search": {
        "errorType": _ERROR_TYPE_2,
        "state": _STATE_9,
    },
    "/v2/jobs/search": {
        "kind": _KIND,
        "listenerEventType": _LISTENER_EVENT_TYPE,
        "state": _STATE,
    },
    "/v2/message-subscriptions/search": {
        "messageSubscriptionState": _MESSAGE_SUBSCRIPTION_STATE,
    },
    "/v2/process-definitions/search": {
        "state": _STATE_3,
    },
    "/v2/process-instances/search": {
        "state": _STATE_4,
        "elementInstanceState": _STATE_4,
    },
    "/v2/process-instances/{processInstanceKey}/incidents/search": {
        "errorType": _ERROR_TYPE_2,
        "state": _STATE_9,
    },
    "/v2/user-tasks/search": {
        "state": _STATE_2,
    },
    "/v2/user-tasks/{userTaskKey}/audit-logs/search": {
        "operationType": _OPERATION_TYPE_2,
        "result": _RESULT,
        "actorType": _ACTOR_TYPE,
    },
}
_LINE_8_10: _Table = {
    "/v2/agent-definitions/search": {
        "agentType": _AGENT_TYPE,
    },
    "/v2/agent-instances/search": {
        "status": _STATUS,
    },
    "/v2/agent-instances/{agentInstanceKey}/history/search": {
        "role": _ROLE,
        "commitStatus": _COMMIT_STATUS,
    },
    "/v2/audit-logs/search": {
        "operationType": _OPERATION_TYPE_2,
        "result": _RESULT,
        "actorType": _ACTOR_TYPE,
        "entityType": _ENTITY_TYPE,
        "category": _CATEGORY,
        "batchOperationType": _BATCH_OPERATION_TYPE_2,
        "relatedEntityType": _ENTITY_TYPE,
    },
    "/v2/authentication/me/authorizations/search": {
        "ownerType": _OWNER_TYPE,
        "resourceType": _RESOURCE_TYPE_3,
    },
    "/v2/authorizations/search": {
        "ownerType": _OWNER_TYPE,
        "resourceType": _RESOURCE_TYPE_3,
    },
    "/v2/batch-operation-items/search": {
        "state": _STATE_8,
        "operationType": _BATCH_OPERATION_TYPE_2,
    },
    "/v2/batch-operations/search": {
        "operationType": _BATCH_OPERATION_TYPE_2,
        "state": _STATE_7,
        "actorType": _ACTOR_TYPE,
    },
    "/v2/cluster-variables/search": {
        "scope": _SCOPE,
        "kind": _KIND_2,
    },
    "/v2/decision-instances/search": {
        "state": _STATE_5,
        "decisionDefinitionType": _DECISION_DEFINITION_TYPE,
    },
    "/v2/element-instances/wait-states/search": {
        "elementType": _ELEMENT_TYPE,
        "waitStateType": _WAIT_STATE_TYPE,
    },
    "/v2/element-instances/search": {
        "state": _STATE_4,
        "type": _TYPE,
    },
    "/v2/element-instances/{elementInstanceKey}/incidents/search": {
        "errorType": _ERROR_TYPE_3,
        "state": _STATE_9,
    },
    "/v2/global-task-listeners/search": {
        "source": _SOURCE,
    },
    "/v2/incidents/search": {
        "errorType": _ERROR_TYPE_3,
        "state": _STATE_9,
    },
    "/v2/jobs/search": {
        "kind": _KIND,
        "listenerEventType": _LISTENER_EVENT_TYPE_2,
        "state": _STATE_10,
    },
    "/v2/message-subscriptions/search": {
        "messageSubscriptionState": _MESSAGE_SUBSCRIPTION_STATE,
        "messageSubscriptionType": _MESSAGE_SUBSCRIPTION_TYPE,
    },
    "/v2/process-definitions/search": {
        "state": _STATE_11,
    },
    "/v2/process-instances/search": {
        "state": _STATE_12,
        "elementInstanceState": _STATE_4,
    },
    "/v2/process-instances/{processInstanceKey}/incidents/search": {
        "errorType": _ERROR_TYPE_3,
        "state": _STATE_9,
    },
    "/v2/user-tasks/search": {
        "state": _STATE_2,
    },
    "/v2/user-tasks/{userTaskKey}/audit-logs/search": {
        "operationType": _OPERATION_TYPE_2,
        "result": _RESULT,
        "actorType": _ACTOR_TYPE,
    },
}

# Sortable fields of each search endpoint (every line sorts ASC or DESC).
_SORT_1 = (
    "deadline",
    "deniedReason",
    "elementId",
    "elementInstanceKey",
    "endTime",
    "errorCode",
    "errorMessage",
    "isDenied",
    "jobKey",
    "kind",
    "listenerEventType",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "retries",
    "state",
    "tenantId",
    "type",
    "worker",
)
_SORT_2 = ("username",)
_SORT_3 = ("clientId",)
_SORT_4 = ("groupId",)
_SORT_5 = ("name", "roleId")
_SORT_6 = ("mappingRuleId", "claimName", "claimValue", "name")
_SORT_7 = ("key", "name", "tenantId")
_SORT_8 = ("creationDate", "completionDate", "followUpDate", "dueDate", "priority", "name")
_SORT_9 = ("value", "name", "tenantId", "variableKey", "scopeKey", "processInstanceKey")
_SORT_10 = (
    "processDefinitionKey",
    "name",
    "resourceName",
    "version",
    "versionTag",
    "processDefinitionId",
    "tenantId",
)
_SORT_11 = (
    "processInstanceKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "processDefinitionKey",
    "parentProcessInstanceKey",
    "parentElementInstanceKey",
    "startDate",
    "endDate",
    "state",
    "hasIncident",
    "tenantId",
)
_SORT_12 = (
    "incidentKey",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceKey",
    "errorType",
    "errorMessage",
    "elementId",
    "elementInstanceKey",
    "creationTime",
    "state",
    "jobKey",
    "tenantId",
)
_SORT_13 = (
    "elementInstanceKey",
    "processInstanceKey",
    "processDefinitionKey",
    "processDefinitionId",
    "startDate",
    "endDate",
    "elementId",
    "elementName",
    "type",
    "state",
    "incidentKey",
    "tenantId",
)
_SORT_14 = (
    "decisionDefinitionKey",
    "decisionDefinitionId",
    "name",
    "version",
    "decisionRequirementsId",
    "decisionRequirementsKey",
    "tenantId",
)
_SORT_15 = (
    "decisionRequirementsKey",
    "decisionRequirementsName",
    "version",
    "decisionRequirementsId",
    "tenantId",
)
_SORT_16 = (
    "decisionDefinitionId",
    "decisionDefinitionKey",
    "decisionDefinitionName",
    "decisionDefinitionType",
    "decisionDefinitionVersion",
    "decisionEvaluationInstanceKey",
    "decisionEvaluationKey",
    "elementInstanceKey",
    "evaluationDate",
    "evaluationFailure",
    "processDefinitionKey",
    "processInstanceKey",
    "state",
    "tenantId",
)
_SORT_17 = ("ownerId", "ownerType", "resourceId", "resourceType")
_SORT_18 = ("name", "groupId")
_SORT_19 = (
    "correlationKey",
    "correlationTime",
    "elementId",
    "elementInstanceKey",
    "messageKey",
    "messageName",
    "partitionId",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "subscriptionKey",
    "tenantId",
)
_SORT_20 = (
    "messageSubscriptionKey",
    "processDefinitionId",
    "processInstanceKey",
    "elementId",
    "elementInstanceKey",
    "messageSubscriptionState",
    "lastUpdatedDate",
    "messageName",
    "correlationKey",
    "tenantId",
)
_SORT_21 = ("username", "name", "email")
_SORT_22 = ("batchOperationKey", "operationType", "state", "startDate", "endDate")
_SORT_23 = ("batchOperationKey", "itemKey", "processInstanceKey", "state")
_SORT_24 = (
    "actorId",
    "actorType",
    "auditLogKey",
    "batchOperationKey",
    "batchOperationType",
    "category",
    "decisionDefinitionId",
    "decisionDefinitionKey",
    "decisionEvaluationKey",
    "decisionRequirementsId",
    "decisionRequirementsKey",
    "elementInstanceKey",
    "entityKey",
    "entityType",
    "jobKey",
    "operationType",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "result",
    "tenantId",
    "timestamp",
    "userTaskKey",
)
_SORT_25 = ("ownerId", "ownerType", "resourceId", "resourcePropertyName", "resourceType")
_SORT_26 = ("batchOperationKey", "itemKey", "processInstanceKey", "processedDate", "state")
_SORT_27 = (
    "batchOperationKey",
    "operationType",
    "state",
    "startDate",
    "endDate",
    "actorType",
    "actorId",
)
_SORT_28 = ("name", "value", "tenantId", "scope")
_SORT_29 = (
    "decisionDefinitionKey",
    "decisionDefinitionId",
    "name",
    "version",
    "decisionRequirementsId",
    "decisionRequirementsKey",
    "decisionRequirementsName",
    "decisionRequirementsVersion",
    "tenantId",
)
_SORT_30 = (
    "decisionDefinitionId",
    "decisionDefinitionKey",
    "decisionDefinitionName",
    "decisionDefinitionType",
    "decisionDefinitionVersion",
    "decisionEvaluationInstanceKey",
    "decisionEvaluationKey",
    "elementInstanceKey",
    "evaluationDate",
    "evaluationFailure",
    "processDefinitionKey",
    "processInstanceKey",
    "rootDecisionDefinitionKey",
    "state",
    "tenantId",
)
_SORT_31 = (
    "incidentKey",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceKey",
    "errorType",
    "elementId",
    "elementInstanceKey",
    "creationTime",
    "state",
    "jobKey",
    "tenantId",
)
_SORT_32 = ("id", "type", "afterNonGlobal", "priority", "source")
_SORT_33 = (
    "deadline",
    "deniedReason",
    "elementId",
    "elementInstanceKey",
    "endTime",
    "errorCode",
    "errorMessage",
    "hasFailedWithRetriesLeft",
    "isDenied",
    "jobKey",
    "kind",
    "listenerEventType",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "retries",
    "state",
    "tenantId",
    "type",
    "worker",
)
_SORT_34 = (
    "processInstanceKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "processDefinitionKey",
    "parentProcessInstanceKey",
    "parentElementInstanceKey",
    "startDate",
    "endDate",
    "state",
    "hasIncident",
    "tenantId",
    "businessId",
)
_SORT_35 = (
    "agentDefinitionKey",
    "agentType",
    "name",
    "elementId",
    "processDefinitionId",
    "processDefinitionKey",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "tenantId",
)
_SORT_36 = (
    "agentInstanceKey",
    "agentDefinitionKey",
    "status",
    "elementId",
    "processInstanceKey",
    "rootProcessInstanceKey",
    "processDefinitionKey",
    "tenantId",
    "creationDate",
    "lastUpdatedDate",
    "completionDate",
)
_SORT_37 = ("producedAt", "historyItemKey", "loopIteration")
_SORT_38 = (
    "actorId",
    "actorType",
    "auditLogKey",
    "batchOperationKey",
    "batchOperationType",
    "category",
    "decisionDefinitionId",
    "decisionDefinitionKey",
    "decisionEvaluationKey",
    "decisionRequirementsId",
    "decisionRequirementsKey",
    "elementInstanceKey",
    "entityKey",
    "entityType",
    "jobKey",
    "operationType",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "inboundChannelType",
    "inboundChannelToolName",
    "result",
    "tenantId",
    "timestamp",
    "userTaskKey",
)
_SORT_39 = (
    "businessId",
    "correlationKey",
    "correlationTime",
    "elementId",
    "elementInstanceKey",
    "messageKey",
    "messageName",
    "partitionId",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "subscriptionKey",
    "tenantId",
)
_SORT_40 = (
    "businessId",
    "decisionDefinitionId",
    "decisionDefinitionKey",
    "decisionDefinitionName",
    "decisionDefinitionType",
    "decisionDefinitionVersion",
    "decisionEvaluationInstanceKey",
    "decisionEvaluationKey",
    "elementInstanceKey",
    "evaluationDate",
    "evaluationFailure",
    "processDefinitionKey",
    "processInstanceKey",
    "rootDecisionDefinitionKey",
    "state",
    "tenantId",
)
_SORT_41 = ("elementInstanceKey", "processInstanceKey", "rootProcessInstanceKey", "elementId")
_SORT_42 = (
    "creationTime",
    "deadline",
    "deniedReason",
    "elementId",
    "elementInstanceKey",
    "endTime",
    "errorCode",
    "errorMessage",
    "hasFailedWithRetriesLeft",
    "isDenied",
    "jobKey",
    "kind",
    "listenerEventType",
    "priority",
    "processDefinitionId",
    "processDefinitionKey",
    "processInstanceKey",
    "retries",
    "state",
    "tenantId",
    "type",
    "worker",
)
_SORT_43 = (
    "messageSubscriptionKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processInstanceKey",
    "elementId",
    "elementInstanceKey",
    "messageSubscriptionState",
    "messageSubscriptionType",
    "lastUpdatedDate",
    "messageName",
    "correlationKey",
    "tenantId",
    "toolName",
    "inboundConnectorType",
)
_SORT_44 = (
    "processInstanceKey",
    "processDefinitionId",
    "processDefinitionName",
    "processDefinitionVersion",
    "processDefinitionVersionTag",
    "processDefinitionKey",
    "parentProcessInstanceKey",
    "parentElementInstanceKey",
    "startDate",
    "endDate",
    "suspendedDate",
    "state",
    "hasIncident",
    "tenantId",
    "businessId",
)
_SORT_45 = (
    "resourceKey",
    "resourceName",
    "resourceId",
    "version",
    "versionTag",
    "deploymentKey",
    "tenantId",
)
_SORT_46 = (
    "creationDate",
    "completionDate",
    "followUpDate",
    "dueDate",
    "priority",
    "name",
    "businessId",
)
_SORT_LINE_8_8: Mapping[str, tuple[str, ...]] = {
    "/v2/jobs/search": _SORT_1,
    "/v2/tenants/{tenantId}/users/search": _SORT_2,
    "/v2/tenants/{tenantId}/clients/search": _SORT_3,
    "/v2/tenants/{tenantId}/groups/search": _SORT_4,
    "/v2/tenants/{tenantId}/roles/search": _SORT_5,
    "/v2/tenants/{tenantId}/mapping-rules/search": _SORT_6,
    "/v2/tenants/search": _SORT_7,
    "/v2/user-tasks/search": _SORT_8,
    "/v2/user-tasks/{userTaskKey}/variables/search": _SORT_9,
    "/v2/user-tasks/{userTaskKey}/effective-variables/search": _SORT_9,
    "/v2/variables/search": _SORT_9,
    "/v2/process-definitions/search": _SORT_10,
    "/v2/process-instances/search": _SORT_11,
    "/v2/process-instances/{processInstanceKey}/incidents/search": _SORT_12,
    "/v2/element-instances/search": _SORT_13,
    "/v2/decision-definitions/search": _SORT_14,
    "/v2/decision-requirements/search": _SORT_15,
    "/v2/decision-instances/search": _SORT_16,
    "/v2/authorizations/search": _SORT_17,
    "/v2/roles/{roleId}/users/search": _SORT_2,
    "/v2/roles/{roleId}/clients/search": _SORT_3,
    "/v2/roles/search": _SORT_5,
    "/v2/roles/{roleId}/groups/search": _SORT_4,
    "/v2/roles/{roleId}/mapping-rules/search": _SORT_6,
    "/v2/groups/{groupId}/users/search": _SORT_2,
    "/v2/groups/{groupId}/mapping-rules/search": _SORT_6,
    "/v2/groups/{groupId}/roles/search": _SORT_5,
    "/v2/groups/{groupId}/clients/search": _SORT_3,
    "/v2/groups/search": _SORT_18,
    "/v2/mapping-rules/search": _SORT_6,
    "/v2/correlated-message-subscriptions/search": _SORT_19,
    "/v2/message-subscriptions/search": _SORT_20,
    "/v2/users/search": _SORT_21,
    "/v2/incidents/search": _SORT_12,
    "/v2/batch-operations/search": _SORT_22,
    "/v2/batch-operation-items/search": _SORT_23,
}
_SORT_LINE_8_9: Mapping[str, tuple[str, ...]] = {
    "/v2/audit-logs/search": _SORT_24,
    "/v2/authorizations/search": _SORT_25,
    "/v2/batch-operation-items/search": _SORT_26,
    "/v2/batch-operations/search": _SORT_27,
    "/v2/cluster-variables/search": _SORT_28,
    "/v2/correlated-message-subscriptions/search": _SORT_19,
    "/v2/decision-definitions/search": _SORT_29,
    "/v2/decision-instances/search": _SORT_30,
    "/v2/decision-requirements/search": _SORT_15,
    "/v2/element-instances/search": _SORT_13,
    "/v2/element-instances/{elementInstanceKey}/incidents/search": _SORT_31,
    "/v2/global-task-listeners/search": _SORT_32,
    "/v2/groups/search": _SORT_18,
    "/v2/groups/{groupId}/clients/search": _SORT_3,
    "/v2/groups/{groupId}/mapping-rules/search": _SORT_6,
    "/v2/groups/{groupId}/roles/search": _SORT_5,
    "/v2/groups/{groupId}/users/search": _SORT_2,
    "/v2/incidents/search": _SORT_31,
    "/v2/jobs/search": _SORT_33,
    "/v2/mapping-rules/search": _SORT_6,
    "/v2/message-subscriptions/search": _SORT_20,
    "/v2/process-definitions/search": _SORT_10,
    "/v2/process-instances/search": _SORT_34,
    "/v2/process-instances/{processInstanceKey}/incidents/search": _SORT_31,
    "/v2/roles/search": _SORT_5,
    "/v2/roles/{roleId}/clients/search": _SORT_3,
    "/v2/roles/{roleId}/groups/search": _SORT_4,
    "/v2/roles/{roleId}/mapping-rules/search": _SORT_6,
    "/v2/roles/{roleId}/users/search": _SORT_2,
    "/v2/tenants/search": _SORT_7,
    "/v2/tenants/{tenantId}/clients/search": _SORT_3,
    "/v2/tenants/{tenantId}/groups/search": _SORT_4,
    "/v2/tenants/{tenantId}/mapping-rules/search": _SORT_6,
    "/v2/tenants/{tenantId}/roles/search": _SORT_5,
    "/v2/tenants/{tenantId}/users/search": _SORT_2,
    "/v2/users/search": _SORT_21,
    "/v2/user-tasks/search": _SORT_8,
    "/v2/user-tasks/{userTaskKey}/audit-logs/search": _SORT_24,
    "/v2/user-tasks/{userTaskKey}/effective-variables/search": _SORT_9,
    "/v2/user-tasks/{userTaskKey}/variables/search": _SORT_9,
    "/v2/variables/search": _SORT_9,
}
_SORT_LINE_8_10: Mapping[str, tuple[str, ...]] = {
    "/v2/agent-definitions/search": _SORT_35,
    "/v2/agent-instances/search": _SORT_36,
    "/v2/agent-instances/{agentInstanceKey}/history/search": _SORT_37,
    "/v2/audit-logs/search": _SORT_38,
    "/v2/authentication/me/authorizations/search": _SORT_25,
    "/v2/authorizations/search": _SORT_25,
    "/v2/batch-operation-items/search": _SORT_26,
    "/v2/batch-operations/search": _SORT_27,
    "/v2/cluster-variables/search": _SORT_28,
    "/v2/correlated-message-subscriptions/search": _SORT_39,
    "/v2/decision-definitions/search": _SORT_29,
    "/v2/decision-instances/search": _SORT_40,
    "/v2/decision-requirements/search": _SORT_15,
    "/v2/element-instances/wait-states/search": _SORT_41,
    "/v2/element-instances/search": _SORT_13,
    "/v2/element-instances/{elementInstanceKey}/incidents/search": _SORT_31,
    "/v2/global-task-listeners/search": _SORT_32,
    "/v2/groups/search": _SORT_18,
    "/v2/groups/{groupId}/clients/search": _SORT_3,
    "/v2/groups/{groupId}/mapping-rules/search": _SORT_6,
    "/v2/groups/{groupId}/roles/search": _SORT_5,
    "/v2/groups/{groupId}/users/search": _SORT_2,
    "/v2/incidents/search": _SORT_31,
    "/v2/jobs/search": _SORT_42,
    "/v2/mapping-rules/search": _SORT_6,
    "/v2/message-subscriptions/search": _SORT_43,
    "/v2/process-definitions/search": _SORT_10,
    "/v2/process-instances/search": _SORT_44,
    "/v2/process-instances/{processInstanceKey}/incidents/search": _SORT_31,
    "/v2/resources/search": _SORT_45,
    "/v2/roles/search": _SORT_5,
    "/v2/roles/{roleId}/clients/search": _SORT_3,
    "/v2/roles/{roleId}/groups/search": _SORT_4,
    "/v2/roles/{roleId}/mapping-rules/search": _SORT_6,
    "/v2/roles/{roleId}/users/search": _SORT_2,
    "/v2/tenants/search": _SORT_7,
    "/v2/tenants/{tenantId}/clients/search": _SORT_3,
    "/v2/tenants/{tenantId}/groups/search": _SORT_4,
    "/v2/tenants/{tenantId}/mapping-rules/search": _SORT_6,
    "/v2/tenants/{tenantId}/roles/search": _SORT_5,
    "/v2/tenants/{tenantId}/users/search": _SORT_2,
    "/v2/users/search": _SORT_21,
    "/v2/user-tasks/search": _SORT_46,
    "/v2/user-tasks/{userTaskKey}/audit-logs/search": _SORT_38,
    "/v2/user-tasks/{userTaskKey}/effective-variables/search": _SORT_9,
    "/v2/user-tasks/{userTaskKey}/variables/search": _SORT_9,
    "/v2/variables/search": _SORT_9,
}

_TABLES: Mapping[str, _Table] = {"8.8": _LINE_8_8, "8.9": _LINE_8_9, "8.10": _LINE_8_10}
_SORTS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "8.8": _SORT_LINE_8_8,
    "8.9": _SORT_LINE_8_9,
    "8.10": _SORT_LINE_8_10,
}
_ORDERS = ("ASC", "DESC")
_VALUE_OPERATORS = ("$eq", "$neq")
_LIST_OPERATORS = ("$in", "$notIn")


def enum_filters(line: str) -> _Table:
    """The enum-valued filter properties of every search route of ``line``.

    Args:
        line: the server line (``"8.8"``, ``"8.9"``, ``"8.10"``).

    Returns:
        Route template (``/v2/jobs/search``) -> filter property -> allowed values.
    """
    return _TABLES.get(line, {})


def sort_fields(line: str) -> Mapping[str, tuple[str, ...]]:
    """The fields each search route of ``line`` sorts by (``sort[].field``'s enum).

    Args:
        line: the server line.

    Returns:
        Route template -> the sortable fields.
    """
    return _SORTS.get(line, {})


def check_search_enums(line: str, template: str, body: bytes) -> None:
    """Refuse a search body whose filter or sort gives a value outside the spec's enum.

    A body that is not a JSON object is left to the handler, whose parser refuses it the usual
    way; so are routes without enums.

    Args:
        line: the engine's server line.
        template: the route's template (``/v2/jobs/search``).
        body: the raw request body.

    Raises:
        HttpError: 400 ``Bad Request`` naming the value, the property and the allowed values.
    """
    fields = enum_filters(line).get(template)
    sortable = sort_fields(line).get(template)
    if (fields is None and sortable is None) or not body.lstrip().startswith(b"{"):
        return
    try:
        document = json.loads(body)
    except ValueError:
        return
    if not isinstance(document, dict):
        return
    conditions = document.get("filter")
    if fields is not None and isinstance(conditions, dict):
        for name, allowed in fields.items():
            if name in conditions:
                _check(name, conditions[name], allowed)
    sort = document.get("sort")
    if sortable is not None and isinstance(sort, list):
        for index, criterion in enumerate(sort):
            if not isinstance(criterion, dict):
                continue
            for name, allowed in (("field", sortable), ("order", _ORDERS)):
                _check_value(name, criterion.get(name), allowed, f"sort[{index}].{name}")


def _check(name: str, condition: Any, allowed: tuple[str, ...]) -> None:
    if condition is None:
        return
    if isinstance(condition, dict):
        for operator, operand in condition.items():
            if operator in _VALUE_OPERATORS:
                _check_value(name, operand, allowed, f"filter.{name}.{operator}")
            elif operator in _LIST_OPERATORS:
                if not isinstance(operand, list):
                    raise bad_request(
                        f"Request property [filter.{name}.{operator}] cannot be parsed"
                    )
                for value in operand:
                    _check_value(name, value, allowed, f"filter.{name}.{operator}")
        return
    _check_value(name, condition, allowed, f"filter.{name}")


def _check_value(name: str, value: Any, allowed: tuple[str, ...], path: str) -> None:
    if isinstance(value, str):
        if value not in allowed:
            raise bad_request(
                f"Unexpected value '{value}' for enum field '{name}'."
                f" Use any of the following values: [{', '.join(allowed)}]"
            )
    elif value is not None:
        raise bad_request(f"Request property [{path}] cannot be parsed")
