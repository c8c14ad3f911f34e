"""Expressions in BPMN attributes: Zeebe's rule "``=`` starts a FEEL expression, else a value".

Mappings, job types, retries, timers and other attributes go through :func:`parse_expression`,
the one seam between the process model and the engine's FEEL (:mod:`.feel`): a text starting
with ``=`` is parsed at deploy time, any other text is a static string. Evaluation takes the
engine clock for ``now()``/``today()``; an expression that fails (an ``assert``) raises
:class:`~camunda_worker.engine._model.feel.FeelEvaluationError`, which the runtime turns into an
incident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from camunda_worker.engine._model.feel import FeelSyntaxError, Now, parse

__all__ = [
    "PATH_PATTERN",
    "Expression",
    "ExpressionSyntaxError",
    "is_variable_path",
    "parse_expression",
    "set_path",
]

_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$")
#: The pattern Zeebe checks mapping targets against (as its message quotes it).
PATH_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_\-]*(\.[a-zA-Z_][a-zA-Z0-9_\-]*)*"


class ExpressionSyntaxError(ValueError):
    """An ``=`` expression the FEEL parser cannot read (the message says where)."""


@attrs.frozen
class Expression:
    """A static value or a parsed FEEL expression.

    Attributes:
        text: the attribute's text as written (with the leading ``=`` of an expression).
        static: whether it is a static value (no leading ``=``).
    """

    text: str
    static: bool
    _evaluate: Any = attrs.field(repr=False, eq=False, default=None)

    def evaluate(self, variables: Mapping[str, Any], *, now: Now = None) -> Any:
        """The value: the static text, or the expression's result against ``variables``.

        Args:
            variables: the variables the element sees.
            now: the clock of FEEL's ``now()`` and ``today()``.

        Raises:
            FeelEvaluationError: when the expression fails (an ``assert(...)``).
        """
        if self.static:
            return self.text
        return self._evaluate(variables, now=now)


def _parse_feel(source: str) -> Any:
    # The seam: the parsed expression's ``evaluate(variables, now=...)``.
    try:
        return parse(source).evaluate
    except FeelSyntaxError as exc:
        raise ExpressionSyntaxError(str(exc)) from None


def parse_expression(text: str) -> Expression:
    """Parse an attribute value following Zeebe's ``=``-prefix rule.

    Raises:
        ExpressionSyntaxError: when an ``=`` expression cannot be parsed.
    """
    stripped = text.strip()
    if stripped.startswith("="):
        return Expression(stripped, False, _parse_feel(stripped[1:]))
    return Expression(text, True)


def is_variable_path(text: str) -> bool:
    """Whether ``text`` is a variable name or a dotted path (a mapping target)."""
    return _PATH.match(text) is not None


def set_path(
    variables: dict[str, Any], path: str, value: Any, base: Mapping[str, Any] | None = None
) -> None:
    """Set ``a.b.c = value`` in ``variables``, merging with objects that already exist.

    Args:
        variables: the document being built (changed in place).
        path: the target, a variable name or dotted path.
        value: the value to set.
        base: variables an absent first segment is looked up in (an existing object is copied
            and extended rather than replaced, as Zeebe's nested targets do).
    """
    names = path.split(".")
    if len(names) == 1:
        variables[path] = value
        return
    first = names[0]
    current = variables.get(first)
    if current is None and base is not None:
        current = base.get(first)
    node: dict[str, Any] = dict(current) if isinstance(current, Mapping) else {}
    variables[first] = node
    for name in names[1:-1]:
        child = node.get(name)
        copied: dict[str, Any] = dict(child) if isinstance(child, Mapping) else {}
        node[name] = copied
        node = copied
    node[names[-1]] = value
