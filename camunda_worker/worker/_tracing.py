"""OpenTelemetry: one span per job, when a worker is built with ``tracing=True``.

Needs ``opentelemetry-api`` (the ``otel`` extra); the application configures the SDK (a
``TracerProvider`` with its exporters), or passes ``tracer_provider=``. Without a configured
SDK the spans cost almost nothing and go nowhere.

The span is named ``<job type> process`` (kind ``CONSUMER``), begins when the worker hands the
activated job to its runner (event ``activated``, with the job's deadline) and ends when the job
gives its capacity back: after its acknowledgement, sent or given up (events ``handler ended``
and ``acknowledgement ended``), or at once when there is nothing to acknowledge. Its attributes name the job; its status and events come from the
outcome: a failure is an ``ERROR`` with an ``exception`` event (type, message, traceback as the
handler's failure message carries them), a BPMN error sets ``camunda.bpmn_error.code``, a job
not run (its deadline passed, the worker stopping) says so.

When the process carries a W3C trace context, in the custom headers or in the variables
(``traceparent`` and ``tracestate``, headers first; with inferred fetch variables, those two are
fetched too), the job's span continues that trace. The span
is current while the handler runs, so spans the handler opens are its children: with the
``async`` and ``thread`` strategies directly, with the ``process`` strategy through the job's
trace context (``traceparent``), which the child makes current while the handler runs (the
child exports its spans only where the application configured an SDK in it, e.g. in the
process pool's initializer).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from camunda_worker._base.errors import ConfigurationError

if TYPE_CHECKING:
    from camunda_worker._api.models import ActivatedJob
    from camunda_worker.worker._capacity import Slot

__all__ = ["TRACE_VARIABLES", "JobTracing", "continue_trace", "load_tracing"]

TRACE_VARIABLES = ("traceparent", "tracestate")
"""Where a W3C trace context is looked for: custom headers, then variables of these names (a
worker whose fetch variables are inferred fetches them too when tracing is on)."""
_TRACE_KEYS = TRACE_VARIABLES


class JobTracing:
    """Starts and ends the span of each job of one worker.

    Args:
        job_type: the worker's job type.
        worker_name: the worker's name.
        tracer_provider: an OpenTelemetry ``TracerProvider``; ``None`` uses the global one.
    """

    def __init__(self, job_type: str, worker_name: str, tracer_provider: object | None) -> None:
        from opentelemetry import trace  # noqa: PLC0415 - an optional dependency
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )

        self._trace = trace
        self._tracer = trace.get_tracer(
            "camunda_worker",
            tracer_provider=tracer_provider,  # type: ignore[arg-type]
        )
        self._propagator = TraceContextTextMapPropagator()
        self._job_type = job_type
        self._worker_name = worker_name
        self._name = f"{job_type} process"

    def _parent(self, job: ActivatedJob) -> Any:
        for source in (job.custom_headers, job.variables):
            carrier = {
                key: value
                for key in _TRACE_KEYS
                if isinstance(value := source.get(key), str) and value
            }
            if "traceparent" in carrier:
                return self._propagator.extract(carrier)
        return None

    @contextlib.contextmanager
    def job_span(self, slot: Slot) -> Iterator[Any]:
        """The span of ``slot.job``, current inside the block, ended when the slot is released."""
        job = slot.job
        attributes: dict[str, str | int] = {
            "camunda.job.type": self._job_type,
            "camunda.job.key": job.job_key,
            "camunda.process_instance.key": job.process_instance_key,
            "camunda.process_definition.id": job.process_definition_id,
            "camunda.element.id": job.element_id,
            "camunda.job.retries": job.retries,
            "camunda.worker": self._worker_name,
        }
        span = self._tracer.start_span(
            self._name,
            context=self._parent(job),
            kind=self._trace.SpanKind.CONSUMER,
            attributes=attributes,
            record_exception=True,
            set_status_on_exception=True,
        )
        span.add_event("activated", {"camunda.job.deadline": job.deadline})
        slot.on_release = lambda released: _end(span, released.stage)
        with self._trace.use_span(span, end_on_exit=False, record_exception=True):
            yield span

    def record(self, span: Any, outcome: object) -> None:
        """Set the span's status and events from how the job ended."""
        from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415

        kind = type(outcome).__name__
        span.add_event("handler ended")
        span.set_attribute("camunda.job.outcome", kind.lower())
        error_message = getattr(outcome, "error_message", None)
        if kind == "Failure" and isinstance(error_message, str):
            headline, _, rest = error_message.partition("\n")
            error_type, sep, text = headline.partition(": ")
            event: dict[str, str] = {
                "exception.type": error_type if sep else "JobFailure",
                "exception.message": text if sep else headline,
            }
            if rest.strip():
                event["exception.stacktrace"] = rest.strip()
            span.add_event("exception", event)
            span.set_attribute("camunda.job.retries_left", int(getattr(outcome, "retries", 0)))
            span.set_status(Status(StatusCode.ERROR, headline))
        elif kind == "BpmnError":
            span.set_attribute("camunda.bpmn_error.code", str(getattr(outcome, "error_code", "")))
        elif kind in ("Expired", "Abandoned"):
            span.set_status(Status(StatusCode.ERROR, f"the job was not run ({kind.lower()})"))

    def carrier(self) -> dict[str, str]:
        """The current span's W3C trace context (``traceparent``...), for a child process."""
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier)
        return carrier

    def in_thread(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` run in the current context (so the job's span is current in a pool thread)."""
        return _Runner(fn)


@contextlib.contextmanager
def continue_trace(carrier: dict[str, str] | None) -> Iterator[None]:
    """Make the trace context of ``carrier`` current inside the block (a child process).

    Nothing happens without a carrier or where ``opentelemetry-api`` cannot be imported.
    """
    if not carrier:
        yield
        return
    try:
        from opentelemetry import context  # noqa: PLC0415 - an optional dependency
        from opentelemetry.trace.propagation.tracecontext import (  # noqa: PLC0415
            TraceContextTextMapPropagator,
        )
    except ImportError:  # pragma: no cover - the parent had it, so the child has it too
        yield
        return
    token = context.attach(TraceContextTextMapPropagator().extract(carrier))
    try:
        yield
    finally:
        context.detach(token)


def _end(span: Any, stage: str) -> None:
    if stage == "acknowledging":
        span.add_event("acknowledgement ended")
    span.end()


class _Runner:
    """Runs a function in a copy of the context it was made in (picklable not needed: threads)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self._context = contextvars.copy_context()

    def __call__(self, *args: Any) -> Any:
        return self._context.run(self._fn, *args)


def load_tracing(
    enabled: bool, *, job_type: str, worker_name: str, tracer_provider: object | None
) -> JobTracing | None:
    """The worker's tracing, or ``None`` when it is off.

    Raises:
        ConfigurationError: tracing is asked for but ``opentelemetry-api`` is not installed.
    """
    if not enabled and tracer_provider is None:
        return None
    try:
        import opentelemetry.trace  # noqa: F401, PLC0415 - only checking it is there
    except ImportError as error:
        raise ConfigurationError(
            "tracing=True needs OpenTelemetry: pip install 'camunda-worker[otel]'",
            variable="tracing",
        ) from error
    return JobTracing(job_type, worker_name, tracer_provider)
