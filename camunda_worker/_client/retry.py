"""Retry with capped exponential back-off and jitter, for errors that are safe to retry.

What is safe to retry is what :func:`is_retryable` says: backpressure (503 RESOURCE_EXHAUSTED,
429, 500 RESOURCE_EXHAUSTED), other 5xx answers and transport errors (no answer at all). A 4xx
answer (bad request, unauthorized, forbidden, not found, conflict) is never retried: repeating
the same request cannot succeed.

The delay doubles from :attr:`Backoff.initial` up to :attr:`Backoff.maximum`. "Equal jitter" (the
default) draws each delay from the upper half of its step, ``[d/2, d]``: workers that failed
together spread out, yet every step keeps a floor, so the back-off really grows. A success resets
it. :func:`set_testing` turns every delay into 0 for test suites.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import anyio
import attrs
import httpx

from camunda_worker._base.errors import CamundaError

__all__ = [
    "Backoff",
    "is_retryable",
    "is_testing",
    "retry_async",
    "retry_sync",
    "set_testing",
]

T = TypeVar("T")

Jitter = Literal["equal", "full", "none"]

_testing = False


def set_testing(enabled: bool) -> None:
    """Turn test mode on or off: while on, every back-off delay is 0 (attempts still count)."""
    global _testing  # noqa: PLW0603 - one process-wide switch, by design
    _testing = enabled


def is_testing() -> bool:
    """Tell whether test mode (no back-off delays) is on."""
    return _testing


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        msg = f"{attribute.name} must be > 0, got {value!r}"
        raise ValueError(msg)


def _at_least_one(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value >= 1:
        msg = f"{attribute.name} must be >= 1, got {value!r}"
        raise ValueError(msg)


@attrs.define
class Backoff:
    """Capped exponential back-off with jitter; one instance per retrying loop.

    Args:
        initial: the first delay in seconds (before jitter).
        maximum: the cap in seconds: no delay is longer.
        multiplier: the growth factor from one delay to the next.
        jitter: ``"equal"`` draws from ``[d/2, d]`` (default), ``"full"`` from ``[0, d]``,
            ``"none"`` uses ``d`` itself.
        rng: the random generator (seed it for reproducible delays).
    """

    initial: float = attrs.field(default=0.05, validator=_positive)
    maximum: float = attrs.field(default=10.0, validator=_positive)
    multiplier: float = attrs.field(default=2.0, validator=_at_least_one)
    jitter: Jitter = attrs.field(
        default="equal", validator=attrs.validators.in_(("equal", "full", "none"))
    )
    rng: random.Random = attrs.field(factory=random.Random, repr=False, eq=False)
    _attempts: int = attrs.field(default=0, init=False)
    _step: float = attrs.field(default=0.0, init=False)

    @property
    def attempts(self) -> int:
        """How many delays were handed out since the last reset."""
        return self._attempts

    def next_delay(self) -> float:
        """Return the next delay in seconds and advance the back-off."""
        step = min(self.maximum, self.initial) if self._attempts == 0 else self._step
        # Grow step by step rather than with initial * multiplier**n: no overflow, ever.
        self._step = min(self.maximum, step * self.multiplier)
        self._attempts += 1
        if _testing:
            return 0.0
        if self.jitter == "equal":
            return step / 2 + self.rng.uniform(0, step / 2)
        if self.jitter == "full":
            return self.rng.uniform(0, step)
        return step

    def reset(self) -> None:
        """Start over from :attr:`initial` (call after a success)."""
        self._attempts = 0
        self._step = 0.0


def is_retryable(error: BaseException) -> bool:
    """Tell whether repeating the request that raised ``error`` may succeed.

    True for backpressure, 5xx answers and transport errors (also raw ``httpx`` transport
    errors); false for every 4xx answer except 429 (backpressure) and for anything else.
    """
    if isinstance(error, CamundaError):
        return error.retryable
    return isinstance(error, httpx.TransportError)


def _delay_or_none(
    error: Exception,
    backoff: Backoff,
    calls: int,
    deadline: float | None,
    should_retry: Callable[[BaseException], bool],
    max_attempts: int | None,
    on_retry: Callable[[BaseException, float], None] | None,
) -> float | None:
    if not should_retry(error) or (max_attempts is not None and calls >= max_attempts):
        return None
    delay = backoff.next_delay()
    if deadline is not None and time.monotonic() + delay > deadline:
        return None
    if on_retry is not None:
        on_retry(error, delay)
    return delay


async def retry_async(
    fn: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff | None = None,
    deadline: float | None = None,
    should_retry: Callable[[BaseException], bool] = is_retryable,
    on_retry: Callable[[BaseException, float], None] | None = None,
    max_attempts: int | None = None,
) -> T:
    """Await ``fn()`` until it succeeds, sleeping with back-off between retryable failures.

    Args:
        fn: makes one attempt (e.g. ``lambda: client.complete_job(key, variables)``).
        backoff: the back-off to use (a fresh :class:`Backoff` when ``None``); reset on success.
        deadline: a :func:`time.monotonic` value; no sleep may end past it.
        should_retry: decides which errors are retried (default :func:`is_retryable`).
        on_retry: called with the error and the coming delay before each sleep (e.g. to log).
        max_attempts: the most calls of ``fn``, the first included; ``None`` for no limit.

    Returns:
        What ``fn()`` returned.

    Raises:
        Exception: the last error, when it is not retryable, the attempts are used up or the
            next sleep would pass the deadline. Cancellation is never caught.
    """
    backoff = Backoff() if backoff is None else backoff
    calls = 0
    while True:
        calls += 1
        try:
            result = await fn()
        except Exception as error:
            delay = _delay_or_none(
                error, backoff, calls, deadline, should_retry, max_attempts, on_retry
            )
            if delay is None:
                raise
        else:
            backoff.reset()
            return result
        await anyio.sleep(delay)


def retry_sync(
    fn: Callable[[], T],
    *,
    backoff: Backoff | None = None,
    deadline: float | None = None,
    should_retry: Callable[[BaseException], bool] = is_retryable,
    on_retry: Callable[[BaseException, float], None] | None = None,
    max_attempts: int | None = None,
) -> T:
    """Call ``fn()`` until it succeeds, sleeping with back-off; see :func:`retry_async`.

    Raises:
        Exception: the last error, when it is not retryable, the attempts are used up or the
            next sleep would pass the deadline.
    """
    backoff = Backoff() if backoff is None else backoff
    calls = 0
    while True:
        calls += 1
        try:
            result = fn()
        except Exception as error:
            delay = _delay_or_none(
                error, backoff, calls, deadline, should_retry, max_attempts, on_retry
            )
            if delay is None:
                raise
        else:
            backoff.reset()
            return result
        time.sleep(delay)
