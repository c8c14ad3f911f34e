"""Job deadlines as this process sees them, and the opt-in timeout extension for long handlers.

The server stamps each job with ``deadline``: the moment of the activation plus the job timeout,
in epoch milliseconds of *its* clock. The worker maps it onto its own monotonic clock, never onto
its wall clock (which may be minutes off the server's, either way) and never earlier than the
server's deadline really is, so that a job the worker still holds is never skipped:

- The activations of one answer all happened while the request was open, before the answer was
  received. The newest of them (the job with the latest ``deadline``) is pinned to the moment the
  answer was received: that maps the server's clock onto the local one with an offset that can
  only err late, by the time the answer took to arrive.
- Every job of the answer gets its server deadline through that mapping: one activated earlier
  in the same answer (another partition, say) keeps its earlier deadline. Only differences of
  the server's own timestamps are used, so skew between the hosts does not matter.
- A deadline that cannot be right (the job would have been activated before the request was
  sent) is not trusted: that job gets the time of receipt plus the job timeout, which is never
  earlier than the engine's deadline either.

Counting from when the request was *sent* (as this module once did) errs the other way: in a
long poll the engine activates a job when it arrives, seconds after the request was sent, and a
job timeout shorter than the request timeout made such a job look expired before its handler
could start, every time it came back. The HTTP ``Date`` header is not used: it has a resolution
of one second, and a proxy may stamp it from a clock other than the broker's; one ahead of the
broker's would make every deadline too early, the one error that loses jobs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from camunda_worker._base.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient

__all__ = ["JobDeadline", "activation_deadlines", "extend_while_running"]

_RETRY_DELAY = 0.5


class JobDeadline:
    """When a job stops being this worker's, on the local monotonic clock.

    Args:
        monotonic: the deadline as a :func:`time.monotonic` value.
    """

    __slots__ = ("monotonic",)

    def __init__(self, monotonic: float) -> None:
        self.monotonic = monotonic

    @classmethod
    def from_now(cls, timeout_ms: int) -> JobDeadline:
        """A deadline ``timeout_ms`` from now."""
        return cls(time.monotonic() + timeout_ms / 1000)

    @property
    def wall(self) -> float:
        """The deadline on this machine's wall clock (:func:`time.time`), as of now.

        For a child process, which shares the machine's wall clock but not the worker's
        monotonic one. Read it just before handing it over: it follows a wall clock that is
        stepped in between, the monotonic deadline does not move.
        """
        return time.time() + self.remaining()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.monotonic

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.monotonic - time.monotonic()

    def copy(self) -> JobDeadline:
        """An independent copy (for a job whose deadline will be extended)."""
        return JobDeadline(self.monotonic)

    def __repr__(self) -> str:
        return f"JobDeadline(remaining={self.remaining():.3f} s)"


def activation_deadlines(
    server_deadlines: Sequence[int],
    *,
    timeout_ms: int,
    sent_monotonic: float,
    received_monotonic: float,
) -> list[JobDeadline]:
    """The local deadlines of the jobs of one activation answer (see the module docstring).

    Args:
        server_deadlines: each job's ``deadline`` (epoch milliseconds of the server's clock), in
            the answer's order.
        timeout_ms: the job timeout the activation asked for.
        sent_monotonic: when the activation request was sent (:func:`time.monotonic`).
        received_monotonic: when its answer was received (:func:`time.monotonic`).

    Returns:
        One deadline per job, in the same order; none earlier than the engine's.
    """
    if not server_deadlines:
        return []
    timeout = timeout_ms / 1000
    latest = max(server_deadlines)
    # All activations happened while the request was open: at most this long before the newest.
    open_for = max(received_monotonic - sent_monotonic, 0.0)
    deadlines = []
    for server_deadline in server_deadlines:
        earlier_by = (latest - server_deadline) / 1000
        if earlier_by > open_for:
            earlier_by = 0.0  # not activated by this request on the same clock: not trusted
        deadlines.append(JobDeadline(received_monotonic + timeout - earlier_by))
    return deadlines


async def extend_while_running(
    client: CamundaAsyncClient,
    job_key: str,
    *,
    timeout_ms: int,
    deadline: JobDeadline,
    log: JobLogger,
) -> None:
    """Push the job's deadline out again and again until cancelled (when the handler ends).

    Each extension is sent when a third of the timeout is left and sets the job's timeout to
    ``timeout_ms`` from then (``PATCH /jobs/{key}``). The new deadline is counted from when the
    answer was received: the engine counted from an earlier moment, so it is never earlier than
    the engine's. It stops when the job is no longer this worker's (404/409); other errors are
    retried until the deadline passes.

    Args:
        client: the worker's client.
        job_key: the running job.
        timeout_ms: the job timeout the worker activates with.
        deadline: the job's deadline; moved forward after each extension.
        log: the job's logger.
    """
    lead = timeout_ms / 3000
    while True:
        await anyio.sleep(max(deadline.remaining() - lead, 0))
        try:
            await client.update_job(job_key, timeout=timeout_ms)
        except (NotFoundError, ConflictError) as error:
            log.warning(f"cannot extend the job's timeout, the job is no longer ours: {error}")
            return
        except Exception as error:  # noqa: BLE001 - any failure: try again while time is left
            if deadline.remaining() <= _RETRY_DELAY:
                log.warning(f"giving up extending the job's timeout: {error}")
                return
            log.debug(f"extending the job's timeout failed, retrying: {error}")
            await anyio.sleep(_RETRY_DELAY)
            continue
        deadline.monotonic = time.monotonic() + timeout_ms / 1000
        log.debug(f"extended the job's timeout by {timeout_ms} ms")
