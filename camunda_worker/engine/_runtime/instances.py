"""Process instance and incident records (mutable, guarded by the engine's lock).

Variables: a process instance has exactly one variable scope, its root. Creation variables and
job completion variables merge into it; a job activation sees all of it (or only the names asked
for with ``fetchVariable``). Variables sent with a job failure stay local to the failed task (later
activations of the same job see them, the process does not); variables sent with a BPMN error are
not merged anywhere (Camunda keeps them in the catch event's scope, which needs output mappings
to reach the process). Input/output mappings and sub-process scopes are not supported.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import attrs

from camunda_worker.engine._model.definitions import ProcessDefinition

__all__ = [
    "ACTIVE",
    "COMPLETED",
    "INCIDENT_ACTIVE",
    "INCIDENT_RESOLVED",
    "TERMINATED",
    "ElementInstance",
    "IncidentRecord",
    "InstanceWaiter",
    "ProcessInstanceRecord",
]

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
TERMINATED = "TERMINATED"

INCIDENT_ACTIVE = "ACTIVE"
INCIDENT_RESOLVED = "RESOLVED"


@attrs.define(slots=True, eq=False)
class ElementInstance:
    """A flow node a token waits in: a job-based task, or a gateway stuck on an incident.

    Attributes:
        key: the element instance key.
        node_id: the flow node's id.
        job_key: the job of a task.
        incident_key: the active incident on this element, if any.
    """

    key: int
    node_id: str
    job_key: int | None = None
    incident_key: int | None = None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@attrs.define(slots=True, eq=False)
class InstanceWaiter:
    """A caller awaiting the end of a process instance (``awaitCompletion``)."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]

    def wake(self) -> None:
        """Resolve the future from any thread (nothing to do when its loop is closed)."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_resolve, self.future)


@attrs.define(slots=True, eq=False)
class ProcessInstanceRecord:
    """One process instance.

    Attributes:
        key: the process instance key.
        definition: the deployed process it runs.
        tenant_id: its tenant.
        variables: its (single, root) variable scope.
        state: ``ACTIVE``, ``COMPLETED`` or ``TERMINATED``.
        start_ms: creation time.
        end_ms: completion or termination time.
        active: the element instances tokens wait in, by key.
        joins: arrivals per incoming flow at each parallel join, by gateway id.
        waiting_tokens: tokens waiting at parallel joins.
        incident_keys: keys of its active incidents.
        waiters: callers awaiting its end.
    """

    key: int
    definition: ProcessDefinition
    tenant_id: str
    variables: dict[str, Any]
    start_ms: int
    state: str = ACTIVE
    end_ms: int | None = None
    active: dict[int, ElementInstance] = attrs.field(factory=dict)
    joins: dict[str, dict[str, int]] = attrs.field(factory=dict)
    waiting_tokens: int = 0
    incident_keys: set[int] = attrs.field(factory=set)
    waiters: list[InstanceWaiter] = attrs.field(factory=list)


@attrs.define(slots=True, eq=False)
class IncidentRecord:
    """An incident: something a human (or a test) must fix before the token can move on.

    Attributes:
        key: the incident key.
        error_type: Camunda's error type, e.g. ``JOB_NO_RETRIES``, ``UNHANDLED_ERROR_EVENT``,
            ``CONDITION_ERROR``, ``EXTRACT_VALUE_ERROR``.
        error_message: what went wrong.
        created_ms: when it was raised.
        process_instance_key: its process instance (``-1`` for a standalone job).
        process_definition_id: the BPMN process id (``standalone-job`` for a standalone job).
        element_id: the element it is on.
        element_instance_key: the element instance it is on.
        job_key: the job, for job incidents.
        tenant_id: the tenant.
        state: ``ACTIVE`` or ``RESOLVED``.
    """

    key: int
    error_type: str
    error_message: str
    created_ms: int
    process_instance_key: int
    process_definition_id: str
    element_id: str
    element_instance_key: int
    job_key: int | None
    tenant_id: str
    state: str = INCIDENT_ACTIVE
