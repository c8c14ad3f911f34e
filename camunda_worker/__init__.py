"""camunda-worker: fast, sturdy, testable job workers for Camunda 8 (REST API v2)."""

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
from camunda_worker._version import __version__

__all__ = [
    "AuthenticationError",
    "BackpressureError",
    "BadRequestError",
    "CamundaError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ForbiddenError",
    "NotFoundError",
    "ProblemError",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "__version__",
]
