"""Whole-process checks of a parsed BPMN process: flows, start event, gateways, boundary events."""

from __future__ import annotations

from collections.abc import Callable, Set

import attrs

from camunda_worker.engine._model.definitions import JOB_TASK_KINDS, FlowNode, SequenceFlow

__all__ = ["Problem", "validate_process"]

_Report = Callable[[str, str, str], None]
# Activities besides job-based tasks that wait, and so may carry boundary events.
_WAITING_ACTIVITIES = frozenset({"subProcess", "receiveTask", "userTask", "callActivity"})
# Activities a token passes straight through: Zeebe accepts boundary events on them too (they
# never fire, the activity never waits).
_PASSING_ACTIVITIES = frozenset({"task", "manualTask"})


@attrs.frozen
class Problem:
    """One reason a resource is refused.

    Attributes:
        element_id: the id of the offending element (or the resource/process when global).
        element_type: its qualified type, e.g. ``bpmn:userTask``.
        message: what is wrong.
    """

    element_id: str
    element_type: str
    message: str

    def render(self) -> str:
        """Format the problem like Zeebe's deployment rejection does."""
        return f"- Element: {self.element_id} ({self.element_type})\n    - ERROR: {self.message}"


def validate_process(
    process_id: str,
    nodes: dict[str, FlowNode],
    flows: dict[str, SequenceFlow],
    problems: list[Problem],
    refused: Set[str] = frozenset(),
) -> tuple[str | None, tuple[str, ...]] | None:
    """Check the process as a whole and wire flows and boundary events into its nodes.

    Args:
        process_id: the BPMN process id (for messages about the process itself).
        nodes: the flow nodes by id; replaced in place by copies with ``incoming``,
            ``outgoing`` and ``boundary_events`` filled in.
        flows: the sequence flows by id.
        problems: where problems are appended.
        refused: ids of elements already refused (flows to them are not reported again).

    Returns:
        The id of the process's none start event (``None`` without one) and the ids of its
        timer start events; ``None`` when it has no usable start event (reported).
    """

    def report(element_id: str, element_type: str, message: str) -> None:
        problems.append(Problem(element_id, element_type, message))

    incoming: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for flow in flows.values():
        _check_flow(flow, nodes, refused, report)
        if flow.source in nodes and flow.target in nodes:
            outgoing[flow.source].append(flow.id)
            incoming[flow.target].append(flow.id)
    boundaries: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.kind == "boundaryEvent":
            _check_boundary(node, nodes, report)
            boundaries.setdefault(node.attached_to or "", []).append(node.id)
    for task_id, event_ids in boundaries.items():
        errors = [nodes[event_id] for event_id in event_ids if nodes[event_id].event == "error"]
        _check_duplicate_codes(task_id, errors, report)
    for node_id, node in list(nodes.items()):
        nodes[node_id] = attrs.evolve(
            node,
            incoming=tuple(incoming[node_id]),
            outgoing=tuple(outgoing[node_id]),
            boundary_events=tuple(boundaries.get(node_id, ())),
        )
    for node in nodes.values():
        if node.kind in ("exclusiveGateway", "inclusiveGateway"):
            _check_exclusive_gateway(node, flows, report)
    _link(nodes, report)
    for node in nodes.values():
        if node.kind == "eventBasedGateway":
            _check_event_gateway(node, nodes, flows, report)
    return _check_starts(process_id, nodes, report)


def _check_event_gateway(
    node: FlowNode, nodes: dict[str, FlowNode], flows: dict[str, SequenceFlow], report: _Report
) -> None:
    # Zeebe's rules: two or more outgoing flows, each to a timer or message catch event.
    if len(node.outgoing) < 2:
        report(
            node.id,
            "bpmn:eventBasedGateway",
            "Event-based gateway must have at least 2 outgoing sequence flows.",
        )
    for flow_id in node.outgoing:
        target = nodes[flows[flow_id].target]
        if target.kind != "intermediateCatchEvent" or target.event not in ("timer", "message"):
            report(
                node.id,
                "bpmn:eventBasedGateway",
                "Event-based gateway must not have an outgoing sequence flow to other elements "
                "than message/timer intermediate catch events.",
            )
        elif len(target.incoming) != 1:
            report(
                target.id,
                "bpmn:intermediateCatchEvent",
                "An intermediate catch event after an event-based gateway must have exactly "
                "one incoming sequence flow.",
            )


def _link(nodes: dict[str, FlowNode], report: _Report) -> None:
    # A link throw event jumps to the catch event of its name in its scope.
    catches: dict[tuple[str | None, str], str] = {}
    for node in nodes.values():
        if node.kind == "intermediateCatchEvent" and node.link is not None:
            if (node.scope, node.link) in catches:
                report(
                    node.id,
                    "bpmn:intermediateCatchEvent",
                    f"Multiple intermediate catch link event with the same name '{node.link}' "
                    "are not allowed.",
                )
            catches[(node.scope, node.link)] = node.id
    for node_id, node in list(nodes.items()):
        if node.kind != "intermediateThrowEvent" or node.link is None:
            continue
        target = catches.get((node.scope, node.link))
        if target is None:
            report(
                node_id,
                "bpmn:intermediateThrowEvent",
                f"Can't find an catch link event for the throw link event with the name "
                f"'{node.link}'.",
            )
        else:
            nodes[node_id] = attrs.evolve(node, link_target=target)


