"""camunda-worker: fast, sturdy, testable job workers for Camunda 8 (REST API v2)."""

from camunda_worker._auth import BasicAuth
from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker._errors import (
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
from camunda_worker._logging import JobLogger, log_filter
from camunda_worker._models import (
    ActivatedJob,
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
)
from camunda_worker._oauth import OAuthClientCredentials
from camunda_worker._registry import TaskDefinition, TaskRegistry, default_registry, task
from camunda_worker._retry import Backoff, is_retryable, retry_async, retry_sync, set_testing
from camunda_worker._settings import CamundaSettings, ResolvedSettings, Source, resolve_settings
from camunda_worker._version import __version__
from camunda_worker._worker_config import WorkerConfig, resolve_worker_config

__all__ = [
    "ActivatedJob",
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
    "CreatedProcessInstance",
    "DeployedProcess",
    "DeploymentResult",
    "ForbiddenError",
    "JobLogger",
    "JobSearchItem",
    "JobSearchResult",
    "NotFoundError",
    "OAuthClientCredentials",
    "Partition",
    "ProblemError",
    "ProcessInstance",
    "ProcessInstanceSearchResult",
    "PublishedMessage",
    "RequestTimeoutError",
    "ResolvedSettings",
    "SearchPage",
    "ServerError",
    "Source",
    "TaskDefinition",
    "TaskRegistry",
    "Topology",
    "TransportError",
    "UnauthorizedError",
    "WorkerConfig",
    "__version__",
    "default_registry",
    "is_retryable",
    "log_filter",
    "resolve_settings",
    "resolve_worker_config",
    "retry_async",
    "retry_sync",
    "set_testing",
    "task",
]
