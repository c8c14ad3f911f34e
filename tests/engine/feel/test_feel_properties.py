"""Properties of the FEEL implementation, on generated input (hypothesis)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.engine._model.feel import FeelEvaluationError, FeelSyntaxError, evaluate, parse
from camunda_worker.engine._model.feel.values import DECIMAL, format_number, quote

decimals = st.decimals(
    min_value=decimal.Decimal("-1e12"),
    max_value=decimal.Decimal("1e12"),
    allow_nan=False,
    allow_infinity=False,
    places=6,
)


def literal(number: decimal.Decimal) -> str:
    return f"({format_number(number)})"


@given(decimals, decimals)
def test_arithmetic_matches_decimal_arithmetic(a: decimal.Decimal, b: decimal.Decimal) -> None:
    cases = {
        "+": DECIMAL.add(a, b),
        "-": DECIMAL.subtract(a, b),
        "*": DECIMAL.multiply(a, b),
    }
    if b != 0:
        cases["/"] = DECIMAL.divide(a, b)
    for operator, expected in cases.items():
        text = f"{literal(a)} {operator} {literal(b)} = {literal(expected)}"
        assert evaluate(text, {}) is True, text


@given(decimals, decimals)
def test_arithmetic_on_variables_matches_decimal_not_float(
    a: decimal.Decimal, b: decimal.Decimal
) -> None:
    x, y = float(a), float(b)
    expected = DECIMAL.add(decimal.Decimal(repr(x)), decimal.Decimal(repr(y)))
    assert evaluate(f"x + y = {literal(expected)}", {"x": x, "y": y}) is True


@given(st.text())
def test_string_literals_round_trip(text: str) -> None:
    assert evaluate(quote(text), {}) == text
    assert evaluate("x", {"x": text}) == text
    assert evaluate(f"string length({quote(text)})", {}) == len(text)


@given(decimals | st.integers(-(10**15), 10**15))
def test_number_literals_become_an_int_when_whole_else_the_nearest_float(
    number: decimal.Decimal | int,
) -> None:
    value = decimal.Decimal(number)
    result = evaluate(literal(value), {})
    if value == value.to_integral_value():
        assert type(result) is int
        assert result == int(value)
    else:
        assert result == float(value)
    assert evaluate(f"{literal(value)} = x", {"x": str(value)}) is None  # a string is no number
    assert evaluate(f"{literal(value)} = number(x)", {"x": str(value)}) is True


@given(decimals, decimals)
def test_comparisons_are_consistent(a: decimal.Decimal, b: decimal.Decimal) -> None:
    variables = {"a": str(a), "b": str(b)}
    names = "number(a)", "number(b)"
    results = {
        operator: evaluate(f"{names[0]} {operator} {names[1]}", variables)
        for operator in ("<", "<=", "=", "!=", ">=", ">")
    }
    assert results == {
        "<": a < b,
        "<=": a <= b,
        "=": a == b,
        "!=": a != b,
        ">=": a >= b,
        ">": a > b,
    }
    assert evaluate(f"{names[0]} between {names[1]} and {names[0]}", variables) is (b <= a)


@given(st.text(), st.text())
def test_string_ordering_and_equality_follow_code_points(a: str, b: str) -> None:
    assert evaluate("a < b", {"a": a, "b": b}) is (a < b)
    assert evaluate("a = b", {"a": a, "b": b}) is (a == b)


_PIECES = st.sampled_from(
    [
        "1",
        "2.5",
        "-",
        "+",
        "*",
        "/",
        "**",
        "=",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        ".",
        "..",
        "x",
        "item",
        "a.b",
        '"s"',
        "`n m`",
        "null",
        "true",
        "and",
        "or",
        "not",
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
        "string length",
        "contains",
        "count",
        "@",
        '"2020-01-01"',
        "date",
        "?",
        "#",
        "'",
        "\\",
        "\n",
    ]
)


@settings(max_examples=300)
@given(st.lists(_PIECES, max_size=12).map(" ".join) | st.text(max_size=40))
def test_parse_fails_only_with_a_syntax_error_and_evaluation_never_crashes(text: str) -> None:
    try:
        expression = parse(text)
    except FeelSyntaxError as exc:
        message = str(exc)
    else:
        message = ""
        variables: dict[str, Any] = {"x": 1, "item": [1, "a", None], "a": {"b": [2]}, "n m": 1}
        with contextlib.suppress(FeelEvaluationError):
            expression.evaluate(variables)
        return
    assert message  # a syntax error always says what is wrong


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def as_stored(value: Any) -> Any:
    """What Zeebe stores for a JSON value passed through FEEL: whole floats become ints.

    A float becomes a decimal through its shortest repr (Java's ``BigDecimal.valueOf``), so
    ``3.602879272399667e16`` is the whole number 36028792723996670.
    """
    if isinstance(value, float) and value == int(value):
        return int(decimal.Decimal(repr(value)))
    if isinstance(value, list):
        return [as_stored(item) for item in value]
    if isinstance(value, dict):
        return {key: as_stored(item) for key, item in value.items()}
    return value


def feel_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return literal(decimal.Decimal(repr(value)))
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(feel_literal(item) for item in value) + "]"
    return "{" + ", ".join(f"{quote(k)}: {feel_literal(v)}" for k, v in value.items()) + "}"


@given(json_values)
def test_json_variables_pass_through_feel_unchanged(value: Any) -> None:
    assert evaluate("x", {"x": value}) == as_stored(value)
    assert evaluate(feel_literal(value), {}) == as_stored(value)
    assert evaluate(f"x = {feel_literal(value)}", {"x": value}) is True
    assert evaluate("x in [x]", {"x": value}) is True


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.integers(0, 5000),
)
def test_date_arithmetic_matches_pythons_calendar(a: dt.date, b: dt.date, days: int) -> None:
    variables = {"a": a.isoformat(), "b": b.isoformat(), "d": f"P{days}D"}
    shifted = a + dt.timedelta(days=days)
    if shifted.year <= 9999:
        assert evaluate("date(a) + duration(d)", variables) == shifted.isoformat()
        assert evaluate("date(a) + duration(d) - duration(d) = date(a)", variables) is True
    assert evaluate("date(b) - date(a)", variables) == evaluate(
        "duration(x)", {"x": f"{'-' if b < a else ''}P{abs((b - a).days)}D" if a != b else "PT0S"}
    )
    assert evaluate("date(a) < date(b)", variables) is (a < b)
    assert evaluate("date(a).weekday", variables) == a.isoweekday()


@given(st.integers(-1200, 1200), st.integers(-1200, 1200))
def test_years_and_months_durations_add_as_months(m: int, n: int) -> None:
    def iso(months: int) -> str:
        if not months:
            return "P0Y"  # as Camunda's FEEL writes it
        years, rest = divmod(abs(months), 12)
        text = (f"{years}Y" if years else "") + (f"{rest}M" if rest else "")
        return ("-" if months < 0 else "") + "P" + text

    variables = {"m": iso(m), "n": iso(n)}
    assert evaluate("duration(m) + duration(n)", variables) == iso(m + n)
    assert evaluate("duration(m) < duration(n)", variables) is (m < n)
