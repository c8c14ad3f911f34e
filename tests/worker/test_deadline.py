"""Job deadlines on the local clock: the server's, never earlier, whatever the clocks say."""

from __future__ import annotations

import time
from functools import partial

import anyio
import pytest

from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker._deadline import JobDeadline, activation_deadlines, extend_while_running

SENT = 1_000.0
RECEIVED = 1_004.0  # a long poll that waited 4 s for its jobs


@pytest.mark.parametrize(
    "server_now_ms",
    [1_735_689_600_000, 4_102_444_800_000],  # 2025 and 2100: the server's clock does not matter
)
def test_jobs_activated_together_are_due_a_job_timeout_after_the_answer(
    server_now_ms: int,
) -> None:
    deadlines = activation_deadlines(
        [server_now_ms + 3_000] * 3,
        timeout_ms=3_000,
        sent_monotonic=SENT,
        received_monotonic=RECEIVED,
    )
    # Not SENT + 3 s, which passed a second before the jobs arrived.
    assert [deadline.monotonic for deadline in deadlines] == [RECEIVED + 3.0] * 3


def test_a_job_activated_earlier_in_the_same_answer_keeps_its_earlier_deadline() -> None:
    deadlines = activation_deadlines(
        [50_000, 49_700, 50_000],
        timeout_ms=3_000,
        sent_monotonic=SENT,
        received_monotonic=RECEIVED,
    )
    assert [deadline.monotonic for deadline in deadlines] == pytest.approx(
        [RECEIVED + 3.0, RECEIVED + 2.7, RECEIVED + 3.0]
    )


def test_a_deadline_older_than_the_request_is_not_trusted() -> None:
    # 5 s older than the newest job, but the request was open for 4 s only: not the same clock
    # or not this activation; the deadline that is never too early is the one after the answer.
    deadlines = activation_deadlines(
        [50_000, 45_000], timeout_ms=3_000, sent_monotonic=SENT, received_monotonic=RECEIVED
    )
    assert [deadline.monotonic for deadline in deadlines] == [RECEIVED + 3.0, RECEIVED + 3.0]


def test_no_jobs_no_deadlines() -> None:
    assert (
        activation_deadlines([], timeout_ms=3_000, sent_monotonic=SENT, received_monotonic=4) == []
    )


def test_the_wall_clock_deadline_is_the_time_left_on_the_wall_clock_of_now() -> None:
    start_wall, start_monotonic = time.time(), time.monotonic()
    deadline = JobDeadline(start_monotonic + 5.0)
    wall = deadline.wall
    end_wall, end_monotonic = time.time(), time.monotonic()
    assert start_wall + 5.0 - (end_monotonic - start_monotonic) <= wall <= end_wall + 5.0
    copy = deadline.copy()
    copy.monotonic += 1
    assert deadline.monotonic == start_monotonic + 5.0


@pytest.mark.asyncio
async def test_an_extended_deadline_counts_from_the_answer_not_from_the_request() -> None:
    answered: list[float] = []

    class SlowClient:
        async def update_job(self, job_key: str, **changes: int) -> None:
            await anyio.sleep(0.3)
            answered.append(time.monotonic())

    deadline = JobDeadline(time.monotonic())  # due: extended at once
    async with anyio.create_task_group() as group:
        group.start_soon(
            partial(
                extend_while_running,
                SlowClient(),  # type: ignore[arg-type]
                "1",
                timeout_ms=3_000,
                deadline=deadline,
                log=RecordingLogger(),
            )
        )
        with anyio.fail_after(10):
            while not answered:  # noqa: ASYNC110 - set by the extension task
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    # The engine set the new timeout at some moment before it answered: counting from the
    # answer is never earlier than its deadline.
    assert deadline.monotonic >= answered[0] + 3.0
