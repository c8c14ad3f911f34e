"""Error and escalation codes given as expressions, evaluated when the throwing event is reached.

Zeebe lets the ``errorCode`` of an error end event and the ``escalationCode`` of an escalation
throw or end event be an ``=`` expression (catch events' codes are static: the model refuses
expressions there). The expression is evaluated in the event's scope when a token reaches it;
a failure, or a result that is not a string, is an ``EXTRACT_VALUE_ERROR`` incident on the
event, as in Zeebe (resolving it, after fixing the variables, reaches the event again).
"""

from __future__ import annotations

import attrs

from camunda_worker.engine._model.conditions import feel_type_name
from camunda_worker.engine._model.definitions import FlowNode
from camunda_worker.engine._model.feel import FeelEvaluationError, Now
from camunda_worker.engine._runtime.instances import ElementInstance
from camunda_worker.engine._runtime.scopes import visible

__all__ = ["thrower_with_code"]


def thrower_with_code(node: FlowNode, scope: ElementInstance, now: Now) -> FlowNode | str:
    """The throwing event with its code resolved, or the incident's message when it fails.

    A node with a static code is returned as it is; one with a code expression is returned as
    a copy whose ``error_code`` is the expression's result (so an escalation that reaches a
    calling process carries the code that was thrown).
    """
    expression = node.code_expression
    if expression is None:
        return node
    try:
        code = expression.evaluate(visible(scope), now=now)
    except FeelEvaluationError as exc:
        return exc.message
    if not isinstance(code, str):
        return (
            f"Expected result of the expression '{expression.text.lstrip('=').strip()}' to be "
            f"'STRING', but was '{feel_type_name(code)}'."
        )
    return attrs.evolve(node, error_code=code)
