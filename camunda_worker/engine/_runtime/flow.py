"""Token movement through a process model: tasks, gateways, events and boundary events.

Tokens move synchronously inside one engine command until each waits in a job-based task, is
consumed by an end event (or a node without outgoing flows: an implicit end), waits at a parallel
join, or stops on an incident. Nodes with several outgoing flows outside gateways fork the token
(uncontrolled flow), as in BPMN; several incoming flows into a task merge without waiting.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Protocol

from camunda_worker.engine._model.definitions import JOB_TASK_KINDS, FlowNode, ProcessModel
from camunda_worker.engine._model.feel import FeelEvaluationError
from camunda_worker.engine._runtime.clock import Clock
from camunda_worker.engine._runtime.instances import ElementInstance, ProcessInstanceRecord

__all__ = ["MAX_STEPS", "FlowHooks", "FlowRunner"]

#: Elements one command may pass without a wait state before the engine calls it an endless loop.
MAX_STEPS = 10_000

_NO_FLOW_TAKEN = "Expected at least one condition to evaluate to true, or to have a default flow"

Token = tuple[str, str | None]  # (node id, id of the flow it arrived by)


class FlowHooks(Protocol):
    """What the flow needs from the engine."""

    def next_key(self) -> int:
        """A new unique key."""
        ...

    def create_task_job(
        self, instance: ProcessInstanceRecord, node: FlowNode, element_key: int
    ) -> int:
        """Create the job of a task's element instance; return its key."""
        ...

    def raise_element_incident(
        self,
        instance: ProcessInstanceRecord,
        element: ElementInstance,
        error_type: str,
        message: str,
    ) -> None:
        """Raise an incident on an element instance a token is stuck in."""
        ...

    def instance_ended(self, instance: ProcessInstanceRecord) -> None:
        """Called once when the last token of an active instance is consumed."""
        ...


class FlowRunner:
    """Moves tokens of process instances; the engine supplies keys, jobs and incidents."""

    def __init__(self, hooks: FlowHooks, clock: Clock | None = None) -> None:
        self._hooks = hooks
        self._clock = clock

    def _now(self) -> dt.datetime:
        """The engine clock's time, for FEEL's ``now()`` and ``today()`` (UTC)."""
        millis = self._clock.now_ms() if self._clock is not None else None
        if millis is None:
            return dt.datetime.now(dt.timezone.utc)
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.timezone.utc)

    def start(self, instance: ProcessInstanceRecord) -> None:
        """Place a token on the start event and run it."""
        self._run(instance, [(instance.definition.model.start_node, None)])

    def leave(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        """Complete a task's element instance and move on along its outgoing flows."""
        instance.active.pop(element.key, None)
        model = instance.definition.model
        self._run(instance, self._outgoing(model, model.nodes[element.node_id]))

    def catch_error(
        self, instance: ProcessInstanceRecord, element: ElementInstance, error_code: str
    ) -> bool:
        """Route a BPMN error thrown by a task's job to a matching error boundary event.

        An event with the same error code wins over a catch-all one (no error code).

        Returns:
            Whether an event caught it (the task is then terminated and the token moves on).
        """
        model = instance.definition.model
        catch_all = None
        chosen = None
        for event_id in model.nodes[element.node_id].boundary_events:
            event = model.nodes[event_id]
            if event.error_code is None:
                catch_all = catch_all or event
            elif event.error_code == error_code:
                chosen = event
                break
        chosen = chosen or catch_all
        if chosen is None:
            return False
        instance.active.pop(element.key, None)
        self._run(instance, [(chosen.id, None)])
        return True

    def retry(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        """Run a token stuck on an incident (e.g. a gateway) again after the incident is resolved."""
        instance.active.pop(element.key, None)
        self._run(instance, [(element.node_id, None)])

    @staticmethod
    def _outgoing(model: ProcessModel, node: FlowNode) -> list[Token]:
        return [(model.flows[flow_id].target, flow_id) for flow_id in node.outgoing]

    def _run(self, instance: ProcessInstanceRecord, tokens: list[Token]) -> None:
        model = instance.definition.model
        queue: deque[Token] = deque(tokens)
        steps = 0
        while queue:
            node_id, via = queue.popleft()
            node = model.nodes[node_id]
            steps += 1
            if steps > MAX_STEPS:
                self._stuck(
                    instance,
                    node,
                    "UNKNOWN",
                    f"The engine passed {MAX_STEPS} elements without reaching a wait state "
                    "(an endless loop?)",
                )
            elif node.kind in JOB_TASK_KINDS:
                element = ElementInstance(self._hooks.next_key(), node.id)
                instance.active[element.key] = element
                element.job_key = self._hooks.create_task_job(instance, node, element.key)
            elif node.kind == "exclusiveGateway":
                self._exclusive(instance, model, node, queue)
            elif node.kind == "parallelGateway" and len(node.incoming) > 1 and via is not None:
                self._join(instance, model, node, via, queue)
            elif node.kind != "endEvent":
                queue.extend(self._outgoing(model, node))
        if instance.state == "ACTIVE" and not instance.active and instance.waiting_tokens == 0:
            self._hooks.instance_ended(instance)

    def _stuck(
        self, instance: ProcessInstanceRecord, node: FlowNode, error_type: str, message: str
    ) -> None:
        element = ElementInstance(self._hooks.next_key(), node.id)
        instance.active[element.key] = element
        self._hooks.raise_element_incident(instance, element, error_type, message)

    def _exclusive(
        self,
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        node: FlowNode,
        queue: deque[Token],
    ) -> None:
        for flow_id in node.outgoing:
            condition = model.flows[flow_id].condition
            if flow_id == node.default_flow:
                continue
            if condition is None:
                # The only outgoing flow (validated at deploy time): always taken.
                queue.append((model.flows[flow_id].target, flow_id))
                return
            try:
                taken = condition.check(instance.variables, now=self._now)
            except FeelEvaluationError as exc:
                # Zeebe: a condition that is not a boolean is an EXTRACT_VALUE_ERROR incident,
                # its message listing the evaluation's warnings.
                self._stuck(instance, node, "EXTRACT_VALUE_ERROR", exc.message)
                return
            if taken:
                queue.append((model.flows[flow_id].target, flow_id))
                return
        if node.default_flow is not None:
            queue.append((model.flows[node.default_flow].target, node.default_flow))
        elif node.outgoing:
            self._stuck(instance, node, "CONDITION_ERROR", _NO_FLOW_TAKEN)

    @staticmethod
    def _join(
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        node: FlowNode,
        via: str,
        queue: deque[Token],
    ) -> None:
        arrivals = instance.joins.setdefault(node.id, {})
        arrivals[via] = arrivals.get(via, 0) + 1
        instance.waiting_tokens += 1
        if all(arrivals.get(flow_id, 0) > 0 for flow_id in node.incoming):
            for flow_id in node.incoming:
                arrivals[flow_id] -= 1
            instance.waiting_tokens -= len(node.incoming)
            queue.extend((model.flows[flow_id].target, flow_id) for flow_id in node.outgoing)
