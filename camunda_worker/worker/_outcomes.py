"""What a handler's result or exception means for its job.

A handler ends in one of three ways, each turned into one acknowledgement:

- it returns a dict, a pydantic model, a dataclass, an attrs instance or ``None``:
  :class:`Completion` with those variables (a model dumped in JSON mode by alias; a dataclass or
  an attrs instance field by field, its values made JSON-ready by pydantic: datetimes and
  decimals become strings, enums their values);
- it raises :class:`JobError`: :class:`BpmnError` (``POST /jobs/{key}/error``);
- it raises :class:`JobFailure` or any other exception: :class:`Failure` (``POST /jobs/{key}/failure``).

A result that cannot be sent as JSON (a value JSON has no form for, NaN or infinity, a string
that is not valid Unicode, nesting deeper than the encoder reaches) is a :class:`Failure` with a
message that names the variable and says why, so the mistake shows in Operate instead of in a
log nobody reads, and the job does not come back after every timeout. The outcome classes are frozen attrs
classes: cheap to build on the hot path and picklable, because a child process sends them back to
the worker.
"""

from __future__ import annotations

import dataclasses
import json
import math
import traceback
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs
import pydantic_core
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
    "refusal_hint",
    "to_variables",
    "truncate_message",
    "why_not_json",
]

MAX_ERROR_MESSAGE_LENGTH: Final = 4000
"""Longest failure message the worker sends; the traceback's tail is kept, its head dropped."""

_HEADLINE_LENGTH: Final = 1000

Variables = Mapping[str, Any] | BaseModel | object | None


class JobError(Exception):
    """Raise from a handler to throw a BPMN error for its job.

    An error boundary event with a matching error code (or a catch-all one) takes the token down
    its path; without one, the job raises an incident.

    Args:
        error_code: the code the BPMN error boundary event matches.
        message: a human-readable explanation, shown in Operate.
        variables: variables to set on the error's scope (a dict, a pydantic model, a dataclass
            or an attrs instance).
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
        variables: variables to set on the job's scope (a dict, a pydantic model, a dataclass or
            an attrs instance).
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


def _encode(value: object) -> None:
    # The clients' encoding (see ``_wire_lane._dumps``): compact, UTF-8, no NaN or infinity.
    json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


_JSON_SCALARS = (str, int, float, bool, type(None))
_JSON_KEYS = (str, int, float, bool, type(None))  # what json turns into member names
_JSON_VALUES = (*_JSON_SCALARS, dict, list, tuple)


def _walk(value: object) -> Iterator[tuple[object, int]]:
    """Every value nested in ``value`` with its depth, without recursion, each container once."""
    seen: set[int] = set()
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict | list | tuple):
            if id(item) in seen:
                continue
            seen.add(id(item))
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def _not_json(value: object, error: BaseException) -> str:
    """What in ``value`` made ``error``: said in a user's words, never showing values."""
    if isinstance(error, RecursionError):
        deepest = max(depth for _, depth in _walk(value))
        return f"nests {deepest} levels deep, deeper than JSON encoding reaches here"
    if isinstance(error, UnicodeEncodeError):
        return "holds a string that is not valid Unicode (a lone surrogate)"
    if isinstance(error, ValueError) and "Circular reference" in str(error):
        return "refers to itself (a circular reference)"
    return _first_non_json(value) or f"cannot be encoded ({type(error).__name__}: {error})"


def _first_non_json(value: object) -> str | None:
    for item, _ in _walk(value):
        if isinstance(item, float) and not math.isfinite(item):
            shown = "NaN" if math.isnan(item) else "Infinity" if item > 0 else "-Infinity"
            return f"holds {shown}, which is not a JSON number"
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, _JSON_KEYS):
                    return f"has a key of type {type(key).__name__}, which JSON cannot name"
        elif not isinstance(item, _JSON_VALUES):
            return f"holds a {type(item).__name__}, which is not JSON"
    return None


def why_not_json(variables: Mapping[Any, Any]) -> str:
    """Say which variable cannot be sent as JSON, and why (for a failure message).

    Args:
        variables: variables that the JSON encoder refused.

    Returns:
        E.g. ``variable 'tags' holds a set, which is not JSON``.
    """
    for name, value in variables.items():
        try:
            _encode(value)
        except (TypeError, ValueError, RecursionError) as error:
            return f"variable {str(name)!r} {_not_json(value, error)}"
        if not isinstance(name, _JSON_KEYS):
            return f"a variable name is a {type(name).__name__}, not a string"
    try:
        _encode(dict(variables))
    except (TypeError, ValueError, RecursionError) as error:
        return f"the variables {_not_json(dict(variables), error)}"
    return "the variables cannot be encoded"


# A 400 for a body whose deepest variable nests at least this deep names that variable.
_DEEP_ENOUGH_TO_NAME = 100


