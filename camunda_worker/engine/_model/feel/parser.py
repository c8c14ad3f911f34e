r"""FEEL's grammar: a tokenizer and a recursive-descent (precedence-climbing) parser.

The parser compiles the text straight into a tree of Python closures, each taking a
:class:`~.semantics.Scope` and returning a FEEL value, so that evaluating a parsed expression
is a chain of plain calls. Precedence, lowest first (DMN 1.3, 10.3.1.2): ``if``/``for``/
``some``/``every``/``function``; ``or``; ``and``; comparison, ``between``, ``in``,
``instance of``; ``+ -``; ``* /``; ``**``; unary ``-``; path ``.``, filter ``[]`` and
invocation ``()``; literals, names, lists, contexts, ranges and parentheses.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from typing import Any, NoReturn

from camunda_worker.engine._model.feel.builtins import (
    BUILTINS,
    MISSING_PROPERTY,
    MULTI_WORD_NAMES,
    Builtin,
    IllegalArgumentsError,
    call_function,
    property_names,
    property_of,
)
from camunda_worker.engine._model.feel.errors import FeelSyntaxError
from camunda_worker.engine._model.feel.semantics import (
    MISSING,
    Scope,
    add,
    compare,
    divide,
    equal,
    in_range,
    multiply,
    negate,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
    power,
    subtract,
)
from camunda_worker.engine._model.feel.values import (
    Function,
    Range,
    feel_type,
    is_number,
    render,
)

__all__ = ["Evaluator", "compile_expression"]

Evaluator = Callable[[Scope], Any]
Test = Callable[[Scope, Any], Any]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]+`)
  | (?P<op>\.\.|<=|>=|!=|\*\*|[=<>+\-*/(),.\[\]{}:@])
  | (?P<name>[^\W\d]\w*|\?)
    """,
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "true",
        "false",
        "null",
        "if",
        "then",
        "else",
        "for",
        "in",
        "return",
        "some",
        "every",
        "satisfies",
        "between",
        "instance",
        "of",
        "function",
    }
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'"}
_UNICODE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{5,6})|(.))", re.DOTALL)
_MAX_WORDS = max(len(name.split()) for name in MULTI_WORD_NAMES)
_TYPES = {
    "number",
    "string",
    "boolean",
    "date",
    "time",
    "date and time",
    "days and time duration",
    "years and months duration",
    "list",
    "context",
    "function",
    "range",
    "null",
    "Any",
}
_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
# A temporal literal of the right shape but no real value (`@"2024-06-31"`) is null.
_TEMPORAL_SHAPE = re.compile(r"-?\d{4}-\d{2}-\d{2}|\d{2}:\d{2}")

Token = tuple[str, str, int]  # kind, text, offset


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1) or match.group(2):
            return chr(int(match.group(1) or match.group(2), 16))
        char = match.group(3)
        return _ESCAPES.get(char, "\\" + char)

    return _UNICODE.sub(one, body)


def _tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise FeelSyntaxError(
                source,
                f"unexpected character {source[position]!r} at position {position + 1}",
                position + 1,
            )
        kind = match.lastgroup or ""
        if kind == "backtick":
            tokens.append(("name", match.group()[1:-1], position))
        elif kind not in ("space", "comment"):
            tokens.append((kind, match.group(), position))
        position = match.end()
    return tokens


def compile_expression(source: str) -> Evaluator:
    """Parse FEEL text into an evaluator.

    Raises:
        FeelSyntaxError: when the text is empty or not FEEL this parser accepts.
    """
    tokens = _tokenize(source)
    if not tokens:
        raise FeelSyntaxError(source, "the expression is empty")
    parser = _Parser(source, tokens)
    try:
        evaluator = parser.expression()
    except RecursionError:
        raise FeelSyntaxError(source, "the expression is nested too deeply") from None
    if parser.position < len(tokens):
        parser.fail_here("unexpected")
    return evaluator


def _constant(value: Any) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        return value

    evaluate.constant = True  # type: ignore[attr-defined]
    evaluate.value = value  # type: ignore[attr-defined]
    return evaluate


