"""The binding of handler parameters, read once from the signature (no worker, no engine)."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Mapping
from typing import Annotated, Any

import pytest
from conftest import make_job
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from camunda_worker import (
    CamundaAsyncClient,
    ConfigurationError,
    ExponentialBackoff,
    FixedBackoff,
    JobContext,
    JobFailure,
    SyncJobContext,
    Variable,
)
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker._binding import BoundHandler, bind_handler
from camunda_worker.worker._options import HandlerOptions, resolve_options


class Pool:
    pass


class Customer(BaseModel):
    customer_id: str = Field(alias="customerId")
    vip: bool = False


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int


def context(**variables: Any) -> JobContext:
    return JobContext(job=make_job(1, **variables), log=None)  # type: ignore[arg-type]


def plain_one(job):  # type: ignore[no-untyped-def]
    return job


def plain_any(job: Any) -> Any:
    return job


def plain_typed(job: SyncJobContext) -> Any:
    return job


class CallableObject:
    def __call__(self, job: Any) -> Any:
        return job


@pytest.mark.parametrize(
    "handler",
    [
        plain_one,
        plain_any,
        plain_typed,
        CallableObject(),
        lambda job: job,
        functools.partial(lambda extra, job: job, 1),
    ],
    ids=["unannotated", "any", "context", "object", "lambda", "partial"],
)
def test_the_plain_form_is_left_as_it_is(handler: Any) -> None:
    callback, plan = bind_handler(handler)
    assert plan.plain
    assert plan.fetch_variables is None
    if not isinstance(handler, functools.partial):
        assert callback is handler


def test_a_plain_handler_with_middleware_still_gets_its_context() -> None:
    def mw(job: Any, call_next: Any) -> Any:
        return {"wrapped": call_next() is job}

    callback, _ = bind_handler(plain_any, middleware=[mw])
    assert isinstance(callback, BoundHandler)
    ctx = context()
    assert callback(ctx) == {"wrapped": True}


def test_fetch_variables_are_the_named_variables_and_the_model_fields_by_alias() -> None:
    def handler(
        order_id: Annotated[str, Variable("orderId")],
        amount: float,
        customer: Customer,
        job: JobContext,
        db: Pool,
        note: str = "",
    ) -> None:
        return None

    _, plan = bind_handler(handler, dependencies={Pool: Pool()})
    assert plan.fetch_variables == ("orderId", "amount", "note", "customerId", "vip")
    assert plan.variables == ("orderId", "amount", "note")


@pytest.mark.parametrize("asks_for_all", ["variables", "open_model", "none_named"])
def test_a_parameter_that_takes_all_variables_fetches_all(asks_for_all: str) -> None:
    def with_variables(amount: float, variables: Mapping[str, Any]) -> None:
        return None

    def with_open_model(amount: float, model: Open) -> None:
        return None

    def none_named(job: JobContext, db: Pool) -> None:
        return None

    handler = {"variables": with_variables, "open_model": with_open_model}.get(
        asks_for_all, none_named
    )
    _, plan = bind_handler(handler, dependencies={"db": Pool()})
    assert not plan.plain
    assert plan.fetch_variables is None


def test_context_pieces_by_name_and_by_type() -> None:
    seen: dict[str, Any] = {}

    def handler(
        job: Any,
        client: Any,
        log: Any,
        custom_headers: dict[str, str],
        variables: dict[str, Any],
        typed_client: CamundaAsyncClient,
        pool: Pool,
        named: Any,
    ) -> None:
        seen.update(locals())

    pool, other = Pool(), object()
    callback, _ = bind_handler(handler, dependencies={Pool: pool, "named": other})
    ctx = SyncJobContext(job=make_job(1, a=1), log=None, client="the-client")  # type: ignore[arg-type]
    callback(ctx)
    assert seen["job"] is ctx
    assert seen["client"] == seen["typed_client"] == "the-client"
    assert seen["log"] is None
    assert seen["custom_headers"] == {}
    assert seen["variables"] == {"a": 1}
    assert seen["pool"] is pool
    assert seen["named"] is other


def test_a_reserved_name_with_another_annotation_is_a_variable() -> None:
    def handler(log: str, client: int) -> dict[str, Any]:
        return {"log": log, "client": client}

    callback, plan = bind_handler(handler)
    assert plan.fetch_variables == ("log", "client")
    assert callback(context(log="x", client="3")) == {"log": "x", "client": 3}


def test_positional_only_parameters_and_defaults() -> None:
    def handler(a: int, /, b: int = 10) -> int:
        return a + b

    callback, _ = bind_handler(handler)
    assert callback(context(a="1")) == 11
    assert callback(context(a=1, b=2)) == 3


def test_a_missing_model_field_fails_naming_the_model() -> None:
    def handler(customer: Customer) -> None:
        return None

    callback, _ = bind_handler(handler)
    with pytest.raises(JobFailure) as raised:
        callback(context(vip=True))
    assert "the required variable 'customerId' (a field of Customer) is missing" in str(
        raised.value
    )
    assert raised.value.retries == 0


@pytest.mark.parametrize(
    ("handler_source", "message"),
    [
        ("def handler(a: int, *rest): pass", "takes \\*rest"),
        ("def handler(a: int, **rest): pass", "takes \\*rest"),
        ("def handler(a: int, b: 'Unknown'): pass", "cannot be resolved"),
    ],
)
def test_signatures_that_cannot_be_bound_are_refused_at_registration(
    handler_source: str, message: str
) -> None:
    namespace: dict[str, Any] = {}
    exec(handler_source, namespace)
    with pytest.raises(ConfigurationError, match=message):
        bind_handler(namespace["handler"])


def test_an_unknown_invalid_variables_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="invalid_variables"):
        bind_handler(plain_any, invalid_variables="ignore")  # type: ignore[arg-type]


def test_a_bound_handler_pickles_as_its_handler_and_rebinds() -> None:
    callback, _ = bind_handler(_module_level, dependencies={"rate": 2})
    again = pickle.loads(pickle.dumps(callback))
    assert isinstance(again, BoundHandler)
    assert again(context(amount="3")) == {"total": 6}


def _module_level(amount: int, rate: int) -> dict[str, int]:
    return {"total": amount * rate}


def test_the_worker_uses_the_inferred_fetch_variables_unless_given() -> None:
    settings = CamundaSettings()
    common: dict[str, Any] = {
        "settings": settings,
        "logger": None,
        "execution_strategy": "thread",
        "startup_jitter_max_seconds": None,
        "drain_timeout": None,
        "retry_back_off": None,
        "auto_extend_timeout": None,
        "process_start_method": None,
        "process_pool_size": None,
        "process_initializer": None,
        "process_initargs": (),
        "max_tasks_per_child": None,
    }
    options = resolve_options(
        callback=_module_level,
        config=WorkerConfig("w", job_timeout_milliseconds=1000),
        handling=HandlerOptions(dependencies={"rate": 2}),
        **common,
    )
    assert options.config.fetch_variables == ("amount",)
    assert options.fetch_inferred
    given_options = resolve_options(
        callback=_module_level,
        config=WorkerConfig("w", job_timeout_milliseconds=1000, fetch_variables=["x"]),
        handling=HandlerOptions(dependencies={"rate": 2}),
        **common,
    )
    assert given_options.config.fetch_variables == ("x",)
    assert not given_options.fetch_inferred


@given(number=st.integers(), text=st.text(), flag=st.booleans())
def test_valid_variables_reach_the_parameters_unchanged(number: int, text: str, flag: bool) -> None:
    def handler(number: int, text: str, flag: bool) -> tuple[int, str, bool]:
        return number, text, flag

    callback, _ = bind_handler(handler)
    assert callback(context(number=number, text=text, flag=flag)) == (number, text, flag)


@given(
    value=st.one_of(
        st.dictionaries(st.text(), st.integers(), max_size=2), st.lists(st.integers(), max_size=2)
    )
)
def test_a_wrong_type_fails_the_job_without_showing_the_value(value: Any) -> None:
    def handler(number: int) -> None:
        return None

    callback, _ = bind_handler(handler)
    with pytest.raises(JobFailure) as raised:
        callback(context(number=value))
    assert "variable 'number'" in str(raised.value)
    assert repr(value) not in str(raised.value) or repr(value) in ("[]", "{}")


@given(
    initial=st.integers(0, 10_000),
    maximum=st.integers(0, 100_000),
    multiplier=st.floats(1, 10),
    retries=st.integers(0, 10),
    left=st.integers(0, 10),
)
def test_exponential_back_off_never_exceeds_its_cap_and_grows_as_retries_run_out(
    initial: int, maximum: int, multiplier: float, retries: int, left: int
) -> None:
    policy = ExponentialBackoff(
        initial=initial, maximum=maximum, multiplier=multiplier, retries=retries
    )
    assert 0 <= policy.back_off(left) <= maximum
    if left > 0:
        assert policy.back_off(left - 1) >= policy.back_off(left)


def test_back_off_policies_refuse_negative_numbers() -> None:
    with pytest.raises(ConfigurationError):
        FixedBackoff(-1)
    with pytest.raises(ConfigurationError):
        ExponentialBackoff(initial=-1, maximum=10)


def test_dependencies_are_keyed_by_name_or_type() -> None:
    with pytest.raises(ConfigurationError, match="keyed by parameter name"):
        bind_handler(_module_level, dependencies={3: "x"})  # type: ignore[dict-item]


def test_a_partial_with_typed_parameters_is_bound_by_its_remaining_parameters() -> None:
    callback, plan = bind_handler(functools.partial(_module_level, rate=3))
    assert plan.fetch_variables == ("amount",)
    assert callback(context(amount="2")) == {"total": 6}


def _raises(error: BaseException) -> Any:
    def handler(amount: int) -> None:
        raise error

    return handler


def test_the_outcome_policy_translates_only_exceptions_and_checks_the_hook() -> None:
    from camunda_worker.worker._policies import OutcomePolicy

    def wrong_hook(error: Exception, job: Any) -> Any:
        return "not an outcome"

    policy = OutcomePolicy(on_error=wrong_hook, retry_back_off=FixedBackoff(700))
    callback, _ = bind_handler(_raises(ValueError("x")), policy=policy)
    with pytest.raises(TypeError, match="on_error returned a str"):
        callback(context(amount=1))
    exiting, _ = bind_handler(_raises(SystemExit(3)), policy=policy)
    with pytest.raises(SystemExit):  # not translated: the worker's own rules apply
        exiting(context(amount=1))
    explicit, _ = bind_handler(_raises(JobFailure("mine", retries=5)), policy=policy)
    with pytest.raises(JobFailure) as raised:
        explicit(context(amount=1))
    assert (raised.value.retries, raised.value.retry_back_off) == (5, 0)  # passes unchanged
    backed_off, _ = bind_handler(
        _raises(KeyError("k")), policy=OutcomePolicy(retry_back_off=FixedBackoff(700))
    )
    with pytest.raises(JobFailure) as raised:
        backed_off(context(amount=1))
    assert raised.value.retry_back_off == 700
    assert raised.value.message.startswith("KeyError: 'k'")


def test_bpmn_errors_are_checked_when_the_worker_is_built() -> None:
    from camunda_worker.worker._policies import check_bpmn_errors

    with pytest.raises(ConfigurationError, match="exception classes"):
        check_bpmn_errors({"CardDeclined": "X"})  # type: ignore[dict-item]
    with pytest.raises(ConfigurationError, match="non-blank"):
        check_bpmn_errors({ValueError: " "})
