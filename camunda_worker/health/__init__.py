"""Health probes for job workers: liveness and readiness, from the library or over HTTP.

``check(workers)`` returns a :class:`HealthReport` (``report.live``, ``report.ready``, the
reasons); :class:`HealthServer` serves it as ``GET /livez`` and ``GET /readyz`` for Kubernetes
probes. ``camunda-worker run --health-port PORT`` starts one. The rules are in
``docs/operations.md``.
"""

from camunda_worker.health._check import (
    MAX_POLL_BACKOFF_SECONDS,
    HealthReport,
    WorkerHealth,
    check,
    liveness_bound,
)
from camunda_worker.health._server import HealthServer

__all__ = [
    "MAX_POLL_BACKOFF_SECONDS",
    "HealthReport",
    "HealthServer",
    "WorkerHealth",
    "check",
    "liveness_bound",
]
