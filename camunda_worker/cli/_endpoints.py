"""The endpoints ``camunda-worker run`` serves: Prometheus metrics and the health probes.

Both are off unless a port is set (``--metrics-port`` / ``CAMUNDA_WORKER_METRICS_PORT``,
``--health-port`` / ``CAMUNDA_WORKER_HEALTH_PORT``), both bind to 127.0.0.1 unless a host is
set, and port 0 picks a free port, printed on stdout. The same port for both serves both from
one server (``/livez``, ``/readyz`` and ``/metrics``), on the health host. The metrics live in a registry of their
own (with the process, platform and garbage-collector collectors prometheus_client adds to its
default one), so nothing else in the process can clash with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from camunda_worker.cli._logging import say
from camunda_worker.health import HealthServer, liveness_bound

if TYPE_CHECKING:
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.metrics import PrometheusObserver
    from camunda_worker.worker import JobWorker

__all__ = ["Endpoint", "metrics_observer", "start_endpoints"]

_LOOPBACK = "127.0.0.1"


class Endpoint(Protocol):
    """A server that :func:`start_endpoints` started."""

    def stop(self) -> None:
        """Stop serving."""


def metrics_observer(settings: CamundaSettings) -> PrometheusObserver | None:
    """The observer that records the workers' metrics, when metrics are served.

    Raises:
        ImportError: prometheus-client is missing (the message says how to install it).
    """
    if settings.worker_metrics_port is None:
        return None
    from camunda_worker.metrics import PrometheusObserver, process_registry  # noqa: PLC0415

    return PrometheusObserver(process_registry())


def start_endpoints(
    settings: CamundaSettings, workers: list[JobWorker], metrics: PrometheusObserver | None
) -> list[Endpoint]:
    """Start the endpoints the settings ask for and announce their URLs on stdout.

    Returns:
        The servers started (stop them in reverse order).

    Raises:
        OSError: a port cannot be bound; the servers started before are stopped.
    """
    started: list[Endpoint] = []
    shared = (
        metrics is not None
        and settings.worker_health_port is not None
        and settings.worker_metrics_port == settings.worker_health_port
    )
    try:
        if metrics is not None and settings.worker_metrics_port is not None and not shared:
            from camunda_worker.metrics import serve_metrics  # noqa: PLC0415 - optional extra

            exporter = serve_metrics(
                metrics.registry,
                host=settings.worker_metrics_host or _LOOPBACK,
                port=settings.worker_metrics_port,
            )
            started.append(exporter)
            say(f"camunda-worker: metrics on {exporter.url}")
        if settings.worker_health_port is not None:
            jitter = settings.worker_startup_jitter_max_seconds or 0.0
            bound = max(liveness_bound(worker) for worker in workers) + jitter
            routes = {}
            if shared and metrics is not None:
                from camunda_worker.metrics import metrics_page  # noqa: PLC0415 - optional extra

                routes["/metrics"] = metrics_page(metrics.registry)
            probes = HealthServer(
                workers,
                host=settings.worker_health_host or _LOOPBACK,
                port=settings.worker_health_port,
                liveness_bound_seconds=bound,
                routes=routes,
            ).start()
            started.append(probes)
            if routes:
                say(f"camunda-worker: metrics on {probes.url}/metrics")
            say(f"camunda-worker: health probes on {probes.url}/livez and /readyz")
    except BaseException:
        for endpoint in reversed(started):
            endpoint.stop()
        raise
    return started
