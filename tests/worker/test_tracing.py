"""OpenTelemetry: one span per job, in every strategy, read from the SDK's in-memory exporter."""

from __future__ import annotations

from typing import Any

import pytest
import typed_handlers as th
from conftest import wait_until

pytest.importorskip(
    "opentelemetry.sdk", reason="the otel tests need opentelemetry-sdk (test extra)"
)

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker

# One provider for the module: OpenTelemetry lets a process set its global provider only once.
EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider()
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(PROVIDER)  # the handlers' own spans (async, thread) use it

CASES = [("async", "async"), ("thread", "sync"), ("process", "sync")]
PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"


def nested(card: str) -> dict[str, Any]:
    with trace.get_tracer("test").start_as_current_span("inside the handler"):
        th.charge(card) if card != "ok" else None
    return {"ok": True}


async def nested_async(card: str) -> dict[str, Any]:
    return nested(card)


@pytest.mark.parametrize(("strategy", "kind"), CASES, ids=[c[0] for c in CASES])
def test_each_job_gets_a_span_with_its_attributes_status_and_parent(
    engine: Any, client: Any, strategy: str, kind: str
) -> None:
    exporter = EXPORTER
    exporter.clear()
    traceparent = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"
    ok = engine.create_job(
        "pay", variables={"card": "ok"}, custom_headers={"traceparent": traceparent}
    )
    declined = engine.create_job("pay", variables={"card": "declined", "traceparent": traceparent})
    crashed = engine.create_job("pay", variables={"card": "other"}, retries=1)
    worker = JobWorker(
        nested_async if kind == "async" else nested,
        WorkerConfig(job_type="pay", job_timeout_milliseconds=30_000, max_concurrent_jobs=3),
        client=client,
        settings=CamundaSettings(),
        execution_strategy=strategy,  # type: ignore[arg-type]
        process_start_method="fork",
        process_pool_size=1,
        bpmn_errors={th.CardDeclined: "CARD_DECLINED"},
        tracer_provider=PROVIDER,
    )
    with worker:
        wait_until(lambda: worker.stats.activated >= 3 and worker.stats.in_flight == 0, timeout=30)
    spans = {
        span.attributes["camunda.job.key"]: span
        for span in exporter.get_finished_spans()
        if span.name == "pay process"
    }
    assert set(spans) == {ok, declined, crashed}
    ok_span = spans[ok]
    assert ok_span.kind is trace.SpanKind.CONSUMER
    assert ok_span.attributes["camunda.job.type"] == "pay"
    assert ok_span.attributes["camunda.job.retries"] == 3
    assert ok_span.attributes["camunda.worker"] == worker.config.worker_name
    assert ok_span.attributes["camunda.element.id"]
    assert "camunda.process_instance.key" in ok_span.attributes
    assert ok_span.status.status_code is trace.StatusCode.UNSET
    # activated, handled, acknowledged: the span lasts until the job gives its capacity back
    assert [event.name for event in ok_span.events] == [
        "activated",
        "handler ended",
        "acknowledgement ended",
    ]
    # the W3C trace context of the custom headers (ok) and of the variables (declined)
    for key in (ok, declined):
        assert format(spans[key].context.trace_id, "032x") == PARENT_TRACE
        assert format(spans[key].parent.span_id, "016x") == PARENT_SPAN
    assert spans[crashed].parent is None
    assert spans[declined].attributes["camunda.bpmn_error.code"] == "CARD_DECLINED"
    crash = spans[crashed]
    assert crash.status.status_code is trace.StatusCode.ERROR
    (event,) = [event for event in crash.events if event.name == "exception"]
    assert event.attributes["exception.type"] == "ValueError"
    assert "unknown card kind" in event.attributes["exception.message"]
    assert "Traceback" in event.attributes["exception.stacktrace"]
    assert crash.attributes["camunda.job.retries_left"] == 0
    inner = [span for span in exporter.get_finished_spans() if span.name == "inside the handler"]
    if strategy == "process":
        assert inner == []  # another process, with no SDK configured: not exported here
    else:
        assert len(inner) == 3
        for span in inner:
            assert span.parent is not None
            job_span = spans[
                next(k for k, s in spans.items() if s.context.span_id == span.parent.span_id)
            ]
            assert job_span.context.trace_id == span.context.trace_id


def test_tracing_off_makes_no_span(engine: Any, client: Any) -> None:
    exporter = EXPORTER
    exporter.clear()
    engine.create_job("pay", variables={"count": 1})
    worker = JobWorker(
        th.needs_count,
        WorkerConfig(job_type="pay", job_timeout_milliseconds=30_000),
        client=client,
        settings=CamundaSettings(),
    )
    with worker:
        wait_until(lambda: worker.stats.activated >= 1 and worker.stats.in_flight == 0)
    assert [span for span in exporter.get_finished_spans() if span.name == "pay process"] == []


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_process_handler_runs_inside_its_jobs_span(
    engine: Any, client: Any, start_method: str
) -> None:
    """Spans a handler opens in the child are children of its own job's span (same trace)."""
    exporter = EXPORTER
    exporter.clear()
    keys = [
        engine.create_job("pay", custom_headers={"traceparent": f"00-{trace_id}-{PARENT_SPAN}-01"})
        for trace_id in (PARENT_TRACE, "1" * 32)
    ]
    worker = JobWorker(
        th.current_trace,
        WorkerConfig(job_type="pay", job_timeout_milliseconds=30_000, max_concurrent_jobs=1),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        process_start_method=start_method,  # type: ignore[arg-type]
        process_pool_size=1,
        tracer_provider=PROVIDER,
    )
    with worker:
        wait_until(lambda: worker.stats.completed >= 2 and worker.stats.in_flight == 0)
    spans = {
        str(s.attributes["camunda.job.key"]): s
        for s in exporter.get_finished_spans()
        if s.name == "pay process"
    }
    jobs = {str(job.key): job for job in engine.jobs(job_type="pay")}
    for key in map(str, keys):  # one child ran both: each handler saw its own job's span
        seen, span = jobs[key].result_variables, spans[key]
        assert seen["trace_id"] == format(span.context.trace_id, "032x")
        assert seen["span_id"] == format(span.context.span_id, "016x")
