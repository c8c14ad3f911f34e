"""Entering a process in the middle, changing a running one, and what tests read of the flow.

- **Start instructions** (``startInstructions`` of instance creation): the instance starts with
  tokens on the given elements instead of its none start event.
- **Modification** (``POST /process-instances/{key}/modification``): activate elements (a new
  token on each) and terminate the element instances of others. A flow scope left without a
  token is terminated, the process instance included, as Zeebe does.
- **Flows taken**: with :attr:`EngineModification.record_flows` on, every instance started
  afterwards keeps the ids of the sequence flows its tokens took (for coverage reports); off, the
  flow does no work for it.

Activation and start instructions place tokens in the process's own scope: an element inside an
embedded sub-process cannot be entered directly (the engine refuses it, naming the sub-process).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from camunda_worker.engine._model.definitions import ProcessDefinition, ProcessModel
from camunda_worker.engine._runtime.commands import parse_key
from camunda_worker.engine._runtime.errors import invalid_argument, not_found, rejected
from camunda_worker.engine._runtime.flow import SIGNAL_PREFIX
from camunda_worker.engine._runtime.inspection import EngineInspection
from camunda_worker.engine._runtime.instances import (
    ACTIVE,
    TERMINATED,
    ElementInstance,
    ProcessInstanceRecord,
)
from camunda_worker.engine._runtime.lines import created_instance
from camunda_worker.engine._runtime.state import copy_variables

__all__ = ["EngineModification", "MessageSubscriptionView"]


@attrs.frozen
class MessageSubscriptionView:
    """A snapshot of an open message subscription: an element waiting for a message.

    Attributes:
        key: the subscription key.
        message_name: the message name.
        correlation_key: the correlation key.
        process_instance_key: its process instance.
        process_definition_id: the BPMN process id.
        element_id: the waiting element (catch event, receive task, boundary event).
        tenant_id: the tenant.
    """

    key: str
    message_name: str
    correlation_key: str
    process_instance_key: str
    process_definition_id: str
    element_id: str
    tenant_id: str


_NOT_ENTERABLE = frozenset({"boundaryEvent", "startEvent"})


def _check_elements(model: ProcessModel, element_ids: Sequence[str], command: str) -> None:
    problems = []
    for element_id in element_ids:
        node = model.nodes.get(element_id)
        if node is None:
            problems.append(
                f"Expected to find element with id '{element_id}' in process "
                f"'{model.process_id}', but none found"
            )
        elif node.scope is not None:
            problems.append(
                f"Expected element '{element_id}' to be in the process's own scope, but it is "
                f"inside the sub-process '{node.scope}' (the engine enters only elements of "
                "the process's scope)"
            )
        elif node.kind in _NOT_ENTERABLE and command == "MODIFY":
            problems.append(f"Expected to activate element '{element_id}', but it is a {node.kind}")
        elif node.kind == "boundaryEvent":
            problems.append(
                f"Expected to start at element '{element_id}', but it is a boundaryEvent"
            )
    if problems:
        raise rejected(command, "INVALID_ARGUMENT", "; ".join(problems))


class EngineModification(EngineInspection):
    """Start instructions, process instance modification, recorded flows, the next timer."""

    #: The resource of each definition deployed while recording, by definition key.
    _resources: dict[str, tuple[str, bytes | str]] | None = None

    @property
    def record_flows(self) -> bool:
        """Whether instances started from now on record the sequence flows they take.

        Off by default (the flow then does no work for it); the coverage of the pytest plugin
        turns it on. Read them with :meth:`taken_flows`. With it on, deployed resources are
        also kept (:meth:`deployed_resources`), to draw the processes.
        """
        return self._machine.flow.record_flows

    @record_flows.setter
    def record_flows(self, value: bool) -> None:
        with self._lock:
            self._machine.flow.record_flows = bool(value)
            if value and self._resources is None:
                self._resources = {}

    def deploy(
        self, resources: Sequence[tuple[str, bytes | str]], *, tenant_id: str | None = None
    ) -> dict[str, Any]:
        """Deploy BPMN resources (``(name, xml)`` pairs); returns the ``DeploymentResult``.

        Raises:
            EngineError: 400 ``INVALID_ARGUMENT`` naming every offending element (id and type)
                when a resource is malformed or uses BPMN outside the supported subset.
        """
        result = super().deploy(resources, tenant_id=tenant_id)
        if self._resources is None:
            return result
        by_name = dict(resources)
        with self._lock:
            kept = self._resources
            for deployment in result.get("deployments", ()):
                definition = deployment.get("processDefinition")
                if definition and definition.get("resourceName") in by_name:
                    name = definition["resourceName"]
                    kept[str(definition["processDefinitionKey"])] = (name, by_name[name])
        return result

    def deployed_resources(self) -> dict[str, tuple[str, bytes | str]]:
        """The resource each process definition came from, by definition key, while recording.

        Only deployments made while :attr:`record_flows` was on are kept.
        """
        with self._lock:
            return dict(self._resources or {})

    def process_model(self, process_definition_key: str) -> ProcessModel:
        """The parsed model of a deployed process definition (immutable): nodes, flows, names.

        Raises:
            EngineError: 404 for an unknown definition key.
        """
        key = parse_key("processDefinitionKey", process_definition_key)
        with self._lock:
            definition = self._machine.definitions.get(key)
        if definition is None:
            raise not_found(f"Process definition with key '{key}' not found")
        return definition.model

    def process_model_of(
        self, process_definition_id: str, *, version: int = -1, tenant_id: str | None = None
    ) -> ProcessModel:
        """The parsed model of a process by id: its latest version, or the one given.

        Raises:
            EngineError: 404 for an unknown process or version.
        """
        with self._lock:
            definition = self._machine.find_definition(
                process_definition_id, None, version, tenant_id
            )
        return definition.model

    def taken_flows(self, process_instance_key: str) -> tuple[str, ...]:
        """Ids of the sequence flows the instance's tokens took, in order (see :attr:`record_flows`).

        Empty when the instance was started while flows were not recorded.

        Raises:
            EngineError: 404 for an unknown (or dropped) process instance.
        """
        key = parse_key("processInstanceKey", process_instance_key)
        with self._lock:
            instance = self._machine.instances.get(key)
            if instance is None:
                raise not_found(f"Process instance with key '{key}' not found")
            flows = instance.flows or []
            model_flows = instance.definition.model.flows
            return tuple(flow for flow in flows if flow in model_flows)

    def message_subscriptions(
        self, *, process_instance_key: str | None = None
    ) -> list[MessageSubscriptionView]:
        """The open message subscriptions (of one process instance, or all), by key."""
        with self._lock:
            self._tick()
            return [
                MessageSubscriptionView(
                    key=str(sub.key),
                    message_name=sub.name,
                    correlation_key=sub.correlation_key,
                    process_instance_key=str(sub.process_instance_key),
                    process_definition_id=sub.process_id,
                    element_id=sub.node_id,
                    tenant_id=sub.tenant_id,
                )
                for sub in sorted(self._machine.messages.subscriptions(), key=lambda s: s.key)
                if not sub.name.startswith(SIGNAL_PREFIX)
                and (
                    process_instance_key is None
                    or str(sub.process_instance_key) == str(process_instance_key)
                )
            ]

    def activation_counts(
        self, *, job_type: str | None = None, process_instance_key: str | None = None
    ) -> dict[str, int]:
        """How many times each job (by key) was activated, of one type and/or one instance."""
        with self._lock:
            self._tick()
            return {
                str(job.key): job.activation
                for job in sorted(self._machine.jobs.values(), key=lambda job: job.key)
                if (job_type is None or job.job_type == job_type)
                and (
                    process_instance_key is None
                    or str(job.process_instance_key) == str(process_instance_key)
                )
            }

    def next_timer_due_ms(self) -> int | None:
        """When the engine's next timer is due (a timer event, a job deadline or back-off).

        ``None`` when no timer is armed. A test that moves a manual clock step by step to each
        due time sees timers fire in order, each at its own time.
        """
        with self._lock:
            return self._machine.next_due_ms()

    def create_process_instance(
        self,
        *,
        process_definition_id: str | None = None,
        process_definition_key: str | None = None,
        version: int = -1,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        start_instructions: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Start a process instance by id (latest or given version) or by definition key.

        Args:
            process_definition_id: the BPMN process id.
            process_definition_key: or the definition's key.
            version: the version of the id (``-1``: the latest).
            variables: the instance's variables.
            tenant_id: the tenant.
            start_instructions: ids of elements to start at instead of the none start event
                (``startInstructions``), each getting a token; elements of the process's own
                scope.

        Returns:
            The ``CreateProcessInstanceResult``.

        Raises:
            EngineError: 404 for an unknown process (version, key); 400 when neither or both
                of id and key are given, or an element cannot be started at.
        """
        if not start_instructions:
            return super().create_process_instance(
                process_definition_id=process_definition_id,
                process_definition_key=process_definition_key,
                version=version,
                variables=variables,
                tenant_id=tenant_id,
            )
        if (process_definition_id is None) == (process_definition_key is None):
            raise invalid_argument(
                "Exactly one of [processDefinitionId, processDefinitionKey] is required"
            )
        definition_key = (
            parse_key("processDefinitionKey", process_definition_key)
            if process_definition_key is not None
            else None
        )
        elements = list(start_instructions)
        with self._lock:
            self._tick()
            machine = self._machine
            definition = machine.find_definition(
                process_definition_id, definition_key, version, tenant_id
            )
            _check_elements(definition.model, elements, "CREATE")
            instance = machine.create_instance(definition, variables, elements[0])
            for element_id in elements[1:]:
                if instance.state != ACTIVE:
                    break
                machine.flow.start(instance, element_id)
            result = created_instance(machine.line, instance, copy_variables(variables))
            self._serve_waiters()
            return result

    def modify_process_instance(
        self,
        process_instance_key: str,
        *,
        activate: Sequence[str] = (),
        terminate: Sequence[str] = (),
    ) -> None:
        """Modify a running process instance: terminate element instances, activate elements.

        Terminations come first (every active instance of each element id, with what runs
        inside it), then each activation places a new token on its element. A flow scope left
        without a token is terminated; so is the process instance when none is left.

        Args:
            process_instance_key: the instance.
            activate: ids of elements of the process's scope to put a token on.
            terminate: ids of elements whose active instances are terminated.

        Raises:
            EngineError: 404 when the instance is not active; 400 for an unknown element, one
                that cannot be activated, or one with no active instance to terminate.
        """
        key = parse_key("processInstanceKey", process_instance_key)
        with self._lock:
            self._tick()
            machine = self._machine
            instance = machine.instance_for(key, "MODIFY", "modify")
            definition: ProcessDefinition = instance.definition
            _check_elements(definition.model, list(activate), "MODIFY")
            doomed = [
                element
                for element_id in terminate
                for element in self._active_of(instance, element_id)
            ]
            for element in doomed:
                self._terminate_element(instance, element)
            for element_id in activate:
                if instance.state != ACTIVE:
                    break
                machine.flow.start(instance, element_id)
            if instance.state == ACTIVE and instance.root.live <= 0 and not instance.joins:
                machine.end_instance(instance, TERMINATED)
            self._serve_waiters()

    @staticmethod
    def _active_of(instance: ProcessInstanceRecord, element_id: str) -> list[ElementInstance]:
        found = [e for e in instance.active.values() if e.node_id == element_id]
        if not found:
            reason = (
                f"Expected to terminate an active instance of element '{element_id}' in process "
                f"instance '{instance.key}', but there is none"
            )
            raise rejected("MODIFY", "INVALID_ARGUMENT", reason)
        return found

    def _terminate_element(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        # The element instance and everything inside it; then its flow scope if left empty.
        machine = self._machine
        if element.key not in instance.active:
            return  # inside one terminated before
        inside = [
            other
            for other in list(instance.active.values())
            if other is not element and _within(other, element)
        ]
        for other in [*inside, element]:
            if other.waits:
                machine.element_timers.cancel_element(other.key)
                machine.messages.close_element(other.key)
            machine.element_terminated(instance, other)
            instance.active.pop(other.key, None)
        for join in [
            join for join in instance.joins if join[0] in {e.key for e in inside} | {element.key}
        ]:
            del instance.joins[join]
        scope = element.parent or instance.root
        scope.live -= 1
        if (
            scope is not instance.root
            and scope.live <= 0
            and not any(join[0] == scope.key for join in instance.joins)
        ):
            self._terminate_element(instance, scope)


def _within(element: ElementInstance, ancestor: ElementInstance) -> bool:
    current: ElementInstance | None = element.parent
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False