def _check_starts(
    process_id: str, nodes: dict[str, FlowNode], report: _Report
) -> tuple[str | None, tuple[str, ...]] | None:
    # One none start event per sub-process (it learns its own); the process may have at most
    # one none start event besides timer start events.
    starts: dict[str | None, list[str]] = {}
    for node in nodes.values():
        if node.kind == "startEvent":
            starts.setdefault(node.scope, []).append(node.id)
    for node_id, node in list(nodes.items()):
        if node.kind != "subProcess":
            continue
        found = starts.get(node_id, [])
        if len(found) != 1:
            message = (
                "Must have exactly one none start event"
                if found
                else "Must have exactly one start event"
            )
            report(node_id, "bpmn:subProcess", message)
        else:
            nodes[node_id] = attrs.evolve(node, start_node=found[0])
    found = starts.get(None, [])
    none_starts = [node_id for node_id in found if nodes[node_id].event is None]
    timer_starts = tuple(node_id for node_id in found if nodes[node_id].event == "timer")
    names = [
        nodes[node_id].message
        for node_id in found
        if nodes[node_id].message is not None and nodes[node_id].event == "message"
    ]
    texts = [name.name.text for name in names if name is not None]
    if len(set(texts)) != len(texts):
        report(process_id, "bpmn:process", "Multiple message start events with the same name")
    if not found:
        report(process_id, "bpmn:process", "Must have at least one start event")
        return None
    if len(none_starts) > 1:
        report(process_id, "bpmn:process", "Must have exactly one none start event")
        return None
    return (none_starts[0] if none_starts else None), timer_starts


def _check_flow(
    flow: SequenceFlow, nodes: dict[str, FlowNode], refused: Set[str], report: _Report
) -> None:
    for end, ref in (("source", flow.source), ("target", flow.target)):
        if ref not in nodes and ref not in refused:
            report(flow.id, "bpmn:sequenceFlow", f"the {end} {ref!r} is not a supported flow node")
    target = nodes.get(flow.target)
    if target is not None and target.kind in ("startEvent", "boundaryEvent"):
        report(
            flow.id, "bpmn:sequenceFlow", f"a {target.kind} must not have incoming sequence flows"
        )
    source = nodes.get(flow.source)
    if source is not None and target is not None and source.scope != target.scope:
        report(
            flow.id,
            "bpmn:sequenceFlow",
            "a sequence flow must connect elements of the same scope "
            f"('{flow.source}' and '{flow.target}' are in different sub-processes)",
        )
    if (
        flow.condition is not None
        and source is not None
        and source.kind
        not in (
            "exclusiveGateway",
            "inclusiveGateway",
        )
    ):
        report(
            flow.id,
            "bpmn:sequenceFlow",
            "conditions are only supported on sequence flows leaving an exclusive or inclusive gateway",
        )


def _check_boundary(node: FlowNode, nodes: dict[str, FlowNode], report: _Report) -> None:
    host = nodes.get(node.attached_to or "")
    if host is None:
        report(
            node.id, "bpmn:boundaryEvent", f"attachedToRef {node.attached_to!r} is not an activity"
        )
    elif (
        host.kind not in JOB_TASK_KINDS
        and host.kind not in _WAITING_ACTIVITIES
        and host.loop is None  # a multi-instance body waits for its inner instances
        and host.kind not in _PASSING_ACTIVITIES
    ):
        report(
            node.id,
            "bpmn:boundaryEvent",
            "boundary events are only supported on job-based tasks and sub-processes, "
            f"not on a {host.kind}",
        )
    elif host.scope != node.scope:
        report(
            node.id,
            "bpmn:boundaryEvent",
            "a boundary event must be in the same scope as the activity it is attached to",
        )


def _check_duplicate_codes(task_id: str, events: list[FlowNode], report: _Report) -> None:
    seen: set[str | None] = set()
    for event in events:
        if event.error_code in seen:
            what = (
                f"the same error code '{event.error_code}'"
                if event.error_code
                else "no error code (catch-all)"
            )
            report(
                event.id,
                "bpmn:boundaryEvent",
                f"Multiple error catch events with {what} on task '{task_id}' are not allowed",
            )
        seen.add(event.error_code)


def _check_exclusive_gateway(
    node: FlowNode, flows: dict[str, SequenceFlow], report: _Report
) -> None:
    if node.default_flow is not None:
        if node.default_flow not in node.outgoing:
            report(
                node.id,
                f"bpmn:{node.kind}",
                f"the default flow {node.default_flow!r} must be an outgoing flow of the gateway",
            )
        elif flows[node.default_flow].condition is not None:
            report(
                node.default_flow, "bpmn:sequenceFlow", "a default flow must not have a condition"
            )
    if len(node.outgoing) > 1:
        for flow_id in node.outgoing:
            if flow_id != node.default_flow and flows[flow_id].condition is None:
                report(
                    flow_id,
                    "bpmn:sequenceFlow",
                    f"must have a condition or be the default flow of gateway '{node.id}'",
                )
