"""The FEEL subset of gateway conditions: parsing, and evaluation with FEEL's null semantics."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from camunda_worker.engine._model.conditions import (
    ConditionSyntaxError,
    feel_type_name,
    parse_condition,
)
from camunda_worker.engine._model.feel import FeelEvaluationError


def evaluate(source: str, **variables: Any) -> Any:
    return parse_condition(source).evaluate(variables)


@pytest.mark.parametrize(
    ("source", "variables", "expected"),
    [
        ("amount > 100", {"amount": 150}, True),
        ("amount > 100", {"amount": 100}, False),
        ("amount >= 100", {"amount": 100}, True),
        ("amount < 10.5", {"amount": 10}, True),
        ("amount <= 10", {"amount": 11}, False),
        ('status = "ok"', {"status": "ok"}, True),
        ('status != "ok"', {"status": "ok"}, False),
        ("approved", {"approved": True}, True),
        ("approved = false", {"approved": False}, True),
        ("x = null", {}, True),
        ("x != null", {"x": 1}, True),
        ('order.customer.tier = "gold"', {"order": {"customer": {"tier": "gold"}}}, True),
        ("a > 1 and b < 2", {"a": 2, "b": 1}, True),
        ("a > 1 and b < 2", {"a": 0, "b": 1}, False),
        ("a > 1 or b < 2", {"a": 0, "b": 1}, True),
        ("not(a > 1)", {"a": 0}, True),
        ("(a + b) * 2 > 10", {"a": 3, "b": 3}, True),
        ("-a < 0", {"a": 1}, True),
        ("total / count = 2.5", {"total": 5, "count": 2}, True),
        ('first + " " + last = "Ada Lovelace"', {"first": "Ada", "last": "Lovelace"}, True),
        ('name = "say \\"hi\\""', {"name": 'say "hi"'}, True),
        ("1 = 1.0", {}, True),
        ("a - 1 = 0", {"a": 1}, True),
        (".5 < 1", {}, True),
    ],
)
def test_conditions_evaluate_like_feel(
    source: str, variables: dict[str, Any], expected: Any
) -> None:
    assert evaluate(source, **variables) is expected


@pytest.mark.parametrize(
    ("source", "variables"),
    [
        ("amount > 100", {}),  # unknown variable is null; ordering with null is null
        ('amount > "100"', {"amount": 150}),  # different types do not compare
        ('amount = "150"', {"amount": 150}),
        ("flag = 1", {"flag": True}),  # booleans are not numbers
        ("x.y > 1", {"x": 5}),  # a path into a non-object is null
        ("not(x)", {"x": 3}),
        ("a > 1 and b", {"a": 2}),  # true and null is null
        ("a > 1 or b", {"a": 0}),  # false or null is null
        ("a / 0 > 1", {"a": 1}),  # division by zero is null
        ("-s", {"s": "text"}),
        ("a * b", {"a": "x", "b": 2}),
        ("true < false", {}),
    ],
)
def test_incomparable_or_missing_values_give_null(source: str, variables: dict[str, Any]) -> None:
    assert evaluate(source, **variables) is None


def test_false_wins_over_null_in_and_and_true_in_or() -> None:
    assert evaluate("missing > 1 and false") is False
    assert evaluate("false and missing > 1") is False
    assert evaluate("missing > 1 or true") is True
    assert evaluate("true or missing > 1") is True


def test_a_number_result_is_not_a_boolean() -> None:
    assert evaluate("amount + 1", amount=1) == 2


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "empty"),
        ("amount >", "ends too early"),
        ("amount > > 1", "unexpected '>'"),
        ("(amount > 1", "expected ')'"),
        ("amount # 1", "unexpected character '#'"),
        ("a and", "ends too early"),
        ("x.", "expected a name after '.'"),
        ("not x", "expected '('"),
        ("a b", "unexpected 'b'"),
        ("and", "unexpected 'and'"),
        ('"open', "unexpected character"),
    ],
)
def test_unparseable_conditions_are_refused_with_the_place(source: str, fragment: str) -> None:
    with pytest.raises(ConditionSyntaxError, match=re.escape(fragment)):
        parse_condition(source)


def test_the_source_is_kept_for_messages() -> None:
    assert parse_condition("  amount > 1 ").source == "amount > 1"


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
def test_feel_type_names_match_camunda_messages(value: Any, name: str) -> None:
    assert feel_type_name(value) == name


def test_check_refuses_a_non_boolean_with_zeebes_message_and_the_warnings() -> None:
    condition = parse_condition('contains(name, "x")')
    assert condition.check({"name": "xy"}) is True
    with pytest.raises(FeelEvaluationError) as raised:
        condition.check({})
    assert raised.value.message.startswith(
        "Expected result of the expression 'contains(name, \"x\")' to be 'BOOLEAN', but was "
        "'NULL'. The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'name'\n"
    )


def test_conditions_read_the_clock_they_are_given() -> None:
    condition = parse_condition('today() >= date("2025-06-01")')
    assert condition.evaluate({}, now=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)) is True
    assert condition.evaluate({}, now=dt.datetime(2025, 5, 31, tzinfo=dt.timezone.utc)) is False
