"""Prometheus metrics: what a worker's activity looks like in the user's own registry."""

from __future__ import annotations

import asyncio
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from prometheus_client import CollectorRegistry

from camunda_worker import CamundaAsyncClient, CamundaSettings, WorkerConfig
from camunda_worker.engine import AsyncInProcessTransport, Engine, EngineApp, FaultPlan
from camunda_worker.metrics import PrometheusObserver, serve_metrics
from camunda_worker.worker import JobError, JobWorker

URL = "http://engine.test/v2"


@pytest.fixture
def engine() -> Iterator[Engine]:
    instance = Engine()
    yield instance
    instance.close()


@pytest.fixture
def faults() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def client(engine: Engine, faults: FaultPlan) -> Iterator[CamundaAsyncClient]:
    app = EngineApp(engine, faults=faults)
    instance = CamundaAsyncClient(URL, transport=AsyncInProcessTransport(app))
    yield instance
    asyncio.run(instance.aclose())


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> PrometheusObserver:
    return PrometheusObserver(registry)


async def decide(job: Any) -> dict[str, Any]:
    what = job.variables["what"]
    if what == "error":
        raise JobError("NO_STOCK", "sold out")
    if what == "fail":
        raise RuntimeError("the warehouse is down")
    return {"done": True}


def worker(
    client: CamundaAsyncClient, metrics: PrometheusObserver, handler: Any = decide, **config: Any
) -> JobWorker:
    options = {"job_timeout_milliseconds": 30_000, "request_timeout_milliseconds": 100, **config}
    return JobWorker(
        handler,
        WorkerConfig("pick", **options),
        client=client,
        settings=CamundaSettings(),
        observers=[metrics],
    )


def holding() -> tuple[anyio.Event, Any]:
    """A handler that holds its job until the event is set."""
    release = anyio.Event()

    async def hold(job: Any) -> None:
        await release.wait()

    return release, hold


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, {"job_type": "pick", **labels}) or 0.0


async def until(predicate: Any) -> None:
    with anyio.fail_after(10):
        while not predicate():  # noqa: ASYNC110 - polling a condition the worker sets
            await anyio.sleep(0.005)


@pytest.mark.asyncio
async def test_outcomes_are_counted_per_job_type(
    engine: Engine,
    client: CamundaAsyncClient,
    metrics: PrometheusObserver,
    registry: CollectorRegistry,
) -> None:
    for what in ("ok", "ok", "error", "fail"):
        engine.create_job("pick", variables={"what": what}, retries=1)
    async with worker(client, metrics) as running:
        await until(
            lambda: (
                running.stats.completed + running.stats.failed + running.stats.errors_thrown == 4
            )
        )
        assert value(registry, "camunda_worker_last_successful_poll_timestamp_seconds") > 0
    assert value(registry, "camunda_worker_jobs_activated_total") == 4
    assert value(registry, "camunda_worker_jobs_completed_total") == 2
    assert value(registry, "camunda_worker_jobs_failed_total") == 1
    assert value(registry, "camunda_worker_jobs_bpmn_errors_total") == 1
    duration = "camunda_worker_handler_duration_seconds_count"
    assert value(registry, duration, outcome="completed") == 2
    assert value(registry, duration, outcome="failed") == 1
    assert value(registry, duration, outcome="bpmn_error") == 1
    assert value(registry, "camunda_worker_activation_duration_seconds_count") >= 1
    # A stopped worker's gauges go away; its counters stay.
    assert registry.get_sample_value("camunda_worker_jobs_in_flight", {"job_type": "pick"}) is None


@pytest.mark.asyncio
async def test_in_flight_and_free_capacity_are_read_at_scrape_time(
    engine: Engine,
    client: CamundaAsyncClient,
    metrics: PrometheusObserver,
    registry: CollectorRegistry,
) -> None:
    release, hold = holding()
    engine.create_job("pick")
    async with worker(client, metrics, hold, max_concurrent_jobs=4) as running:
        await until(lambda: running.stats.in_flight == 1)
        assert value(registry, "camunda_worker_jobs_in_flight") == 1
        assert value(registry, "camunda_worker_free_capacity") == 3
        release.set()
        await until(lambda: running.stats.completed == 1)
        assert value(registry, "camunda_worker_jobs_in_flight") == 0
        assert value(registry, "camunda_worker_free_capacity") == 4


