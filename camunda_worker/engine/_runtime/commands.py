"""The synchronous half of :class:`~camunda_worker.engine._runtime.core.Engine`: commands and inspection.

Every method takes the engine's lock, first times out expired activations and ends elapsed
back-offs (so the state is always current, whatever the clock), and after a change hands newly
activatable jobs to waiting long polls.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from camunda_worker.engine._runtime.clock import Clock
from camunda_worker.engine._runtime.errors import invalid_argument, not_found, violations
from camunda_worker.engine._runtime.lines import (
    ServerLine,
    created_instance,
    incident_result,
    job_search_item,
    process_instance,
    topology,
)
from camunda_worker.engine._runtime.process_commands import ProcessCommands
from camunda_worker.engine._runtime.search import search
from camunda_worker.engine._runtime.state import DEFAULT_TENANT, copy_variables
from camunda_worker.engine._runtime.waiters import WaiterRegistry

__all__ = ["EngineBase", "parse_key"]


def parse_key(name: str, value: str | int) -> int:
    """Turn a wire key (a string of digits) into an int, or refuse it with a 400."""
    text = str(value)
    if not text.isdigit():
        raise invalid_argument(f"The value for {name} is '{value}' but must be a numeric key")
    return int(text)


class EngineBase:
    """Commands and inspection under the engine's lock (the async half lives in ``Engine``)."""

    def __init__(self, clock: Clock, server_line: ServerLine, retention: int) -> None:
        self.clock = clock
        # A plain lock; with a search lag, one that notes changes on release (search_lag).
        self._lock: AbstractContextManager[bool] = threading.Lock()
        self._machine = ProcessCommands(clock, server_line, retention)
        self._waiters = WaiterRegistry()
        self._closed = False

    @property
    def server_line(self) -> ServerLine:
        """The Camunda line whose wire shapes the engine answers with."""
        return self._machine.line

    @server_line.setter
    def server_line(self, line: ServerLine) -> None:
        with self._lock:
            self._machine.line = line

    def _tick(self) -> None:
        """Fire due timers and serve waiting polls (caller holds the lock)."""
        machine = self._machine
        machine.time_noted = False  # the command's first new key notes the clock's time
        machine.command_time = None  # read again at the command's first need
        machine.process_due()
        if machine.element_timers.timers:
            machine.fire_timers()
        self._serve_waiters()

    def _serve_waiters(self) -> None:
        """Activate newly activatable jobs for waiting polls, oldest first (caller holds the lock)."""
        machine = self._machine
        while machine.dirty_types:
            job_type = machine.dirty_types.pop()
            for waiter in self._waiters.waiting(job_type):
                if machine.ready.count(job_type) <= 0:
                    break
                activations = machine.activate(
                    job_type,
                    waiter.max_jobs,
                    waiter.timeout_ms,
                    waiter.worker,
                    waiter.fetch_variable,
                    waiter.tenant_ids,
                    waiter.with_lease,
                )
                if not activations:
                    continue
                self._waiters.remove(waiter)
                waiter.activations = activations
                if not waiter.wake():
                    machine.give_back(activations)

    # Deployments and process instances.

    def deploy(
        self, resources: Sequence[tuple[str, bytes | str]], *, tenant_id: str | None = None
    ) -> dict[str, Any]:
        """Deploy BPMN resources (``(name, xml)`` pairs); returns the ``DeploymentResult``.

        Raises:
            EngineError: 400 ``INVALID_ARGUMENT`` naming every offending element (id and type)
                when a resource is malformed or uses BPMN outside the supported subset.
        """
        with self._lock:
            return self._machine.deploy(resources, tenant_id)

    def create_process_instance(
        self,
        *,
        process_definition_id: str | None = None,
        process_definition_key: str | None = None,
        version: int = -1,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """Start a process instance by id (latest or given version) or by definition key.

        Returns:
            The ``CreateProcessInstanceResult``.

        Raises:
            EngineError: 404 for an unknown process (version, key); 400 when neither or both
                of id and key are given.
        """
        if (process_definition_id is None) == (process_definition_key is None):
            raise invalid_argument(
                "Exactly one of [processDefinitionId, processDefinitionKey] is required"
            )
        key = (
            parse_key("processDefinitionKey", process_definition_key)
            if process_definition_key is not None
            else None
        )
        with self._lock:
            self._tick()
            machine = self._machine
            definition = machine.find_definition(process_definition_id, key, version, tenant_id)
            instance = machine.create_instance(definition, variables)
            result = created_instance(machine.line, instance, copy_variables(variables))
            self._serve_waiters()
            return result

    def get_process_instance(self, process_instance_key: str) -> dict[str, Any]:
        """The ``ProcessInstanceResult`` of an instance (404 when unknown or dropped)."""
        key = parse_key("processInstanceKey", process_instance_key)
        with self._lock:
            self._tick()
            instance = self._machine.instances.get(key)
            if instance is None:
                raise not_found(f"Process instance with key '{key}' not found")
            return process_instance(self._machine.line, instance)

    def search_process_instances(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        after: str | None = None,
        before: str | None = None,
        offset: int = 0,
        sort: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Search process instances (``{"items": [...], "page": {...}}``), by key or ``sort``."""
        with self._lock:
            self._tick()
            line = self._machine.line
            return search(
                line,
                list(self._machine.instances.values()),
                lambda instance: instance.key,
                lambda instance: process_instance(line, instance),
                filter,
                limit,
                after,
                before=before,
                offset=offset,
                sort=sort,
            )

    def cancel_process_instance(self, process_instance_key: str) -> None:
        """Terminate an active process instance: its jobs are canceled (404 when not active)."""
        key = parse_key("processInstanceKey", process_instance_key)
        with self._lock:
            self._tick()
            self._machine.cancel_instance(key)

    def set_variables(
        self, process_instance_key: str, variables: Mapping[str, Any], *, local: bool = False
    ) -> None:
        """Set variables in a scope: a process instance's root, or an active element instance's.

        Args:
            process_instance_key: the key of the process instance, or of an active element
                instance (a task, a sub-process...) to set the variables in its scope.
            variables: the variables.
            local: set them in that scope only; by default each is written to the nearest
                scope from there upwards that has it, else the root (Zeebe's propagation).

        Raises:
            EngineError: 404 when no active instance or element instance has the key.
        """
        key = parse_key("elementInstanceKey", process_instance_key)
        with self._lock:
            self._machine.set_variables(key, variables, local)

    def resolve_incident(self, incident_key: str) -> None:
        """Resolve an incident: its job becomes activatable again, a stuck gateway re-evaluated.

        A job that ran out of retries needs ``update_job(retries=...)`` first.
        """
        key = parse_key("incidentKey", incident_key)
        with self._lock:
            self._tick()
            self._machine.resolve_incident(key)
            self._serve_waiters()

    # Jobs.

    def create_job(
        self,
        job_type: str,
        *,
        variables: Mapping[str, Any] | None = None,
        retries: int = 3,
        custom_headers: Mapping[str, str] | None = None,
        tenant_id: str = DEFAULT_TENANT,
    ) -> str:
        """Create a standalone job, without BPMN (for unit tests); returns its key.

        Its completion variables merge into its own variables (see :meth:`jobs`); a BPMN error
        thrown for it is never caught (an incident).
        """
        if error := violations(["No type provided"] if not job_type.strip() else []):
            raise error
        if retries < 0:
            raise invalid_argument(f"The value for retries is '{retries}' but must be >= 0")
        with self._lock:
            self._tick()
            job = self._machine.create_job(
                job_type,
                variables=variables,
                retries=retries,
                custom_headers=custom_headers,
                tenant_id=tenant_id,
            )
            self._serve_waiters()
            return str(job.key)

    def complete_job(
        self,
        job_key: str,
        variables: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
    ) -> None:
        """Complete a job; its variables merge into the process instance.

        Raises:
            EngineError: 404 for an unknown or finished job; 409 ``INVALID_STATE`` for a job in
                an incident, a retry back-off or after a BPMN error, or a leased job whose lease
                token does not match.
        """
        key = parse_key("jobKey", job_key)
        with self._lock:
            self._tick()
            self._machine.complete(key, variables, lease_token)
            self._serve_waiters()

    def fail_job(
        self,
        job_key: str,
        *,
        retries: int,
        error_message: str | None = None,
        retry_back_off_ms: int = 0,
        variables: Mapping[str, Any] | None = None,
        lease_token: str | None = None,
    ) -> None:
        """Fail a job: activatable again after the back-off, or an incident at 0 retries.

        With no retries left the job gets a ``JOB_NO_RETRIES`` incident. Same refusals as
        :meth:`complete_job`.
        """
        key = parse_key("jobKey", job_key)
        with self._lock:
            self._tick()
            self._machine.fail(
                key,
                retries=retries,
                error_message=error_message,
                retry_back_off_ms=max(retry_back_off_ms, 0),
                variables=variables,
                lease_token=lease_token,
            )
            self._serve_waiters()

    def throw_job_error(
        self,
        job_key: str,
        *,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
        lease_token: str | None = None,
    ) -> None:
        """Throw a BPMN error for a job: caught by a boundary event, or an incident.

        An error boundary event with this code (or else a catch-all one) takes the token;
        uncaught, the job gets an ``UNHANDLED_ERROR_EVENT`` incident. Same refusals as
        :meth:`complete_job`, and 400 for a blank code.
        """
        key = parse_key("jobKey", job_key)
        if error := violations(["No errorCode provided"] if not error_code.strip() else []):
            raise error
        with self._lock:
            self._tick()
            self._machine.throw_error(
                key,
                error_code=error_code,
                error_message=error_message,
                variables=variables,
                lease_token=lease_token,
            )
            self._serve_waiters()

    def update_job(
        self, job_key: str, *, retries: int | None = None, timeout_ms: int | None = None
    ) -> None:
        """Set a job's retries and/or a new timeout for its current activation (from now).

        Raises:
            EngineError: 400 when nothing or a value below 1 is given, or a timeout is given
                for a job that is not activated; 404 for an unknown or finished job.
        """
        key = parse_key("jobKey", job_key)
        problems = []
        if retries is None and timeout_ms is None:
            problems.append("At least one field between retries, timeout is required")
        if retries is not None and retries < 1:
            problems.append(f"The value for retries is '{retries}' but must be greater than 0")
        if timeout_ms is not None and timeout_ms < 1:
            problems.append(f"The value for timeout is '{timeout_ms}' but must be greater than 0")
        if error := violations(problems):
            raise error
        with self._lock:
            self._tick()
            self._machine.update(key, retries=retries, timeout_ms=timeout_ms)
            self._serve_waiters()

    def search_jobs(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        after: str | None = None,
        before: str | None = None,
        offset: int = 0,
        sort: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Search jobs (``{"items": [...], "page": {...}}``) by wire fields, by key or ``sort``."""
        with self._lock:
            self._tick()
            line = self._machine.line
            return search(
                line,
                list(self._machine.jobs.values()),
                lambda job: job.key,
                lambda job: job_search_item(line, job),
                filter,
                limit,
                after,
                before=before,
                offset=offset,
                sort=sort,
            )

    def search_incidents(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        after: str | None = None,
        before: str | None = None,
        offset: int = 0,
        sort: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Search incidents (``{"items": [...], "page": {...}}``) by wire fields, by key or ``sort``.

        Active incidents and the resolved ones still retained are listed.
        """
        with self._lock:
            self._tick()
            machine = self._machine
            line = machine.line

            def definition_key(process_instance_key: int, job_key: int | None) -> int:
                instance = machine.instances.get(process_instance_key)
                if instance is not None:
                    return instance.definition.key
                job = machine.jobs.get(job_key) if job_key is not None else None
                return job.process_definition_key if job is not None else -1

            return search(
                line,
                list(machine.incidents.values()),
                lambda incident: incident.key,
                lambda incident: incident_result(
                    line, incident, definition_key(incident.process_instance_key, incident.job_key)
                ),
                filter,
                limit,
                after,
                before=before,
                offset=offset,
                sort=sort,
            )

    # Messages and cluster.

    def publish_message(
        self,
        *,
        name: str,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        time_to_live_ms: int = 0,
        message_id: str | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish a message; returns the ``MessagePublicationResult``.

        The message goes to the oldest open subscription (message catch event, receive task,
        message boundary event) of each process with its name, correlation key and tenant,
        starts an instance of each process with a message start event of that name (one active
        instance per correlation key), and with a time to live stays buffered for subscriptions
        opened later. A ``message_id`` already published within its time to live is refused
        (409 ``ALREADY_EXISTS``).
        """
        if error := violations(["No name provided"] if not name.strip() else []):
            raise error
        with self._lock:
            self._tick()
            result = self._machine.publish_message(
                name,
                correlation_key,
                variables,
                message_id,
                max(time_to_live_ms, 0),
                tenant_id,
            )
            self._serve_waiters()
            return result

    def correlate_message(
        self,
        *,
        name: str,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """Correlate a message at once, unbuffered; returns the ``MessageCorrelationResult``.

        Correlates as :meth:`publish_message` does (oldest subscription per process, message
        start events) and answers the first process instance it reached.

        Raises:
            EngineError: 404 ``NOT_FOUND`` when nothing takes the message.
        """
        if error := violations(["No name provided"] if not name.strip() else []):
            raise error
        with self._lock:
            self._tick()
            result = self._machine.correlate_message(name, correlation_key, variables, tenant_id)
            self._serve_waiters()
            return result

    def broadcast_signal(
        self,
        *,
        signal_name: str,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> dict[str, Any]:
        """Broadcast a signal; returns the ``SignalBroadcastResult``.

        Every open signal subscription of that name (signal catch events, signal boundary
        events) takes it with its variables, and every process whose latest version has a
        signal start event of that name starts an instance. Signals are not buffered.
        """
        if error := violations(["No signalName provided"] if not signal_name.strip() else []):
            raise error
        with self._lock:
            self._tick()
            result = self._machine.broadcast(signal_name, variables, tenant_id)
            self._serve_waiters()
            return result

    def topology(self) -> dict[str, Any]:
        """The ``TopologyResponse`` of a one-broker, one-partition cluster."""
        return topology(self.server_line)
