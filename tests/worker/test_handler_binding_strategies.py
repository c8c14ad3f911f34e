"""Typed handlers in every strategy, sync and async, against the in-memory engine.

What Operate would show: the job's state, its retries, its result variables, its error code and
message. Each test runs every (strategy, handler kind) pair.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import typed_handlers as th
from conftest import wait_until

from camunda_worker import ConfigurationError, ExponentialBackoff, FixedBackoff
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker

CASES = [
    ("async", "async"),
    ("async", "sync"),
    ("thread", "sync"),
    ("thread", "async"),
    ("process", "sync"),
    ("process", "async"),
]
IDS = [f"{strategy}-{kind}" for strategy, kind in CASES]


def make_worker(client: Any, strategy: str, handler: Any, **kwargs: Any) -> JobWorker:
    config = kwargs.pop("config", None) or WorkerConfig(
        job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=2
    )
    return JobWorker(
        handler,
        config,
        client=client,
        settings=CamundaSettings(),
        execution_strategy=strategy,  # type: ignore[arg-type]
        process_start_method="fork",
        process_pool_size=1,
        **kwargs,
    )


def run_jobs(
    engine: Any, client: Any, strategy: str, handler: Any, jobs: list[dict[str, Any]], **kwargs: Any
) -> list[Any]:
    keys = [
        engine.create_job(
            "work",
            variables=job["variables"],
            retries=job.get("retries", 3),
            custom_headers=job.get("headers"),
        )
        for job in jobs
    ]
    worker = make_worker(client, strategy, handler, **kwargs)
    with worker:
        wait_until(
            lambda: worker.stats.activated >= len(keys) and worker.stats.in_flight == 0,
            timeout=30,
        )
    by_key = {job.key: job for job in engine.jobs(job_type="work")}
    return [by_key[key] for key in keys]


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_parameters_receive_coerced_variables_context_pieces_and_dependencies(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    (job,) = run_jobs(
        engine,
        client,
        strategy,
        th.pick("ship", kind),
        [{"variables": th.SHIP_VARIABLES, "headers": {"region": "eu"}}],
        dependencies={"stock": th.Stock(41)},
    )
    assert job.state == "COMPLETED", job.error_message
    result = dict(job.result_variables)
    result.pop("pid")
    assert result == {
        "orderId": "A-1",
        "weight": 5.0,
        "firstPrice": "1.11",
        "year": 2026,
        "mode": "air",
        "speed": "fast",
        "city": "Lyon",
        "orderTotal": "9.90",
        "jobKey": job.key,
        # inferred from the signature: the named variables and the model's fields, by alias
        "fetched": sorted(
            ["orderId", "weight_kg", "items", "ship_at", "mode", "speed", "address", "total"]
        ),
        "header": "eu",
        "stock": 41,
        "note": "none",
    }


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_variables_that_do_not_fit_raise_an_incident_naming_the_variable_and_field(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    bad = {**th.SHIP_VARIABLES, "items": [{"sku": "x", "price": "cheap"}], "mode": "rail"}
    del bad["weight_kg"]
    missing, invalid = run_jobs(
        engine,
        client,
        strategy,
        th.pick("ship", kind),
        [{"variables": {"count": 1}}, {"variables": bad, "retries": 5}],
        dependencies={"stock": th.Stock(1)},
    )
    for job in (missing, invalid):
        assert job.state == "FAILED"
        assert job.retries == 0  # an incident at once: the same data would fail again
        assert job.incident_key is not None
    assert "the required variable 'orderId' is missing" in missing.error_message
    message = invalid.error_message
    assert "the required variable 'weight_kg' is missing" in message
    assert "variable 'items' at [0].price" in message
    assert "variable 'mode'" in message
    assert "cheap" not in message  # values never appear: they may be secrets


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_invalid_variables_retry_leaves_one_retry_fewer(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    (job,) = run_jobs(
        engine,
        client,
        strategy,
        th.pick("needs_count", kind),
        [{"variables": {"count": "many"}, "retries": 3}],
        invalid_variables="retry",
        retry_back_off=60_000,  # not activated again while the test looks
    )
    assert job.state == "FAILED"
    assert job.retries == 2
    assert "variable 'count': Input should be a valid integer" in job.error_message


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_dataclass_attrs_and_model_results_complete_the_job(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    dataclass_job, attrs_job, model_job = run_jobs(
        engine,
        client,
        strategy,
        th.pick("return_kind", kind),
        [{"variables": {"kind": kind}} for kind in ("dataclass", "attrs", "model")],
    )
    assert dataclass_job.state == "COMPLETED", dataclass_job.error_message
    assert dataclass_job.result_variables == {
        "when": "2026-01-02T03:04:05Z",
        "cost": "1.50",
        "speed": "slow",
    }
    assert attrs_job.result_variables == {"label": "p1", "address": {"city": "Oslo"}}
    assert model_job.result_variables == {"receiptId": "R-1", "when": "2026-01-02T03:04:05Z"}


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_job_error_variables_follow_the_same_rules(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    (job,) = run_jobs(
        engine,
        client,
        strategy,
        th.pick("error_with_record", kind),
        [{"variables": {"kind": "dataclass"}}],
    )
    assert job.error_code == "NO_STOCK"
    assert job.result_variables == {
        "when": "2026-01-02T03:04:05Z",
        "cost": "1.50",
        "speed": "slow",
    }


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_exceptions_map_to_bpmn_errors_the_hook_and_the_back_off_policy(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    expired, declined, explicit, weird, other = run_jobs(
        engine,
        client,
        strategy,
        th.pick("charge", kind),
        [
            {"variables": {"card": card}, "retries": 3}
            for card in ("expired", "declined", "retry", "weird", "other")
        ],
        bpmn_errors={th.CardDeclined: "CARD_DECLINED", th.ExpiredCard: "CARD_EXPIRED"},
        on_error=th.on_error,
        retry_back_off=FixedBackoff(60_000),
    )
    assert expired.error_code == "CARD_EXPIRED"  # the most derived match wins
    assert expired.error_message == "card expired"
    assert declined.error_code == "CARD_DECLINED"
    assert explicit.state == "FAILED"
    assert explicit.retries == 7  # a JobFailure passes unchanged
    assert weird.error_code == "WEIRD"  # chosen by on_error
    assert other.state == "FAILED"
    assert other.retries == 2
    assert other.error_message.startswith("ValueError: unknown card kind 'other'")
    assert other.lifecycle == "FAILED"  # waiting out its back-off, not activatable again yet


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=IDS)
def test_middleware_runs_in_order_and_can_change_the_outcome(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    first, second = run_jobs(
        engine,
        client,
        strategy,
        th.pick("needs_count", kind),
        [{"variables": {"count": 2}}, {"variables": {"count": 3}}],
        middleware=[th.pick("stamp", kind), th.pick("inner_stamp", kind)],
    )
    assert first.result_variables == {"doubled": 4, "stamps": ["inner", "outer"]}
    assert second.result_variables == {"doubled": 6, "stamps": ["inner", "outer"]}
    (rescued,) = run_jobs(
        engine,
        client,
        strategy,
        th.pick("charge", kind),
        [{"variables": {"card": "declined"}}],
        middleware=[th.pick("stamp", kind)],
    )
    assert rescued.state == "COMPLETED"  # the middleware turned the exception into a result
    assert rescued.result_variables == {"rescued": "declined by the bank"}


def test_the_back_off_policy_is_computed_from_the_remaining_retries(fake: Any) -> None:
    from conftest import make_job

    fake.add(make_job("a", retries=3, card="other"), make_job("b", retries=1, card="other"))
    worker = make_worker(
        fake,
        "thread",
        th.charge,
        retry_back_off=ExponentialBackoff(initial=1000, maximum=3000, multiplier=2, retries=3),
    )
    with worker:
        wait_until(lambda: len(fake.failed) == 2)
    assert fake.failed["a"]["retry_back_off"] == 1000
    assert fake.failed["b"]["retry_back_off"] == 3000  # 4000, capped


def test_a_dependency_that_cannot_cross_to_a_child_is_refused_at_start_naming_it(
    client: Any,
) -> None:
    with pytest.raises(ConfigurationError, match=r"the dependency 'stock' \(lock\)"):
        make_worker(client, "process", th.ship, dependencies={"stock": threading.Lock()})


def test_a_middleware_of_the_wrong_kind_is_refused(client: Any) -> None:
    with pytest.raises(ConfigurationError, match="must be async like the handler"):
        make_worker(client, "async", th.needs_count_async, middleware=[th.stamp])


def test_the_start_line_shows_the_parameters_and_the_inferred_fetch_variables(
    client: Any,
) -> None:
    from loguru import logger

    lines: list[str] = []
    sink = logger.add(lines.append, level="INFO", format="{message}")
    try:
        worker = make_worker(client, "thread", th.needs_count)
        with worker:
            wait_until(lambda: any("starts" in line for line in lines))
    finally:
        logger.remove(sink)
    (line,) = [line for line in lines if "starts" in line]
    assert "handler (count: int)" in line
    assert "fetch variables: count (from the handler's parameters)" in line
    assert worker.config.fetch_variables == ("count",)


def test_a_spawned_child_rebinds_the_handler_from_its_module(engine: Any, client: Any) -> None:
    # spawn (the default start method) imports the handler's module again in the child.
    key = engine.create_job("work", variables=th.SHIP_VARIABLES)
    worker = JobWorker(
        th.ship,
        WorkerConfig(job_type="work", job_timeout_milliseconds=60_000, max_concurrent_jobs=1),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        process_start_method="spawn",
        process_pool_size=1,
        dependencies={"stock": th.Stock(5)},
    )
    with worker:
        wait_until(lambda: worker.stats.activated >= 1 and worker.stats.in_flight == 0, timeout=60)
    (job,) = [job for job in engine.jobs(job_type="work") if job.key == key]
    assert job.state == "COMPLETED", job.error_message
    assert job.result_variables["stock"] == 5
    assert job.result_variables["city"] == "Lyon"
