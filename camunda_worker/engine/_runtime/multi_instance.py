"""Multi-instance activities: the body, its inner instances, their variables, its completion.

As in Zeebe, a multi-instance activity runs as two element instances of the same element id:

- the **multi-instance body**, entered from the flow: it reads ``inputCollection`` (a value that
  is not a list is an ``EXTRACT_VALUE_ERROR`` incident), holds the boundary events, and its local
  ``outputCollection`` starts as a list of ``null`` of the collection's size; an empty collection
  completes it at once;
- the **inner instances**, children of the body, one per item: all at once (parallel) or one
  after the other (``isSequential``; the collection is read again before each next one, so it
  may grow or shrink meanwhile). Each has the local variables ``loopCounter`` (from 1), its
  ``inputElement`` and, when ``outputElement`` is a plain variable name, that variable set to
  ``null`` (so a job's result lands in the inner scope); then the activity's input mappings
  apply. Output mappings apply when an inner instance completes, then ``outputElement`` is
  evaluated in its scope and written to its place in ``outputCollection``.

After each inner completion the ``completionCondition`` is evaluated in the inner scope with
``numberOfInstances``, ``numberOfActiveInstances``, ``numberOfCompletedInstances`` and
``numberOfTerminatedInstances`` (Zeebe's counts, the completing instance counted as completed);
true terminates the remaining inner instances. When every inner instance has completed or been
terminated, the body completes: ``outputCollection`` is propagated to the flow scope and the
token leaves along the activity's outgoing flows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any, Protocol

from camunda_worker.engine._model.conditions import feel_type_name
from camunda_worker.engine._model.definitions import FlowNode, LoopCharacteristics
from camunda_worker.engine._model.expressions import is_variable_path
from camunda_worker.engine._model.feel import FeelEvaluationError, Now
from camunda_worker.engine._runtime.instances import (
    ElementInstance,
    MultiInstanceBody,
    ProcessInstanceRecord,
)
from camunda_worker.engine._runtime.scopes import propagate, set_local, visible

__all__ = [
    "LoopFlow",
    "activate_body",
    "give_back",
    "inner_completed",
    "is_inner",
    "loop_locals",
    "resume",
]

# (node id, id of the flow it arrived by, the scope it runs in, variables of the event, if any)
Token = tuple[str, str | None, ElementInstance, Mapping[str, Any] | None]

_COUNTS = (
    "numberOfInstances",
    "numberOfActiveInstances",
    "numberOfCompletedInstances",
    "numberOfTerminatedInstances",
)


class LoopFlow(Protocol):
    """What multi-instance bodies need from the flow that runs them."""

    @property
    def clock(self) -> Now:
        """The clock of FEEL's ``now()``."""
        ...

    def enter_body(
        self, instance: ProcessInstanceRecord, node: FlowNode, scope: ElementInstance
    ) -> ElementInstance | None:
        """Create the body's element instance with its boundary events (``None``: incident)."""
        ...

    def stuck(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        error_type: str,
        message: str,
    ) -> None:
        """Stop a token on an incident at ``node`` in ``scope``."""
        ...

    def raise_incident(
        self, instance: ProcessInstanceRecord, element: ElementInstance, kind: str, message: str
    ) -> None:
        """Raise an incident on an active element instance."""
        ...

    def drop(self, instance: ProcessInstanceRecord, element: ElementInstance) -> bool:
        """End an element instance (timers and subscriptions closed); whether it was active."""
        ...

    def terminate_inside(
        self, instance: ProcessInstanceRecord, scope: ElementInstance, queue: deque[Token]
    ) -> None:
        """Terminate every element instance inside a scope and its queued tokens."""
        ...

    def follow(
        self,
        instance: ProcessInstanceRecord,
        node: FlowNode,
        scope: ElementInstance,
        queue: deque[Token],
        ended: list[ElementInstance],
    ) -> None:
        """Leave ``node`` along its outgoing flows in ``scope`` (or end a token there)."""
        ...


def is_inner(node_id: str, scope: ElementInstance) -> bool:
    """Whether a token of ``node_id`` in ``scope`` enters an inner instance of that scope."""
    return scope.body is not None and scope.node_id == node_id


def _expected_array(loop: LoopCharacteristics, value: Any) -> str:
    return (
        f"Expected result of the expression '{loop.input_collection.text[1:].strip()}' to be "
        f"'ARRAY', but was '{feel_type_name(value)}'."
    )


def activate_body(
    flow: LoopFlow,
    instance: ProcessInstanceRecord,
    node: FlowNode,
    scope: ElementInstance,
    queue: deque[Token],
    ended: list[ElementInstance],
) -> None:
    """Enter a multi-instance activity: its body, then its first (or every) inner instance."""
    loop = node.loop
    if loop is None:
        return
    items = loop.input_collection.evaluate(visible(scope), now=flow.clock)
    if not isinstance(items, list):
        flow.stuck(instance, node, scope, "EXTRACT_VALUE_ERROR", _expected_array(loop, items))
        return
    body = flow.enter_body(instance, node, scope)
    if body is None:
        return
    body.body = MultiInstanceBody(list(items))
    instance.bodies[node.id] = instance.bodies.get(node.id, 0) + 1  # statistics leave it out
    if loop.output_collection is not None:
        set_local(body, {loop.output_collection: [None] * len(items)})
    if not items:
        _complete_body(flow, instance, node, body, queue, ended)
        return
    for _ in range(1 if loop.sequential else len(items)):
        queue.append((node.id, None, body, None))


