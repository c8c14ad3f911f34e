"""The job worker: poll loop, execution strategies, outcomes, acknowledgements, life cycle.

Public names are re-exported from :mod:`camunda_worker`; the modules here are private.
"""

from camunda_worker.worker._binding import Middleware, Variable
from camunda_worker.worker._context import (
    AsyncJobContext,
    ConnectedJobContext,
    JobContext,
    SyncJobContext,
)
from camunda_worker.worker._loop_watch import EventLoopBlock
from camunda_worker.worker._observer import WorkerObserver
from camunda_worker.worker._outcomes import JobError, JobFailure
from camunda_worker.worker._policies import ExponentialBackoff, FixedBackoff, RetryPolicy
from camunda_worker.worker._state import WorkerState, WorkerStats
from camunda_worker.worker._strategy import ExecutionStrategy
from camunda_worker.worker._worker import JobWorker, run_workers, serve_workers

__all__ = [
    "AsyncJobContext",
    "ConnectedJobContext",
    "EventLoopBlock",
    "ExecutionStrategy",
    "ExponentialBackoff",
    "FixedBackoff",
    "JobContext",
    "JobError",
    "JobFailure",
    "JobWorker",
    "Middleware",
    "RetryPolicy",
    "SyncJobContext",
    "Variable",
    "WorkerObserver",
    "WorkerState",
    "WorkerStats",
    "run_workers",
    "serve_workers",
]
