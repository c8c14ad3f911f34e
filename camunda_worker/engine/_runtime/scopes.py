"""Variable scopes: lookup along the scope chain, Zeebe's propagation, input and output mappings.

- **Lookup**: an element sees its own (local) variables, then its flow scope's, up to the
  process instance (the root); the nearest wins.
- **Propagation** (job completion without output mappings, message and error variables, output
  mapping results): each variable is written to the nearest scope, from the given one upwards,
  that already has it; a variable no scope has is created in the root scope.
- **Local** (input mappings, variables of a job failure, event variables before output
  mappings): written to the given scope whatever the scopes above hold.
- **Input mappings** are evaluated in order against the flow scope's variables and the inputs
  mapped so far, and become the element's local variables.
- **Output mappings** are evaluated against the element's variables (local and inherited) and
  their results are propagated from the element's flow scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from camunda_worker.engine._model.definitions import VariableMapping
from camunda_worker.engine._model.expressions import set_path
from camunda_worker.engine._model.feel import Now
from camunda_worker.engine._runtime.instances import ElementInstance

__all__ = ["evaluate_inputs", "evaluate_outputs", "propagate", "set_local", "visible"]


def visible(scope: ElementInstance) -> dict[str, Any]:
    """The variables an element sees (a new top-level dict: nearest scope wins)."""
    chain = []
    current: ElementInstance | None = scope
    while current is not None:
        if current.variables:
            chain.append(current.variables)
        current = current.parent
    if len(chain) == 1:
        return dict(chain[0])
    merged: dict[str, Any] = {}
    for variables in reversed(chain):
        merged.update(variables)
    return merged


def propagate(scope: ElementInstance, values: Mapping[str, Any]) -> None:
    """Set variables the Zeebe way: in the nearest scope that has each, else in the root."""
    if not values:
        return
    current = scope
    while current.parent is not None and not current.variables:
        current = current.parent
    if current.parent is None and current.variables is not None:
        current.variables.update(values)  # no scope below the root holds a variable
        return
    for name, value in values.items():
        current = scope
        while True:
            variables = current.variables
            if current.parent is None or (variables is not None and name in variables):
                if variables is None:
                    variables = current.variables = {}
                variables[name] = value
                break
            current = current.parent


def set_local(scope: ElementInstance, values: Mapping[str, Any]) -> None:
    """Set variables in this scope, whatever the scopes above hold."""
    if not values:
        return
    if scope.variables is None:
        scope.variables = {}
    scope.variables.update(values)


def evaluate_inputs(
    mappings: tuple[VariableMapping, ...], flow_scope: ElementInstance, now: Now = None
) -> dict[str, Any]:
    """The local variables input mappings give an element entering ``flow_scope``.

    Each mapping sees the results of the earlier ones; an earlier result at a nested target
    shadows a same-named scope variable only where it defines keys.
    """
    context = visible(flow_scope)
    local: dict[str, Any] = {}
    for mapping in mappings:
        value = mapping.source.evaluate(_overlay(context, local) if local else context, now=now)
        set_path(local, mapping.target, value)
    return local


def evaluate_outputs(
    mappings: tuple[VariableMapping, ...], element: ElementInstance, now: Now = None
) -> dict[str, Any]:
    """The variables output mappings hand to the element's flow scope.

    Each mapping sees the results of the earlier ones first; a nested target extends the value
    the element sees at that path.
    """
    context = visible(element)
    result: dict[str, Any] = {}
    for mapping in mappings:
        value = mapping.source.evaluate({**context, **result} if result else context, now=now)
        set_path(result, mapping.target, value, context)
    return result


def _overlay(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    # ``top`` over ``base``, objects merged key by key.
    merged = dict(base)
    for name, value in top.items():
        below = merged.get(name)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            merged[name] = _overlay(below, value)
        else:
            merged[name] = value
    return merged
