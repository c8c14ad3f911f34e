"""camunda-worker: fast, sturdy, testable job workers for Camunda 8 (REST API v2).

Importing the package is cheap: every name below is loaded on first use (PEP 562 ``__getattr__``),
so ``import camunda_worker`` (and the pytest plugin, which every pytest run of a project that has
camunda-worker installed loads) imports neither httpx, pydantic nor loguru until a name is used.
Type checkers and IDEs see the real imports (``TYPE_CHECKING``).
"""

import importlib as _importlib
import typing as _typing

from camunda_worker._version import __version__

if _typing.TYPE_CHECKING:
    from camunda_worker._api.models import (
        ActivatedJob,
        ActivatedJobs,
        BrokerInfo,
        CreatedProcessInstance,
        DeployedProcess,
        DeploymentResult,
        JobSearchItem,
        JobSearchResult,
        Partition,
        ProcessInstance,
        ProcessInstanceSearchResult,
        PublishedMessage,
        SearchPage,
        Topology,
        UnreadableJob,
    )
    from camunda_worker._auth.oauth import OAuthClientCredentials
    from camunda_worker._auth.schemes import BasicAuth
    from camunda_worker._base.errors import (
        AuthenticationError,
        BackpressureError,
        BadRequestError,
        CamundaError,
        ConfigurationError,
        ConflictError,
        ConnectError,
        ForbiddenError,
        NotFoundError,
        ProblemError,
        RequestTimeoutError,
        ServerError,
        TransportError,
        UnauthorizedError,
    )
    from camunda_worker._base.logs import JobLogger, log_filter, log_to_stdlib
    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker._client.retry import (
        Backoff,
        is_retryable,
        retry_async,
        retry_sync,
        set_testing,
    )
    from camunda_worker._config.settings import (
        CamundaSettings,
        ResolvedSettings,
        Source,
        resolve_settings,
    )
    from camunda_worker._config.worker_config import WorkerConfig, resolve_worker_config
    from camunda_worker.worker import (
        AsyncJobContext,
        ConnectedJobContext,
        EventLoopBlock,
        ExecutionStrategy,
        ExponentialBackoff,
        FixedBackoff,
        JobContext,
        JobError,
        JobFailure,
        JobWorker,
        Middleware,
        RetryPolicy,
        SyncJobContext,
        Variable,
        WorkerObserver,
        WorkerState,
        WorkerStats,
        run_workers,
        serve_workers,
    )
    from camunda_worker.worker._registry import TaskDefinition, TaskRegistry, default_registry, task

