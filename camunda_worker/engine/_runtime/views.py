"""Read-only snapshots of engine state for tests: jobs, incidents, process instances, counters.

Keys are strings of digits (as on the wire); times are epoch milliseconds of the engine's clock.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs

from camunda_worker.engine._runtime.instances import IncidentRecord, ProcessInstanceRecord
from camunda_worker.engine._runtime.jobs import NO_KEY, JobRecord
from camunda_worker.engine._runtime.user_tasks import UserTaskRecord

__all__ = ["EngineStats", "IncidentView", "JobView", "ProcessInstanceView", "UserTaskView"]


def _key(value: int | None) -> str | None:
    return str(value) if value is not None and value != NO_KEY else None


@attrs.frozen
class JobView:
    """A snapshot of one job.

    Attributes:
        key: the job key.
        type: the job type.
        state: the v2 search state (``JobStateEnum``): the last thing that happened to the job,
            e.g. ``CREATED``, ``FAILED``, ``TIMED_OUT``, ``RETRIES_UPDATED``, ``COMPLETED``.
        lifecycle: the broker's job state: ``ACTIVATABLE``, ``ACTIVATED``, ``FAILED`` (back-off
            pending or incident), ``ERROR_THROWN``, ``COMPLETED`` or ``CANCELED``.
        retries: retries left.
        worker: the worker of the last activation (``""`` before the first).
        deadline_ms: when the current activation times out, while activated.
        tenant_id: the tenant.
        custom_headers: the task's custom headers.
        variables: for a standalone job its own variables; for a BPMN job the variables an
            activation would see now (empty once its process instance is dropped).
        result_variables: the variables sent with the last completion, failure or BPMN error.
        process_instance_key: its process instance (``None`` for a standalone job).
        process_definition_id: the BPMN process id (``standalone-job`` for a standalone job).
        element_id: the task's element id.
        element_instance_key: the task's element instance key (``None`` when standalone).
        error_code: the code of the BPMN error thrown, if any.
        error_message: the message of the last failure or BPMN error, if any.
        incident_key: the active incident on the job, if any.
        created_ms: when the job was created.
        end_ms: when it completed, was canceled or its BPMN error was caught.
    """

    key: str
    type: str
    state: str
    lifecycle: str
    retries: int
    worker: str
    deadline_ms: int | None
    tenant_id: str
    custom_headers: Mapping[str, str] = attrs.field(hash=False)
    variables: Mapping[str, Any] = attrs.field(hash=False)
    result_variables: Mapping[str, Any] | None = attrs.field(hash=False)
    process_instance_key: str | None
    process_definition_id: str
    element_id: str
    element_instance_key: str | None
    error_code: str | None
    error_message: str | None
    incident_key: str | None
    created_ms: int
    end_ms: int | None

    @classmethod
    def of(cls, job: JobRecord, variables: Mapping[str, Any]) -> JobView:
        """Snapshot a job record (deep copies, so later changes do not leak in)."""
        return cls(
            key=str(job.key),
            type=job.job_type,
            state=job.state,
            lifecycle=job.status,
            retries=job.retries,
            worker=job.worker,
            deadline_ms=job.deadline_ms,
            tenant_id=job.tenant_id,
            custom_headers=dict(job.custom_headers),
            variables=copy.deepcopy(dict(variables)),
            result_variables=copy.deepcopy(job.result_variables),
            process_instance_key=_key(job.process_instance_key),
            process_definition_id=job.process_definition_id,
            element_id=job.element_id,
            element_instance_key=_key(job.element_instance_key),
            error_code=job.error_code,
            error_message=job.error_message,
            incident_key=_key(job.incident_key),
            created_ms=job.created_ms,
            end_ms=job.end_ms,
        )


@attrs.frozen
class IncidentView:
    """A snapshot of one incident.

    Attributes:
        key: the incident key.
        error_type: e.g. ``JOB_NO_RETRIES``, ``UNHANDLED_ERROR_EVENT``, ``CONDITION_ERROR``,
            ``EXTRACT_VALUE_ERROR``.
        error_message: what went wrong.
        state: ``ACTIVE`` or ``RESOLVED``.
        process_instance_key: its process instance (``None`` for a standalone job).
        process_definition_id: the BPMN process id.
        element_id: the element it is on.
        element_instance_key: the element instance it is on.
        job_key: the job, for job incidents.
        tenant_id: the tenant.
        created_ms: when it was raised.
    """

    key: str
    error_type: str
    error_message: str
    state: str
    process_instance_key: str | None
    process_definition_id: str
    element_id: str
    element_instance_key: str | None
    job_key: str | None
    tenant_id: str
    created_ms: int

    @classmethod
    def of(cls, incident: IncidentRecord) -> IncidentView:
        """Snapshot an incident record."""
        return cls(
            key=str(incident.key),
            error_type=incident.error_type,
            error_message=incident.error_message,
            state=incident.state,
            process_instance_key=_key(incident.process_instance_key),
            process_definition_id=incident.process_definition_id,
            element_id=incident.element_id,
            element_instance_key=_key(incident.element_instance_key),
            job_key=_key(incident.job_key),
            tenant_id=incident.tenant_id,
            created_ms=incident.created_ms,
        )


@attrs.frozen
class ProcessInstanceView:
    """A snapshot of one process instance.

    Attributes:
        key: the process instance key.
        process_definition_id: the BPMN process id.
        process_definition_key: the process definition key.
        version: the process definition version.
        tenant_id: the tenant.
        state: ``ACTIVE``, ``COMPLETED`` or ``TERMINATED``.
        variables: the root-scope variables (a deep copy).
        active_element_ids: ids of the elements tokens wait in (tasks, gateways on incident),
            sorted; a parallel join's waiting tokens are not listed.
        incidents: the active incidents.
        start_ms: creation time.
        end_ms: completion or termination time.
        visited_element_ids: ids of the flow nodes tokens entered, in order (the path taken;
            an element entered twice, by a loop or a retry after an incident, is listed twice).
        terminated_element_ids: ids of the flow nodes whose element instances were terminated
            (interrupted, canceled, modified away) instead of completing, in order.
        parent_process_instance_key: for an instance a call activity created, the calling
            process instance (else ``None``).
        parent_element_instance_key: that call activity's element instance key.
    """

    key: str
    process_definition_id: str
    process_definition_key: str
    version: int
    tenant_id: str
    state: str
    variables: Mapping[str, Any] = attrs.field(hash=False)
    active_element_ids: tuple[str, ...]
    incidents: tuple[IncidentView, ...]
    start_ms: int
    end_ms: int | None
    visited_element_ids: tuple[str, ...] = ()
    terminated_element_ids: tuple[str, ...] = ()
    parent_process_instance_key: str | None = None
    parent_element_instance_key: str | None = None

    @classmethod
    def of(
        cls, instance: ProcessInstanceRecord, incidents: tuple[IncidentView, ...]
    ) -> ProcessInstanceView:
        """Snapshot a process instance record."""
        definition = instance.definition
        return cls(
            key=str(instance.key),
            process_definition_id=definition.process_id,
            process_definition_key=str(definition.key),
            version=definition.version,
            tenant_id=instance.tenant_id,
            state=instance.state,
            variables=copy.deepcopy(instance.variables),
            active_element_ids=tuple(sorted(e.node_id for e in instance.active.values())),
            incidents=incidents,
            start_ms=instance.start_ms,
            end_ms=instance.end_ms,
            visited_element_ids=tuple(instance.path),
            terminated_element_ids=tuple(instance.terminated or ()),
            parent_process_instance_key=(
                None if instance.parent_instance_key is None else str(instance.parent_instance_key)
            ),
            parent_element_instance_key=(
                None if instance.parent_element_key is None else str(instance.parent_element_key)
            ),
        )


@attrs.frozen
class UserTaskView:
    """A snapshot of one Camunda user task (``zeebe:userTask``).

    Attributes:
        key: the user task key (what :meth:`Engine.complete_user_task` takes).
        element_id: the user task's element id.
        name: the element's name, if any.
        state: ``CREATED``, ``COMPLETED`` or ``CANCELED``.
        process_instance_key: its process instance.
        process_definition_id: the BPMN process id.
        element_instance_key: its element instance.
        assignee: the evaluated assignee, if any.
        candidate_groups: the evaluated candidate groups.
        candidate_users: the evaluated candidate users.
        due_date: the evaluated due date, if any.
        follow_up_date: the evaluated follow-up date, if any.
        form_key: the form key or form id, if any.
        external_form_reference: the evaluated external form reference, if any.
        priority: the priority (0 to 100, default 50).
        custom_headers: the task headers.
        variables: the variables it sees now (for a finished task: those it was completed with).
        tenant_id: the tenant.
        created_ms: creation time.
        completed_ms: completion time.
    """

    key: str
    element_id: str
    name: str | None
    state: str
    process_instance_key: str
    process_definition_id: str
    element_instance_key: str
    assignee: str | None
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    due_date: str | None
    follow_up_date: str | None
    form_key: str | None
    external_form_reference: str | None
    priority: int
    custom_headers: Mapping[str, str] = attrs.field(hash=False)
    variables: Mapping[str, Any] = attrs.field(hash=False)
    tenant_id: str = "<default>"
    created_ms: int = 0
    completed_ms: int | None = None

    @classmethod
    def of(cls, task: UserTaskRecord, variables: Mapping[str, Any]) -> UserTaskView:
        """Snapshot a user task record."""
        return cls(
            key=str(task.key),
            element_id=task.element_id,
            name=task.name,
            state=task.state,
            process_instance_key=str(task.process_instance_key),
            process_definition_id=task.process_definition_id,
            element_instance_key=str(task.element_instance_key),
            assignee=task.assignee,
            candidate_groups=task.candidate_groups,
            candidate_users=task.candidate_users,
            due_date=task.due_date,
            follow_up_date=task.follow_up_date,
            form_key=task.form_key,
            external_form_reference=task.external_form_reference,
            priority=task.priority,
            custom_headers=dict(task.custom_headers),
            variables=copy.deepcopy(dict(variables)),
            tenant_id=task.tenant_id,
            created_ms=task.created_ms,
            completed_ms=task.completed_ms,
        )


@attrs.define
class EngineStats:
    """Counters since the engine started, and what it holds now.

    Attributes:
        jobs_created: jobs created (by BPMN tasks and ``create_job``).
        jobs_activated: job activations handed to workers.
        jobs_completed: job completions.
        jobs_failed: job failures.
        jobs_timed_out: activations that passed their deadline.
        bpmn_errors_thrown: BPMN errors thrown (caught or not).
        incidents_created: incidents raised.
        process_instances_created: process instances started.
        process_instances_completed: process instances that reached their end.
        retained_jobs: job records held now (live and retained finished ones).
        retained_process_instances: process instance records held now.
        retained_incidents: incident records held now.
        timers: armed timers (deadlines and back-offs, stale ones included).
        waiting_polls: long polls waiting for jobs now.
    """

    jobs_created: int = 0
    jobs_activated: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_timed_out: int = 0
    bpmn_errors_thrown: int = 0
    incidents_created: int = 0
    process_instances_created: int = 0
    process_instances_completed: int = 0
    retained_jobs: int = 0
    retained_process_instances: int = 0
    retained_incidents: int = 0
    timers: int = 0
    waiting_polls: int = 0
