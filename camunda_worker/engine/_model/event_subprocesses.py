"""Event sub-processes in the model: where each one lives, what its start event catches.

An event sub-process (a ``bpmn:subProcess`` with ``triggeredByEvent="true"``) sits inside a
scope, the process or an embedded sub-process, and is started by its one start event: a
message, timer or signal start event (opened as a subscription when the scope is entered), an
error or escalation start event (caught when an error or escalation is thrown inside the scope).
:func:`wire_event_sub_processes` checks them as Zeebe does and records them on their scopes;
:func:`catching_start` finds the start event that catches an error or an escalation.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from camunda_worker.engine._model.definitions import FlowNode, ProcessModel

__all__ = ["catching_start", "event_sub_processes_of", "wire_event_sub_processes"]

#: The event definitions a start event of an event sub-process may have.
START_EVENTS = ("message", "timer", "signal", "error", "escalation")

_Report = Callable[[str, str, str], None]


def wire_event_sub_processes(nodes: dict[str, FlowNode], report: _Report) -> tuple[str, ...]:
    """Check every event sub-process and list it on its scope.

    Args:
        nodes: the flow nodes by id, wired (incoming, outgoing, boundary events, start nodes);
            the embedded and event sub-processes that contain event sub-processes are replaced
            by copies with ``event_sub_processes`` filled in.
        report: called with (element id, element type, message) for every problem.

    Returns:
        The ids of the event sub-processes at the process level.
    """
    by_scope: dict[str | None, list[str]] = {}
    for node in nodes.values():
        if node.triggered_by_event:
            _check(node, nodes, report)
            by_scope.setdefault(node.scope, []).append(node.id)
    for scope, ids in by_scope.items():
        _check_unique_starts(ids, nodes, report)
        if scope is not None and scope in nodes:
            nodes[scope] = attrs.evolve(nodes[scope], event_sub_processes=tuple(ids))
    return tuple(by_scope.get(None, ()))


def _check(node: FlowNode, nodes: dict[str, FlowNode], report: _Report) -> None:
    if node.incoming or node.outgoing:
        report(
            node.id,
            "bpmn:subProcess",
            "An event subprocess must not have any incoming or outgoing sequence flows",
        )
    if node.boundary_events:
        report(node.id, "bpmn:subProcess", "An event subprocess must not have boundary events")
    start = nodes.get(node.start_node or "")
    if start is None:
        return  # the missing start event is reported by the process's checks
    if start.event not in START_EVENTS:
        report(
            start.id,
            "bpmn:startEvent",
            "Start events in event subprocesses must be of type message, timer, signal, error "
            "or escalation",
        )
    elif start.event == "error" and not start.interrupting:
        report(start.id, "bpmn:startEvent", "An error start event must be interrupting")


def _check_unique_starts(ids: list[str], nodes: dict[str, FlowNode], report: _Report) -> None:
    # Zeebe: in one scope, at most one error start event per code (one catch-all), and the
    # message start events' names differ.
    codes: set[tuple[str, str | None]] = set()
    names: set[str] = set()
    for esp_id in ids:
        start = nodes.get(nodes[esp_id].start_node or "")
        if start is None:
            continue
        if start.event in ("error", "escalation"):
            code = (start.event, start.error_code)
            if code in codes:
                report(
                    start.id,
                    "bpmn:startEvent",
                    f"Multiple {start.event} event definitions with the same "
                    f"{start.event}Code '{start.error_code or ''}' are not allowed in one scope",
                )
            codes.add(code)
        elif start.event == "message" and start.message is not None:
            name = start.message.name.text
            if name in names:
                report(
                    start.id,
                    "bpmn:startEvent",
                    f"Multiple message event definitions with the same name '{name}' are not "
                    "allowed in one scope",
                )
            names.add(name)


def event_sub_processes_of(model: ProcessModel, node_id: str | None) -> tuple[str, ...]:
    """The event sub-processes directly inside a scope (``None``: the process)."""
    if node_id is None:
        return model.event_sub_processes
    node = model.nodes.get(node_id)
    return node.event_sub_processes if node is not None else ()


def catching_start(
    model: ProcessModel, esp_ids: tuple[str, ...], kind: str, code: str
) -> FlowNode | None:
    """The error or escalation start event among ``esp_ids`` that catches ``code``.

    One with the same code wins over a catch-all one (no code), as for boundary events.
    """
    catch_all = None
    for esp_id in esp_ids:
        start = model.nodes.get(model.nodes[esp_id].start_node or "")
        if start is None or start.event != kind:
            continue
        if start.error_code is None:
            catch_all = catch_all or start
        elif start.error_code == code:
            return start
    return catch_all
