"""How a handler's result or exception becomes a completion, a failure or a BPMN error."""

from __future__ import annotations

import math
import pickle
from typing import Any

import pydantic
import pytest

from camunda_worker.worker._outcomes import (
    MAX_ERROR_MESSAGE_LENGTH,
    BpmnError,
    Completion,
    Failure,
    JobError,
    JobFailure,
    outcome_from_exception,
    outcome_from_result,
)


class Order(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    order_id: str = pydantic.Field(alias="orderId")
    total: float


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_a_dict_result_completes_with_those_variables() -> None:
    assert outcome_from_result({"a": 1, "b": [1, 2]}, retries=3) == Completion(
        {"a": 1, "b": [1, 2]}
    )


def test_none_completes_without_variables() -> None:
    assert outcome_from_result(None, retries=3) == Completion(None)


def test_a_pydantic_model_completes_with_its_fields_by_alias_in_json_mode() -> None:
    outcome = outcome_from_result(Order(order_id="A-1", total=9.5), retries=3)
    assert outcome == Completion({"orderId": "A-1", "total": 9.5})


@pytest.mark.parametrize("result", [[1, 2], "done", 42])
def test_a_result_of_another_type_fails_the_job_saying_what_to_return(result: object) -> None:
    outcome = outcome_from_result(result, retries=3)
    assert isinstance(outcome, Failure)
    assert outcome.retries == 2
    assert type(result).__name__ in outcome.error_message
    assert "return a dict, a pydantic model, a dataclass, an attrs instance or None" in (
        outcome.error_message
    )


@pytest.mark.parametrize("result", [{"when": object()}, {"values": {1, 2}}, {"x": math.nan}])
def test_a_result_that_is_not_json_fails_the_job_with_a_clear_message(result: object) -> None:
    outcome = outcome_from_result(result, retries=1)
    assert isinstance(outcome, Failure)
    assert outcome.retries == 0
    assert "cannot be sent as JSON" in outcome.error_message


def _deep(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


class Ratio(pydantic.BaseModel):
    ratio: float


def _circular() -> dict[str, object]:
    loop: dict[str, object] = {}
    loop["self"] = loop
    return loop


class Unset:
    pass


@pytest.mark.parametrize(
    ("result", "says"),
    [
        ({"ok": 1, "items": _deep(5000)}, "variable 'items' nests 5000 levels deep"),
        ({"x": math.nan}, "variable 'x' holds NaN, which is not a JSON number"),
        ({"x": [1, {"y": -math.inf}]}, "variable 'x' holds -Infinity"),
        (Ratio(ratio=math.inf), "variable 'ratio' holds Infinity"),
        ({"tags": {1, 2}}, "variable 'tags' holds a set, which is not JSON"),
        ({"when": {"at": Unset()}}, "variable 'when' holds a Unset, which is not JSON"),
        ({"text": "caf\ud800"}, "variable 'text' holds a string that is not valid Unicode"),
        ({"raw": b"x"}, "variable 'raw' holds a bytes"),
        ({"map": {(1, 2): "a"}}, "variable 'map' has a key of type tuple"),
        ({"loop": _circular()}, "variable 'loop' refers to itself"),
        ({(1, 2): "a"}, "a variable name is a tuple, not a string"),
    ],
)
def test_a_result_that_cannot_be_sent_names_the_variable_and_the_reason(
    result: object, says: str
) -> None:
    outcome = outcome_from_result(result, retries=3)
    assert isinstance(outcome, Failure)
    assert outcome.retries == 2
    assert outcome.error_message.startswith("the handler's result cannot be sent as JSON")
    assert says in outcome.error_message


def test_json_that_python_coerces_is_sent_as_json_would_send_it() -> None:
    # Tuples are arrays, and numbers as member names are strings: as json (and Camunda) reads them.
    assert outcome_from_result({"t": (1, 2), "m": {1: "a"}}, retries=3) == Completion(
        {"t": (1, 2), "m": {1: "a"}}
    )


def test_a_result_whose_check_breaks_fails_the_job_instead_of_escaping() -> None:
    class Broken(dict[str, object]):
        def items(self) -> Any:
            raise RuntimeError("no items")

        def __iter__(self) -> Any:
            raise RuntimeError("no keys")

    outcome = outcome_from_result(Broken(a=1), retries=3)
    assert isinstance(outcome, Failure)
    assert "the handler's result cannot be sent" in outcome.error_message
    assert "no " in outcome.error_message


def test_variables_of_job_errors_and_failures_nested_too_deep_fail_the_job() -> None:
    for error in (
        JobError("E", "m", {"deep": _deep(5000)}),
        JobFailure("m", variables={"deep": _deep(5000)}),
    ):
        outcome = outcome_from_exception(raised(error), retries=3)
        assert isinstance(outcome, Failure)
        assert "variable 'deep' nests 5000 levels deep" in outcome.error_message


def test_job_error_throws_a_bpmn_error_with_code_message_and_variables() -> None:
    error = raised(JobError("NO_STOCK", "nothing left", {"sku": "X"}))
    assert outcome_from_exception(error, retries=3) == BpmnError(
        "NO_STOCK", "nothing left", {"sku": "X"}
    )


def test_job_error_accepts_a_pydantic_model_as_variables() -> None:
    error = raised(JobError("BAD", variables=Order(order_id="1", total=1)))
    outcome = outcome_from_exception(error, retries=3)
    assert outcome == BpmnError("BAD", "", {"orderId": "1", "total": 1.0})


def test_job_failure_defaults_to_one_retry_fewer_and_no_back_off() -> None:
    outcome = outcome_from_exception(raised(JobFailure("try later")), retries=3, retry_back_off=999)
    assert outcome == Failure(retries=2, error_message="try later", retry_back_off=0)


def test_job_failure_sets_retries_back_off_and_variables() -> None:
    error = raised(JobFailure("later", retries=7, retry_back_off=5000, variables={"n": 1}))
    assert outcome_from_exception(error, retries=3) == Failure(7, "later", 5000, {"n": 1})


def test_job_failure_with_zero_retries_raises_an_incident() -> None:
    assert outcome_from_exception(raised(JobFailure("fatal", retries=0)), retries=3).retries == 0  # type: ignore[union-attr]


def test_job_failure_refuses_negative_numbers() -> None:
    with pytest.raises(ValueError, match="retries"):
        JobFailure("x", retries=-1)
    with pytest.raises(ValueError, match="retry_back_off"):
        JobFailure("x", retry_back_off=-5)


def test_job_error_needs_a_code() -> None:
    with pytest.raises(ValueError, match="error_code"):
        JobError("")


def test_any_other_exception_fails_with_type_text_and_traceback_tail() -> None:
    def handler() -> None:
        raise KeyError("customer")

    try:
        handler()
    except KeyError as error:
        outcome = outcome_from_exception(error, retries=3, retry_back_off=1500)
    assert isinstance(outcome, Failure)
    assert outcome.retries == 2
    assert outcome.retry_back_off == 1500
    assert outcome.error_message.startswith("KeyError: 'customer'")
    assert "in handler" in outcome.error_message
    assert "Traceback" in outcome.error_message


def test_retries_never_go_below_zero() -> None:
    outcome = outcome_from_exception(raised(RuntimeError("x")), retries=0)
    assert isinstance(outcome, Failure)
    assert outcome.retries == 0


def test_a_huge_exception_message_and_traceback_are_truncated_keeping_the_tail() -> None:
    def deep(n: int) -> None:
        if n == 0:
            raise ValueError("y" * 50_000)
        deep(n - 1)

    try:
        deep(200)
    except ValueError as error:
        outcome = outcome_from_exception(error, retries=3)
    assert isinstance(outcome, Failure)
    assert len(outcome.error_message) <= MAX_ERROR_MESSAGE_LENGTH
    assert outcome.error_message.startswith("ValueError: yyy")
    assert "[traceback truncated]" in outcome.error_message
    assert outcome.error_message.rstrip().endswith("y")  # the tail (the raise) is kept


def test_variables_of_a_job_failure_that_are_not_json_fail_with_a_clear_message() -> None:
    outcome = outcome_from_exception(raised(JobFailure("x", variables={"s": {1}})), retries=2)
    assert isinstance(outcome, Failure)
    assert "JobFailure's variables cannot be sent as JSON" in outcome.error_message


def test_errors_and_outcomes_survive_pickling_for_child_processes() -> None:
    for value in (
        JobError("CODE", "m", {"a": 1}),
        JobFailure("m", 2, 100, {"a": 1}),
        Completion({"a": 1}),
        Failure(1, "m"),
        BpmnError("C"),
    ):
        copy = pickle.loads(pickle.dumps(value))
        assert type(copy) is type(value)
        if not isinstance(value, Exception):
            assert copy == value
    error = pickle.loads(pickle.dumps(JobFailure("m", 2, 100)))
    assert (error.message, error.retries, error.retry_back_off) == ("m", 2, 100)
    assert str(JobError("CODE", "why")) == "CODE: why"


def test_a_dataclass_or_attrs_result_is_sent_field_by_field_json_ready() -> None:
    import dataclasses
    import datetime
    import decimal

    import attrs

    @dataclasses.dataclass
    class Shipped:
        at: datetime.date
        cost: decimal.Decimal

    @attrs.frozen
    class Box:
        inner: Shipped
        tags: tuple[str, ...]

    shipped = Shipped(datetime.date(2026, 1, 2), decimal.Decimal("1.5"))
    assert outcome_from_result(shipped, retries=3) == Completion(
        {"at": "2026-01-02", "cost": "1.5"}
    )
    assert outcome_from_result(Box(shipped, ("a",)), retries=3) == Completion(
        {"inner": {"at": "2026-01-02", "cost": "1.5"}, "tags": ["a"]}
    )


def test_a_dataclass_result_that_cannot_be_sent_fails_the_job_saying_why() -> None:
    import dataclasses

    @dataclasses.dataclass
    class Odd:
        handle: object
        ratio: float = 1.0

    unencodable = outcome_from_result(Odd(object()), retries=3)
    assert isinstance(unencodable, Failure)
    assert unencodable.retries == 2
    assert "cannot be sent as JSON" in unencodable.error_message
    not_a_number = outcome_from_result(Odd(None, float("nan")), retries=3)
    assert isinstance(not_a_number, Failure)
    assert "ratio" in not_a_number.error_message