class _Parser:
    """Recursive descent over the token list; each rule returns an evaluator closure."""

    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.position = 0
        # While parsing the end of a range, `[` closes it (`[1..10[`) instead of filtering.
        self.in_range_end = False

    # --- token helpers ----------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token | None:
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, *texts: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token[0] in ("op", "name") and token[1] in texts

    def accept(self, *texts: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] in ("op", "name") and token[1] in texts:
            self.position += 1
            return token[1]
        return None

    def error_here(self, what: str) -> FeelSyntaxError:
        token = self.peek()
        if token is None:
            return FeelSyntaxError(self.source, "the expression ends too early", len(self.source))
        return FeelSyntaxError(
            self.source, f"{what} {token[1]!r} at position {token[2] + 1}", token[2] + 1
        )

    def fail_here(self, what: str) -> NoReturn:
        raise self.error_here(what)

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            token = self.peek()
            found = "the end" if token is None else repr(token[1])
            where = len(self.source) if token is None else token[2]
            raise FeelSyntaxError(
                self.source, f"expected {text!r} but found {found} at position {where + 1}", where
            )

    def name(self) -> str:
        token = self.peek()
        if token is None or token[0] != "name":
            self.fail_here("expected a name but found")
        self.position += 1
        return token[1]

    def words(self) -> list[str]:
        """Consecutive name tokens (the parts of a multi-word name)."""
        out: list[str] = []
        while (token := self.peek()) is not None and token[0] == "name":
            out.append(token[1])
            self.position += 1
        return out

    def multi_word(self, names: frozenset[str] | set[str], *, call: bool) -> str | None:
        """The longest known multi-word name here (followed by ``(`` when ``call``)."""
        for count in range(_MAX_WORDS, 1, -1):
            parts = [self.peek(index) for index in range(count)]
            if any(part is None or part[0] != "name" for part in parts):
                continue
            name = " ".join(part[1] for part in parts if part is not None)
            if name in names and (not call or self.at("(", ahead=count)):
                self.position += count
                return name
        return None

    # --- grammar ----------------------------------------------------------------------------

    def expression(self) -> Evaluator:
        return self.disjunction()

    def disjunction(self) -> Evaluator:
        left = self.conjunction()
        while self.accept("or"):
            left = _or(left, self.conjunction())
        return left

    def conjunction(self) -> Evaluator:
        left = self.comparison()
        while self.accept("and"):
            left = _and(left, self.comparison())
        return left

    def comparison(self) -> Evaluator:
        left = self.additive()
        while True:
            operator = self.accept(*_COMPARISONS)
            if operator is not None:
                left = _comparison(operator, left, self.additive())
            elif self.accept("between"):
                low = self.additive()
                self.expect("and")
                left = _between(left, low, self.additive())
            elif self.accept("in"):
                left = _membership(left, self.positive_unary_tests())
            elif self.at("instance") and self.at("of", ahead=1):
                self.position += 2
                left = _instance_of(left, self.type_name())
            else:
                return left

    def type_name(self) -> str:
        name = self.multi_word(_TYPES, call=False) or self.name()
        if self.accept("<"):
            # list<number>, context<...>: the element type is not checked.
            depth = 1
            while depth and self.peek() is not None:
                depth += {"<": 1, ">": -1}.get(self.tokens[self.position][1], 0)
                self.position += 1
        if name not in _TYPES:
            raise FeelSyntaxError(self.source, f"unknown type {name!r}")
        return name

    def additive(self) -> Evaluator:
        left = self.multiplicative()
        while (operator := self.accept("+", "-")) is not None:
            right = self.multiplicative()
            left = _binary(add if operator == "+" else subtract, left, right)
        return left

    def multiplicative(self) -> Evaluator:
        left = self.exponent()
        while (operator := self.accept("*", "/")) is not None:
            right = self.exponent()
            left = _binary(multiply if operator == "*" else divide, left, right)
        return left

    def exponent(self) -> Evaluator:
        left = self.unary()
        while self.accept("**"):
            right = self.unary()
            left = _plain(power, left, right)
        return left

    def unary(self) -> Evaluator:
        if self.accept("-"):
            operand = self.unary()
            if getattr(operand, "constant", False) and is_number(operand.value):  # type: ignore[attr-defined]
                return _constant(negate(operand.value))  # type: ignore[attr-defined]
            return lambda scope: negate(operand(scope))
        return self.postfix()

    def postfix(self) -> Evaluator:
        value, callee = self.primary()
        while True:
            if self.accept("."):
                key = self.multi_word(MULTI_WORD_NAMES, call=False) or self.path_name()
                ref = getattr(value, "ref", None)
                value = _path(value, key) if ref is None else _ref(ref[0], (*ref[1], key))
                callee = None
            elif not self.in_range_end and self.accept("["):
                condition = self.expression()
                self.expect("]")
                value, callee = _filter(value, condition), None
            elif self.at("("):
                value, callee = self.invocation(value, callee), None
            else:
                return value

    def path_name(self) -> str:
        token = self.peek()
        if token is None or token[0] != "name":
            where = len(self.source) if token is None else token[2]
            raise FeelSyntaxError(
                self.source, f"expected a name after '.' at position {where + 1}", where + 1
            )
        self.position += 1
        return token[1]

    def primary(self) -> tuple[Evaluator, str | None]:
        token = self.peek()
        if token is None:
            raise FeelSyntaxError(self.source, "the expression ends too early", len(self.source))
        kind, text, offset = token
        if kind == "number":
            self.position += 1
            return _constant(decimal.Decimal(text)), None
        if kind == "string":
            self.position += 1
            return _constant(_unescape(text[1:-1])), None
        if kind == "op":
            return self.bracketed(text, offset), None
        return self.word(text, offset)

    def bracketed(self, text: str, offset: int) -> Evaluator:
        self.position += 1
        if text == "(":
            inner = self.expression()
            if self.accept(".."):
                return self.range_end(inner, start_included=False)
            self.expect(")")
            return inner
        if text == "[":
            if self.accept("]"):
                return _constant([])
            first = self.expression()
            if self.accept(".."):
                return self.range_end(first, start_included=True)
            items = [first]
            while self.accept(","):
                items.append(self.expression())
            self.expect("]")
            return _list(items)
        if text == "]":
            start = self.expression()
            self.expect("..")
            return self.range_end(start, start_included=False)
        if text == "{":
            return self.context()
        if text == "@":
            return self.temporal_literal(offset)
        self.position -= 1
        raise self.error_here("unexpected")

    def range_end(self, start: Evaluator, *, start_included: bool) -> Evaluator:
        outer, self.in_range_end = self.in_range_end, True
        try:
            end = self.expression()
        finally:
            self.in_range_end = outer
        closing = self.accept("]", ")", "[")
        if closing is None:
            self.fail_here("expected ']' or ')' but found")
        end_included = closing == "]"

        def evaluate(scope: Scope) -> Any:
            return Range(start(scope), start_included, end(scope), end_included)

        return evaluate

    def context(self) -> Evaluator:
        entries: list[tuple[str, Evaluator]] = []
        if not self.accept("}"):
            while True:
                token = self.peek()
                if token is not None and token[0] == "string":
                    self.position += 1
                    key = _unescape(token[1][1:-1])
                else:
                    words = self.words()
                    if not words:
                        self.fail_here("expected a context key but found")
                    key = " ".join(words)
                self.expect(":")
                entries.append((key, self.expression()))
                if self.accept("}"):
                    break
                self.expect(",")
        return _context(entries)

    def temporal_literal(self, offset: int) -> Evaluator:
        token = self.peek()
        if token is None or token[0] != "string":
            raise FeelSyntaxError(
                self.source, f"expected a string after '@' at position {offset + 1}", offset + 1
            )
        self.position += 1
        text = _unescape(token[1][1:-1])
        value = _temporal(text)
        if value is None and not _TEMPORAL_SHAPE.match(text):
            raise FeelSyntaxError(
                self.source, f"{text!r} is not a date, time or duration", offset + 1
            )
        return _constant(value)

    def word(self, text: str, offset: int) -> tuple[Evaluator, str | None]:
        if text in ("true", "false"):
            self.position += 1
            return _constant(text == "true"), None
        if text == "null":
            self.position += 1
            return _constant(None), None
        if text == "if":
            self.position += 1
            return self.conditional(), None
        if text in ("for",):
            self.position += 1
            return self.loop(), None
        if text in ("some", "every"):
            self.position += 1
            return self.quantified(text == "some"), None
        if text == "function" and self.at("(", ahead=1):
            self.position += 1
            return self.function_definition(), None
        long_name = self.multi_word(MULTI_WORD_NAMES, call=True)
        if long_name is not None:
            return _variable(long_name), long_name
        if text == "not" and not self.at("(", ahead=1):
            self.position += 1
            self.expect("(")
        if text in _KEYWORDS:
            self.fail_here("unexpected")
        self.position += 1
        return _variable(text), text

    def conditional(self) -> Evaluator:
        condition = self.expression()
        self.expect("then")
        then = self.expression()
        self.expect("else")
        otherwise = self.expression()

        def evaluate(scope: Scope) -> Any:
            # Not a boolean: the else branch, with a warning (feel-scala's withBooleanOrFalse).
            met = _expect_boolean(condition(scope), scope)
            return then(scope) if met else otherwise(scope)

        return evaluate

    def iterations(self) -> list[tuple[str, Evaluator, Evaluator | None]]:
        contexts: list[tuple[str, Evaluator, Evaluator | None]] = []
        while True:
            name = self.name()
            self.expect("in")
            source = self.expression()
            end = self.expression() if self.accept("..") else None
            contexts.append((name, source, end))
            if not self.accept(","):
                return contexts

    def loop(self) -> Evaluator:
        contexts = self.iterations()
        self.expect("return")
        body = self.expression()

        def evaluate(scope: Scope) -> Any:
            results: list[Any] = []
            for names in _combinations(scope, contexts):
                if names is None:
                    return None
                names["partial"] = results
                results.append(body(scope.child(names)))
            return results

        return evaluate

    def quantified(self, some: bool) -> Evaluator:
        contexts = self.iterations()
        self.expect("satisfies")
        condition = self.expression()

        def evaluate(scope: Scope) -> Any:
            for names in _combinations(scope, contexts):
                if names is None:
                    return None
                satisfied = condition(scope.child(names)) is True
                if satisfied is some:
                    return some
            return not some

        return evaluate

    def function_definition(self) -> Evaluator:
        self.expect("(")
        parameters: list[str] = []
        if not self.accept(")"):
            while True:
                parameters.append(self.name())
                if self.accept(":"):
                    self.type_name()
                if self.accept(")"):
                    break
                self.expect(",")
        body = self.expression()
        names = tuple(parameters)

        def evaluate(scope: Scope) -> Any:
            def call(run: Any, *arguments: Any) -> Any:
                if len(arguments) != len(names):
                    raise IllegalArgumentsError
                return body(scope.child(dict(zip(names, arguments, strict=True))))

            return Function("anonymous", names, call)

        return evaluate

    def arguments(self) -> tuple[list[Evaluator], list[tuple[str, Evaluator]]]:
        self.expect("(")
        positional: list[Evaluator] = []
        named: list[tuple[str, Evaluator]] = []
        if self.accept(")"):
            return positional, named
        while True:
            start = self.position
            words = self.words()
            if words and self.accept(":"):
                named.append((" ".join(words), self.expression()))
            else:
                self.position = start
                if named:
                    self.fail_here("positional argument after named ones:")
                positional.append(self.expression())
            if self.accept(")"):
                return positional, named
            self.expect(",")

    def invocation(self, target: Evaluator, name: str | None) -> Evaluator:
        positional, named = self.arguments()
        if name is not None and name in BUILTINS:
            return _builtin_call(name, positional, named)
        return _dynamic_call(target, name, positional, named)

    def positive_unary_tests(self) -> Test:
        if self.at("("):
            start = self.position
            self.position += 1
            tests = [self.unary_test()]
            while self.accept(","):
                tests.append(self.unary_test())
            if self.accept(")"):
                return tests[0] if len(tests) == 1 else _any_test(tests)
            self.position = start
        return self.unary_test()

    def unary_test(self) -> Test:
        if self.at("not") and self.at("(", ahead=1):
            start = self.position
            self.position += 2
            tests = [self.unary_test()]
            while self.accept(","):
                tests.append(self.unary_test())
            if self.accept(")"):
                return _negated_test(_any_test(tests))
            self.position = start
        operator = self.accept(*_COMPARISONS)
        if operator is not None:
            endpoint = self.additive()
            return _comparison_test(operator, endpoint)
        expected = self.additive()
        return _value_test(expected)


