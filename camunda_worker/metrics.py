"""Prometheus metrics for job workers (the optional ``metrics`` extra: ``prometheus-client``).

:class:`PrometheusObserver` is a :class:`~camunda_worker.worker.WorkerObserver`: pass it to your
workers (``JobWorker(..., observers=[metrics])``) and it records, per job type, in the registry
you give it (the default registry otherwise)::

    camunda_worker_jobs_activated_total              jobs received from activations
    camunda_worker_jobs_completed_total              completions sent
    camunda_worker_jobs_failed_total                 failures sent
    camunda_worker_jobs_bpmn_errors_total            BPMN errors thrown
    camunda_worker_jobs_acknowledged_by_handler_total  jobs the handler acknowledged itself
    camunda_worker_jobs_expired_total                jobs whose deadline passed before they ran
    camunda_worker_acknowledgement_retries_total     acknowledgements sent again after an error
    camunda_worker_acknowledgements_rejected_total   acknowledgements refused (404/409)
    camunda_worker_acknowledgement_failures_total    acknowledgements given up at the deadline
    camunda_worker_activation_errors_total           activations that failed
    camunda_worker_backoffs_total                    poll loop back-offs after a failed activation
    camunda_worker_handler_duration_seconds          histogram, also by outcome
    camunda_worker_activation_duration_seconds       histogram of activation (long-poll) requests
    camunda_worker_event_loop_block_duration_seconds  histogram of the event loop's blocks
    camunda_worker_jobs_in_flight                    gauge: jobs held now
    camunda_worker_free_capacity                     gauge: free slots (what the next poll asks)
    camunda_worker_last_successful_poll_timestamp_seconds  gauge: Unix time of the last success
    camunda_worker_event_loop_blocked_seconds        gauge: how long the event loop is blocked now
    camunda_worker_handlers_overdue                  gauge: handlers running past their deadline

The gauges are read from the workers when the registry is scraped: they cost nothing between
scrapes. ``prometheus_client`` is imported only when an observer or a server is created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from camunda_worker.worker import JobWorker
from camunda_worker.worker._observer import JobOutcome, ObservedWorker, WorkerObserver

if TYPE_CHECKING:
    from camunda_worker.worker._observer import AcknowledgementResult

__all__ = [
    "MetricsServer",
    "PrometheusObserver",
    "metrics_page",
    "process_registry",
    "serve_metrics",
]

_INSTALL_HINT = (
    "Prometheus metrics need the prometheus-client package: pip install 'camunda-worker[metrics]'"
)
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
ACTIVATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LOOP_BLOCK_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def _prometheus_client() -> Any:
    try:
        import prometheus_client  # noqa: PLC0415 - optional dependency, imported when used
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return prometheus_client


def process_registry() -> Any:
    """A new registry with the process, platform and garbage-collector collectors.

    What ``camunda-worker run --metrics-port`` serves beside the workers' metrics: pass it to
    :class:`PrometheusObserver` in your own worker process to expose the same.

    Returns:
        A ``prometheus_client.CollectorRegistry``.

    Raises:
        ImportError: prometheus-client is missing (the message says how to install it).
    """
    prometheus = _prometheus_client()
    registry = prometheus.CollectorRegistry()
    prometheus.ProcessCollector(registry=registry)
    prometheus.PlatformCollector(registry=registry)
    prometheus.GCCollector(registry=registry)
    return registry


def _name(namespace: str, name: str) -> str:
    return f"{namespace}_{name}" if namespace else name


class PrometheusObserver(WorkerObserver):
    """Records workers' activity as Prometheus metrics (listed in the module docstring).

    One observer can watch every worker of a process: ``JobWorker(..., observers=[metrics])``.
    Create it once per registry: creating a second one in the same registry raises
    ``ValueError`` (duplicated time series).

    Args:
        registry: the ``prometheus_client`` registry to record in; ``None`` uses the default
            ``prometheus_client.REGISTRY``.
        namespace: the prefix of every metric name (``""`` for none).
        handler_buckets: histogram buckets (seconds) of the handler duration.
        activation_buckets: histogram buckets (seconds) of the activation duration.
        loop_block_buckets: histogram buckets (seconds) of the event loop's blocks.

    Raises:
        ImportError: ``prometheus-client`` is not installed (the message says how to install it).
    """

    def __init__(
        self,
        registry: Any = None,
        namespace: str = "camunda_worker",
        *,
        handler_buckets: Sequence[float] = HANDLER_BUCKETS,
        activation_buckets: Sequence[float] = ACTIVATION_BUCKETS,
        loop_block_buckets: Sequence[float] = LOOP_BLOCK_BUCKETS,
    ) -> None:
        prometheus = _prometheus_client()
        self.registry: Any = prometheus.REGISTRY if registry is None else registry
        self._workers: dict[int, JobWorker] = {}
        self._lock = threading.Lock()

        def counter(name: str, documentation: str) -> Any:
            return prometheus.Counter(
                _name(namespace, name), documentation, ("job_type",), registry=self.registry
            )

        self._activated = counter("jobs_activated", "Jobs received from activations.")
        self._sent = {
            "completed": counter("jobs_completed", "Job completions sent by the worker."),
            "failed": counter("jobs_failed", "Job failures sent by the worker."),
            "bpmn_error": counter("jobs_bpmn_errors", "BPMN errors thrown by the worker."),
        }
        self._by_handler = counter(
            "jobs_acknowledged_by_handler", "Jobs the handler completed, failed or errored itself."
        )
        self._expired = counter(
            "jobs_expired", "Jobs not run: their deadline passed before the handler could start."
        )
        self._ack_retries = counter(
            "acknowledgement_retries", "Acknowledgements sent again after a retryable error."
        )
        self._rejected = counter(
            "acknowledgements_rejected", "Acknowledgements refused: the job was no longer ours."
        )
        self._ack_failures = counter(
            "acknowledgement_failures", "Acknowledgements given up at the job's deadline."
        )
        self._activation_errors = counter("activation_errors", "Activation requests that failed.")
        self._backoffs = counter("backoffs", "Poll loop back-offs after a failed activation.")
        self._handler_duration = prometheus.Histogram(
            _name(namespace, "handler_duration_seconds"),
            "How long job handlers ran, by outcome.",
            ("job_type", "outcome"),
            buckets=tuple(handler_buckets),
            registry=self.registry,
        )
        self._activation_duration = prometheus.Histogram(
            _name(namespace, "activation_duration_seconds"),
            "How long activation (long-poll) requests took.",
            ("job_type",),
            buckets=tuple(activation_buckets),
            registry=self.registry,
        )
        self._loop_blocks = prometheus.Histogram(
            _name(namespace, "event_loop_block_duration_seconds"),
            "How long the worker's event loop was blocked, per block beyond its threshold.",
            ("job_type",),
            buckets=tuple(loop_block_buckets),
            registry=self.registry,
        )
        self.registry.register(_CapacityCollector(self, namespace))

    def __repr__(self) -> str:
        return f"<PrometheusObserver workers={len(self._workers)}>"

    def workers(self) -> list[JobWorker]:
        """The workers being watched now (started and not yet stopped)."""
        with self._lock:
            return list(self._workers.values())

    # -- WorkerObserver ------------------------------------------------------------------------

    def worker_started(self, worker: ObservedWorker) -> None:
        """Start reporting the worker's gauges (every worker that calls this is a JobWorker)."""
        if not isinstance(worker, JobWorker):
            msg = f"WorkerMetrics watches JobWorker objects, not {type(worker).__name__}"
            raise TypeError(msg)
        with self._lock:
            self._workers[id(worker)] = worker

    def worker_stopped(self, worker: ObservedWorker) -> None:
        """Stop reporting the worker's gauges."""
        with self._lock:
            self._workers.pop(id(worker), None)

    def activation_finished(
        self, job_type: str, *, duration: float, jobs: int, error: BaseException | None
    ) -> None:
        """Count the jobs activated and time the request."""
        self._activation_duration.labels(job_type).observe(duration)
        if error is not None:
            self._activation_errors.labels(job_type).inc()
        elif jobs:
            self._activated.labels(job_type).inc(jobs)

    def backing_off(self, job_type: str, *, delay: float, error: BaseException) -> None:
        """Count a back-off."""
        self._backoffs.labels(job_type).inc()

    def job_finished(self, job_type: str, *, outcome: JobOutcome, duration: float) -> None:
        """Time the handler; count jobs that expired or that the handler acknowledged."""
        if outcome == "expired":
            self._expired.labels(job_type).inc()
            return
        if outcome == "abandoned":
            return
        if outcome == "acknowledged_by_handler":
            self._by_handler.labels(job_type).inc()
        self._handler_duration.labels(job_type, outcome).observe(duration)

    def job_acknowledged(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        result: AcknowledgementResult,
    ) -> None:
        """Count a completion, failure or BPMN error sent (or refused, or given up)."""
        if result == "sent":
            self._sent[outcome].labels(job_type).inc()
        elif result == "rejected":
            self._rejected.labels(job_type).inc()
        else:
            self._ack_failures.labels(job_type).inc()

    def acknowledgement_retried(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        error: BaseException,
    ) -> None:
        """Count an acknowledgement retry."""
        self._ack_retries.labels(job_type).inc()

    def event_loop_blocked(self, job_type: str, *, duration: float) -> None:
        """Record a block of the worker's event loop."""
        self._loop_blocks.labels(job_type).observe(duration)


