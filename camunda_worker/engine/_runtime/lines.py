"""Wire documents shaped as each Camunda server line (8.8, 8.9, 8.10) sends them.

The engine answers in the shape of one chosen line, so a client can be tested against every
line its users may run:

- **8.8**: no field is nullable: absent values are left out (``userTask`` too);
  ``ActivatedJobResult`` has no ``rootProcessInstanceKey``; topology has no ``clusterId``.
- **8.9**: ``userTask`` (``null``), ``tags`` and ``rootProcessInstanceKey`` are required in
  ``ActivatedJobResult``; nullable fields are sent as ``null``; ``businessId`` appears on process
  instances; job search items carry ``creationTime``/``lastUpdateTime``.
- **8.10**: adds ``priority``, ``businessId``, ``leaseToken`` and ``physicalTenantId`` to
  ``ActivatedJobResult``, ``priority``/``businessId`` to job search items, ``suspendedDate`` to
  process instances, ``brokerId`` and partition ``state`` to the topology.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from camunda_worker.engine._model.definitions import ProcessDefinition
    from camunda_worker.engine._runtime.instances import IncidentRecord, ProcessInstanceRecord
    from camunda_worker.engine._runtime.jobs import JobRecord

__all__ = [
    "DEFAULT_SERVER_LINE",
    "SERVER_LINES",
    "ServerLine",
    "activated_job",
    "created_instance",
    "cursor",
    "deployment_result",
    "gateway_version",
    "incident_result",
    "iso_time",
    "job_search_item",
    "message_published",
    "page",
    "problem_detail",
    "process_instance",
    "topology",
]

ServerLine = Literal["8.8", "8.9", "8.10"]
SERVER_LINES: tuple[ServerLine, ...] = get_args(ServerLine)
DEFAULT_SERVER_LINE: ServerLine = "8.9"
_GATEWAY_VERSIONS: Mapping[str, str] = {"8.8": "8.8.0", "8.9": "8.9.0", "8.10": "8.10.0"}
_PHYSICAL_TENANT = "default"


def gateway_version(line: ServerLine) -> str:
    """The gateway version the engine reports for a line, e.g. ``8.9.0``."""
    return _GATEWAY_VERSIONS[line]


def iso_time(epoch_ms: int | None) -> str | None:
    """Format epoch milliseconds as Camunda does (``2025-01-01T00:00:00.000Z``)."""
    if epoch_ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _key(value: int) -> str | None:
    return str(value) if value >= 0 else None


def _without_nulls(document: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if value is not None}


def activated_job(line: ServerLine, job: JobRecord, variables: dict[str, Any]) -> dict[str, Any]:
    """An ``ActivatedJobResult`` for a job just activated.

    Args:
        line: the server line to answer as.
        job: the activated job.
        variables: the variables handed to the worker (already filtered).
    """
    document: dict[str, Any] = {
        "type": job.job_type,
        "processDefinitionId": job.process_definition_id,
        "processDefinitionVersion": job.process_definition_version,
        "elementId": job.element_id,
        "customHeaders": dict(job.custom_headers),
        "worker": job.worker,
        "retries": job.retries,
        "deadline": job.deadline_ms,
        "variables": variables,
        "tenantId": job.tenant_id,
        "jobKey": str(job.key),
        "processInstanceKey": str(job.process_instance_key),
        "processDefinitionKey": str(job.process_definition_key),
        "elementInstanceKey": str(job.element_instance_key),
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "tags": [],
    }
    if line == "8.8":
        return document
    document["userTask"] = None
    document["rootProcessInstanceKey"] = _key(
        job.process_instance_key
        if job.root_process_instance_key is None
        else job.root_process_instance_key
    )
    if line == "8.10":
        document["priority"] = 0
        document["businessId"] = None
        document["leaseToken"] = job.lease_token
        document["physicalTenantId"] = _PHYSICAL_TENANT
    return document


def job_search_item(line: ServerLine, job: JobRecord) -> dict[str, Any]:
    """A ``JobSearchResult`` item (what ``POST /jobs/search`` lists)."""
    document: dict[str, Any] = {
        "customHeaders": dict(job.custom_headers),
        "deadline": iso_time(job.deadline_ms),
        "deniedReason": None,
        "elementId": job.element_id,
        "elementInstanceKey": str(job.element_instance_key),
        "endTime": iso_time(job.end_ms),
        "errorCode": job.error_code,
        "errorMessage": job.error_message,
        "hasFailedWithRetriesLeft": job.has_failed_with_retries_left,
        "isDenied": None,
        "jobKey": str(job.key),
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "processDefinitionId": job.process_definition_id,
        "processDefinitionKey": str(job.process_definition_key),
        "processInstanceKey": str(job.process_instance_key),
        "retries": job.retries,
        "state": job.state,
        "tenantId": job.tenant_id,
        "type": job.job_type,
        "worker": job.worker,
    }
    if line == "8.8":
        return _without_nulls(document)
    document["rootProcessInstanceKey"] = _key(
        job.process_instance_key
        if job.root_process_instance_key is None
        else job.root_process_instance_key
    )
    document["creationTime"] = iso_time(job.created_ms)
    document["lastUpdateTime"] = iso_time(job.updated_ms)
    if line == "8.10":
        document["businessId"] = None
        document["priority"] = 0
    return document


def _parent(key: int | None) -> str | None:
    return None if key is None else str(key)


def process_instance(line: ServerLine, instance: ProcessInstanceRecord) -> dict[str, Any]:
    """A ``ProcessInstanceResult`` (``GET /process-instances/{key}`` and search items)."""
    definition = instance.definition
    name = definition.model.name
    document: dict[str, Any] = {
        "processDefinitionId": definition.process_id,
        "processDefinitionName": name if name or line != "8.8" else definition.process_id,
        "processDefinitionVersion": definition.version,
        "processDefinitionVersionTag": definition.model.version_tag,
        "startDate": iso_time(instance.start_ms),
        "endDate": iso_time(instance.end_ms),
        "state": instance.state,
        "hasIncident": bool(instance.incident_keys),
        "tenantId": instance.tenant_id,
        "processInstanceKey": str(instance.key),
        "processDefinitionKey": str(definition.key),
        "parentProcessInstanceKey": _parent(instance.parent_instance_key),
        "parentElementInstanceKey": _parent(instance.parent_element_key),
        "tags": [],
    }
    if line == "8.8":
        return _without_nulls(document)
    document["rootProcessInstanceKey"] = str(instance.root_instance_key)
    document["businessId"] = None
    if line == "8.10":
        document["suspendedDate"] = None
    return document


def incident_result(
    line: ServerLine, incident: IncidentRecord, process_definition_key: int
) -> dict[str, Any]:
    """An ``IncidentResult`` (what ``POST /incidents/search`` lists)."""
    document: dict[str, Any] = {
        "incidentKey": str(incident.key),
        "processDefinitionId": incident.process_definition_id,
        "processDefinitionKey": str(process_definition_key),
        "processInstanceKey": str(incident.process_instance_key),
        "elementId": incident.element_id,
        "elementInstanceKey": str(incident.element_instance_key),
        "errorType": incident.error_type,
        "errorMessage": incident.error_message,
        "creationTime": iso_time(incident.created_ms),
        "state": incident.state,
        "jobKey": _key(incident.job_key) if incident.job_key is not None else None,
        "tenantId": incident.tenant_id,
    }
    if line == "8.8":
        return _without_nulls(document)
    document["rootProcessInstanceKey"] = str(
        incident.process_instance_key
        if incident.root_process_instance_key is None
        else incident.root_process_instance_key
    )
    return document


def created_instance(
    line: ServerLine, instance: ProcessInstanceRecord, variables: dict[str, Any]
) -> dict[str, Any]:
    """A ``CreateProcessInstanceResult`` (also the answer of ``awaitCompletion``)."""
    definition = instance.definition
    document: dict[str, Any] = {
        "processDefinitionId": definition.process_id,
        "processDefinitionVersion": definition.version,
        "tenantId": instance.tenant_id,
        "variables": variables,
        "processDefinitionKey": str(definition.key),
        "processInstanceKey": str(instance.key),
        "tags": [],
    }
    if line != "8.8":
        document["businessId"] = None
    return document


def deployment_result(
    line: ServerLine, deployment_key: int, tenant_id: str, definitions: Sequence[ProcessDefinition]
) -> dict[str, Any]:
    """A ``DeploymentResult`` listing the deployed process definitions."""
    deployments = []
    for definition in definitions:
        process = {
            "processDefinitionId": definition.process_id,
            "processDefinitionVersion": definition.version,
            "resourceName": definition.resource_name,
            "tenantId": definition.tenant_id,
            "processDefinitionKey": str(definition.key),
        }
        item: dict[str, Any] = {"processDefinition": process}
        if line != "8.8":
            item.update(
                decisionDefinition=None, decisionRequirements=None, form=None, resource=None
            )
        deployments.append(item)
    return {"deploymentKey": str(deployment_key), "tenantId": tenant_id, "deployments": deployments}


def topology(line: ServerLine, *, host: str = "127.0.0.1", port: int = 26501) -> dict[str, Any]:
    """A ``TopologyResponse`` of a one-broker, one-partition cluster."""
    version = gateway_version(line)
    partition: dict[str, Any] = {"partitionId": 1, "role": "leader", "health": "healthy"}
    broker: dict[str, Any] = {
        "nodeId": 0,
        "host": host,
        "port": port,
        "partitions": [partition],
        "version": version,
    }
    document: dict[str, Any] = {
        "brokers": [broker],
        "clusterSize": 1,
        "partitionsCount": 1,
        "replicationFactor": 1,
        "gatewayVersion": version,
        "lastCompletedChangeId": "-1",
    }
    if line != "8.8":
        document["clusterId"] = None
    if line == "8.10":
        broker["brokerId"] = "0"
        partition["state"] = "active"
    return document


def message_published(line: ServerLine, message_key: int, tenant_id: str) -> dict[str, Any]:
    """A ``MessagePublicationResult``."""
    del line  # the same in every line
    return {"tenantId": tenant_id, "messageKey": str(message_key)}


def problem_detail(
    line: ServerLine, status: int, title: str, detail: str, instance: str
) -> dict[str, Any]:
    """A ``ProblemDetail`` (RFC 9457), as every line sends it: all five fields present.

    Args:
        line: the server line (8.8 declares no field required, 8.9+ all five; the gateway sends
            all five in every line).
        status: the HTTP status.
        title: the gRPC-style code, e.g. ``NOT_FOUND``.
        detail: the explanation.
        instance: the request path, e.g. ``/v2/jobs/123/completion``.
    """
    del line
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }


def cursor(key: int) -> str:
    """The opaque page cursor for an item key (base64, as the spec's pattern requires)."""
    return base64.b64encode(str(key).encode("ascii")).decode("ascii")


def page(
    line: ServerLine, total: int, first_key: int | None, last_key: int | None
) -> dict[str, Any]:
    """A ``SearchQueryPageResponse``."""
    document: dict[str, Any] = {
        "totalItems": total,
        "hasMoreTotalItems": False,
        "startCursor": cursor(first_key) if first_key is not None else None,
        "endCursor": cursor(last_key) if last_key is not None else None,
    }
    return _without_nulls(document) if line == "8.8" else document