# --- closures ---------------------------------------------------------------------------------


def _temporal(text: str) -> Any:
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_date_time(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


def _variable(name: str) -> Evaluator:
    return _ref(name, ())


def _ref(name: str, keys: tuple[str, ...]) -> Evaluator:
    """A variable and the path after it (``a.b.c``): a missing variable ends the path quietly.

    As feel-scala does: ``a.b`` with no ``a`` reports only that ``a`` is missing, while a path
    through an existing context reports each missing entry.
    """

    def evaluate(scope: Scope) -> Any:
        value = scope.lookup(name)
        if value is MISSING:
            scope.run.warn("NO_VARIABLE_FOUND", f"No variable found with name '{name}'")
            return None
        for key in keys:
            value = _get(value, key, scope)
        return value

    evaluate.ref = (name, keys)  # type: ignore[attr-defined]
    return evaluate


def _get(value: Any, key: str, scope: Scope) -> Any:
    if type(value) is dict:
        found = value.get(key, MISSING)
        if found is MISSING:
            keys = ", ".join(f"'{name}'" for name in value)
            detail = f"Available keys: {keys}" if value else "The context is empty"
            scope.run.warn(
                "NO_CONTEXT_ENTRY_FOUND", f"No context entry found with key '{key}'. {detail}"
            )
            return None
        return found
    if type(value) is list:
        return [_get(item, key, scope) for item in value]
    if value is None:
        scope.run.warn(
            "NO_CONTEXT_ENTRY_FOUND",
            f"No context entry found with key '{key}'. The context is null",
        )
        return None
    found = property_of(value, key)
    if found is MISSING_PROPERTY:
        names = ", ".join(f"'{name}'" for name in property_names(value))
        scope.run.warn(
            "NO_PROPERTY_FOUND",
            f"No property found with name '{key}' of value '{render(value)}'. "
            f"Available properties: {names}",
        )
        return None
    return found


def _path(base: Evaluator, key: str) -> Evaluator:
    return lambda scope: _get(base(scope), key, scope)


def _index(items: list[Any], number: Any) -> Any:
    if number != number.to_integral_value():
        return None
    index = int(number)
    if index > 0 and index <= len(items):
        return items[index - 1]
    if index < 0 and -index <= len(items):
        return items[index]
    return None


def _filter(base: Evaluator, condition: Evaluator) -> Evaluator:
    """``list[condition]`` as feel-scala 1.19 evaluates it.

    A number literal is an index. A comparison or a function call is evaluated per item (with
    ``item`` and a context item's entries as names). Anything else is first evaluated as it
    stands: a number is an index, otherwise it is evaluated per item. Per item, a number from
    the first item makes it an index; only items giving ``true`` are kept. A value that is not
    a list is null and an ``INVALID_TYPE`` warning.
    """
    constant = getattr(condition, "constant", False) and is_number(condition.value)  # type: ignore[attr-defined]
    per_item_only = getattr(condition, "per_item", False)

    def per_item(items: list[Any], scope: Scope) -> Any:
        kept: list[Any] = []
        for position, item in enumerate(items):
            names = dict(item) if type(item) is dict else {}
            names["item"] = item
            result = condition(scope.child(names))
            if position == 0 and is_number(result):
                return _index(items, result)
            if result is True:
                kept.append(item)
        return kept

    def evaluate(scope: Scope) -> Any:
        value = base(scope)
        if type(value) is not list:
            scope.run.warn("INVALID_TYPE", f"Expected list but found '{render(value)}'")
            return None
        if constant:
            return _index(value, condition.value)  # type: ignore[attr-defined]
        if not per_item_only:
            index = condition(scope)
            if is_number(index):
                return _index(value, index)
        return per_item(value, scope)

    return evaluate


def _list(items: list[Evaluator]) -> Evaluator:
    if all(getattr(item, "constant", False) for item in items):
        values = [item.value for item in items]  # type: ignore[attr-defined]
        return lambda scope: list(values)
    return lambda scope: [item(scope) for item in items]


def _context(entries: list[tuple[str, Evaluator]]) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        result: dict[str, Any] = {}
        inner = scope.child(result)
        for key, entry in entries:
            result[key] = entry(inner)
        return result

    return evaluate


def _combinations(scope: Scope, contexts: list[tuple[str, Evaluator, Evaluator | None]]) -> Any:
    """Every binding of the iteration variables; yields ``None`` once if a source is invalid."""

    def values(source: Evaluator, end: Evaluator | None, names: dict[str, Any]) -> Any:
        inner = scope.child(names)
        start = source(inner)
        if end is not None:
            last = end(inner)
            if not (is_number(start) and is_number(last)):
                return None
            a, b = int(start), int(last)
            step = 1 if b >= a else -1
            return [decimal.Decimal(number) for number in range(a, b + step, step)]
        if type(start) is list:
            return start
        if isinstance(start, Range) and is_number(start.start) and is_number(start.end):
            a = int(start.start) + (0 if start.start_included else 1)
            b = int(start.end) - (0 if start.end_included else 1)
            return [decimal.Decimal(number) for number in range(a, b + 1)]
        return None if start is None else [start]

    def walk(index: int, names: dict[str, Any]) -> Any:
        if index == len(contexts):
            yield dict(names)
            return
        name, source, end = contexts[index]
        items = values(source, end, names)
        if items is None:
            yield None
            return
        for item in items:
            names[name] = item
            yield from walk(index + 1, names)
        names.pop(name, None)

    return walk(0, {})


def _expect_boolean(value: Any, scope: Scope) -> bool | None:
    """A boolean as it is; anything else (null included) is null and a warning, as in feel-scala."""
    if value is True or value is False:
        return bool(value)
    scope.run.warn("INVALID_TYPE", f"Expected boolean but found '{render(value)}'")
    return None


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    # feel-scala's fold: the first operand must be a boolean (else a warning); after a null only
    # a true counts; a true ends the evaluation.
    def evaluate(scope: Scope) -> Any:
        a = _expect_boolean(left(scope), scope)
        if a is True:
            return True
        b = right(scope)
        if a is None:
            return True if b is True else None
        return _expect_boolean(b, scope)

    return evaluate


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        a = _expect_boolean(left(scope), scope)
        if a is False:
            return False
        b = right(scope)
        if a is None:
            return False if b is False else None
        return _expect_boolean(b, scope)

    return evaluate


def _compare_with(operator: str, left: Any, right: Any, scope: Scope) -> Any:
    if operator == "=":
        return equal(left, right, scope.run)
    if operator == "!=":
        same = equal(left, right, scope.run)
        return None if same is None else not same
    order = compare(left, right, scope.run)
    if order is None:
        return None
    if operator == "<":
        return order < 0
    if operator == "<=":
        return order <= 0
    if operator == ">":
        return order > 0
    return order >= 0


def _comparison(operator: str, left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        return _compare_with(operator, left(scope), right(scope), scope)

    # feel-scala parses `!=` as not(=): only the others are comparisons for a filter.
    evaluate.per_item = operator != "!="  # type: ignore[attr-defined]
    return evaluate


def _between(value: Evaluator, low: Evaluator, high: Evaluator) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        subject = value(scope)
        above = _compare_with(">=", subject, low(scope), scope)
        below = _compare_with("<=", subject, high(scope), scope)
        if above is False or below is False:
            return False
        return True if above is True and below is True else None

    return evaluate


def _binary(operation: Callable[..., Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda scope: operation(left(scope), right(scope), scope.run)


def _plain(operation: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda scope: operation(left(scope), right(scope))


def _instance_of(value: Evaluator, type_name: str) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        actual = feel_type(value(scope))
        if type_name == "Any":
            return actual != "null"
        return actual == type_name

    return evaluate


def _membership(value: Evaluator, test: Test) -> Evaluator:
    return lambda scope: test(scope, value(scope))


def _any_test(tests: list[Test]) -> Test:
    def evaluate(scope: Scope, value: Any) -> Any:
        unknown = False
        for test in tests:
            result = test(scope, value)
            if result is True:
                return True
            unknown = unknown or result is None
        return None if unknown else False

    return evaluate


def _comparison_test(operator: str, endpoint: Evaluator) -> Test:
    return lambda scope, value: _compare_with(operator, value, endpoint(scope), scope)


def _negated_test(test: Test) -> Test:
    def evaluate(scope: Scope, value: Any) -> Any:
        result = test(scope, value)
        return None if result is None else not result

    return evaluate


def _value_test(expected: Evaluator) -> Test:
    def evaluate(scope: Scope, value: Any) -> Any:
        # `?` is the tested value (`x in ends with(?, "a")`).
        target = expected(scope.child({"?": value}))
        if isinstance(target, Range):
            return in_range(value, target, scope.run)
        if type(target) is list:
            if any(equal(value, item) is True for item in target):
                return True
            return equal(value, target) if type(value) is list else False
        if type(target) is bool and type(value) is not bool:
            return target
        return equal(value, target, scope.run)

    return evaluate


# --- invocation -------------------------------------------------------------------------------


def _pick(name: str, count: int, named: list[str]) -> Builtin | None:
    for candidate in BUILTINS[name]:
        if named:
            names = set(candidate.parameters)
            required = set(candidate.parameters[: candidate.required])
            if set(named) <= names and required <= set(named) and not count:
                return candidate
        elif candidate.accepts(count):
            return candidate
    return None


def _no_function(scope: Scope, name: str, count: int, named: list[str]) -> None:
    # feel-scala's words: by the number of positional arguments, or the names of named ones.
    shape = f"parameters: {','.join(named)}" if named else f"{count} parameters"
    scope.run.warn("NO_FUNCTION_FOUND", f"No function found with name '{name}' and {shape}")


def _builtin_call(
    name: str, positional: list[Evaluator], named: list[tuple[str, Evaluator]]
) -> Evaluator:
    chosen = _pick(name, len(positional), [key for key, _ in named])
    if chosen is None:

        def missing(scope: Scope) -> Any:
            _no_function(scope, name, len(positional), [key for key, _ in named])
            return None

        missing.per_item = True  # type: ignore[attr-defined]
        return missing
    function = Function(name, chosen.parameters, chosen.impl)
    if named:
        order = {key: index for index, key in enumerate(chosen.parameters)}
        slots = sorted(named, key=lambda entry: order[entry[0]])
        last = max(order[key] for key, _ in named)
        by_slot = dict(slots)

        def call_named(scope: Scope) -> Any:
            values = [
                by_slot[key](scope) if key in by_slot else None
                for key in chosen.parameters[: last + 1]
            ]
            return call_function(function, scope.run, values)

        call_named.per_item = True  # type: ignore[attr-defined]
        return call_named

    def call(scope: Scope) -> Any:
        return call_function(function, scope.run, [argument(scope) for argument in positional])

    call.per_item = True  # type: ignore[attr-defined]
    return call


def _dynamic_call(
    target: Evaluator,
    name: str | None,
    positional: list[Evaluator],
    named: list[tuple[str, Evaluator]],
) -> Evaluator:
    def evaluate(scope: Scope) -> Any:
        function = scope.lookup(name) if name is not None else target(scope)
        names = [key for key, _ in named]
        if not isinstance(function, Function) or (named and function.parameters is None):
            _no_function(scope, name or "anonymous", len(positional), names)
            return None
        values = [argument(scope) for argument in positional]
        if named and function.parameters is not None:
            given = {key: argument(scope) for key, argument in named}
            values = [given.get(parameter) for parameter in function.parameters]
        return call_function(function, scope.run, values)

    evaluate.per_item = True  # type: ignore[attr-defined]
    return evaluate
