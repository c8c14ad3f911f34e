"""Turning a handler's exceptions into outcomes: BPMN error codes, retry back-off, ``on_error``.

An :class:`OutcomePolicy` decides, for an exception a handler (or its middleware) raised, which
exception the worker turns into the job's outcome, in this order:

1. :class:`JobError` and :class:`JobFailure` are outcomes already: they pass unchanged;
2. an exception that is an instance of a key of ``bpmn_errors`` (the most derived match wins)
   throws a BPMN error with that code and the exception's text as its message;
3. the ``on_error`` hook, when given, may return a :class:`JobError` or :class:`JobFailure` to
   use (or ``None`` to carry on);
4. anything else fails the job with one retry fewer, after the back-off of the ``retry_back_off``
   policy (:class:`FixedBackoff`, :class:`ExponentialBackoff`), computed from the job's
   remaining retries.

Only :class:`Exception` subclasses are translated: ``SystemExit`` and friends keep their
documented behaviour, and cancellation passes through. Everything here is picklable (the
``process`` strategy sends it to its children) when the hook and the exception classes are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from camunda_worker._base.errors import ConfigurationError
from camunda_worker.worker._outcomes import JobError, JobFailure, describe_exception

__all__ = [
    "ErrorHook",
    "ExponentialBackoff",
    "FixedBackoff",
    "OutcomePolicy",
    "RetryPolicy",
    "check_bpmn_errors",
    "outcome_policy_of",
]

ErrorHook = Callable[[Exception, Any], "JobError | JobFailure | None"]
"""``def on_error(error, job) -> JobError | JobFailure | None``: choose the outcome of an
exception no ``bpmn_errors`` entry matched; ``None`` keeps the default failure."""


@runtime_checkable
class RetryPolicy(Protocol):
    """How long a failed job waits before it can be activated again."""

    def back_off(self, retries: int) -> int:
        """The back-off in milliseconds for a job that had ``retries`` left when it failed."""


def _non_negative(_instance: Any, attribute: Any, value: float) -> None:
    if not isinstance(value, (int, float)) or value < 0 or math.isnan(value):
        raise ConfigurationError(f"{attribute.name} must be a number >= 0, got {value!r}")


@attrs.frozen
class FixedBackoff:
    """The same back-off after every failure.

    Attributes:
        milliseconds: the back-off.
    """

    milliseconds: float = attrs.field(validator=_non_negative)

    def back_off(self, retries: int) -> int:
        """The fixed back-off, whatever the retries left."""
        return int(self.milliseconds)


@attrs.frozen
class ExponentialBackoff:
    """A back-off that grows with each failure, up to a cap.

    The job's remaining retries say which attempt failed: with ``retries=3`` (the job's retries
    in the BPMN, Camunda's default), a job failing with 3 left waits ``initial``, with 2 left
    ``initial * multiplier``, with 1 left ``initial * multiplier**2``, never more than
    ``maximum``.

    Attributes:
        initial: the first back-off, in milliseconds.
        maximum: the cap, in milliseconds.
        multiplier: the growth factor per attempt.
        retries: the retries the job starts with.
    """

    initial: float = attrs.field(validator=_non_negative)
    maximum: float = attrs.field(validator=_non_negative)
    multiplier: float = attrs.field(default=2.0, validator=_non_negative)
    retries: int = attrs.field(default=3, validator=_non_negative)

    def back_off(self, retries: int) -> int:
        """``initial * multiplier ** attempt``, capped at ``maximum``."""
        attempt = max(0, self.retries - retries)
        try:
            delay = self.initial * self.multiplier**attempt
        except OverflowError:
            return int(self.maximum)
        return int(min(delay, self.maximum))


def check_bpmn_errors(bpmn_errors: Mapping[type[BaseException], str]) -> dict[type, str]:
    """Check a mapping of exception types to BPMN error codes.

    Raises:
        ConfigurationError: a key is not an exception class, or a code is blank.
    """
    checked: dict[type, str] = {}
    for error_type, code in bpmn_errors.items():
        if not (isinstance(error_type, type) and issubclass(error_type, Exception)):
            raise ConfigurationError(
                f"bpmn_errors keys must be exception classes, got {error_type!r}",
                variable="bpmn_errors",
            )
        if not isinstance(code, str) or not code.strip():
            raise ConfigurationError(
                f"the BPMN error code for {error_type.__name__} must be a non-blank string, "
                f"got {code!r}",
                variable="bpmn_errors",
            )
        checked[error_type] = code
    return checked


@attrs.frozen
class OutcomePolicy:
    """Which outcome an exception becomes (see the module docstring).

    Attributes:
        bpmn_errors: exception types and the BPMN error codes they throw.
        retry_back_off: the back-off policy of other failures (``None``: none).
        on_error: the hook for exceptions no entry matched.
    """

    bpmn_errors: Mapping[type, str] = attrs.field(factory=dict)
    retry_back_off: RetryPolicy | None = None
    on_error: ErrorHook | None = None

    def outcome(self, error: Exception, context: Any) -> Exception:
        """The exception that stands for the job's outcome of ``error``."""
        if isinstance(error, (JobError, JobFailure)):
            return error
        code = self._code_for(error)
        if code is not None:
            return JobError(code, str(error) or type(error).__name__)
        if self.on_error is not None:
            chosen: object = self.on_error(error, context)
            if chosen is not None:
                if not isinstance(chosen, (JobError, JobFailure)):
                    return TypeError(
                        f"on_error returned a {type(chosen).__name__}; return a JobError, a "
                        f"JobFailure or None (handling {describe_exception(error)})"
                    )
                return chosen
        if self.retry_back_off is None:
            return error
        return JobFailure(
            describe_exception(error),
            retry_back_off=self.retry_back_off.back_off(context.job.retries),
        )

    def _code_for(self, error: Exception) -> str | None:
        for klass in type(error).__mro__:
            code = self.bpmn_errors.get(klass)
            if code is not None:
                return code
        return None


def outcome_policy_of(
    *,
    bpmn_errors: Mapping[type[BaseException], str] | None,
    retry_back_off: RetryPolicy | None,
    on_error: ErrorHook | None,
) -> OutcomePolicy | None:
    """The policy of these options, checked; ``None`` when none is given (nothing to translate).

    Raises:
        ConfigurationError: a ``bpmn_errors`` entry is invalid, or ``on_error`` is not callable.
    """
    checked = check_bpmn_errors(bpmn_errors or {})
    if on_error is not None and not callable(on_error):
        raise ConfigurationError(
            f"on_error must be callable, got {on_error!r}", variable="on_error"
        )
    if not checked and retry_back_off is None and on_error is None:
        return None
    return OutcomePolicy(bpmn_errors=checked, retry_back_off=retry_back_off, on_error=on_error)
