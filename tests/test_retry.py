from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from camunda_worker import (
    BackpressureError,
    BadRequestError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from camunda_worker._base.errors import problem_from_response
from camunda_worker._client.retry import (
    Backoff,
    is_retryable,
    is_testing,
    retry_async,
    retry_sync,
    set_testing,
)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the sleeps of retry_sync/retry_async instead of sleeping."""
    slept: list[float] = []

    async def fake_async_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr("camunda_worker._client.retry.time.sleep", slept.append)
    monkeypatch.setattr("camunda_worker._client.retry.anyio.sleep", fake_async_sleep)
    return slept


class Flaky:
    """Fails with the given errors, then returns ``"done"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"

    async def acall(self) -> str:
        return self()


def _run(kind: str, flaky: Flaky, **options: Any) -> str:
    if kind == "sync":
        return retry_sync(flaky, **options)
    return asyncio.run(retry_async(flaky.acall, **options))


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_backoff_grows_by_the_multiplier_up_to_the_cap() -> None:
    backoff = Backoff(initial=0.1, maximum=1.0, multiplier=2.0, jitter="none")
    delays = [backoff.next_delay() for _ in range(7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
    assert backoff.attempts == 7


def test_backoff_never_overflows_after_many_attempts() -> None:
    backoff = Backoff(initial=0.05, maximum=10.0, jitter="none")
    for _ in range(5000):
        delay = backoff.next_delay()
    assert delay == 10.0


def test_equal_jitter_stays_in_the_upper_half_of_each_step_and_varies() -> None:
    backoff = Backoff(initial=1.0, maximum=8.0, rng=random.Random(7))
    steps = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0, 8.0]
    delays = [backoff.next_delay() for _ in steps]
    for delay, step in zip(delays, steps, strict=True):
        assert step / 2 <= delay <= step
    assert len(set(delays[3:])) > 1  # capped steps still spread out


def test_full_jitter_stays_below_the_step() -> None:
    backoff = Backoff(initial=1.0, maximum=4.0, jitter="full", rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(0 <= delay <= 4.0 for delay in delays)
    assert len(set(delays)) > 1


def test_two_workers_back_off_differently() -> None:
    first, second = Backoff(rng=random.Random(1)), Backoff(rng=random.Random(2))
    assert [first.next_delay() for _ in range(5)] != [second.next_delay() for _ in range(5)]


def test_reset_starts_over() -> None:
    backoff = Backoff(initial=0.1, jitter="none")
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempts == 0
    assert backoff.next_delay() == pytest.approx(0.1)


@pytest.mark.parametrize(
    "options",
    [{"initial": 0}, {"maximum": -1}, {"multiplier": 0.5}, {"jitter": "some"}],
)
def test_nonsense_backoff_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - attrs and our validators word it differently
        Backoff(**options)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (problem_from_response(503, {"title": "RESOURCE_EXHAUSTED"}), True),
        (problem_from_response(429, None), True),
        (problem_from_response(500, {"detail": "RESOURCE_EXHAUSTED"}), True),
        (problem_from_response(500, {"title": "INTERNAL"}), True),
        (problem_from_response(502, {"title": "ABORTED"}), True),
        (ConnectError("refused"), True),
        (RequestTimeoutError("slow"), True),
        (TransportError("reset"), True),
        (httpx.ReadError("reset"), True),
        (problem_from_response(400, None), False),
        (problem_from_response(401, None), False),
        (problem_from_response(403, None), False),
        (problem_from_response(404, None), False),
        (problem_from_response(409, None), False),
        (ValueError("bug"), False),
    ],
)
def test_only_what_is_safe_to_repeat_is_retryable(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


def test_retries_backpressure_and_transport_errors_until_success(
    kind: str, no_sleep: list[float]
) -> None:
    flaky = Flaky(
        BackpressureError(503, "RESOURCE_EXHAUSTED"),
        ConnectError("refused"),
        ServerError(502, "ABORTED"),
    )
    assert _run(kind, flaky, backoff=Backoff(initial=0.1, jitter="none")) == "done"
    assert flaky.calls == 4
    assert no_sleep == pytest.approx([0.1, 0.2, 0.4])


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError(400),
        UnauthorizedError(401),
        ForbiddenError(403),
        NotFoundError(404),
        ConflictError(409, "INVALID_STATE"),
        ValueError("a bug"),
    ],
)
def test_never_retries_a_4xx_or_a_bug(kind: str, error: Exception, no_sleep: list[float]) -> None:
    flaky = Flaky(error)
    with pytest.raises(type(error)) as raised:
        _run(kind, flaky)
    assert raised.value is error
    assert flaky.calls == 1
    assert no_sleep == []


