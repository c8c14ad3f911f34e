r"""The small FEEL subset the engine evaluates in sequence-flow conditions.

Conditions are parsed once, at deploy time, into Python closures; nothing is ``eval``-ed. The
subset covers what gateway conditions usually need:

- literals: numbers (``100``, ``2.5``), strings (``"ok"``, with ``\"`` ``\\`` ``\n`` ``\t``
  escapes), ``true``, ``false``, ``null``;
- variable names and dotted paths into objects (``order.customer.tier``);
- comparisons ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``; arithmetic ``+``, ``-``, ``*``, ``/``
  and unary minus; ``and``, ``or``, ``not(...)`` and parentheses.

Evaluation follows FEEL's null semantics: an unknown variable (or a path into something that is
not an object) is ``null``; comparing values of different types, or ordering with ``null``, gives
``null``; ``null = null`` is true and ``x = null`` is false for any other ``x``; ``and``/``or``
are three-valued. A condition must evaluate to a boolean: anything else (``null`` included) is an
incident at run time, as in Camunda.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

__all__ = ["Condition", "ConditionSyntaxError", "feel_type_name", "parse_condition"]

Evaluator = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|/|\(|\)|\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null"})
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}


class ConditionSyntaxError(ValueError):
    """The condition is not in the supported FEEL subset (the message says where)."""


@attrs.frozen
class Condition:
    """A parsed condition.

    Attributes:
        source: the expression text without the leading ``=``.
    """

    source: str
    _evaluate: Evaluator = attrs.field(repr=False, eq=False)

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate against the given variables; the result may be any FEEL value.

        Args:
            variables: the variables visible to the condition.

        Returns:
            The value: ``True``/``False`` for a proper condition, ``None`` for FEEL ``null``.
        """
        return self._evaluate(variables)


def parse_condition(source: str) -> Condition:
    """Parse a condition expression (the text after the leading ``=``).

    Args:
        source: the expression, e.g. ``amount > 100 and status = "ok"``.

    Returns:
        The parsed condition.

    Raises:
        ConditionSyntaxError: when the text is empty or outside the supported subset.
    """
    tokens = _tokenize(source)
    if not tokens:
        msg = "the expression is empty"
        raise ConditionSyntaxError(msg)
    parser = _Parser(source, tokens)
    evaluator = parser.parse_or()
    if parser.position < len(tokens):
        _, text, offset = tokens[parser.position]
        msg = f"unexpected {text!r} at position {offset + 1}"
        raise ConditionSyntaxError(msg)
    return Condition(source.strip(), evaluator)


def feel_type_name(value: Any) -> str:
    """Name a value's FEEL type the way Camunda's incident messages do (``'NULL'``, ...)."""
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


Token = tuple[str, str, int]