@pytest.mark.asyncio
async def test_handlers_past_their_deadline_are_a_gauge(
    engine: Engine,
    client: CamundaAsyncClient,
    metrics: PrometheusObserver,
    registry: CollectorRegistry,
) -> None:
    release, hold = holding()
    engine.create_job("pick")
    # One slot: the job, given back after its deadline, is not taken again by this worker.
    running = worker(client, metrics, hold, job_timeout_milliseconds=1000, max_concurrent_jobs=1)
    async with running:
        assert value(registry, "camunda_worker_handlers_overdue") == 0
        await until(lambda: running.stats.overdue_handlers == 1)
        assert value(registry, "camunda_worker_handlers_overdue") == 1
        release.set()
        await until(lambda: running.stats.in_flight == 0)
        assert value(registry, "camunda_worker_handlers_overdue") == 0


@pytest.mark.asyncio
async def test_back_offs_and_acknowledgement_retries_are_counted(
    engine: Engine,
    client: CamundaAsyncClient,
    faults: FaultPlan,
    metrics: PrometheusObserver,
    registry: CollectorRegistry,
) -> None:
    faults.script("activate", ["503"])
    faults.script("complete", ["503"])
    engine.create_job("pick", variables={"what": "ok"})
    async with worker(client, metrics) as running:
        await until(lambda: running.stats.completed == 1)
    assert value(registry, "camunda_worker_backoffs_total") == 1
    assert value(registry, "camunda_worker_activation_errors_total") == 1
    assert value(registry, "camunda_worker_acknowledgement_retries_total") == 1
    assert value(registry, "camunda_worker_jobs_completed_total") == 1


def test_the_registry_is_served_in_the_prometheus_text_format(
    metrics: PrometheusObserver, registry: CollectorRegistry
) -> None:
    metrics.job_acknowledged("pick", outcome="completed", result="sent")
    with serve_metrics(registry, port=0) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=10) as answer:
            text = answer.read().decode()
    assert 'camunda_worker_jobs_completed_total{job_type="pick"} 1.0' in text
    assert "# TYPE camunda_worker_handler_duration_seconds histogram" in text


def test_a_namespace_prefixes_every_metric(registry: CollectorRegistry) -> None:
    observer = PrometheusObserver(registry, namespace="shop")
    observer.job_finished("pick", outcome="expired", duration=0.0)
    assert registry.get_sample_value("shop_jobs_expired_total", {"job_type": "pick"}) == 1
    assert repr(observer) == "<PrometheusObserver workers=0>"


def test_without_prometheus_client_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    with pytest.raises(ImportError, match=r"pip install 'camunda-worker\[metrics\]'"):
        PrometheusObserver()


def test_every_event_has_its_counter(
    metrics: PrometheusObserver, registry: CollectorRegistry
) -> None:
    metrics.job_acknowledged("pick", outcome="failed", result="rejected")
    metrics.job_acknowledged("pick", outcome="completed", result="gave_up")
    metrics.job_finished("pick", outcome="acknowledged_by_handler", duration=0.2)
    metrics.job_finished("pick", outcome="abandoned", duration=30.0)  # not a handler duration
    assert value(registry, "camunda_worker_acknowledgements_rejected_total") == 1
    assert value(registry, "camunda_worker_acknowledgement_failures_total") == 1
    assert value(registry, "camunda_worker_jobs_acknowledged_by_handler_total") == 1
    duration = "camunda_worker_handler_duration_seconds_count"
    assert value(registry, duration, outcome="acknowledged_by_handler") == 1
    assert value(registry, duration, outcome="abandoned") == 0