def refusal_hint(variables: Mapping[str, Any] | None, status: int) -> str:
    """Which variable a server's refusal of a request is most likely about, as a clause.

    Args:
        variables: the variables the refused request carried.
        status: the refusal's status: 413 names the largest variable, 400 the deepest one
            (when it nests deep enough to be the likely cause).

    Returns:
        E.g. ``"; the largest variable is 'blob' (100,002 bytes of JSON)"``, or ``""``.
    """
    if not variables:
        return ""
    try:
        if status == 413:
            sizes = {
                name: len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode())
                for name, value in variables.items()
            }
            name = max(sizes, key=sizes.__getitem__)
            return f"; the largest variable is {name!r} ({sizes[name]:,} bytes of JSON)"
        depths = {
            name: max(depth for _, depth in _walk(value)) for name, value in variables.items()
        }
    except (TypeError, ValueError, RecursionError):
        return ""
    name = max(depths, key=depths.__getitem__)
    if depths[name] < _DEEP_ENOUGH_TO_NAME:
        return ""
    return f"; the deepest variable is {name!r} ({depths[name]} levels)"


def to_variables(value: object, what: str = "the result") -> dict[str, Any] | None:
    """Turn a handler's variables into a JSON-ready dict, checking they can be sent.

    The check is the clients' own encoding (UTF-8, no NaN or infinity), so a result that
    passes it is sent as it is; one that does not fails the job with a message naming the
    variable instead of failing in the acknowledgement, again after every timeout.

    Args:
        value: ``None``, a mapping with string keys, a pydantic model (dumped by alias, in JSON
            mode), a dataclass or an attrs instance (field by field, values made JSON-ready).
        what: how to name ``value`` in the error message.

    Returns:
        The variables as a dict, or ``None`` when there are none.

    Raises:
        ValueError: ``value`` is of another type, or cannot be encoded as JSON.
    """
    if value is None:
        return None
    if isinstance(value, BaseModel):
        try:
            variables = value.model_dump(mode="json", by_alias=True)
        except (TypeError, ValueError, RecursionError) as error:
            raise _NotJSONError(
                f"{what} cannot be sent as JSON variables: {type(error).__name__}: {error}"
            ) from None
    elif isinstance(value, Mapping):
        variables = value if isinstance(value, dict) else dict(value)
    elif (dataclasses.is_dataclass(value) and not isinstance(value, type)) or attrs.has(
        type(value)
    ):
        variables = _record_variables(value, what)
    else:
        raise _NotJSONError(
            f"{what} is a {type(value).__name__}; return a dict, a pydantic model, a dataclass, "
            "an attrs instance or None"
        )
    if variables:
        try:
            _encode(variables)
        except (TypeError, ValueError, RecursionError):
            raise _NotJSONError(
                f"{what} cannot be sent as JSON variables: {why_not_json(variables)}"
            ) from None
    return variables


def _record_variables(value: object, what: str) -> dict[str, Any]:
    """A dataclass or attrs instance as JSON-ready variables (pydantic's JSON rules)."""
    if attrs.has(type(value)):
        fields: dict[str, Any] = attrs.asdict(value, recurse=True)  # type: ignore[arg-type]
    else:
        fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}  # type: ignore[arg-type]
    try:
        jsonable = pydantic_core.to_jsonable_python(fields, by_alias=True)
    except (
        pydantic_core.PydanticSerializationError,
        TypeError,
        ValueError,
        RecursionError,
    ) as error:
        raise _NotJSONError(f"{what} cannot be sent as JSON variables: {error}") from None
    if not isinstance(jsonable, dict):  # pragma: no cover - a dict stays a dict
        raise _NotJSONError(f"{what} cannot be sent as JSON variables")
    return jsonable


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
        return Failure(retries=max(retries - 1, 0), error_message=truncate_message(str(error)))
    except Exception as error:  # noqa: BLE001 - a result that breaks the check fails its job
        return Failure(
            retries=max(retries - 1, 0),
            error_message="the handler's result cannot be sent: " + describe_exception(error),
        )


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
                error_message=truncate_message(error.message),
                retry_back_off=error.retry_back_off,
                variables=to_variables(error.variables, "the JobFailure's variables"),
            )
    except _NotJSONError as refused:
        return Failure(retries=max(retries - 1, 0), error_message=truncate_message(str(refused)))
    except Exception as broken:  # noqa: BLE001 - variables that break the check fail the job
        return Failure(
            retries=max(retries - 1, 0),
            error_message=f"the variables of {type(error).__name__} cannot be sent: "
            + describe_exception(broken),
        )
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


def truncate_message(message: str) -> str:
    """``message`` cut to :data:`MAX_ERROR_MESSAGE_LENGTH` characters (``...`` marks a cut)."""
    if len(message) <= MAX_ERROR_MESSAGE_LENGTH:
        return message
    return message[: MAX_ERROR_MESSAGE_LENGTH - 3] + "..."