def _tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            msg = f"unexpected character {source[position]!r} at position {position + 1}"
            raise ConditionSyntaxError(msg)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group(), position))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the token list; each rule returns an evaluator closure."""

    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _accept(self, *texts: str) -> str | None:
        token = self._peek()
        if token is not None and token[0] in ("op", "name") and token[1] in texts:
            self.position += 1
            return token[1]
        return None

    def _expect(self, text: str) -> None:
        if self._accept(text) is None:
            token = self._peek()
            found = "the end" if token is None else repr(token[1])
            where = len(self.source) if token is None else token[2]
            msg = f"expected {text!r} but found {found} at position {where + 1}"
            raise ConditionSyntaxError(msg)

    def parse_or(self) -> Evaluator:
        left = self.parse_and()
        while self._accept("or"):
            left = _or(left, self.parse_and())
        return left

    def parse_and(self) -> Evaluator:
        left = self.parse_comparison()
        while self._accept("and"):
            left = _and(left, self.parse_comparison())
        return left

    def parse_comparison(self) -> Evaluator:
        left = self.parse_sum()
        name = self._accept("=", "!=", "<", "<=", ">", ">=")
        if name is None:
            return left
        return _comparison(name, left, self.parse_sum())

    def parse_sum(self) -> Evaluator:
        left = self.parse_product()
        while (name := self._accept("+", "-")) is not None:
            left = _arithmetic(name, left, self.parse_product())
        return left

    def parse_product(self) -> Evaluator:
        left = self.parse_unary()
        while (name := self._accept("*", "/")) is not None:
            left = _arithmetic(name, left, self.parse_unary())
        return left

    def parse_unary(self) -> Evaluator:
        if self._accept("-"):
            operand = self.parse_unary()
            return lambda variables: _negate(operand(variables))
        return self.parse_primary()

    def parse_primary(self) -> Evaluator:
        token = self._peek()
        if token is None:
            msg = "the expression ends too early"
            raise ConditionSyntaxError(msg)
        kind, text, offset = token
        self.position += 1
        if kind == "number":
            number: float | int = float(text) if "." in text else int(text)
            return lambda _variables: number
        if kind == "string":
            value = _unescape(text[1:-1])
            return lambda _variables: value
        if text == "(":
            inner = self.parse_or()
            self._expect(")")
            return inner
        if kind == "name":
            return self._name(text, offset)
        msg = f"unexpected {text!r} at position {offset + 1}"
        raise ConditionSyntaxError(msg)

    def _name(self, text: str, offset: int) -> Evaluator:
        if text in ("true", "false"):
            flag = text == "true"
            return lambda _variables: flag
        if text == "null":
            return lambda _variables: None
        if text == "not":
            self._expect("(")
            operand = self.parse_or()
            self._expect(")")
            return lambda variables: _not(operand(variables))
        if text in _KEYWORDS:
            msg = f"unexpected {text!r} at position {offset + 1}"
            raise ConditionSyntaxError(msg)
        path = [text]
        while self._accept("."):
            token = self._peek()
            if token is None or token[0] != "name":
                msg = f"expected a name after '.' at position {offset + 1}"
                raise ConditionSyntaxError(msg)
            path.append(token[1])
            self.position += 1
        return _path(tuple(path))


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), body)


def _path(names: tuple[str, ...]) -> Evaluator:
    first, rest = names[0], names[1:]

    def evaluate(variables: Mapping[str, Any]) -> Any:
        value = variables.get(first)
        for name in rest:
            value = value.get(name) if isinstance(value, Mapping) else None
        return value

    return evaluate


def _kind(value: Any) -> str:
    # bool before number: FEEL booleans never compare with numbers.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _equals(left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return left is None and right is None
    if _kind(left) != _kind(right):
        return None
    return bool(left == right)


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def _not_equal(left: Any, right: Any) -> bool | None:
    equal = _equals(left, right)
    return None if equal is None else not equal


def _ordered(name: str) -> Callable[[Any, Any], bool | None]:
    compare = _ORDERINGS[name]

    def evaluate(left: Any, right: Any) -> bool | None:
        kind = _kind(left)
        if left is None or right is None or kind != _kind(right) or kind not in ("number", "str"):
            return None
        return compare(left, right)

    return evaluate


def _comparison(name: str, left: Evaluator, right: Evaluator) -> Evaluator:
    compare = {"=": _equals, "!=": _not_equal}.get(name) or _ordered(name)
    return lambda variables: compare(left(variables), right(variables))


def _calculate(name: str, left: Any, right: Any) -> Any:
    kind = _kind(left)
    if kind != _kind(right):
        return None
    if kind == "str" and name == "+":
        return left + right
    if kind != "number" or (name == "/" and right == 0):
        return None
    return _ARITHMETIC[name](left, right)


def _arithmetic(name: str, left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda variables: _calculate(name, left(variables), right(variables))


def _negate(value: Any) -> Any:
    return -value if _kind(value) == "number" else None


def _not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(variables: Mapping[str, Any]) -> bool | None:
        a = left(variables)
        if a is False:
            return False
        b = right(variables)
        if b is False:
            return False
        return True if a is True and b is True else None

    return evaluate


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(variables: Mapping[str, Any]) -> bool | None:
        a = left(variables)
        if a is True:
            return True
        b = right(variables)
        if b is True:
            return True
        return False if a is False and b is False else None

    return evaluate
