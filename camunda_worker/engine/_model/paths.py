"""Paths through a process model: can a token still reach an element?

A joining inclusive gateway waits, as Zeebe's does, only for the incoming flows a token can
still arrive by: :func:`can_reach` follows outgoing sequence flows (and an activity's boundary
events, and a link throw event's jump) from where tokens are, skipping the gateway's incoming
flows a token already took (each is needed once).
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from camunda_worker.engine._model.definitions import ProcessModel

__all__ = ["can_reach"]


def can_reach(
    model: ProcessModel, sources: Iterable[str], target: str, taken: Set[str] = frozenset()
) -> bool:
    """Whether a path leads from one of ``sources`` (node ids) to ``target``.

    Args:
        model: the process model.
        sources: the nodes tokens are at (or about to enter).
        target: the node to reach.
        taken: sequence flows not to follow (the target's incoming flows already taken).
    """
    nodes, flows = model.nodes, model.flows
    stack = [source for source in sources if source != target]
    seen: set[str] = set()
    while stack:
        node_id = stack.pop()
        if node_id == target:
            return True
        if node_id in seen:
            continue
        seen.add(node_id)
        node = nodes.get(node_id)
        if node is None:
            continue
        if node.link_target is not None:
            stack.append(node.link_target)
            continue
        stack.extend(flows[flow_id].target for flow_id in node.outgoing if flow_id not in taken)
        stack.extend(node.boundary_events)
    return False