def loop_locals(node: FlowNode, body: ElementInstance, element: ElementInstance) -> dict[str, Any]:
    """The local variables of a new inner instance (its ``loop_counter`` is set too)."""
    state = body.body
    loop = node.loop
    if state is None or loop is None:
        return {}
    if state.reuse:
        counter = state.reuse.pop(0)
    else:
        state.created += 1
        counter = state.created
    element.loop_counter = counter
    local: dict[str, Any] = {}
    item = state.items[counter - 1] if counter <= len(state.items) else None
    if loop.input_element is not None:
        local[loop.input_element] = item
    output = loop.output_element
    if output is not None and not output.static:
        # Zeebe: an output element that is a variable (or a path into one) starts as a local
        # null, so that the inner instance's result of that name lands here.
        path = output.text[1:].strip()
        name = path.split(".", 1)[0]
        if is_variable_path(path) and name not in (loop.input_element, "loopCounter"):
            local[name] = None
    local["loopCounter"] = counter
    return local


def give_back(body: ElementInstance, element: ElementInstance) -> None:
    """An inner instance could not be entered (its input mappings failed): its turn is kept."""
    if body.body is not None and element.loop_counter:
        body.body.reuse.append(element.loop_counter)


def inner_completed(
    flow: LoopFlow,
    instance: ProcessInstanceRecord,
    node: FlowNode,
    body: ElementInstance,
    element: ElementInstance,
    queue: deque[Token],
    ended: list[ElementInstance],
) -> None:
    """An inner instance completed: collect its output, check the completion condition, go on.

    A failing ``outputElement`` or completion condition raises an ``EXTRACT_VALUE_ERROR``
    incident on the body; resolving it evaluates them again (see :func:`resume`).
    """
    state, loop = body.body, node.loop
    if state is None or loop is None:
        return
    try:
        done = _collect(flow, loop, state, body, element)
    except FeelEvaluationError as exc:
        state.blocked.append(element)
        flow.raise_incident(instance, body, "EXTRACT_VALUE_ERROR", exc.message)
        return
    if done:
        before = body.live
        flow.terminate_inside(instance, body, queue)
        state.terminated += before
        _complete_body(flow, instance, node, body, queue, ended)
    elif loop.sequential and state.created < len(state.items):
        queue.append((node.id, None, body, None))
    elif state.completed + state.terminated >= len(state.items) and body.live == 0:
        _complete_body(flow, instance, node, body, queue, ended)


def resume(
    flow: LoopFlow,
    instance: ProcessInstanceRecord,
    node: FlowNode,
    body: ElementInstance,
    queue: deque[Token],
    ended: list[ElementInstance],
) -> None:
    """The incident on a body was resolved: complete the inner instances it held back."""
    state = body.body
    if state is None:
        return
    blocked, state.blocked = state.blocked, []
    for element in blocked:
        if body.incident_key is None and body.body is state:
            inner_completed(flow, instance, node, body, element, queue, ended)


def _collect(
    flow: LoopFlow,
    loop: LoopCharacteristics,
    state: MultiInstanceBody,
    body: ElementInstance,
    element: ElementInstance,
) -> bool:
    # Write the inner instance's output element, count it, evaluate the completion condition.
    if loop.sequential:
        # Zeebe reads the collection again for the next inner instance: it may have changed.
        items = loop.input_collection.evaluate(visible(body), now=flow.clock)
        if not isinstance(items, list):
            raise FeelEvaluationError(_expected_array(loop, items))
        state.items = list(items)
    if loop.output_collection is not None and loop.output_element is not None:
        value = loop.output_element.evaluate(visible(element), now=flow.clock)
        collection = (body.variables or {}).get(loop.output_collection)
        if isinstance(collection, list) and element.loop_counter > 0:
            updated = list(collection)
            updated += [None] * (element.loop_counter - len(updated))  # the collection grew
            updated[element.loop_counter - 1] = value
            set_local(body, {loop.output_collection: updated})
    condition = loop.completion_condition
    if condition is not None:
        if loop.sequential:
            instances, active = state.created, body.live
        else:
            # Zeebe activates every parallel inner instance before any completes: those whose
            # tokens are still queued count as created and active.
            instances = len(state.items)
            active = instances - state.completed - state.terminated - 1
        counts = (instances, active, state.completed + 1, state.terminated)
        variables = {**visible(element), **dict(zip(_COUNTS, counts, strict=True))}
        satisfied = condition.check(variables, now=flow.clock)
    else:
        satisfied = False
    state.completed += 1
    return satisfied


def _complete_body(
    flow: LoopFlow,
    instance: ProcessInstanceRecord,
    node: FlowNode,
    body: ElementInstance,
    queue: deque[Token],
    ended: list[ElementInstance],
) -> None:
    # Every inner instance is done: the output collection reaches the flow scope, the token
    # leaves the activity.
    if not flow.drop(instance, body):
        return
    scope = body.parent or instance.root
    scope.live -= 1
    loop = node.loop
    if loop is not None and loop.output_collection is not None:
        propagate(
            scope, {loop.output_collection: (body.variables or {}).get(loop.output_collection)}
        )
    flow.follow(instance, node, scope, queue, ended)
