"""The exception tree of camunda-worker.

Every error the library raises on purpose derives from :class:`CamundaError`::

    CamundaError
    ├── ConfigurationError        bad or missing setting (also a ValueError)
    ├── AuthenticationError       the token endpoint refused the client credentials
    ├── TransportError            no HTTP answer at all (retryable)
    │   ├── ConnectError          the connection could not be made
    │   └── RequestTimeoutError   no answer within the HTTP timeout
    └── ProblemError              the API answered with an RFC 9457 problem detail
        ├── BadRequestError       400 INVALID_ARGUMENT
        ├── UnauthorizedError     401
        ├── ForbiddenError        403
        ├── NotFoundError         404 NOT_FOUND
        ├── ConflictError         409 INVALID_STATE / ALREADY_EXISTS
        ├── BackpressureError     503 RESOURCE_EXHAUSTED, 429, 500 RESOURCE_EXHAUSTED (retryable)
        └── ServerError           any other 5xx (retryable)

``retryable`` tells whether repeating the same request may succeed: true for backpressure,
server errors and transport errors, never for a 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from camunda_worker._base.redact import scrub

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
    "problem_from_response",
]


class CamundaError(Exception):
    """Root of every error camunda-worker raises on purpose."""

    retryable: bool = False


class ConfigurationError(CamundaError, ValueError):
    """A setting is missing, malformed or contradicts another one.

    The message names the variable, shows the offending value (masked when it is a secret) and
    says what is expected.
    """

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class AuthenticationError(CamundaError):
    """The OAuth token endpoint refused the credentials, or the API refused the token twice.

    The message never contains the client secret or the token.
    """


class TransportError(CamundaError):
    """The request got no HTTP answer (connection refused or reset, timeout, protocol error)."""

    retryable = True


class ConnectError(TransportError):
    """The connection to the Camunda API could not be established."""


class RequestTimeoutError(TransportError):
    """No answer arrived within the HTTP timeout."""


class ProblemError(CamundaError):
    """The API answered an error status with an RFC 9457 problem detail.

    Attributes:
        status: the HTTP status code.
        title: the problem title: Camunda sends a gRPC-style code such as ``INVALID_STATE``.
        detail: the human-readable explanation, when the server sent one.
        instance: the URI of the request the problem is about, when sent.
        type: the problem type URI (``about:blank`` when not sent).
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        instance: str | None = None,
        type: str | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.instance = instance
        self.type = type or "about:blank"
        parts = [f"{status}"]
        if title:
            parts.append(title)
        text = " ".join(parts)
        if detail:
            text = f"{text}: {detail}"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields survive pickling (errors cross process boundaries).
        return (
            _rebuild_problem,
            (type(self), self.status, self.title, self.detail, self.instance, self.type),
        )


def _rebuild_problem(
    cls: type[ProblemError],
    status: int,
    title: str | None,
    detail: str | None,
    instance: str | None,
    type_: str,
) -> ProblemError:
    return cls(status, title, detail, instance=instance, type=type_)


class BadRequestError(ProblemError):
    """400: the request was malformed or violated a constraint (INVALID_ARGUMENT)."""


class UnauthorizedError(ProblemError):
    """401: no valid credentials were sent, or the token was refused."""


class ForbiddenError(ProblemError):
    """403: the credentials are valid but do not allow this operation."""


class NotFoundError(ProblemError):
    """404: the job, process or resource does not exist (any more)."""


class ConflictError(ProblemError):
    """409: the resource is in a state that forbids the operation (INVALID_STATE)."""


class BackpressureError(ProblemError):
    """The engine is overloaded and asks the client to slow down: retry later with back-off."""

    retryable = True


class ServerError(ProblemError):
    """5xx other than backpressure: the engine failed to process the request."""

    retryable = True


_BY_STATUS: Mapping[int, type[ProblemError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: BackpressureError,
}

_RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"


def _problem_class(status: int, title: str | None, detail: str | None) -> type[ProblemError]:
    if status == 503 and title in (_RESOURCE_EXHAUSTED, None):
        return BackpressureError
    if status == 500 and _RESOURCE_EXHAUSTED in f"{title or ''} {detail or ''}":
        return BackpressureError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return ProblemError


def problem_from_response(
    status: int, body: bytes | str | Mapping[str, Any] | None
) -> ProblemError:
    """Build the matching :class:`ProblemError` subclass from an error answer.

    Args:
        status: the HTTP status code (>= 400).
        body: the answer's body: a problem-detail document, any other JSON, text or nothing.

    Returns:
        An instance of the most specific subclass for the status and title. Its text is scrubbed
        of every secret the library holds (a server may echo the ``Authorization`` header).
    """
    document: Any = body
    if isinstance(body, bytes | str):
        try:
            document = json.loads(body) if body else None
        except ValueError:
            document = None
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            detail = scrub(text.strip())[:500] or None
            return _problem_class(status, None, detail)(status, None, detail)
    if not isinstance(document, Mapping):
        return _problem_class(status, None, None)(status)
    title = _str_or_none(document.get("title"))
    detail = _str_or_none(document.get("detail"))
    cls = _problem_class(status, title, detail)
    return cls(
        status,
        title,
        detail,
        instance=_str_or_none(document.get("instance")),
        type=_str_or_none(document.get("type")),
    )


def _str_or_none(value: object) -> str | None:
    return scrub(value) if isinstance(value, str) and value else None
