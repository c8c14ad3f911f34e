"""Sequence-flow conditions: FEEL expressions that must give a boolean.

A condition is parsed once, at deploy time, with the engine's FEEL (:mod:`.feel`); anything the
FEEL parser refuses refuses the deployment. At run time a condition is evaluated with FEEL's
null semantics: an unknown variable (or a path into something that is not a context) is
``null``; comparing values of different types, or ordering with ``null``, gives ``null``;
``null = null`` is true and ``x = null`` is false for any other ``x``; ``and``/``or`` are
three-valued. A condition must evaluate to a boolean: anything else (``null`` included) is an
incident, with Zeebe's message and the warnings of the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from camunda_worker.engine._model.feel import (
    FeelExpression,
    FeelResult,
    FeelSyntaxError,
    Now,
    expect_type,
    json_type_name,
    parse,
)

__all__ = ["Condition", "ConditionSyntaxError", "feel_type_name", "parse_condition"]

#: A condition that does not parse (FEEL's syntax error: the message says where).
ConditionSyntaxError = FeelSyntaxError


@attrs.frozen
class Condition:
    """A parsed condition.

    Attributes:
        source: the expression text without the leading ``=``.
    """

    source: str
    _expression: FeelExpression = attrs.field(repr=False, eq=False)

    def evaluate(self, variables: Mapping[str, Any], *, now: Now = None) -> Any:
        """Evaluate against the given variables; the result may be any FEEL value.

        Args:
            variables: the variables visible to the condition.
            now: the clock of ``now()`` and ``today()`` (a callable or a ``datetime``).

        Returns:
            The value: ``True``/``False`` for a proper condition, ``None`` for FEEL ``null``.
        """
        return self._expression.evaluate(variables, now=now)

    def evaluate_result(self, variables: Mapping[str, Any], *, now: Now = None) -> FeelResult:
        """Evaluate and keep the warnings (for the incident message)."""
        return self._expression.evaluate_result(variables, now=now)

    def check(self, variables: Mapping[str, Any], *, now: Now = None) -> bool:
        """Whether the flow is taken.

        Raises:
            FeelEvaluationError: when the result is not a boolean, with Zeebe's message
                (``Expected result of the expression '...' to be 'BOOLEAN', but was 'NULL'.``
                and the evaluation's warnings); Zeebe raises it as an ``EXTRACT_VALUE_ERROR``.
        """
        value: bool = expect_type(self.evaluate_result(variables, now=now), "BOOLEAN")
        return value


def parse_condition(source: str) -> Condition:
    """Parse a condition expression (the text after the leading ``=``).

    Args:
        source: the expression, e.g. ``amount > 100 and contains(status, "ok")``.

    Returns:
        The parsed condition.

    Raises:
        ConditionSyntaxError: when the text is empty or not FEEL the engine parses.
    """
    expression = parse(source)
    return Condition(expression.source, expression)


def feel_type_name(value: Any) -> str:
    """Name a value's type the way Camunda's incident messages do (``'NULL'``, ...)."""
    return json_type_name(value)
