"""The FEEL API the engine uses: parse (cached), evaluate, warnings, Zeebe's messages, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import pytest

from camunda_worker.engine._model.feel import (
    FeelEvaluationError,
    FeelExpression,
    FeelSyntaxError,
    FeelWarning,
    evaluate,
    expect_type,
    json_type_name,
    parse,
    static_or_expression,
)


def warnings_of(expression: str, variables: dict[str, Any] | None = None) -> list[str]:
    return [str(warning) for warning in parse(expression).evaluate_result(variables or {}).warnings]


def test_parse_is_cached_by_text_and_keeps_the_stripped_source() -> None:
    assert parse(" a + 1 ") is parse(" a + 1 ")
    assert parse(" a + 1 ").source == "a + 1"


def test_static_or_expression_follows_zeebes_equals_rule() -> None:
    assert static_or_expression("payment") == "payment"
    expression = static_or_expression('= "pay" + "ment"')
    assert isinstance(expression, FeelExpression)
    assert expression.evaluate({}) == "payment"
    with pytest.raises(FeelSyntaxError):
        static_or_expression("= 1 +")


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [
        ("x", {}, ["[NO_VARIABLE_FOUND] No variable found with name 'x'"]),
        # The words of feel-scala 1.19 (Camunda 8.8).
        (
            "a.b",
            {"a": {}},
            ["[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'b'. The context is empty"],
        ),
        (
            "a.c",
            {"a": {"x": 1, "y": 2}},
            [
                "[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'c'. "
                "Available keys: 'x', 'y'"
            ],
        ),
        ("a.b.c", {}, ["[NO_VARIABLE_FOUND] No variable found with name 'a'"]),
        (
            "a.b",
            {"a": None},
            ["[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'b'. The context is null"],
        ),
        (
            "a.b.c",
            {"a": {}},
            [
                "[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'b'. The context is empty",
                "[NO_CONTEXT_ENTRY_FOUND] No context entry found with key 'c'. The context is null",
            ],
        ),
        (
            "x > 100",
            {},
            [
                "[NO_VARIABLE_FOUND] No variable found with name 'x'",
                "[NOT_COMPARABLE] Can't compare 'null' with '100'",
            ],
        ),
        ("x = 100", {}, ["[NO_VARIABLE_FOUND] No variable found with name 'x'"]),
        ('true and "otherwise"', {}, ["[INVALID_TYPE] Expected boolean but found '\"otherwise\"'"]),
        ("null or true", {}, ["[INVALID_TYPE] Expected boolean but found 'null'"]),
        ("false and x", {}, []),  # the second operand is never evaluated
        ('if 1 then "a" else "b"', {}, ["[INVALID_TYPE] Expected boolean but found '1'"]),
        ("true < false", {}, ["[NOT_COMPARABLE] Can't compare 'true' with 'false'"]),
        (
            "x.year",
            {"x": 5},
            [
                "[NO_PROPERTY_FOUND] No property found with name 'year' of value '5'. "
                "Available properties: "
            ],
        ),
        (
            'date("2020-01-01").hour',
            {},
            [
                "[NO_PROPERTY_FOUND] No property found with name 'hour' of value '2020-01-01'. "
                "Available properties: 'year', 'month', 'day', 'weekday'"
            ],
        ),
        ("x * 2", {"x": "a"}, ["[INVALID_TYPE] Can't multiply '\"a\"' by '2'"]),
        ("2 / x", {"x": "a"}, ["[INVALID_TYPE] Can't divide '2' by '\"a\"'"]),
        ('date("2020-01-01") + 1', {}, ["[INVALID_TYPE] Can't add '1' to '2020-01-01'"]),
        ("10 / 0", {}, ["[INVALID_TYPE] Can't divide '10' by '0'"]),
        ("1 + null", {}, ["[INVALID_TYPE] Can't add 'null' to '1'"]),
        ("null * 2", {}, ["[INVALID_TYPE] Can't multiply 'null' by '2'"]),
        ('2 * "a"', {}, ["[INVALID_TYPE] Can't multiply '2' by '\"a\"'"]),
        ('2 * duration("P1D") = duration("P2D")', {}, []),
        (
            "foo(a: 1, b: 2)",
            {},
            ["[NO_FUNCTION_FOUND] No function found with name 'foo' and parameters: a,b"],
        ),
        ("x >= 100", {"x": "99"}, ["[NOT_COMPARABLE] Can't compare '\"99\"' with '100'"]),
        (
            "duration(d)",
            {},
            [
                "[NO_VARIABLE_FOUND] No variable found with name 'd'",
                "[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'duration': "
                "Illegal arguments: 'null'",
            ],
        ),
        (
            "foo(1)",
            {},
            ["[NO_FUNCTION_FOUND] No function found with name 'foo' and 1 parameters"],
        ),
        ("x + 1", {"x": 1}, []),
        ("x = null", {"x": None}, []),
    ],
)
def test_evaluations_report_camundas_warnings(
    expression: str, variables: dict[str, Any], expected: list[str]
) -> None:
    assert warnings_of(expression, variables) == expected


def test_expect_type_gives_zeebes_incident_message_with_the_warnings() -> None:
    result = parse("timer_duration").evaluate_result({})
    with pytest.raises(FeelEvaluationError) as raised:
        expect_type(result, "STRING")
    assert raised.value.message == (
        "Expected result of the expression 'timer_duration' to be 'STRING', but was 'NULL'. "
        "The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'timer_duration'"
    )
    assert raised.value.error_type == "EXTRACT_VALUE_ERROR"
    assert raised.value.warnings == (
        FeelWarning("NO_VARIABLE_FOUND", "No variable found with name 'timer_duration'"),
    )


def test_expect_type_without_warnings_and_with_several_types() -> None:
    with pytest.raises(
        FeelEvaluationError,
        match=r"^Expected result of the expression '1' to be "
        r"one of '\[STRING, ARRAY\]', but was 'NUMBER'\.$",
    ):
        expect_type(parse("1").evaluate_result({}), "STRING", "ARRAY")
    assert expect_type(parse('"a"').evaluate_result({}), "STRING") == "a"


def test_a_failed_assert_is_an_evaluation_error_in_zeebes_words() -> None:
    with pytest.raises(FeelEvaluationError) as raised:
        evaluate("assert(x, x != null)", {})
    assert raised.value.message == (
        "Assertion failure on evaluate the expression 'assert(x, x != null)': "
        "The condition is not fulfilled The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'x'\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'x'\n"
        "[ASSERT_FAILURE] The condition is not fulfilled"
    )
    assert evaluate("assert(x, x > 1)", {"x": 2}) == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the expression is empty"),
        ("1 +", "the expression ends too early"),
        ("a b", "unexpected 'b' at position 3"),
        ("if a then b", "expected 'else' but found the end"),
        ("[1, 2", "expected ']' but found the end"),
        ("{a 1}", "expected ':'"),
        ("x instance of banana", "unknown type 'banana'"),
        ('@"tomorrow"', "is not a date, time or duration"),
        ("f(a: 1, 2)", "positional argument after named ones"),
        ("a ~ b", "unexpected character '~' at position 3"),
        ("(" * 5000 + "1" + ")" * 5000, "nested too deeply"),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(FeelSyntaxError, match=re.escape(fragment)):
        parse(text)


def test_results_are_json_shaped_as_zeebe_stores_them() -> None:
    assert evaluate("2.0", {}) == 2
    assert type(evaluate("2.0", {})) is int
    assert evaluate("2.5", {}) == 2.5
    assert evaluate("{a: [1, null, true]}", {}) == {"a": [1, None, True]}
    assert evaluate("function(x) x", {}) is None  # a function is not a variable value
    assert evaluate("[1..3]", {}) is None


def test_variables_are_not_changed_by_an_evaluation() -> None:
    variables = {"items": [3, 1, 2], "order": {"total": 1}}
    evaluate('sort(items)[1] + context put(order, "total", 5).total', variables)
    assert variables == {"items": [3, 1, 2], "order": {"total": 1}}


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "NULL"),
        (True, "BOOLEAN"),
        (1, "NUMBER"),
        (1.5, "NUMBER"),
        ("x", "STRING"),
        ([], "ARRAY"),
        ({}, "OBJECT"),
    ],
)
def test_json_type_names_match_zeebes_messages(value: Any, name: str) -> None:
    assert json_type_name(value) == name


def test_names_local_to_a_filter_or_loop_shadow_variables_only_inside() -> None:
    variables = {"item": "outer", "x": 10}
    assert evaluate("[1, 2][item > 1]", variables) == [2]
    assert evaluate("for x in [1, 2] return x", variables) == [1, 2]
    assert evaluate("item + string(x)", variables) == "outer10"


def test_a_variable_holding_a_context_with_a_function_is_not_callable_from_json() -> None:
    # JSON variables never hold functions: calling one is null with a warning.
    assert warnings_of("f(1)", {"f": {"a": 1}}) == [
        "[NO_FUNCTION_FOUND] No function found with name 'f' and 1 parameters"
    ]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + /* two */ 2 // and a comment", 3),
        ("[1..10].start + [1..10).end", 11),
        ("(1..10].start included", False),
        ("before(1, 10)", True),
        ("after([1..5], 3)", False),
        ('(function(a: number, b: string) string(a) + b)(1, "x")', "1x"),
        ('from base64(to base64("é"))', "é"),
        ("string length(uuid())", 36),
        ("random number() >= 0 and random number() < 1", True),
        ("{a: 1}.b", None),
        ("x instance of list<number>", False),
    ],
)
def test_what_docs_engine_md_promises_beyond_the_docs_pages(expression: str, expected: Any) -> None:
    assert evaluate(expression, {}) == expected


def test_a_result_keeps_the_feel_value_for_timers() -> None:
    result = parse('duration("PT90M")').evaluate_result({})
    assert result.value == "PT1H30M"
    assert result.feel_value == dt.timedelta(minutes=90)
    moment = parse('date and time("2025-01-01T10:00:00Z")').evaluate_result({}).feel_value
    assert moment == dt.datetime(2025, 1, 1, 10, tzinfo=dt.timezone.utc)
    assert parse("1.5").evaluate_result({}).feel_value == decimal.Decimal("1.5")


def test_from_ai_of_agent_tools_evaluates_to_its_value() -> None:
    expression = '{a: fromAi(toolCall.a, "the a", "integer"), b: fromAi(value: toolCall.b)}'
    assert evaluate(expression, {"toolCall": {"a": 1, "b": "x"}}) == {"a": 1, "b": "x"}


def test_numbers_beyond_34_digits_render_in_strings_and_warnings() -> None:
    # Found by the JSON round-trip property: rendering quantized to the 34-digit context and
    # raised InvalidOperation, a crash when the number appeared in a warning.
    big = 1.0000000409184788e34
    assert evaluate("string(x)", {"x": big}) == "10000000409184788000000000000000000"
    assert warnings_of('x > "a"', {"x": big}) == [
        "[NOT_COMPARABLE] Can't compare '10000000409184788000000000000000000' with '\"a\"'"
    ]


def test_a_failed_assert_with_a_cause_carries_the_cause() -> None:
    with pytest.raises(
        FeelEvaluationError,
        match=r"^Assertion failure on evaluate the expression "
        r"'assert\(x, x >= 0, \"'x' should be positive\"\)': 'x' should be positive",
    ):
        evaluate("assert(x, x >= 0, \"'x' should be positive\")", {"x": -1})


def test_filters_follow_feel_scala() -> None:
    items = {"items": [{"price": 5, "active": True}, {"price": 20, "active": False}]}
    # A comparison is evaluated per item only: no warning.
    assert evaluate("items[price > 10].price", items) == [20]
    assert warnings_of("items[price > 10]", items) == []
    # Anything else is first tried as an index: the attempt reports what it misses.
    assert evaluate("items[active].price", items) == [5]
    assert warnings_of("items[active]", items) == [
        "[NO_VARIABLE_FOUND] No variable found with name 'active'"
    ]
    assert evaluate("items[i].price", {**items, "i": 2}) == 20
    # Not a list: null and a warning (no singleton list).
    assert evaluate("x[1]", {"x": 5}) is None
    assert warnings_of("x[1]", {"x": 5}) == ["[INVALID_TYPE] Expected list but found '5'"]
    assert evaluate("[][item > 1]", {}) == []