def test_success_resets_a_shared_backoff(kind: str, no_sleep: list[float]) -> None:
    backoff = Backoff(initial=0.1, jitter="none")
    _run(kind, Flaky(ConnectError("x"), ConnectError("x")), backoff=backoff)
    assert backoff.attempts == 0
    _run(kind, Flaky(ConnectError("x")), backoff=backoff)
    assert no_sleep == pytest.approx([0.1, 0.2, 0.1])


def test_gives_up_when_the_next_sleep_would_pass_the_deadline(
    kind: str, no_sleep: list[float]
) -> None:
    last = ConnectError("still down")
    flaky = Flaky(ConnectError("down"), ConnectError("down"), last, ConnectError("never reached"))
    deadline = time.monotonic() + 3.5  # room for sleeps of 1 and 2, not for the third of 4
    with pytest.raises(ConnectError) as raised:
        _run(kind, flaky, backoff=Backoff(initial=1.0, jitter="none"), deadline=deadline)
    assert raised.value is last
    assert flaky.calls == 3
    assert no_sleep == [1.0, 2.0]


def test_a_passed_deadline_means_a_single_attempt(kind: str, no_sleep: list[float]) -> None:
    flaky = Flaky(ConnectError("down"), ConnectError("down"))
    with pytest.raises(ConnectError):
        _run(kind, flaky, deadline=time.monotonic() - 1)
    assert flaky.calls == 1


def test_max_attempts_counts_the_first_call(kind: str, no_sleep: list[float]) -> None:
    flaky = Flaky(*(ConnectError(str(n)) for n in range(10)))
    with pytest.raises(ConnectError, match="2"):
        _run(kind, flaky, max_attempts=3)
    assert flaky.calls == 3


def test_on_retry_hears_each_error_and_delay(kind: str, no_sleep: list[float]) -> None:
    heard: list[tuple[str, float]] = []
    flaky = Flaky(ConnectError("a"), ConnectError("b"))
    _run(
        kind,
        flaky,
        backoff=Backoff(initial=0.5, jitter="none"),
        on_retry=lambda error, delay: heard.append((str(error), delay)),
    )
    assert heard == [("a", 0.5), ("b", 1.0)]


def test_custom_should_retry(kind: str, no_sleep: list[float]) -> None:
    flaky = Flaky(NotFoundError(404))  # e.g. a search that is eventually consistent
    assert _run(kind, flaky, should_retry=lambda error: isinstance(error, NotFoundError)) == "done"


def test_real_sleeps_are_short_with_a_small_backoff(kind: str) -> None:
    flaky = Flaky(ConnectError("a"), ConnectError("b"))
    assert _run(kind, flaky, backoff=Backoff(initial=0.001, maximum=0.002)) == "done"


def test_cancellation_is_never_retried() -> None:
    calls = 0

    async def cancelled() -> None:
        nonlocal calls
        calls += 1
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(retry_async(cancelled))
    assert calls == 1


@pytest.fixture
def testing_mode() -> Iterator[None]:
    set_testing(True)
    yield
    set_testing(False)


def test_testing_mode_turns_delays_off(testing_mode: None) -> None:
    assert is_testing()
    backoff = Backoff(initial=5.0)
    assert [backoff.next_delay() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert backoff.attempts == 3
    flaky = Flaky(ConnectError("a"), ConnectError("b"))
    assert retry_sync(flaky, backoff=Backoff(initial=60.0)) == "done"


def test_testing_mode_is_off_by_default() -> None:
    assert not is_testing()
