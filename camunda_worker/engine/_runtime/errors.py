"""Refusals of the in-memory engine.

The engine raises :class:`EngineError` for every request it refuses, carrying the HTTP status,
the gRPC-style title a real Camunda 8 gateway sends (``INVALID_ARGUMENT``, ``NOT_FOUND``,
``INVALID_STATE``, ...) and a human-readable detail. The HTTP layer turns it into an
``application/problem+json`` answer; in-process callers can catch it directly.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EngineError",
    "invalid_argument",
    "invalid_state",
    "not_found",
    "rejected",
    "violations",
]


class EngineError(Exception):
    """A request the engine refuses; the HTTP layer turns it into application/problem+json.

    Attributes:
        status: the HTTP status code (400, 404, 409, 504, ...).
        title: the problem title, a gRPC-style code such as ``INVALID_STATE``.
        detail: the explanation, worded like the real gateway's where it is known.
    """

    def __init__(self, status: int, title: str, detail: str) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        super().__init__(f"{status} {title}: {detail}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.status, self.title, self.detail))


def invalid_argument(detail: str) -> EngineError:
    """A 400 ``INVALID_ARGUMENT`` refusal with the given detail."""
    return EngineError(400, "INVALID_ARGUMENT", detail)


def not_found(detail: str) -> EngineError:
    """A 404 ``NOT_FOUND`` refusal with the given detail."""
    return EngineError(404, "NOT_FOUND", detail)


def invalid_state(detail: str) -> EngineError:
    """A 409 ``INVALID_STATE`` refusal with the given detail."""
    return EngineError(409, "INVALID_STATE", detail)


_STATUS_BY_CODE = {
    "INVALID_ARGUMENT": 400,
    "NOT_FOUND": 404,
    "INVALID_STATE": 409,
    "ALREADY_EXISTS": 409,
}


def rejected(command: str, code: str, reason: str) -> EngineError:
    """A broker rejection, worded as the gateway relays it.

    Args:
        command: the command name in capitals, e.g. ``COMPLETE`` or ``FAIL``.
        code: the rejection type, e.g. ``NOT_FOUND`` or ``INVALID_STATE``.
        reason: the broker's reason.

    Returns:
        The error, e.g. ``Command 'COMPLETE' rejected with code 'NOT_FOUND': Expected to ...``.
    """
    detail = f"Command '{command}' rejected with code '{code}': {reason}"
    return EngineError(_STATUS_BY_CODE.get(code, 400), code, detail)


def violations(messages: Sequence[str]) -> EngineError | None:
    """Join request-validation messages the way the gateway does (``"No type provided."``).

    Args:
        messages: one message per violated constraint, without a final period.

    Returns:
        A 400 ``INVALID_ARGUMENT`` error, or ``None`` when there is nothing to report.
    """
    if not messages:
        return None
    return invalid_argument(". ".join(messages) + ".")
