r"""FEEL, the expression language of Camunda 8 models, as the engine evaluates it.

The API other parts of the engine use::

    expression = parse("amount > 100 and contains(status, \"ok\")")   # FeelSyntaxError if not
    expression.evaluate({"amount": 150, "status": "ok"})              # -> True (JSON value)
    evaluate("today() + duration(\"P1D\")", {}, now=clock_now)        # -> "2026-12-02"
    result = expression.evaluate_result(variables)   # value, warnings, feel_value (native)
    expect_type(result, "BOOLEAN")          # FeelEvaluationError with Zeebe's incident message

- :func:`parse` compiles the text once (cached by text) into a :class:`FeelExpression`.
- :meth:`FeelExpression.evaluate` takes the engine's variables as JSON-shaped Python values
  (``int``/``float``/``str``/``bool``/``None``/``list``/``dict``) and returns the result the
  same way, as Zeebe stores it: whole numbers as ``int``, other numbers as ``float``, dates,
  times and durations as ISO 8601 strings. :meth:`FeelExpression.evaluate_result` also gives
  the warnings (Camunda's FEEL evaluates a missing variable, a bad argument, an impossible
  comparison to ``null`` and reports a warning).
- ``now``: a callable giving the current ``datetime`` (the engine's controllable clock) or a
  ``datetime``; ``now()`` and ``today()`` read it (UTC when it is naive or absent).
- :func:`static_or_expression` applies Zeebe's rule for attribute values: a value starting with
  ``=`` is a FEEL expression, anything else a static string.
- :func:`expect_type` turns a result of the wrong type into a :class:`FeelEvaluationError`
  whose message is Zeebe's (``Expected result of the expression 'x' to be 'BOOLEAN', but was
  'NULL'. The evaluation reported the following warnings: ...``); the caller raises the
  incident (``CONDITION_ERROR`` for conditions, ``EXTRACT_VALUE_ERROR`` otherwise). An
  ``assert(...)`` that fails raises :class:`FeelEvaluationError` from ``evaluate`` itself.

Numbers are decimals (``0.1 + 0.2 = 0.3``), with 34 significant digits. What is supported
and what is not is listed in docs/engine.md ("FEEL").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from camunda_worker.engine._model.feel.errors import (
    FeelEvaluationError,
    FeelSyntaxError,
    FeelWarning,
    with_warnings,
)
from camunda_worker.engine._model.feel.parser import Evaluator, compile_expression
from camunda_worker.engine._model.feel.semantics import Run, Scope
from camunda_worker.engine._model.feel.values import to_json

__all__ = [
    "FeelEvaluationError",
    "FeelExpression",
    "FeelResult",
    "FeelSyntaxError",
    "FeelWarning",
    "Now",
    "evaluate",
    "expect_type",
    "json_type_name",
    "parse",
    "static_or_expression",
    "with_warnings",
]

#: Where ``now()`` and ``today()`` take the time from.
Now = Callable[[], dt.datetime] | dt.datetime | None


@attrs.frozen
class FeelResult:
    """The outcome of an evaluation.

    Attributes:
        expression: the expression's text (without ``=``), for messages.
        value: the result as a JSON-shaped Python value.
        warnings: what the evaluation reported, in order.
        feel_value: the result as a FEEL value, before it became JSON: ``Decimal`` numbers,
            ``datetime.date``/``time``/``datetime``, ``datetime.timedelta`` (days and time),
            :class:`~.values.YearsMonths`, :class:`~.values.Range`, :class:`~.values.Function`
            (what a timer needs to tell a duration from a date and time).
    """

    expression: str
    value: Any
    warnings: tuple[FeelWarning, ...]
    feel_value: Any = None


def _clock(now: Now) -> Callable[[], dt.datetime] | None:
    if isinstance(now, dt.datetime):
        moment = now
        return lambda: moment
    return now


@attrs.frozen
class FeelExpression:
    """A parsed FEEL expression; evaluate it as often as needed.

    Attributes:
        source: the expression's text (without the leading ``=``), stripped.
    """

    source: str
    _evaluator: Evaluator = attrs.field(repr=False, eq=False)

    def evaluate_result(self, variables: Mapping[str, Any], *, now: Now = None) -> FeelResult:
        """Evaluate and keep the warnings.

        Args:
            variables: the visible variables, as JSON-shaped Python values.
            now: the clock of ``now()``/``today()``: a callable or a ``datetime``.

        Returns:
            The value (JSON-shaped) and the warnings.

        Raises:
            FeelEvaluationError: when an ``assert(...)`` in the expression fails.
        """
        run = Run(self.source, _clock(now))
        value = self._evaluator(Scope(variables, run, raw=True))
        return FeelResult(self.source, to_json(value), tuple(run.warnings), value)

    def evaluate(self, variables: Mapping[str, Any], *, now: Now = None) -> Any:
        """Evaluate; the result as a JSON-shaped Python value (``None`` for FEEL ``null``).

        Args:
            variables: the visible variables, as JSON-shaped Python values.
            now: the clock of ``now()``/``today()``: a callable or a ``datetime``.

        Raises:
            FeelEvaluationError: when an ``assert(...)`` in the expression fails.
        """
        run = Run(self.source, _clock(now))
        return to_json(self._evaluator(Scope(variables, run, raw=True)))


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> FeelExpression:
    """Parse a FEEL expression (the text after the ``=``); cached by text.

    Args:
        text: the expression, e.g. ``amount > 100``.

    Returns:
        The parsed expression.

    Raises:
        FeelSyntaxError: when the text is empty or not FEEL this engine parses; the message says
            where.
    """
    return FeelExpression(text.strip(), compile_expression(text))


def evaluate(text: str, variables: Mapping[str, Any], *, now: Now = None) -> Any:
    """Parse (cached) and evaluate a FEEL expression.

    Args:
        text: the expression (without the ``=``).
        variables: the visible variables, as JSON-shaped Python values.
        now: the clock of ``now()``/``today()``: a callable or a ``datetime``.

    Returns:
        The result as a JSON-shaped Python value.

    Raises:
        FeelSyntaxError: when the text does not parse.
        FeelEvaluationError: when an ``assert(...)`` in the expression fails.
    """
    return parse(text).evaluate(variables, now=now)


def static_or_expression(value: str) -> FeelExpression | str:
    """Zeebe's rule for an attribute value: ``=...`` is FEEL (parsed), anything else static.

    Raises:
        FeelSyntaxError: when the value starts with ``=`` and the rest does not parse.
    """
    if value.startswith("="):
        return parse(value[1:])
    return value


def json_type_name(value: Any) -> str:
    """A JSON value's type as Zeebe's messages name it (``'NULL'``, ``'NUMBER'``, ...)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"


def expect_type(result: FeelResult, *expected: str) -> Any:
    """The result's value if its type is one of ``expected`` (Zeebe's names), else an error.

    Args:
        result: an evaluation's result.
        expected: Zeebe's type names: ``BOOLEAN``, ``NUMBER``, ``STRING``, ``ARRAY``,
            ``OBJECT``, ``NULL``.

    Returns:
        The value.

    Raises:
        FeelEvaluationError: with Zeebe's message, e.g. ``Expected result of the expression
            'x' to be 'BOOLEAN', but was 'NULL'.`` and the warnings.
    """
    actual = json_type_name(result.value)
    if actual in expected:
        return result.value
    wanted = f"'{expected[0]}'" if len(expected) == 1 else f"one of '[{', '.join(expected)}]'"
    message = (
        f"Expected result of the expression '{result.expression}' to be {wanted}, "
        f"but was '{actual}'."
    )
    raise FeelEvaluationError(with_warnings(message, result.warnings), result.warnings)
