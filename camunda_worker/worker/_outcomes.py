"""What a handler's result or exception means for its job.

A handler ends in one of three ways, each turned into one acknowledgement:

- it returns a dict, a pydantic model or ``None``: :class:`Completion` with those variables;
- it raises :class:`JobError`: :class:`BpmnError` (``POST /jobs/{key}/error``);
- it raises :class:`JobFailure` or any other exception: :class:`Failure` (``POST /jobs/{key}/failure``).

A result that cannot be sent as JSON is a :class:`Failure` with a message that says why, so the
mistake shows in Operate instead of in a log nobody reads. The outcome classes are frozen attrs
classes: cheap to build on the hot path and picklable, because a child process sends them back to
the worker.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from typing import Any, Final

import attrs
from pydantic import BaseModel

__all__ = [
    "MAX_ERROR_MESSAGE_LENGTH",
    "Acknowledged",
    "BpmnError",
    "Completion",
    "Failure",
    "JobError",
    "JobFailure",
    "Outcome",
    "outcome_from_exception",
    "outcome_from_result",
    "to_variables",
]

MAX_ERROR_MESSAGE_LENGTH: Final = 4000
"""Longest failure message the worker sends; the traceback's tail is kept, its head dropped."""

_HEADLINE_LENGTH: Final = 1000

Variables = Mapping[str, Any] | BaseModel | None


class JobError(Exception):
    """Raise from a handler to throw a BPMN error for its job.

    An error boundary event with a matching error code (or a catch-all one) takes the token down
    its path; without one, the job raises an incident.

    Args:
        error_code: the code the BPMN error boundary event matches.
        message: a human-readable explanation, shown in Operate.
        variables: variables to set on the error's scope (a dict or a pydantic model).
    """

    def __init__(self, error_code: str, message: str = "", variables: Variables = None) -> None:
        if not error_code:
            raise ValueError("JobError needs a non-empty error_code")
        super().__init__(error_code, message, variables)
        self.error_code = error_code
        self.message = message
        self.variables = variables

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}" if self.message else self.error_code


class JobFailure(Exception):  # noqa: N818 - the name users know from the official SDK
    """Raise from a handler to fail its job with chosen retries and retry back-off.

    Args:
        message: the failure's message, shown in Operate and in the incident when retries run out.
        retries: retries left after this failure; ``None`` means the job's retries minus one.
            Zero raises an incident.
        retry_back_off: milliseconds before the job can be activated again.
        variables: variables to set on the job's scope (a dict or a pydantic model).
    """

    def __init__(
        self,
        message: str,
        retries: int | None = None,
        retry_back_off: int = 0,
        variables: Variables = None,
    ) -> None:
        if retries is not None and retries < 0:
            raise ValueError(f"JobFailure retries must be >= 0, got {retries}")
        if retry_back_off < 0:
            raise ValueError(f"JobFailure retry_back_off must be >= 0 ms, got {retry_back_off}")
        super().__init__(message, retries, retry_back_off, variables)
        self.message = message
        self.retries = retries
        self.retry_back_off = retry_back_off
        self.variables = variables

    def __str__(self) -> str:
        return self.message


@attrs.frozen
class Completion:
    """Complete the job, merging ``variables`` into the process instance."""

    variables: dict[str, Any] | None = None


@attrs.frozen
class Failure:
    """Fail the job: ``retries`` left, activatable again after ``retry_back_off`` ms."""

    retries: int
    error_message: str
    retry_back_off: int = 0
    variables: dict[str, Any] | None = None


@attrs.frozen
class BpmnError:
    """Throw a BPMN error with ``error_code`` for the job."""

    error_code: str
    error_message: str = ""
    variables: dict[str, Any] | None = None


@attrs.frozen
class Acknowledged:
    """The handler completed, failed or threw an error for its job itself: send nothing more."""


Outcome = Completion | Failure | BpmnError | Acknowledged


class _NotJSONError(ValueError):
    pass


def to_variables(value: object, what: str = "the result") -> dict[str, Any] | None:
    """Turn a handler's variables into a JSON-ready dict, checking they can be sent.

    Args:
        value: ``None``, a mapping with string keys, or a pydantic model (dumped by alias, in JSON
            mode).
        what: how to name ``value`` in the error message.

    Returns:
        The variables as a dict, or ``None`` when there are none.

    Raises:
        ValueError: ``value`` is of another type, or cannot be encoded as JSON.
    """
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if not isinstance(value, Mapping):
        raise _NotJSONError(
            f"{what} is a {type(value).__name__}; return a dict, a pydantic model or None"
        )
    variables = value if isinstance(value, dict) else dict(value)
    if variables:
        try:
            # Same rules as the client's encoder: NaN and infinity are not JSON.
            json.dumps(variables, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise _NotJSONError(f"{what} cannot be sent as JSON variables: {error}") from None
    return variables


def outcome_from_result(result: object, *, retries: int) -> Completion | Failure:
    """The outcome of a handler that returned ``result``.

    Args:
        result: what the handler returned.
        retries: the job's retries, for the failure when ``result`` cannot be sent.

    Returns:
        A :class:`Completion`, or a :class:`Failure` that explains why the result was refused.
    """
    if result is None:
        return Completion()
    try:
        return Completion(to_variables(result, "the handler's result"))
    except _NotJSONError as error:
        return Failure(retries=max(retries - 1, 0), error_message=str(error))


def outcome_from_exception(
    error: BaseException, *, retries: int, retry_back_off: int = 0
) -> Failure | BpmnError:
    """The outcome of a handler that raised ``error``.

    Args:
        error: the exception the handler raised.
        retries: the job's retries; an unexpected error leaves one fewer.
        retry_back_off: back-off (ms) after an unexpected error (the worker's setting).

    Returns:
        A :class:`BpmnError` for :class:`JobError`, otherwise a :class:`Failure`.
    """
    try:
        if isinstance(error, JobError):
            return BpmnError(
                error.error_code,
                error.message,
                to_variables(error.variables, "the JobError's variables"),
            )
        if isinstance(error, JobFailure):
            return Failure(
                retries=max(retries - 1, 0) if error.retries is None else error.retries,
                error_message=_truncate(error.message),
                retry_back_off=error.retry_back_off,
                variables=to_variables(error.variables, "the JobFailure's variables"),
            )
    except _NotJSONError as refused:
        return Failure(retries=max(retries - 1, 0), error_message=str(refused))
    return Failure(
        retries=max(retries - 1, 0),
        error_message=describe_exception(error),
        retry_back_off=retry_back_off,
    )


def describe_exception(error: BaseException) -> str:
    """A failure message for ``error``: its type and text, then the tail of its traceback.

    Args:
        error: the exception to describe.

    Returns:
        At most :data:`MAX_ERROR_MESSAGE_LENGTH` characters.
    """
    headline = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if len(headline) > _HEADLINE_LENGTH:
        headline = headline[: _HEADLINE_LENGTH - 3] + "..."
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__)).rstrip()
    room = MAX_ERROR_MESSAGE_LENGTH - len(headline) - 2
    if len(trace) > room:
        marker = "[traceback truncated]\n...\n"
        trace = marker + trace[-(room - len(marker)) :]
    return f"{headline}\n\n{trace}"


def _truncate(message: str) -> str:
    if len(message) <= MAX_ERROR_MESSAGE_LENGTH:
        return message
    return message[: MAX_ERROR_MESSAGE_LENGTH - 3] + "..."
