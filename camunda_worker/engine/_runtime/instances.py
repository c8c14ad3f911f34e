"""Process instance and incident records (mutable, guarded by the engine's lock).

Variables live in scopes, as in Zeebe: the process instance is the root scope, and every element
instance (a task, an embedded sub-process, a catch event) is a scope of its own whose parent is
the element instance it runs in (its flow scope). A name resolves to the nearest scope that has
it. See :mod:`.scopes` for how variables are set and propagated.
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
    "MultiInstanceBody",
    "ProcessInstanceRecord",
]

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
TERMINATED = "TERMINATED"

INCIDENT_ACTIVE = "ACTIVE"
INCIDENT_RESOLVED = "RESOLVED"


@attrs.define(slots=True, eq=False)
class MultiInstanceBody:
    """The state of a multi-instance body (the element instance around its inner instances).

    Attributes:
        items: the input collection, as evaluated when the body was entered.
        created: inner instances created so far (the last one's ``loopCounter``).
        completed: inner instances completed.
        terminated: inner instances terminated (by the completion condition).
        blocked: completed inner instances whose output or completion condition failed
            (an incident on the body); evaluated again when it is resolved.
        reuse: loop counters of inner instances whose input mappings failed, taken by the
            next inner instances created (after the incident is resolved).
    """

    items: list[Any]
    created: int = 0
    completed: int = 0
    terminated: int = 0
    blocked: list[ElementInstance] = attrs.field(factory=list)
    reuse: list[int] = attrs.field(factory=list)


@attrs.define(slots=True, eq=False)
class ElementInstance:
    """An element instance a token waits in, or a scope tokens run in.

    A job-based task, an embedded sub-process, an element stuck on an incident, or the process
    instance itself (the root scope, ``parent`` ``None``).

    Attributes:
        key: the element instance key.
        node_id: the flow node's id (the process id for the root scope).
        job_key: the job of a task.
        incident_key: the active incident on this element, if any.
        parent: the element instance it runs in (its flow scope); ``None`` for the root.
        variables: its local variables (``None`` until it has some).
        live: for a scope, its child element instances plus the tokens waiting at its joins.
        user_task_key: the Camunda user task of a user task element.
        waits: whether timers or message subscriptions were opened for it.
        body: for a multi-instance body, its loop state (its inner instances are its children,
            of the same element id).
        loop_counter: for an inner instance of a multi-instance body, its ``loopCounter``.
        child_instance_key: for a call activity, the process instance it called.
        interrupted: for a scope, whether an interrupting event sub-process was triggered in
            it (no other event sub-process of the scope is triggered after).
    """

    key: int
    node_id: str
    job_key: int | None = None
    incident_key: int | None = None
    parent: ElementInstance | None = None
    variables: dict[str, Any] | None = None
    live: int = 0
    user_task_key: int | None = None
    waits: bool = False
    body: MultiInstanceBody | None = None
    loop_counter: int = 0
    child_instance_key: int | None = None
    interrupted: bool = False


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


@attrs.define(slots=True, eq=False, init=False)
class ProcessInstanceRecord:
    """One process instance.

    Attributes:
        key: the process instance key.
        definition: the deployed process it runs.
        tenant_id: its tenant.
        variables: its root variable scope.
        state: ``ACTIVE``, ``COMPLETED`` or ``TERMINATED``.
        start_ms: creation time.
        end_ms: completion or termination time.
        active: the element instances tokens wait in, by key.
        joins: arrivals per incoming flow at each parallel join, by (scope key, gateway id).
        root: the root scope (its ``variables`` are ``variables``).
        path: ids of the flow nodes tokens entered, in order.
        terminated: ids of the flow nodes whose element instances were terminated (interrupted
            by a boundary or event sub-process, canceled with the instance, modified away), in
            order: what entered ``path`` and was left without completing (``None`` until one
            was).
        correlation_key: the correlation key of the message that started it, if one did.
        incident_keys: keys of its active incidents (``None`` until it had one).
        waiters: callers awaiting its end (``None`` until one does).
        parent_instance_key: the process instance whose call activity created it, if any.
        parent_element_key: that call activity's element instance key.
        root_instance_key: the root of its call hierarchy (its own key when not called).
        call_depth: how many call activities above it (0 when not called).
        flows: ids of the sequence flows tokens took, in order; ``None`` unless the engine
            records them (coverage, see :mod:`.modification`).
        bodies: per element id, how many multi-instance bodies were entered (their tokens are
            on ``path``; element statistics leave them out, as a cluster's do).
    """

    key: int
    definition: ProcessDefinition
    tenant_id: str
    variables: dict[str, Any]
    start_ms: int
    state: str
    end_ms: int | None
    active: dict[int, ElementInstance]
    joins: dict[tuple[int, str], dict[str, int]]
    incident_keys: set[int] | None
    waiters: list[InstanceWaiter] | None
    path: list[str]
    terminated: list[str] | None
    correlation_key: str | None
    parent_instance_key: int | None
    parent_element_key: int | None
    root_instance_key: int
    call_depth: int
    flows: list[str] | None
    bodies: dict[str, int]
    root: ElementInstance

    def __init__(
        self,
        key: int,
        definition: ProcessDefinition,
        tenant_id: str,
        variables: dict[str, Any],
        start_ms: int,
    ) -> None:
        # Written out rather than generated: one is made per process instance, and literals
        # cost less than attrs' factory calls and its post-init hook. The containers most
        # instances never use (incident keys, waiters, terminated) are made when first needed: fewer objects for the
        # garbage collector to allocate and scan per retained instance.
        self.key = key
        self.definition = definition
        self.tenant_id = tenant_id
        self.variables = variables
        self.start_ms = start_ms
        self.state = ACTIVE
        self.end_ms = None
        self.active = {}
        self.joins = {}
        self.incident_keys = None
        self.waiters = None
        self.path = []
        self.terminated = None
        self.correlation_key = None
        self.parent_instance_key = None
        self.parent_element_key = None
        self.root_instance_key = key
        self.call_depth = 0
        self.flows = None
        self.bodies = {}
        self.root = ElementInstance(key, definition.process_id, variables=variables)


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
        root_process_instance_key: the root of the call hierarchy of a called instance's
            incident (``None``: the process instance itself).
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
    root_process_instance_key: int | None = None