# Exported name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "ActivatedJob": "camunda_worker._api.models",
    "ActivatedJobs": "camunda_worker._api.models",
    "AsyncJobContext": "camunda_worker.worker",
    "AuthenticationError": "camunda_worker._base.errors",
    "Backoff": "camunda_worker._client.retry",
    "BackpressureError": "camunda_worker._base.errors",
    "BadRequestError": "camunda_worker._base.errors",
    "BasicAuth": "camunda_worker._auth.schemes",
    "BrokerInfo": "camunda_worker._api.models",
    "CamundaAsyncClient": "camunda_worker._client",
    "CamundaClient": "camunda_worker._client",
    "CamundaError": "camunda_worker._base.errors",
    "CamundaSettings": "camunda_worker._config.settings",
    "ConfigurationError": "camunda_worker._base.errors",
    "ConflictError": "camunda_worker._base.errors",
    "ConnectError": "camunda_worker._base.errors",
    "ConnectedJobContext": "camunda_worker.worker",
    "CreatedProcessInstance": "camunda_worker._api.models",
    "DeployedProcess": "camunda_worker._api.models",
    "DeploymentResult": "camunda_worker._api.models",
    "EventLoopBlock": "camunda_worker.worker",
    "ExponentialBackoff": "camunda_worker.worker",
    "FixedBackoff": "camunda_worker.worker",
    "Middleware": "camunda_worker.worker",
    "RetryPolicy": "camunda_worker.worker",
    "Variable": "camunda_worker.worker",
    "ExecutionStrategy": "camunda_worker.worker",
    "ForbiddenError": "camunda_worker._base.errors",
    "JobContext": "camunda_worker.worker",
    "JobError": "camunda_worker.worker",
    "JobFailure": "camunda_worker.worker",
    "JobLogger": "camunda_worker._base.logs",
    "JobSearchItem": "camunda_worker._api.models",
    "JobSearchResult": "camunda_worker._api.models",
    "JobWorker": "camunda_worker.worker",
    "NotFoundError": "camunda_worker._base.errors",
    "OAuthClientCredentials": "camunda_worker._auth.oauth",
    "Partition": "camunda_worker._api.models",
    "ProblemError": "camunda_worker._base.errors",
    "ProcessInstance": "camunda_worker._api.models",
    "ProcessInstanceSearchResult": "camunda_worker._api.models",
    "PublishedMessage": "camunda_worker._api.models",
    "RequestTimeoutError": "camunda_worker._base.errors",
    "ResolvedSettings": "camunda_worker._config.settings",
    "SearchPage": "camunda_worker._api.models",
    "ServerError": "camunda_worker._base.errors",
    "Source": "camunda_worker._config.settings",
    "SyncJobContext": "camunda_worker.worker",
    "TaskDefinition": "camunda_worker.worker._registry",
    "TaskRegistry": "camunda_worker.worker._registry",
    "Topology": "camunda_worker._api.models",
    "TransportError": "camunda_worker._base.errors",
    "UnauthorizedError": "camunda_worker._base.errors",
    "UnreadableJob": "camunda_worker._api.models",
    "WorkerConfig": "camunda_worker._config.worker_config",
    "WorkerObserver": "camunda_worker.worker",
    "WorkerState": "camunda_worker.worker",
    "WorkerStats": "camunda_worker.worker",
    "default_registry": "camunda_worker.worker._registry",
    "is_retryable": "camunda_worker._client.retry",
    "log_filter": "camunda_worker._base.logs",
    "log_to_stdlib": "camunda_worker._base.logs",
    "resolve_settings": "camunda_worker._config.settings",
    "resolve_worker_config": "camunda_worker._config.worker_config",
    "retry_async": "camunda_worker._client.retry",
    "retry_sync": "camunda_worker._client.retry",
    "run_workers": "camunda_worker.worker",
    "serve_workers": "camunda_worker.worker",
    "set_testing": "camunda_worker._client.retry",
    "task": "camunda_worker.worker._registry",
}

__all__ = [
    "ActivatedJob",
    "ActivatedJobs",
    "AsyncJobContext",
    "AuthenticationError",
    "Backoff",
    "BackpressureError",
    "BadRequestError",
    "BasicAuth",
    "BrokerInfo",
    "CamundaAsyncClient",
    "CamundaClient",
    "CamundaError",
    "CamundaSettings",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ConnectedJobContext",
    "CreatedProcessInstance",
    "DeployedProcess",
    "DeploymentResult",
    "EventLoopBlock",
    "ExecutionStrategy",
    "ExponentialBackoff",
    "FixedBackoff",
    "ForbiddenError",
    "JobContext",
    "JobError",
    "JobFailure",
    "JobLogger",
    "JobSearchItem",
    "JobSearchResult",
    "JobWorker",
    "Middleware",
    "NotFoundError",
    "OAuthClientCredentials",
    "Partition",
    "ProblemError",
    "ProcessInstance",
    "ProcessInstanceSearchResult",
    "PublishedMessage",
    "RequestTimeoutError",
    "ResolvedSettings",
    "RetryPolicy",
    "SearchPage",
    "ServerError",
    "Source",
    "SyncJobContext",
    "TaskDefinition",
    "TaskRegistry",
    "Topology",
    "TransportError",
    "UnauthorizedError",
    "UnreadableJob",
    "Variable",
    "WorkerConfig",
    "WorkerObserver",
    "WorkerState",
    "WorkerStats",
    "__version__",
    "default_registry",
    "is_retryable",
    "log_filter",
    "log_to_stdlib",
    "resolve_settings",
    "resolve_worker_config",
    "retry_async",
    "retry_sync",
    "run_workers",
    "serve_workers",
    "set_testing",
    "task",
]


def __getattr__(name: str) -> object:
    """Load an exported name on first use (PEP 562) and keep it in the module's namespace."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
