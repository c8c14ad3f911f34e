"""Token movement through a process model: tasks, sub-processes, gateways, events, boundaries.

Tokens move synchronously inside one engine command until each waits in a job-based task, is
consumed by an end event (or a node without outgoing flows: an implicit end), waits at a parallel
join, or stops on an incident. Nodes with several outgoing flows outside gateways fork the token
(uncontrolled flow), as in BPMN; several incoming flows into a task merge without waiting.

Every token runs in a scope: the process instance (the root) or an embedded sub-process's
element instance. A scope completes when it has no token left (no child element instance, no
token waiting at one of its joins, none queued): a sub-process then applies its output mappings
and leaves along its outgoing flows, the root ends the process instance. Variables follow
:mod:`.scopes`.

A scope with event sub-processes opens their message, timer and signal start events with it
(on the scope's element instance) and catches errors and escalations thrown inside it before
its boundary events do; an interrupting one terminates the rest of the scope. A joining
inclusive gateway waits while :func:`~camunda_worker.engine._model.paths.can_reach` finds a
token of its scope that can still arrive.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from camunda_worker.engine._model.conditions import feel_type_name
from camunda_worker.engine._model.definitions import (
    JOB_TASK_KINDS,
    ROUTE_END,
    ROUTE_JOB,
    ROUTE_THROUGH,
    FlowNode,
    ProcessModel,
    UserTaskDefinition,
)
from camunda_worker.engine._model.event_subprocesses import catching_start, event_sub_processes_of
from camunda_worker.engine._model.feel import FeelEvaluationError, Now
from camunda_worker.engine._model.paths import can_reach
from camunda_worker.engine._model.timers import TimerValueError
from camunda_worker.engine._runtime.element_timers import ElementTimer, ElementTimers, resolve_timer
from camunda_worker.engine._runtime.instances import ElementInstance, ProcessInstanceRecord
from camunda_worker.engine._runtime.messages import MessageState, MessageSubscription
from camunda_worker.engine._runtime.multi_instance import (
    activate_body,
    give_back,
    inner_completed,
    is_inner,
    loop_locals,
    resume,
)
from camunda_worker.engine._runtime.scopes import (
    evaluate_inputs,
    evaluate_outputs,
    propagate,
    set_local,
    visible,
)
from camunda_worker.engine._runtime.thrown_codes import thrower_with_code

__all__ = ["MAX_STEPS", "SIGNAL_PREFIX", "FlowHooks", "FlowRunner"]

#: Elements one command may pass without a wait state before the engine calls it an endless loop.
MAX_STEPS = 10_000

_NO_FLOW_TAKEN = "Expected at least one condition to evaluate to true, or to have a default flow"

# (node id, id of the flow it arrived by, the scope it runs in, variables of the event, if any)
Token = tuple[str, str | None, ElementInstance, Mapping[str, Any] | None]


class FlowHooks(Protocol):
    """What the flow needs from the engine."""

    def next_key(self) -> int:
        """A new unique key."""
        ...

    def now(self) -> int:
        """The engine clock's time in epoch milliseconds."""
        ...

    def create_task_job(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        element_key: int,
        job_type: str,
        retries: int,
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Create the job of a task's element instance; return its key."""
        ...

    def create_user_task(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        element: ElementInstance,
        assignment: Mapping[str, Any],
    ) -> int:
        """Create the Camunda user task of a user task's element instance; return its key."""
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

    def element_terminated(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        """An element instance was terminated: cancel its job, resolve its incident."""
        ...

    def broadcast_signal(self, tenant_id: str, name: str, variables: dict[str, Any]) -> None:
        """Broadcast a signal a throw event or end event sent."""
        ...

    def instance_ended(self, instance: ProcessInstanceRecord) -> None:
        """Called once when the last token of an active instance is consumed."""
        ...

    def call_process(
        self, instance: ProcessInstanceRecord, node: FlowNode, element: ElementInstance
    ) -> None:
        """Start the process a call activity's element instance calls (or raise an incident)."""
        ...

    def throw_to_caller(
        self, instance: ProcessInstanceRecord, error_code: str, variables: Mapping[str, Any] | None
    ) -> bool:
        """Hand a BPMN error no event of a called instance caught to its call activity."""
        ...

    def escalate_to_caller(self, instance: ProcessInstanceRecord, thrower: FlowNode) -> bool:
        """Hand an escalation no event of a called instance caught to its call activity.

        Returns:
            Whether the throwing token goes on.
        """
        ...


def _within(element: ElementInstance, ancestor: ElementInstance) -> bool:
    current: ElementInstance | None = element
    while current is not None:
        if current is ancestor:
            return True
        current = current.parent
    return False


class FlowRunner:
    """Moves tokens of process instances; the engine supplies keys, jobs and incidents."""

    def __init__(self, hooks: FlowHooks, timers: ElementTimers, messages: MessageState) -> None:
        self._hooks = hooks
        self._timers = timers
        self._messages = messages
        # Buffered messages that new subscriptions took, correlated once the tokens rest.
        self._pending: list[tuple[ProcessInstanceRecord, MessageSubscription, dict[str, Any]]] = []
        # Signals thrown by events, broadcast once the tokens rest.
        self._signals: list[tuple[str, str]] = []
        self._tenant = ""
        self._instance: ProcessInstanceRecord | None = None
        # The element instance the current token created, for an expression that fails after.
        self._entered: ElementInstance | None = None
        # Call activities entered, whose processes start once the tokens rest; ``_calling``
        # while they start (a child's own calls then wait for the same loop: no recursion).
        self._calls: list[tuple[ProcessInstanceRecord, FlowNode, ElementInstance]] = []
        self._calling = False
        # Instances whose start waits on an incident of their event sub-processes' start
        # events (a correlation key that failed...): the start event to run once resolved.
        self._blocked_starts: dict[int, str] = {}
        #: Whether instances started from now on record the sequence flows they take.
        self.record_flows = False

    def correlate(
        self,
        instance: ProcessInstanceRecord,
        subscription: MessageSubscription,
        variables: dict[str, Any],
    ) -> bool:
        """Hand a message to a subscription: its catch event completes, or its boundary fires.

        Returns:
            Whether the subscription's element instance was still there to take it.
        """
        node = instance.definition.model.nodes[subscription.node_id]
        if node.kind == "startEvent":
            return self._event_triggered(instance, subscription.element_key, node, variables)
        element = instance.active.get(subscription.element_key)
        if element is None:
            return False
        if element.node_id != node.id and node.kind != "boundaryEvent":
            self._gateway_triggered(instance, element, node, variables)
            return True
        if node.kind != "boundaryEvent":
            self.complete_task(instance, element, variables)
            return True
        queue: deque[Token] = deque()
        if node.interrupting:
            self._terminate(instance, element, queue)
        queue.append((node.id, None, element.parent or instance.root, variables))
        self._run_queue(instance, queue, [])
        return True

    def _now(self) -> dt.datetime:
        """The engine clock's time, for FEEL's ``now()`` and ``today()`` (UTC)."""
        return dt.datetime.fromtimestamp(self._hooks.now() / 1000, tz=dt.timezone.utc)

    def start(self, instance: ProcessInstanceRecord, start_node: str) -> None:
        """Open the process's event sub-processes, place a token on a start event and run it."""
        if self.record_flows and instance.flows is None:
            instance.flows = []
        model = instance.definition.model
        if model.event_sub_processes:
            starts = [
                model.nodes[model.nodes[esp].start_node or ""] for esp in model.event_sub_processes
            ]
            if not self._open_events(instance, instance.root, starts):
                self._blocked_starts[instance.key] = start_node
                return
        self._run_queue(instance, deque(((start_node, None, instance.root, None),)), [])

    def retry_start(self, instance: ProcessInstanceRecord) -> None:
        """Start an instance again whose event sub-processes could not be opened (resolved)."""
        start_node = self._blocked_starts.pop(instance.key, None)
        if start_node is not None:
            self.start(instance, start_node)

    def forget(self, instance: ProcessInstanceRecord) -> None:
        """An instance was cancelled: nothing of it is kept here."""
        self._blocked_starts.pop(instance.key, None)

    def _open_events(
        self, instance: ProcessInstanceRecord, element: ElementInstance, events: list[FlowNode]
    ) -> bool:
        # Arm the timers and open the subscriptions of events waiting on an element instance
        # (its own, its boundary events', its event sub-processes' start events).
        element.waits = True
        timed = [event for event in events if event.timer is not None]
        if timed and not self._arm(instance, element, timed):
            return False
        waiting = [event for event in events if event.message is not None]
        return not waiting or self._subscribe(instance, element, waiting)

    def _event_triggered(
        self,
        instance: ProcessInstanceRecord,
        scope_key: int,
        start: FlowNode,
        variables: Mapping[str, Any],
    ) -> bool:
        # The message, timer or signal of an event sub-process's start event arrived.
        scope = instance.root if scope_key == instance.key else instance.active.get(scope_key)
        if scope is None or scope.interrupted:
            return False
        queue: deque[Token] = deque()
        self._start_event_sub_process(instance, scope, start, variables, queue)
        self._run_queue(instance, queue, [])
        return True

    def _start_event_sub_process(
        self,
        instance: ProcessInstanceRecord,
        scope: ElementInstance,
        start: FlowNode,
        variables: Mapping[str, Any] | None,
        queue: deque[Token],
    ) -> None:
        # Zeebe: an interrupting start event terminates everything else in the scope (other
        # event sub-processes included) and closes the scope's event sub-processes; a
        # non-interrupting one runs beside. The event's variables are the start event's.
        model = instance.definition.model
        esp = model.nodes[start.scope or ""]
        if start.interrupting:
            scope.interrupted = True
            ids = [
                model.nodes[esp_id].start_node or ""
                for esp_id in event_sub_processes_of(model, esp.scope)
            ]
            self._timers.cancel_nodes(scope.key, ids)
            self._messages.close_nodes(scope.key, ids)
            self._terminate_inside(instance, scope, queue)
        element = ElementInstance(self._hooks.next_key(), esp.id, parent=scope)
        if esp.inputs:
            set_local(element, evaluate_inputs(esp.inputs, scope, self._now))
        instance.active[element.key] = element
        scope.live += 1
        instance.path.append(esp.id)
        if esp.event_sub_processes:
            starts = [
                model.nodes[model.nodes[inner].start_node or ""]
                for inner in esp.event_sub_processes
            ]
            if not self._open_events(instance, element, starts):
                return
        queue.append((start.id, None, element, dict(variables or {})))

    def fire_timer(self, instance: ProcessInstanceRecord, timer: ElementTimer) -> None:
        """A timer of a catch event or boundary event is due: move its token on.

        A cycle of a non-interrupting boundary event is armed again (one interval later) while
        it has repetitions left and the activity is still active.
        """
        node = instance.definition.model.nodes[timer.node_id]
        if node.kind == "startEvent":
            if not node.interrupting:
                self._rearm(timer)
            self._event_triggered(instance, timer.element_key, node, {})
            return
        element = instance.active.get(timer.element_key)
        if element is None:
            return
        if element.node_id != node.id and node.kind != "boundaryEvent":
            self._gateway_triggered(instance, element, node, {})
            return
        if node.kind != "boundaryEvent":
            self.complete_task(instance, element, {})
            return
        queue: deque[Token] = deque()
        if node.interrupting:
            self._terminate(instance, element, queue)
        else:
            self._rearm(timer)
        queue.append((node.id, None, element.parent or instance.root, None))
        self._run_queue(instance, queue, [])

    def _rearm(self, timer: ElementTimer) -> None:
        # A cycle fires again one interval later while it has repetitions left.
        if timer.interval is not None and timer.repetitions != 0:
            repetitions = None if timer.repetitions is None else timer.repetitions - 1
            self._timers.schedule(
                attrs.evolve(
                    timer,
                    key=self._hooks.next_key(),
                    due_ms=timer.interval.after(timer.due_ms),
                    repetitions=repetitions,
                )
            )

    def complete_task(
        self,
        instance: ProcessInstanceRecord,
        element: ElementInstance,
        variables: Mapping[str, Any],
    ) -> None:
        """Complete a task's element instance with its job's variables and move on.

        With output mappings the job's variables become the task's local variables and only
        the mappings' results reach the flow scope; without, they are propagated from the task.
        """
        node = instance.definition.model.nodes[element.node_id]
        if not node.outputs:
            propagate(element, variables)
            self._leave(instance, element, node)
            return
        try:
            self._apply_completion(node, element, variables, self._now)
        except FeelEvaluationError as exc:
            # An output mapping failed: the element stays, on an IO_MAPPING_ERROR incident.
            self._hooks.raise_element_incident(instance, element, "IO_MAPPING_ERROR", exc.message)
            return
        self._leave(instance, element, node)

    @staticmethod
    def _apply_completion(
        node: FlowNode,
        element: ElementInstance,
        variables: Mapping[str, Any],
        now: Now = None,
    ) -> None:
        if node.outputs:
            set_local(element, variables)
            # Zeebe: an inner instance of a multi-instance body writes its outputs from its own
            # scope (where its output element lives), any other element from its flow scope.
            target = element if element.loop_counter else element.parent
            if target is not None:
                propagate(target, evaluate_outputs(node.outputs, element, now))
        else:
            propagate(element, variables)

    def _leave(
        self, instance: ProcessInstanceRecord, element: ElementInstance, node: FlowNode
    ) -> None:
        if element.waits:
            self._timers.cancel_element(element.key)
            self._messages.close_element(element.key)
        instance.active.pop(element.key, None)
        scope = element.parent or instance.root
        scope.live -= 1
        if scope.body is not None:  # an inner instance of a multi-instance body, maybe
            queue: deque[Token] = deque()
            ended: list[ElementInstance] = []
            self._next(instance, node, scope, element, queue, ended)
            self._run_queue(instance, queue, ended)
        elif node.outgoing:
            self._run(instance, self._outgoing(instance.definition.model, node, scope))
        else:
            self._run(instance, [], [scope])

    def catch_error(
        self,
        instance: ProcessInstanceRecord,
        element: ElementInstance,
        error_code: str,
        variables: Mapping[str, Any] | None = None,
    ) -> bool:
        """Route a BPMN error thrown by a task's job to the nearest matching error boundary event.

        The task's own boundary events come first, then those of the sub-processes around it,
        innermost first; on each, an event with the same error code wins over a catch-all one.
        The error's variables become the catch event's local variables.

        Returns:
            Whether an event caught it (the activity it is attached to is then terminated, with
            everything inside it, and the token moves on from the event).
        """
        queue: deque[Token] = deque()
        element.job_key = None  # the caller ends the job that threw
        if not self._throw(instance, element, error_code, variables, queue):
            return False
        self._run_queue(instance, queue, [])
        return True

    def _gateway_triggered(
        self,
        instance: ProcessInstanceRecord,
        gateway: ElementInstance,
        event: FlowNode,
        variables: Mapping[str, Any],
    ) -> None:
        # An event-based gateway's first event: the gateway completes (closing the other
        # events' timers and subscriptions) and the token passes the event that happened.
        self._drop(instance, gateway)
        scope = gateway.parent or instance.root
        scope.live -= 1
        via = event.incoming[0] if event.incoming else _TRIGGERED  # the gateway's flow
        self._run(instance, [(event.id, via, scope, dict(variables))])

    def retry(self, instance: ProcessInstanceRecord, element: ElementInstance) -> None:
        """Run a token stuck on an incident (e.g. a gateway) again after the incident is resolved."""
        if element.body is not None:  # a multi-instance body's output or completion condition
            queue: deque[Token] = deque()
            ended: list[ElementInstance] = []
            node = instance.definition.model.nodes[element.node_id]
            resume(self, instance, node, element, queue, ended)
            self._run_queue(instance, queue, ended)
            return
        self._drop(instance, element)
        scope = element.parent or instance.root
        scope.live -= 1
        if element.loop_counter:
            give_back(scope, element)  # the inner instance entered again keeps its item
        self._run(instance, [(element.node_id, None, scope, None)])

    # What multi-instance bodies use (``multi_instance.LoopFlow``).

    @property
    def clock(self) -> Now:
        """The clock of FEEL's ``now()`` and ``today()``."""
        return self._now

    def enter_body(
        self, instance: ProcessInstanceRecord, node: FlowNode, scope: ElementInstance
    ) -> ElementInstance | None:
        """Create a multi-instance body's element instance, with its boundary events."""
        return self._enter(instance, node, scope, body=True)

    def stuck(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        error_type: str,
        message: str,
    ) -> None:
        """Stop a token on an incident at ``node`` in ``scope``."""
        self._stuck(instance, node, scope, error_type, message)

    def raise_incident(
        self, instance: ProcessInstanceRecord, element: ElementInstance, kind: str, message: str
    ) -> None:
        """Raise an incident on an active element instance."""
        self._hooks.raise_element_incident(instance, element, kind, message)

    def drop(self, instance: ProcessInstanceRecord, element: ElementInstance) -> bool:
        """End an element instance (its timers and subscriptions closed)."""
        return self._drop(instance, element)

    def terminate_inside(
        self, instance: ProcessInstanceRecord, scope: ElementInstance, queue: deque[Token]
    ) -> None:
        """Terminate every element instance inside a scope, and its queued tokens."""
        self._terminate_inside(instance, scope, queue)

    def follow(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        """Leave ``node`` along its outgoing flows in ``scope`` (no flow: a token ends there)."""
        if node.outgoing:
            queue.extend(self._outgoing(instance.definition.model, node, scope))
        else:
            ended.append(scope)

    def _next(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        element: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        # An activity's element instance completed: on to its outgoing flows, or, for an inner
        # instance of a multi-instance body, back to the body.
        if scope.body is not None and scope.node_id == node.id:
            inner_completed(self, instance, node, scope, element, queue, ended)
        elif node.outgoing:
            queue.extend(self._outgoing(instance.definition.model, node, scope))
        else:
            ended.append(scope)

    def _pass_inner(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        body: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        # An inner instance of a multi-instance undefined or manual task: it passes at once.
        element = ElementInstance(self._hooks.next_key(), node.id, parent=body)
        set_local(element, loop_locals(node, body, element))
        if node.inputs:
            try:
                set_local(element, evaluate_inputs(node.inputs, element, self._now))
            except FeelEvaluationError:
                give_back(body, element)
                raise
        if node.outputs:
            propagate(element, evaluate_outputs(node.outputs, element, self._now))
        inner_completed(self, instance, node, body, element, queue, ended)

    @staticmethod
    def _outgoing(model: ProcessModel, node: FlowNode, scope: ElementInstance) -> list[Token]:
        return [(model.flows[flow_id].target, flow_id, scope, None) for flow_id in node.outgoing]

    def _run(
        self,
        instance: ProcessInstanceRecord,
        tokens: list[Token],
        ended: list[ElementInstance] | None = None,
    ) -> None:
        self._drain(instance, deque(tokens), ended or [])
        if self._pending or self._signals or self._calls:
            self._correlate_pending()

    def _run_queue(
        self, instance: ProcessInstanceRecord, queue: deque[Token], ended: list[ElementInstance]
    ) -> None:
        self._drain(instance, queue, ended)
        if self._pending or self._signals or self._calls:
            self._correlate_pending()

    def _correlate_pending(self) -> None:
        if self._calls and not self._calling:
            self._calling = True
            try:
                while self._calls:
                    caller, node, element = self._calls.pop(0)
                    if caller.state == "ACTIVE" and caller.active.get(element.key) is element:
                        self._hooks.call_process(caller, node, element)
            finally:
                self._calling = False
        while self._signals:
            tenant_id, name = self._signals.pop(0)
            self._hooks.broadcast_signal(tenant_id, name, {})
        while self._pending:
            waiting, subscription, variables = self._pending.pop(0)
            if waiting.state == "ACTIVE":
                self.correlate(waiting, subscription, variables)

    def _drain(
        self, instance: ProcessInstanceRecord, queue: deque[Token], ended: list[ElementInstance]
    ) -> None:
        # ``ended``: scopes a token was consumed in; each completes once it has no token left.
        model = instance.definition.model
        path = instance.path
        flows = instance.flows  # None unless the engine records them: nothing on the hot path
        steps = 0
        while True:
            while queue:
                token = queue.popleft()
                path.append(token[0])
                if flows is not None and token[1] is not None:
                    flows.append(token[1])
                steps += 1
                if steps > MAX_STEPS:
                    self._stuck(
                        instance,
                        model.nodes[token[0]],
                        token[2],
                        "UNKNOWN",
                        f"The engine passed {MAX_STEPS} elements without reaching a wait state "
                        "(an endless loop?)",
                    )
                else:
                    try:
                        self._entered = None
                        self._tenant = instance.tenant_id
                        self._instance = instance
                        self._step(instance, model, token, queue, ended)
                    except FeelEvaluationError as exc:
                        self._failed(instance, model.nodes[token[0]], token[2], exc)
            if not ended:
                return
            scope = ended.pop()
            if scope.live == 0:
                self._complete_scope(instance, model, scope, queue, ended)

    def _step(  # noqa: PLR0912 - one branch per kind of element
        self,
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        token: Token,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        node_id, via, scope, event_variables = token
        node = model.nodes[node_id]
        # The common elements first, by the route worked out when the model was built.
        route = node.route
        if route == ROUTE_THROUGH and not event_variables:
            for flow_id in node.outgoing:
                queue.append((model.flows[flow_id].target, flow_id, scope, None))
            return
        if route == ROUTE_END:
            ended.append(scope)
            return
        task = node.task
        if route == ROUTE_JOB and task is not None:
            # What _enter does for an element without mappings and nothing to open.
            waiting = ElementInstance(self._hooks.next_key(), node_id, parent=scope)
            instance.active[waiting.key] = waiting
            scope.live += 1
            self._entered = waiting
            waiting.job_key = self._hooks.create_task_job(
                instance, node, waiting.key, task.job_type, task.retries
            )
            return
        kind = node.kind
        if node.loop is not None and not is_inner(node_id, scope):
            activate_body(self, instance, node, scope, queue, ended)
            return
        if kind in JOB_TASK_KINDS and task is not None and task.type_expression is None:
            element = self._enter(instance, node, scope)
            if element is not None and task.retries_expression is None:
                element.job_key = self._hooks.create_task_job(
                    instance, node, element.key, task.job_type, task.retries
                )
            elif element is not None:
                self._create_job(instance, node, element)
        elif node.script is not None:
            self._script(instance, model, node, scope, queue, ended)
        elif kind in _ACTIVITIES or task is not None:
            self._activity(instance, node, scope, queue)
        elif kind == "intermediateCatchEvent" and _triggered(model, node, via):
            self._pass(model, node, scope, event_variables or {}, queue, ended)
        elif kind in _WAITING and node.link is None:
            self._enter(instance, node, scope)
        elif kind in ("exclusiveGateway", "inclusiveGateway"):
            self._exclusive(instance, model, node, scope, queue, via)
        elif kind == "parallelGateway" and len(node.incoming) > 1 and via is not None:
            self._join(instance, model, node, via, scope, queue)
        elif kind == "endEvent" and node.event is None and not node.inputs and not node.outputs:
            ended.append(scope)
        elif kind == "endEvent":
            self._end_event(instance, node, scope, queue, ended)
        else:
            self._pass(model, node, scope, event_variables, queue, ended)

    def _activity(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
    ) -> None:
        # Tasks that wait for a job or a person, and sub-processes.
        element = self._enter(instance, node, scope)
        if element is None:
            return
        if node.kind == "subProcess":
            queue.append((node.start_node or "", None, element, None))
        elif node.kind == "callActivity":
            self._calls.append((instance, node, element))
        elif node.kind == "userTask":
            self._create_user_task(instance, node, element)
        elif node.task is not None:
            self._create_job(instance, node, element)

    def _pass(
        self,
        model: ProcessModel,
        node: FlowNode,
        scope: ElementInstance,
        event_variables: Mapping[str, Any] | None,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        # Elements without a wait state: events, undefined tasks, forks, link throws.
        if scope.body is not None and scope.node_id == node.id and self._instance is not None:
            self._pass_inner(self._instance, node, scope, queue, ended)
            return
        if node.inputs or node.outputs or event_variables:
            self._pass_with_variables(node, scope, event_variables)
        if node.event == "signal" and node.kind == "intermediateThrowEvent":
            self._throw_signal(node, scope)
        if node.event == "escalation" and node.kind == "intermediateThrowEvent":
            instance = self._instance
            thrower = thrower_with_code(node, scope, self._now)
            if isinstance(thrower, str):  # the code's expression failed
                if instance is not None:
                    self._stuck(instance, node, scope, "EXTRACT_VALUE_ERROR", thrower)
                return
            if instance is not None and not self._escalate(instance, thrower, scope, queue):
                return  # an interrupting boundary event took the token
        if node.link_target is not None:
            queue.append((node.link_target, None, scope, None))
        elif node.outgoing:
            queue.extend(self._outgoing(model, node, scope))
        else:
            ended.append(scope)

    def _create_job(
        self, instance: ProcessInstanceRecord, node: FlowNode, element: ElementInstance
    ) -> None:
        task = node.task
        if task is None:
            return
        job_type, retries = task.job_type, task.retries
        if task.type_expression is not None or task.retries_expression is not None:
            variables = visible(element)
            problem = None
            if task.type_expression is not None:
                value = task.type_expression.evaluate(variables, now=self._now)
                if isinstance(value, str) and value.strip():
                    job_type = value
                else:
                    problem = _expected(task.type_expression.text, "STRING", value)
            if problem is None and task.retries_expression is not None:
                value = task.retries_expression.evaluate(variables, now=self._now)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    retries = int(value)
                else:
                    problem = _expected(task.retries_expression.text, "NUMBER", value)
            if problem is not None:
                self._hooks.raise_element_incident(
                    instance, element, "EXTRACT_VALUE_ERROR", problem
                )
                return
        element.job_key = self._hooks.create_task_job(
            instance, node, element.key, job_type, retries
        )

    def _create_user_task(
        self, instance: ProcessInstanceRecord, node: FlowNode, element: ElementInstance
    ) -> None:
        user_task = node.user_task
        if user_task is None or node.task is None:
            return
        assignment = _assignment(user_task, visible(element))
        if isinstance(assignment, str):
            self._hooks.raise_element_incident(instance, element, "EXTRACT_VALUE_ERROR", assignment)
            return
        if user_task.camunda:
            element.user_task_key = self._hooks.create_user_task(
                instance, node, element, assignment
            )
            return
        headers = dict(node.task.headers)
        for name, value in assignment.items():
            if value is None or value == () or name == "priority":
                continue
            header = "formKey" if name == "form_key" else _HEADER_NAMES.get(name, name)
            text = (
                json.dumps(list(value), separators=(",", ":"))
                if isinstance(value, tuple)
                else str(value)
            )
            headers[f"io.camunda.zeebe:{header}"] = text
        element.job_key = self._hooks.create_task_job(
            instance, node, element.key, node.task.job_type, node.task.retries, headers
        )

    def _script(
        self,
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        # A script task Zeebe evaluates itself: the result is its completion variable.
        script = node.script
        element = self._enter(instance, node, scope)
        if element is None or script is None:
            return
        value = script.expression.evaluate(visible(element), now=self._now)
        self._apply_completion(node, element, {script.result_variable: value}, self._now)
        self._drop(instance, element)
        scope.live -= 1
        self._next(instance, node, scope, element, queue, ended)

    def _enter(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        body: bool = False,
    ) -> ElementInstance | None:
        # A wait state: the element instance, its input mappings, its timers. ``None`` when a
        # timer cannot be armed (the element then holds an incident). A multi-instance body
        # (``body``) holds the boundary events; its inner instances get their loop variables
        # before their input mappings, and no boundary events.
        element = ElementInstance(self._hooks.next_key(), node.id, parent=scope)
        boundary_events = node.boundary_events
        if node.loop is None or body:
            if node.inputs and not body:
                set_local(element, evaluate_inputs(node.inputs, scope, self._now))
        else:
            set_local(element, loop_locals(node, scope, element))
            boundary_events = ()
            if node.inputs:
                try:
                    set_local(element, evaluate_inputs(node.inputs, element, self._now))
                except FeelEvaluationError:
                    give_back(scope, element)
                    raise
        instance.active[element.key] = element
        scope.live += 1
        self._entered = element
        if body and boundary_events:
            model = instance.definition.model
            element.waits = True
            events = [model.nodes[event_id] for event_id in boundary_events]
            timed = [event for event in events if event.timer is not None]
            if timed and not self._arm(instance, element, timed):
                return None
            waiting = [event for event in events if event.message is not None]
            if waiting and not self._subscribe(instance, element, waiting):
                return None
        elif not body and (
            node.timer is not None
            or node.message is not None
            or boundary_events
            or node.kind == "eventBasedGateway"
            or node.event_sub_processes
        ):
            model = instance.definition.model
            events = [node, *(model.nodes[event_id] for event_id in boundary_events)]
            if node.kind == "eventBasedGateway":
                events = [model.nodes[model.flows[flow_id].target] for flow_id in node.outgoing]
            events += [
                model.nodes[model.nodes[esp].start_node or ""] for esp in node.event_sub_processes
            ]
            if not self._open_events(instance, element, events):
                return None
        return element

    def _subscribe(
        self, instance: ProcessInstanceRecord, element: ElementInstance, events: list[FlowNode]
    ) -> bool:
        variables = visible(element)
        opened = []
        for event in events:
            if event.message is None:
                continue
            name = event.message.name.evaluate(variables, now=self._now)
            expression = event.message.correlation_key
            key = expression.evaluate(variables, now=self._now) if expression is not None else ""
            problem = None
            if not isinstance(name, str):
                problem = (
                    f"Expected result of the expression '{event.message.name.text}' to be "
                    f"'STRING', but was '{feel_type_name(name)}'."
                )
            elif isinstance(key, bool) or not isinstance(key, str | int | float):
                problem = (
                    f"Failed to extract the correlation key for '{expression.text if expression else ''}': "
                    "The value must be either a string or a number, but was "
                    f"'{feel_type_name(key)}'."
                )
            if problem is not None:
                self._timers.cancel_element(element.key)
                self._messages.close_element(element.key)
                self._hooks.raise_element_incident(
                    instance, element, "EXTRACT_VALUE_ERROR", problem
                )
                return False
            text = str(int(key)) if isinstance(key, float) and key.is_integer() else str(key)
            if event.event == "signal":
                name = SIGNAL_PREFIX + name
            opened.append(
                MessageSubscription(
                    key=self._hooks.next_key(),
                    name=name,
                    correlation_key=text,
                    tenant_id=instance.tenant_id,
                    process_id=instance.definition.process_id,
                    process_instance_key=instance.key,
                    element_key=element.key,
                    node_id=event.id,
                )
            )
        now = self._hooks.now()
        for subscription in opened:
            self._messages.open(subscription)
            message = self._messages.buffered_for(subscription, now)
            if message is not None:
                message.correlated.add(subscription.process_id)
                self._pending.append((instance, subscription, dict(message.variables)))
        return True

    def _arm(
        self, instance: ProcessInstanceRecord, element: ElementInstance, events: list[FlowNode]
    ) -> bool:
        variables = visible(element)
        now = self._hooks.now()
        armed = []
        for event in events:
            if event.timer is None:
                continue
            try:
                due, repetitions, interval = resolve_timer(event.timer, variables, now, self._now)
            except TimerValueError as exc:
                self._timers.cancel_element(element.key)
                self._hooks.raise_element_incident(
                    instance, element, "EXTRACT_VALUE_ERROR", str(exc)
                )
                return False
            armed.append(
                ElementTimer(
                    key=self._hooks.next_key(),
                    due_ms=due,
                    node_id=event.id,
                    definition_key=instance.definition.key,
                    process_instance_key=instance.key,
                    element_key=element.key,
                    repetitions=repetitions,
                    interval=interval,
                )
            )
        for timer in armed:
            self._timers.schedule(timer)
        return True

    def _drop(self, instance: ProcessInstanceRecord, element: ElementInstance) -> bool:
        # The element instance ends: it leaves the active ones, its timers and message
        # subscriptions are forgotten.
        if element.waits:
            self._timers.cancel_element(element.key)
            self._messages.close_element(element.key)
        return instance.active.pop(element.key, None) is not None

    def _pass_with_variables(
        self,
        node: FlowNode,
        scope: ElementInstance,
        event_variables: Mapping[str, Any] | None,
    ) -> None:
        # An element without a wait state but with mappings or event variables (a catch event).
        element = ElementInstance(self._hooks.next_key(), node.id, parent=scope)
        if node.inputs:
            set_local(element, evaluate_inputs(node.inputs, scope, self._now))
        if event_variables:
            if node.outputs:
                set_local(element, event_variables)
            else:
                propagate(element, event_variables)
        if node.outputs:
            propagate(scope, evaluate_outputs(node.outputs, element, self._now))

    def _end_event(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        if node.inputs or node.outputs:
            self._pass_with_variables(node, scope, None)
        if node.event in ("error", "escalation"):
            thrower = thrower_with_code(node, scope, self._now)
            if isinstance(thrower, str):  # the code's expression failed
                self._stuck(instance, node, scope, "EXTRACT_VALUE_ERROR", thrower)
                return
            node = thrower
        if node.event == "error":
            code = node.error_code or ""
            if not self._throw(instance, scope, code, None, queue):
                message = (
                    f"Expected to throw an error event with the code '{code}', but it was not "
                    "caught. No error events are available in the scope."
                )
                self._stuck(instance, node, scope, "UNHANDLED_ERROR_EVENT", message)
            return
        if node.event == "terminate":
            self._terminate_inside(instance, scope, queue)
        elif node.event == "signal":
            self._throw_signal(node, scope)
        elif node.event == "escalation" and not self._escalate(instance, node, scope, queue):
            return
        ended.append(scope)

    def _escalate(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
    ) -> bool:
        # Zeebe: the nearest escalation boundary event around the thrower catches it (an exact
        # code before a catch-all); uncaught, nothing happens. Returns whether the throwing
        # token goes on (not when an interrupting event terminated its scope).
        # An escalation start event of an event sub-process in a scope comes before the scope's
        # boundary events.
        model = instance.definition.model
        code = node.error_code or ""
        current = scope
        while True:
            start = self._catching_start(model, current, "escalation", code)
            if start is not None:
                self._start_event_sub_process(instance, current, start, None, queue)
                return not start.interrupting
            parent = current.parent
            if parent is None:
                break
            if is_inner(current.node_id, parent):
                current = parent  # the body holds the boundary events
                continue
            host = model.nodes[current.node_id]
            event = _matching_error_boundary(model, host, code, "escalation")
            if event is not None:
                if event.interrupting:
                    self._terminate(instance, current, queue)
                queue.append((event.id, None, parent, None))
                return not event.interrupting
            current = parent
        if instance.parent_instance_key is not None:
            # Uncaught here: the call activity's escalation events may catch it (Zeebe).
            goes_on = self._hooks.escalate_to_caller(instance, node)
            if not goes_on:
                queue.clear()  # an interrupting event terminated this instance
            return goes_on
        return True

    def escalate_from(
        self, instance: ProcessInstanceRecord, element: ElementInstance, thrower: FlowNode
    ) -> bool:
        """Escalate at an element instance (a call activity whose child escalated uncaught).

        Returns:
            Whether the throwing token goes on (not when an interrupting event caught it).
        """
        queue: deque[Token] = deque()
        goes_on = self._escalate(instance, thrower, element, queue)
        self._run_queue(instance, queue, [])
        return goes_on

    @staticmethod
    def _catching_start(
        model: ProcessModel, scope: ElementInstance, kind: str, code: str
    ) -> FlowNode | None:
        # The error or escalation start event of an event sub-process directly in ``scope``
        # that catches ``code`` (none once an interrupting event sub-process took the scope).
        if scope.interrupted or scope.body is not None:
            return None  # a multi-instance body: its inner instances are the scopes
        esp_ids = event_sub_processes_of(model, None if scope.parent is None else scope.node_id)
        return catching_start(model, esp_ids, kind, code) if esp_ids else None

    def _throw_signal(self, node: FlowNode, scope: ElementInstance) -> None:
        if node.message is not None:
            name = node.message.name.evaluate(visible(scope), now=self._now)
            if isinstance(name, str):
                self._signals.append((self._tenant, name))

    def _complete_scope(
        self,
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        scope: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        parent = scope.parent
        if parent is None:
            if instance.state == "ACTIVE":
                self._hooks.instance_ended(instance)
            return
        if not self._drop(instance, scope):
            return  # terminated meanwhile, or completed already
        node = model.nodes[scope.node_id]
        if node.outputs:
            target = scope if scope.loop_counter else parent  # see _apply_completion
            propagate(target, evaluate_outputs(node.outputs, scope, self._now))
        parent.live -= 1
        self._next(instance, node, parent, scope, queue, ended)

    def _throw(
        self,
        instance: ProcessInstanceRecord,
        source: ElementInstance,
        error_code: str,
        variables: Mapping[str, Any] | None,
        queue: deque[Token],
    ) -> bool:
        model = instance.definition.model
        current = source
        while True:
            start = self._catching_start(model, current, "error", error_code)
            if start is not None:
                self._start_event_sub_process(instance, current, start, variables, queue)
                return True
            parent = current.parent
            if parent is None:
                break
            if is_inner(current.node_id, parent):
                current = parent  # the body holds the boundary events
                continue
            event = _matching_error_boundary(model, model.nodes[current.node_id], error_code)
            if event is not None:
                self._terminate(instance, current, queue)
                queue.append((event.id, None, parent, dict(variables or {})))
                return True
            current = parent
        if instance.parent_instance_key is not None and self._hooks.throw_to_caller(
            instance, error_code, variables
        ):
            queue.clear()  # the caller caught it and terminated this instance
            return True
        return False

    def throw_from(
        self,
        instance: ProcessInstanceRecord,
        element: ElementInstance,
        error_code: str,
        variables: Mapping[str, Any] | None,
    ) -> bool:
        """Throw a BPMN error at an element instance (a call activity whose child threw it).

        Returns:
            Whether an error boundary event around it caught the error (the token then moved on).
        """
        queue: deque[Token] = deque()
        if not self._throw(instance, element, error_code, variables, queue):
            return False
        self._run_queue(instance, queue, [])
        return True

    def _terminate(
        self, instance: ProcessInstanceRecord, element: ElementInstance, queue: deque[Token]
    ) -> None:
        # Terminate an element instance and everything inside it.
        self._terminate_inside(instance, element, queue)
        if self._drop(instance, element):
            self._hooks.element_terminated(instance, element)
            (element.parent or instance.root).live -= 1

    def _terminate_inside(
        self, instance: ProcessInstanceRecord, scope: ElementInstance, queue: deque[Token]
    ) -> None:
        # Terminate every element instance inside a scope, its waiting and queued tokens.
        doomed = [
            element
            for element in instance.active.values()
            if element is not scope and _within(element, scope)
        ]
        for element in doomed:
            self._drop(instance, element)
            self._hooks.element_terminated(instance, element)
        keys = {scope.key} | {element.key for element in doomed}
        for join in [join for join in instance.joins if join[0] in keys]:
            del instance.joins[join]
        scope.live = 0
        kept = [token for token in queue if not _within(token[2], scope)]
        if len(kept) != len(queue):
            queue.clear()
            queue.extend(kept)

    def _failed(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        error: FeelEvaluationError,
    ) -> None:
        # An expression failed while the token entered the node (an ``assert``...): the element
        # it created (if any) is dropped and the token waits on an incident there instead.
        entered, self._entered = self._entered, None
        if entered is not None and entered.node_id == node.id and self._drop(instance, entered):
            scope.live -= 1
        kind = "IO_MAPPING_ERROR" if node.inputs or node.outputs else "EXTRACT_VALUE_ERROR"
        self._stuck(instance, node, scope, kind, error.message)

    def _stuck(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        error_type: str,
        message: str,
    ) -> None:
        element = ElementInstance(self._hooks.next_key(), node.id, parent=scope)
        instance.active[element.key] = element
        scope.live += 1
        self._hooks.raise_element_incident(instance, element, error_type, message)

    def _exclusive(
        self,
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
        via: str | None = None,
    ) -> None:
        # Exclusive: the first flow whose condition is true; inclusive: every such flow (a
        # joining one first waits, see _joined). Else the default flow, else a CONDITION_ERROR
        # incident.
        every = node.kind == "inclusiveGateway"
        joining = every and via is not None and len(node.incoming) > 1
        if joining and not self._joined(instance, node, via or "", scope, queue):
            return
        variables: dict[str, Any] | None = None
        taken: list[str] = []
        for flow_id in node.outgoing:
            condition = model.flows[flow_id].condition
            if flow_id == node.default_flow:
                continue
            if condition is None:
                # The only outgoing flow (validated at deploy time): always taken.
                taken.append(flow_id)
                break
            if variables is None:
                variables = visible(scope)
            try:
                result = condition.check(variables, now=self._now)
            except FeelEvaluationError as exc:
                # Zeebe: a condition that is not a boolean is an EXTRACT_VALUE_ERROR incident,
                # its message listing the evaluation's warnings.
                self._stuck(instance, node, scope, "EXTRACT_VALUE_ERROR", exc.message)
                return
            if result:
                taken.append(flow_id)
                if not every:
                    break
        if not taken and node.default_flow is not None:
            taken.append(node.default_flow)
        if not taken and node.outgoing:
            self._stuck(instance, node, scope, "CONDITION_ERROR", _NO_FLOW_TAKEN)
        queue.extend((model.flows[flow_id].target, flow_id, scope, None) for flow_id in taken)

    @staticmethod
    def _joined(
        instance: ProcessInstanceRecord,
        node: FlowNode,
        via: str,
        scope: ElementInstance,
        queue: deque[Token],
    ) -> bool:
        # A joining inclusive gateway, as Zeebe's: a token arrived by ``via``; the gateway is
        # activated once every incoming flow was taken, or when no token of the scope (an
        # element instance, a token on its way, a token waiting at another join) can still
        # reach it by an incoming flow not taken yet. Each taken flow is consumed once.
        arrivals = instance.joins.setdefault((scope.key, node.id), {})
        arrivals[via] = arrivals.get(via, 0) + 1
        scope.live += 1
        if any(token[0] == node.id and token[2] is scope for token in queue):
            # Flows to the gateway already taken count at once (Zeebe counts taken flows
            # before it activates the gateway): the gateway then activates once for them all.
            kept = []
            for token in queue:
                if token[0] == node.id and token[2] is scope and token[1] is not None:
                    arrivals[token[1]] = arrivals.get(token[1], 0) + 1
                    scope.live += 1
                    instance.path.append(node.id)
                else:
                    kept.append(token)
            queue.clear()
            queue.extend(kept)
        taken = {flow_id for flow_id, count in arrivals.items() if count > 0}
        if len(taken) < len(node.incoming):
            sources = [
                element.node_id for element in instance.active.values() if element.parent is scope
            ]
            sources += [token[0] for token in queue if token[2] is scope]
            sources += [
                gateway
                for (key, gateway), waiting in instance.joins.items()
                if key == scope.key and gateway != node.id and any(waiting.values())
            ]
            if can_reach(instance.definition.model, sources, node.id, taken):
                return False
        for flow_id in taken:
            arrivals[flow_id] -= 1
        scope.live -= len(taken)
        return True

    @staticmethod
    def _join(
        instance: ProcessInstanceRecord,
        model: ProcessModel,
        node: FlowNode,
        via: str,
        scope: ElementInstance,
        queue: deque[Token],
    ) -> None:
        arrivals = instance.joins.setdefault((scope.key, node.id), {})
        arrivals[via] = arrivals.get(via, 0) + 1
        scope.live += 1
        if all(arrivals.get(flow_id, 0) > 0 for flow_id in node.incoming):
            for flow_id in node.incoming:
                arrivals[flow_id] -= 1
            scope.live -= len(node.incoming)
            queue.extend(
                (model.flows[flow_id].target, flow_id, scope, None) for flow_id in node.outgoing
            )


def _matching_error_boundary(
    model: ProcessModel, activity: FlowNode, error_code: str, kind: str = "error"
) -> FlowNode | None:
    catch_all = None
    for event_id in activity.boundary_events:
        event = model.nodes[event_id]
        if event.event != kind:
            continue
        if event.error_code is None:
            catch_all = catch_all or event
        elif event.error_code == error_code:
            return event
    return catch_all


_TRIGGERED = "<triggered>"
#: Signal subscriptions live among message subscriptions under this prefix (no correlation key).
SIGNAL_PREFIX = "\x00signal:"
_ACTIVITIES = JOB_TASK_KINDS | {"userTask", "subProcess", "callActivity"}
# Elements a token waits in for an event (a message, a timer).
_WAITING = frozenset({"intermediateCatchEvent", "receiveTask", "eventBasedGateway"})


def _triggered(model: ProcessModel, node: FlowNode, via: str | None) -> bool:
    # Whether a token reaches a catch event because its event happened (after an event-based
    # gateway), rather than to wait at it.
    if via is None:
        return False
    if via == _TRIGGERED:
        return True
    return model.nodes[model.flows[via].source].kind == "eventBasedGateway"


def _expected(expression: str, kind: str, value: Any) -> str:
    return (
        f"Expected result of the expression '{expression}' to be '{kind}', but was "
        f"'{feel_type_name(value)}'."
    )


_HEADER_NAMES = {
    "candidate_groups": "candidateGroups",
    "candidate_users": "candidateUsers",
    "due_date": "dueDate",
    "follow_up_date": "followUpDate",
    "external_reference": "externalReference",
}


def _assignment(
    user_task: UserTaskDefinition, variables: Mapping[str, Any]
) -> dict[str, Any] | str:
    # The evaluated assignment, schedule, form and priority; a message on a wrong result.
    result: dict[str, Any] = {"form_key": user_task.form_key}
    for name in ("assignee", "due_date", "follow_up_date", "external_reference"):
        expression = getattr(user_task, name)
        value = expression.evaluate(variables) if expression is not None else None
        if value is not None and not isinstance(value, str):
            return _expected(expression.text, "STRING", value)
        result[name] = value
    for name in ("candidate_groups", "candidate_users"):
        expression = getattr(user_task, name)
        if expression is None:
            result[name] = ()
            continue
        value = expression.evaluate(variables)
        if expression.static and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return _expected(expression.text, "ARRAY", value)
        result[name] = tuple(value)
    priority = user_task.priority
    value = priority.evaluate(variables) if priority is not None else 50
    if priority is not None and priority.static and isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        return _expected(priority.text if priority else "", "NUMBER", value)
    result["priority"] = value
    return result