class _CapacityCollector:
    """The gauges, read from the watched workers at scrape time."""

    def __init__(self, observer: PrometheusObserver, namespace: str) -> None:
        self._observer = observer
        self._namespace = namespace

    def describe(self) -> list[Any]:
        return list(self._families())

    def collect(self) -> Iterator[Any]:
        in_flight, free, last_poll, blocked, overdue = self._families()
        totals: dict[str, list[float]] = {}
        for worker in self._observer.workers():
            stats = worker.stats
            poll = worker.last_successful_poll
            block = worker.event_loop_block
            entry = totals.setdefault(worker.job_type, [0.0, 0.0, 0.0, 0.0, 0.0])
            entry[0] += stats.in_flight
            entry[1] += max(stats.free_capacity, 0)
            entry[2] = max(entry[2], poll.timestamp() if poll else 0)
            entry[3] = max(entry[3], block.seconds if block is not None else 0.0)
            entry[4] += stats.overdue_handlers
        for job_type, (jobs, slots, polled, stalled, late) in totals.items():
            in_flight.add_metric([job_type], jobs)
            free.add_metric([job_type], slots)
            if polled:
                last_poll.add_metric([job_type], polled)
            blocked.add_metric([job_type], stalled)
            overdue.add_metric([job_type], late)
        yield from (in_flight, free, last_poll, blocked, overdue)

    def _families(self) -> tuple[Any, Any, Any, Any, Any]:
        from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415 - optional

        def gauge(name: str, documentation: str) -> Any:
            return GaugeMetricFamily(
                _name(self._namespace, name), documentation, labels=["job_type"]
            )

        return (
            gauge("jobs_in_flight", "Jobs activated and not finished yet."),
            gauge("free_capacity", "Free slots: how many jobs the next activation asks for."),
            gauge(
                "last_successful_poll_timestamp_seconds",
                "Unix time of the last successful activation.",
            ),
            gauge(
                "event_loop_blocked_seconds",
                "How long the worker's event loop has been blocked now (0: responsive).",
            ),
            gauge(
                "handlers_overdue",
                "Handlers running past their job's deadline: their slots stay taken.",
            ),
        )


