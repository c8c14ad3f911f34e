"""Process commands, and the hooks through which tokens create jobs and raise incidents.

Commands: deploy, create and cancel instances, resolve incidents, set variables, publish messages.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from camunda_worker.engine._model.bpmn import BpmnValidationError, parse_bpmn
from camunda_worker.engine._model.definitions import FlowNode, ProcessDefinition, ProcessModel
from camunda_worker.engine._model.timers import TimerValueError
from camunda_worker.engine._runtime.call_activities import (
    CALLED_ELEMENT_ERROR,
    MAX_CALL_DEPTH,
    called_definition,
    child_variables,
    returned_variables,
    too_deep,
)
from camunda_worker.engine._runtime.clock import Clock
from camunda_worker.engine._runtime.element_timers import ElementTimer, ElementTimers, resolve_timer
from camunda_worker.engine._runtime.errors import invalid_argument, rejected
from camunda_worker.engine._runtime.flow import SIGNAL_PREFIX, FlowRunner
from camunda_worker.engine._runtime.instances import (
    ACTIVE,
    COMPLETED,
    INCIDENT_ACTIVE,
    TERMINATED,
    ElementInstance,
    ProcessInstanceRecord,
)
from camunda_worker.engine._runtime.job_commands import JobCommands
from camunda_worker.engine._runtime.jobs import ERROR_THROWN, FAILED, NO_KEY, JobRecord
from camunda_worker.engine._runtime.lines import ServerLine, deployment_result, message_published
from camunda_worker.engine._runtime.messages import BufferedMessage, MessageState
from camunda_worker.engine._runtime.scopes import propagate, set_local
from camunda_worker.engine._runtime.state import DEFAULT_TENANT, copy_variables
from camunda_worker.engine._runtime.user_tasks import CANCELED as USER_TASK_CANCELED
from camunda_worker.engine._runtime.user_tasks import COMPLETED as USER_TASK_COMPLETED
from camunda_worker.engine._runtime.user_tasks import CREATED as USER_TASK_CREATED
from camunda_worker.engine._runtime.user_tasks import UserTaskRecord

__all__ = ["ProcessCommands"]

#: Timer events one tick fires at most (a cycle far behind the clock catches up over ticks).
_MAX_FIRINGS = 10_000


class ProcessCommands(JobCommands):
    """The process half of the engine's state machine (on top of the job half)."""

    def __init__(self, clock: Clock, line: ServerLine, retention: int) -> None:
        super().__init__(clock, line, retention)
        self.user_tasks: dict[int, UserTaskRecord] = {}
        self.element_timers = ElementTimers()
        self.messages = MessageState()
        #: The BPMN resource each process definition was deployed from, by definition key.
        self.resources: dict[int, bytes] = {}
        self.flow = FlowRunner(self, self.element_timers, self.messages)
        self._message_ids: collections.OrderedDict[tuple[str, str], int] = collections.OrderedDict()

    def deploy(
        self, resources: Sequence[tuple[str, bytes | str]], tenant_id: str | None
    ) -> dict[str, Any]:
        """Deploy BPMN resources; an unchanged resource keeps its process's latest version."""
        if not resources:
            raise invalid_argument("Expected to deploy at least one resource, but none given")
        tenant = tenant_id or DEFAULT_TENANT
        parsed: list[tuple[str, str, ProcessModel]] = []
        failures: list[str] = []
        contents: dict[str, bytes] = {}
        for name, content in resources:
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            try:
                models = parse_bpmn(name, data)
            except BpmnValidationError as exc:
                failures.append(str(exc))
                continue
            checksum = hashlib.sha256(data).hexdigest()
            contents[checksum] = data
            parsed.extend((name, checksum, model) for model in models)
        if failures:
            reason = "Expected to deploy new resources, but encountered the following errors:\n"
            raise rejected("CREATE", "INVALID_ARGUMENT", reason + "\n".join(failures))
        seen: dict[str, str] = {}
        for name, _, model in parsed:
            if model.process_id in seen:
                reason = (
                    f"Expected to deploy new resources, but encountered the following errors:\n"
                    f"Duplicated process id in resources '{seen[model.process_id]}' and '{name}'"
                )
                raise rejected("CREATE", "INVALID_ARGUMENT", reason)
            seen[model.process_id] = name
        start_timers = [self._start_timers(name, model) for name, _, model in parsed]
        deployment_key = self.next_key()
        deployed = [
            self._define(deployment_key, tenant, name, checksum, model)
            for name, checksum, model in parsed
        ]
        for definition, (_, checksum, _) in zip(deployed, parsed, strict=True):
            self.resources.setdefault(definition.key, contents[checksum])
        for definition, timers in zip(deployed, start_timers, strict=True):
            if definition.deployment_key == deployment_key:  # a new version
                self._arm_start_timers(definition, timers)
        return deployment_result(self.line, deployment_key, tenant, deployed)

    def _start_timers(
        self, name: str, model: ProcessModel
    ) -> list[tuple[str, int, int | None, Any]]:
        # Timer start events are evaluated at deployment (no variables), as Zeebe does.
        timers = []
        now = self.now()
        for node_id in model.timer_starts:
            timer = model.nodes[node_id].timer
            if timer is None:
                continue
            try:
                due, repetitions, interval = resolve_timer(timer, {}, now)
            except TimerValueError as exc:
                reason = (
                    "Expected to deploy new resources, but encountered the following errors:\n"
                    f"'{name}': - Element: {node_id} (bpmn:startEvent)\n    - ERROR: {exc}"
                )
                raise rejected("CREATE", "INVALID_ARGUMENT", reason) from None
            timers.append((node_id, due, repetitions, interval))
        return timers

    def _arm_start_timers(
        self, definition: ProcessDefinition, timers: list[tuple[str, int, int | None, Any]]
    ) -> None:
        # Zeebe: a new version's timer start events replace those of the versions before it.
        versions = self.versions[(definition.tenant_id, definition.process_id)]
        for previous in versions[:-1]:
            for timer in self.element_timers.of_definition(previous.key):
                self.element_timers.cancel(timer)
        for node_id, due, repetitions, interval in timers:
            self.element_timers.schedule(
                ElementTimer(
                    key=self.next_key(),
                    due_ms=due,
                    node_id=node_id,
                    definition_key=definition.key,
                    repetitions=repetitions,
                    interval=interval,
                )
            )

    def _define(
        self, deployment_key: int, tenant: str, name: str, checksum: str, model: ProcessModel
    ) -> ProcessDefinition:
        versions = self.versions.setdefault((tenant, model.process_id), [])
        latest = versions[-1] if versions else None
        if latest is not None and latest.checksum == checksum and latest.resource_name == name:
            return latest
        definition = ProcessDefinition(
            key=self.next_key(),
            process_id=model.process_id,
            version=len(versions) + 1,
            tenant_id=tenant,
            resource_name=name,
            checksum=checksum,
            deployment_key=deployment_key,
            model=model,
        )
        versions.append(definition)
        self.definitions[definition.key] = definition
        return definition

    def find_definition(
        self, process_id: str | None, key: int | None, version: int, tenant_id: str | None
    ) -> ProcessDefinition:
        """The definition a creation request names (by key, or by id and version)."""
        if key is not None:
            definition = self.definitions.get(key)
            if definition is None or tenant_id not in (None, definition.tenant_id):
                reason = f"Expected to find process definition with key '{key}', but none found"
                raise rejected("CREATE", "NOT_FOUND", reason)
            return definition
        if not process_id:
            raise invalid_argument(
                "At least one of [processDefinitionId, processDefinitionKey] is required"
            )
        versions = self.versions.get((tenant_id or DEFAULT_TENANT, process_id), [])
        if version is None or version < 0:
            if versions:
                return versions[-1]
            reason = f"Expected to find process definition with process ID '{process_id}', but none found"
        else:
            if 1 <= version <= len(versions):
                return versions[version - 1]
            reason = (
                f"Expected to find process definition with process ID '{process_id}' and version "
                f"'{version}', but none found"
            )
        raise rejected("CREATE", "NOT_FOUND", reason)

    def create_instance(
        self,
        definition: ProcessDefinition,
        variables: Mapping[str, Any] | None,
        start_node: str | None = None,
        caller: tuple[ProcessInstanceRecord, ElementInstance] | None = None,
    ) -> ProcessInstanceRecord:
        """Start an instance at its none start event (or ``start_node``); run it until it waits.

        ``caller``: the process instance and call activity element instance that call it.

        Raises:
            EngineError: 400 when the process has no none start event (only timer starts).
        """
        start = start_node or definition.model.start_node
        if start is None:
            reason = (
                "Expected to create instance of process with none start event, but there is "
                "no such event"
            )
            raise rejected("CREATE", "INVALID_ARGUMENT", reason)
        instance = ProcessInstanceRecord(
            key=self.next_key(),
            definition=definition,
            tenant_id=definition.tenant_id,
            variables=copy_variables(variables),
            start_ms=self.command_ms(),
        )
        if caller is not None:
            parent, element = caller
            instance.parent_instance_key = parent.key
            instance.parent_element_key = element.key
            instance.root_instance_key = parent.root_instance_key
            instance.call_depth = parent.call_depth + 1
            element.child_instance_key = instance.key
        self.instances[instance.key] = instance
        self.stats.process_instances_created += 1
        self.flow.start(instance, start)
        return instance

    def instance_for(self, key: int, command: str, intent: str) -> ProcessInstanceRecord:
        """An active process instance, or a ``NOT_FOUND`` rejection."""
        instance = self.instances.get(key)
        if instance is None or instance.state != ACTIVE:
            reason = f"Expected to {intent} a process instance with key '{key}', but no such process was found"
            raise rejected(command, "NOT_FOUND", reason)
        return instance

    def cancel_instance(self, key: int) -> None:
        """Terminate an active instance: its jobs are canceled, its incidents resolved.

        Raises:
            EngineError: 409 for an instance a call activity created (cancel its root).
        """
        instance = self.instance_for(key, "CANCEL", "cancel")
        if instance.parent_instance_key is not None:
            reason = (
                f"Expected to cancel a process instance with key '{key}', but it is created by a "
                "parent process instance. Cancel the root process instance "
                f"'{instance.root_instance_key}' instead."
            )
            raise rejected("CANCEL", "INVALID_STATE", reason)
        self._terminate_instance(instance)

    def _terminate_instance(self, instance: ProcessInstanceRecord) -> None:
        # Terminate an instance and the instances its call activities called (a loop, not a
        # recursion: a call hierarchy may be deep).
        pending = [instance]
        while pending:
            current = pending.pop()
            for element in list(current.active.values()):
                if element.waits:
                    self.element_timers.cancel_element(element.key)
                    self.messages.close_element(element.key)
                if element.user_task_key is not None:
                    self.element_terminated(current, element)
                if element.job_key is not None and (job := self.jobs.get(element.job_key)):
                    self.cancel_job(job)
                child = self.instances.get(element.child_instance_key or 0)
                element.child_instance_key = None
                if child is not None and child.state == ACTIVE:
                    pending.append(child)
            current.active.clear()
            self._close_root_events(current)
            self.flow.forget(current)
            self.end_instance(current, TERMINATED)

    def _close_root_events(self, instance: ProcessInstanceRecord) -> None:
        # The timers and subscriptions of the process's event sub-processes.
        if instance.definition.model.event_sub_processes:
            self.element_timers.cancel_element(instance.key)
            self.messages.close_element(instance.key)

    def set_variables(self, key: int, variables: Mapping[str, Any], local: bool = False) -> None:
        """Set variables in a scope: a process instance (its root) or an active element instance.

        ``local``: in that scope only; else propagated (see :mod:`.scopes`).
        """
        values = copy_variables(variables)
        instance = self.instances.get(key)
        scope = instance.root if instance is not None and instance.state == ACTIVE else None
        if scope is None:
            for candidate in self.instances.values():
                element = candidate.active.get(key) if candidate.state == ACTIVE else None
                if element is not None:
                    scope = element
                    break
        if scope is None:
            self.instance_for(key, "UPDATE", "update variables of")  # raises NOT_FOUND
            return
        if local:
            set_local(scope, values)
        else:
            propagate(scope, values)

    def resolve_incident(self, key: int) -> None:
        """Resolve an incident: the job becomes activatable again, a gateway is re-evaluated.

        A job incident caused by running out of retries needs retries first (``update_job``).
        """
        incident = self.incidents.get(key)
        if incident is None or incident.state != INCIDENT_ACTIVE:
            reason = (
                f"Expected to resolve incident with key '{key}', but no such incident was found"
            )
            raise rejected("RESOLVE", "NOT_FOUND", reason)
        job = self.jobs.get(incident.job_key) if incident.job_key is not None else None
        if job is not None:
            if incident.error_type == "JOB_NO_RETRIES" and job.retries < 1:
                reason = (
                    f"Expected to resolve incident with key '{key}', but job with key "
                    f"'{job.key}' has no retries left: update its retries first"
                )
                raise rejected("RESOLVE", "INVALID_STATE", reason)
            self.resolve_incident_record(incident)
            if job.status in (FAILED, ERROR_THROWN):
                job.updated_ms = self.now()
                self.make_activatable(job)
            return
        self.resolve_incident_record(incident)
        instance = self.instances.get(incident.process_instance_key)
        element = instance.active.get(incident.element_instance_key) if instance else None
        if instance is not None and element is not None:
            self.flow.retry(instance, element)
        elif instance is not None and incident.element_instance_key == instance.key:
            self.flow.retry_start(instance)  # its event sub-processes can be opened now

    def publish_message(
        self,
        name: str,
        correlation_key: str,
        variables: Mapping[str, Any] | None,
        message_id: str | None,
        time_to_live_ms: int,
        tenant_id: str | None,
    ) -> dict[str, Any]:
        """Publish a message: correlate it, start instances, buffer it (see :mod:`.messages`)."""
        tenant = tenant_id or DEFAULT_TENANT
        now = self.now()
        ids = self._message_ids
        while ids and next(iter(ids.values())) <= now:
            ids.popitem(last=False)
        if message_id:
            expiry = ids.get((tenant, message_id))
            if expiry is not None and expiry > now:
                reason = (
                    f"Expected to publish a new message with id '{message_id}', but a message "
                    "with that id was already published"
                )
                raise rejected("PUBLISH", "ALREADY_EXISTS", reason)
            if time_to_live_ms > 0:
                ids[(tenant, message_id)] = now + time_to_live_ms
                while len(ids) > max(self.retention, 1):
                    ids.popitem(last=False)
        message_key = self.next_key()
        values = copy_variables(variables)
        reached: set[str] = set()
        self._deliver(tenant, name, correlation_key, values, reached)
        self.messages.expire(now)
        if time_to_live_ms > 0:
            self.messages.buffer.append(
                BufferedMessage(
                    key=message_key,
                    name=name,
                    correlation_key=correlation_key,
                    tenant_id=tenant,
                    variables=values,
                    expires_ms=now + time_to_live_ms,
                    correlated=reached,
                )
            )
            if len(self.messages.buffer) > max(self.retention, 1):
                del self.messages.buffer[0]
        return message_published(self.line, message_key, tenant)

    def broadcast_signal(self, tenant_id: str, name: str, variables: dict[str, Any]) -> None:
        """Broadcast a signal: every subscription of its name takes it, start events start."""
        for subscription in self.messages.matching(tenant_id, SIGNAL_PREFIX + name, ""):
            instance = self.instances.get(subscription.process_instance_key)
            if instance is not None and instance.state == ACTIVE:
                self.flow.correlate(instance, subscription, copy_variables(variables))
        for (versions_tenant, _), versions in list(self.versions.items()):
            if versions_tenant != tenant_id or not versions:
                continue
            definition = versions[-1]
            for node_id in definition.model.signal_starts:
                signal = definition.model.nodes[node_id].message
                if signal is not None and signal.name.evaluate({}) == name:
                    self.create_instance(definition, copy_variables(variables), node_id)

    def broadcast(
        self, name: str, variables: Mapping[str, Any] | None, tenant_id: str | None
    ) -> dict[str, Any]:
        """The broadcast command: a signal from outside; returns the ``SignalBroadcastResult``."""
        tenant = tenant_id or DEFAULT_TENANT
        key = self.next_key()
        self.broadcast_signal(tenant, name, copy_variables(variables))
        return {"signalKey": str(key), "tenantId": tenant}

    def correlate_message(
        self,
        name: str,
        correlation_key: str,
        variables: Mapping[str, Any] | None,
        tenant_id: str | None,
    ) -> dict[str, Any]:
        """Correlate a message now, without buffering it (``POST /messages/correlation``).

        Raises:
            EngineError: 404 when no subscription and no message start event takes it.
        """
        tenant = tenant_id or DEFAULT_TENANT
        message_key = self.next_key()
        instances = self._deliver(tenant, name, correlation_key, copy_variables(variables), set())
        if not instances:
            reason = (
                f"Expected to find subscription for message with name '{name}' and correlation "
                f"key '{correlation_key}', but none was found."
            )
            raise rejected("CORRELATE", "NOT_FOUND", reason)
        return {
            "tenantId": tenant,
            "messageKey": str(message_key),
            "processInstanceKey": str(instances[0]),
        }

    def _deliver(
        self,
        tenant: str,
        name: str,
        correlation_key: str,
        values: dict[str, Any],
        reached: set[str],
    ) -> list[int]:
        # To the oldest subscription of each process, then message start events; the keys of
        # the instances reached, in order.
        instances: list[int] = []
        for subscription in self.messages.matching(tenant, name, correlation_key):
            if subscription.process_id in reached:
                continue
            instance = self.instances.get(subscription.process_instance_key)
            if instance is None or instance.state != ACTIVE:
                continue
            if self.flow.correlate(instance, subscription, copy_variables(values)):
                reached.add(subscription.process_id)
                instances.append(instance.key)
        instances += self._start_by_message(tenant, name, correlation_key, values, reached)
        return instances

    def _start_by_message(
        self,
        tenant: str,
        name: str,
        correlation_key: str,
        variables: dict[str, Any],
        reached: set[str],
    ) -> list[int]:
        # Message start events of the latest versions; one active instance per correlation key.
        started: list[int] = []
        for (versions_tenant, process_id), versions in list(self.versions.items()):
            if versions_tenant != tenant or process_id in reached or not versions:
                continue
            definition = versions[-1]
            for node_id in definition.model.message_starts:
                message = definition.model.nodes[node_id].message
                if message is None or message.name.evaluate({}) != name:
                    continue
                if correlation_key and any(
                    other.state == ACTIVE
                    and other.definition.process_id == process_id
                    and other.tenant_id == tenant
                    and other.correlation_key == correlation_key
                    for other in self.instances.values()
                ):
                    break
                instance = self.create_instance(definition, variables, node_id)
                instance.correlation_key = correlation_key
                reached.add(process_id)
                started.append(instance.key)
                break
        return started

    # Time.

    def next_due_ms(self) -> int | None:
        """When the next timer of any kind (job deadline, back-off, timer event) is due."""
        due = self.timers.next_due_ms()
        event_due = self.element_timers.next_due_ms()
        if event_due is None:
            return due
        return event_due if due is None else min(due, event_due)

    def fire_timers(self) -> None:
        """Fire due timer events, in due order (cycles included); job timers are ``process_due``'s."""
        timers = self.element_timers
        if not timers.timers or (due := timers.next_due_ms()) is None or due > (now := self.now()):
            return
        for _ in range(_MAX_FIRINGS):
            timer = timers.pop_due(now)
            if timer is None:
                return
            self._fire(timer)

    def _fire(self, timer: ElementTimer) -> None:
        if timer.process_instance_key != NO_KEY:
            instance = self.instances.get(timer.process_instance_key)
            if instance is not None and instance.state == ACTIVE:
                self.flow.fire_timer(instance, timer)
            return
        definition = self.definitions.get(timer.definition_key)
        if definition is None:
            return
        if timer.interval is not None and timer.repetitions != 0:
            repetitions = None if timer.repetitions is None else timer.repetitions - 1
            self.element_timers.schedule(
                ElementTimer(
                    key=self.next_key(),
                    due_ms=timer.interval.after(timer.due_ms),
                    node_id=timer.node_id,
                    definition_key=timer.definition_key,
                    repetitions=repetitions,
                    interval=timer.interval,
                )
            )
        self.create_instance(definition, None, timer.node_id)

    # Hooks of the job commands and of the flow.

    def task_completed(self, job: JobRecord, variables: dict[str, Any]) -> None:
        """Apply the job's variables to its task and move the instance on."""
        instance = self.instances.get(job.process_instance_key)
        element = instance.active.get(job.element_instance_key) if instance else None
        if instance is not None and element is not None:
            self.flow.complete_task(instance, element, variables)

    def error_thrown(self, job: JobRecord, variables: dict[str, Any]) -> bool:
        """Route the job's BPMN error to the nearest matching error boundary event."""
        instance = self.instances.get(job.process_instance_key)
        element = instance.active.get(job.element_instance_key) if instance else None
        if instance is None or element is None:
            return False
        return self.flow.catch_error(instance, element, job.error_code or "", variables)

    def set_task_local(self, job: JobRecord, variables: dict[str, Any]) -> None:
        """Set variables in the local scope of the job's task (a failure's variables)."""
        instance = self.instances.get(job.process_instance_key)
        element = instance.active.get(job.element_instance_key) if instance else None
        if element is not None:
            set_local(element, variables)

    def create_user_task(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        element: ElementInstance,
        assignment: Mapping[str, Any],
    ) -> int:
        """Create the Camunda user task of a user task's element instance."""
        definition = instance.definition
        record = UserTaskRecord(
            key=self.next_key(),
            element_id=node.id,
            name=node.name,
            element_instance_key=element.key,
            process_instance_key=instance.key,
            process_definition_key=definition.key,
            process_definition_id=definition.process_id,
            process_definition_version=definition.version,
            tenant_id=instance.tenant_id,
            created_ms=self.now(),
            assignee=assignment.get("assignee"),
            candidate_groups=assignment.get("candidate_groups", ()),
            candidate_users=assignment.get("candidate_users", ()),
            due_date=assignment.get("due_date"),
            follow_up_date=assignment.get("follow_up_date"),
            form_key=assignment.get("form_key"),
            external_form_reference=assignment.get("external_reference"),
            priority=assignment.get("priority", 50),
            custom_headers=dict(node.task.headers) if node.task else {},
        )
        self.user_tasks[record.key] = record
        return record.key

    def complete_user_task(self, key: int, variables: Mapping[str, Any] | None) -> None:
        """Complete a Camunda user task; its variables reach the process as a job's would."""
        record = self.user_tasks.get(key)
        if record is None or record.state != USER_TASK_CREATED:
            reason = (
                f"Expected to complete user task with key '{key}', but no such user task was found"
            )
            raise rejected("COMPLETE", "NOT_FOUND", reason)
        instance = self.instances.get(record.process_instance_key)
        element = instance.active.get(record.element_instance_key) if instance else None
        values = copy_variables(variables)
        record.state = USER_TASK_COMPLETED
        record.completed_ms = self.now()
        record.variables = values
        if instance is not None and element is not None:
            self.flow.complete_task(instance, element, values)

    def call_process(
        self, instance: ProcessInstanceRecord, node: FlowNode, element: ElementInstance
    ) -> None:
        """Start the process a call activity calls, or raise its ``CALLED_ELEMENT_ERROR``."""
        if instance.call_depth + 1 >= MAX_CALL_DEPTH:
            self.raise_incident(
                CALLED_ELEMENT_ERROR, too_deep(), instance=instance, element=element
            )
            return
        found = called_definition(self.versions, instance, node, element, self.flow.clock)
        if isinstance(found, tuple):
            self.raise_incident(found[0], found[1], instance=instance, element=element)
            return
        self.create_instance(found, child_variables(node, element), caller=(instance, element))

    def throw_to_caller(
        self, instance: ProcessInstanceRecord, error_code: str, variables: Mapping[str, Any] | None
    ) -> bool:
        """A BPMN error left a called instance uncaught: the call activity's events may catch it."""
        parent = self.instances.get(instance.parent_instance_key or 0)
        element = parent.active.get(instance.parent_element_key or 0) if parent else None
        if parent is None or element is None or parent.state != ACTIVE:
            return False
        return self.flow.throw_from(parent, element, error_code, variables)

    def escalate_to_caller(self, instance: ProcessInstanceRecord, thrower: FlowNode) -> bool:
        """An escalation left a called instance uncaught: the call activity's events may catch it."""
        parent = self.instances.get(instance.parent_instance_key or 0)
        element = parent.active.get(instance.parent_element_key or 0) if parent else None
        if parent is None or element is None or parent.state != ACTIVE:
            return True
        return self.flow.escalate_from(parent, element, thrower)

    def _child_completed(self, child: ProcessInstanceRecord) -> None:
        # A called instance completed: its call activity completes with its variables.
        parent = self.instances.get(child.parent_instance_key or 0)
        element = parent.active.get(child.parent_element_key or 0) if parent else None
        if parent is None or element is None or parent.state != ACTIVE:
            return
        element.child_instance_key = None
        node = parent.definition.model.nodes[element.node_id]
        self.flow.complete_task(parent, element, copy_variables(returned_variables(node, child)))

    def _terminate_child(self, element: ElementInstance) -> None:
        # A call activity's element instance ends early: so does the instance it called.
        child = self.instances.get(element.child_instance_key or 0)
        element.child_instance_key = None
        if child is not None and child.state == ACTIVE:
            self._terminate_instance(child)

    def element_terminated(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        """Cancel the job (or user task) of a terminated element instance, resolve its incident."""
        if instance.terminated is None:
            instance.terminated = []
        instance.terminated.append(element.node_id)
        if element.user_task_key is not None:
            record = self.user_tasks.get(element.user_task_key)
            if record is not None and record.state == USER_TASK_CREATED:
                record.state = USER_TASK_CANCELED
        job = self.jobs.get(element.job_key) if element.job_key is not None else None
        if job is not None:
            self.cancel_job(job)
            if job.incident_key is not None and job.incident_key in self.incidents:
                self.resolve_incident_record(self.incidents[job.incident_key])
        if element.incident_key is not None and element.incident_key in self.incidents:
            self.resolve_incident_record(self.incidents[element.incident_key])
        if element.child_instance_key is not None:
            self._terminate_child(element)

    def create_task_job(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        element_key: int,
        job_type: str,
        retries: int,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Create the job of a job-based task (type and retries evaluated by the flow)."""
        task = node.task
        if task is None:
            msg = f"element {node.id!r} has no task definition: it makes no job"
            raise RuntimeError(msg)
        now = self.command_ms()
        definition = instance.definition
        job = JobRecord(
            key=self.next_key(),
            job_type=job_type,
            retries=retries,
            tenant_id=instance.tenant_id,
            custom_headers=dict(task.headers if headers is None else headers),
            created_ms=now,
            updated_ms=now,
            process_instance_key=instance.key,
            process_definition_key=definition.key,
            process_definition_id=definition.process_id,
            process_definition_version=definition.version,
            element_id=node.id,
            element_instance_key=element_key,
        )
        if instance.parent_instance_key is not None:
            job.root_process_instance_key = instance.root_instance_key
        self.add_job(job)
        return job.key

    def raise_element_incident(
        self,
        instance: ProcessInstanceRecord,
        element: ElementInstance,
        error_type: str,
        message: str,
    ) -> None:
        """Raise an incident on an element a token is stuck in."""
        self.raise_incident(error_type, message, instance=instance, element=element)

    def instance_ended(self, instance: ProcessInstanceRecord) -> None:
        """The last token was consumed: the instance is completed (and its call activity)."""
        self.stats.process_instances_completed += 1
        self._close_root_events(instance)
        self.end_instance(instance, COMPLETED)
        if instance.parent_instance_key is not None:
            self._child_completed(instance)