class MetricsServer:
    """The metrics endpoint (``GET /metrics``) served from a daemon thread.

    Made by :func:`serve_metrics`; :meth:`stop` (or leaving a ``with`` block) closes it.

    Attributes:
        host: the interface listened on.
        port: the port listened on.
    """

    def __init__(self, server: Any, thread: threading.Thread, host: str) -> None:
        self._server = server
        self._thread = thread
        self.host = host
        self.port: int = server.server_address[1]

    @property
    def url(self) -> str:
        """The metrics URL, e.g. ``http://127.0.0.1:9464/metrics``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join()

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def metrics_page(registry: Any = None) -> Callable[[], tuple[str, bytes]]:
    """A function that renders a registry as a Prometheus text page: ``(content type, body)``.

    For a server of your own, or for :class:`~camunda_worker.health.HealthServer`'s ``routes``
    (probes and metrics on one port).

    Args:
        registry: the registry to render; ``None`` renders ``prometheus_client.REGISTRY``.

    Raises:
        ImportError: ``prometheus-client`` is not installed.
    """
    prometheus = _prometheus_client()
    chosen = prometheus.REGISTRY if registry is None else registry

    def render() -> tuple[str, bytes]:
        return prometheus.CONTENT_TYPE_LATEST, prometheus.generate_latest(chosen)

    return render


def serve_metrics(registry: Any = None, *, host: str = "127.0.0.1", port: int = 0) -> MetricsServer:
    """Serve a registry in the Prometheus text format on ``http://HOST:PORT/metrics``.

    Args:
        registry: the registry to serve; ``None`` serves ``prometheus_client.REGISTRY``.
        host: the interface; ``0.0.0.0`` to be scraped from outside the container.
        port: the port; 0 picks a free one (read it from the result's ``port``).

    Returns:
        The running server.

    Raises:
        ImportError: ``prometheus-client`` is not installed.
        OSError: the address cannot be bound.
    """
    prometheus = _prometheus_client()
    registry = prometheus.REGISTRY if registry is None else registry
    server, thread = prometheus.start_http_server(port, addr=host, registry=registry)
    return MetricsServer(server, thread, host)
