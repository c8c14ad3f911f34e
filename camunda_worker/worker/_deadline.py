"""Job deadlines as this process sees them, and the opt-in timeout extension for long handlers.

The server stamps each job with ``deadline`` in *its* clock's epoch milliseconds. Comparing that
with the local clock would let clock skew decide whether a job runs, so the worker keeps its own
estimate instead: the moment it sent the activation request plus the job timeout it asked for.
The server's deadline is never earlier (it starts counting after receiving the request), so the
estimate errs on the safe side and ignores skew entirely.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

from camunda_worker._errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker._logging import JobLogger

__all__ = ["JobDeadline", "extend_while_running"]

_RETRY_DELAY = 0.5


class JobDeadline:
    """When a job stops being this worker's, on the local monotonic and wall clocks."""

    __slots__ = ("monotonic", "wall")

    def __init__(self, sent_monotonic: float, sent_wall: float, timeout_ms: int) -> None:
        self.monotonic = sent_monotonic + timeout_ms / 1000
        self.wall = sent_wall + timeout_ms / 1000

    @classmethod
    def from_now(cls, timeout_ms: int) -> JobDeadline:
        """A deadline ``timeout_ms`` from now."""
        return cls(time.monotonic(), time.time(), timeout_ms)

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.monotonic

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.monotonic - time.monotonic()

    def copy(self) -> JobDeadline:
        """An independent copy (for a job whose deadline will be extended)."""
        clone = JobDeadline.__new__(JobDeadline)
        clone.monotonic = self.monotonic
        clone.wall = self.wall
        return clone


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
    ``timeout_ms`` from then (``PATCH /jobs/{key}``). It stops when the job is no longer this
    worker's (404/409); other errors are retried until the deadline passes.

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
        sent_monotonic, sent_wall = time.monotonic(), time.time()
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
        deadline.monotonic = sent_monotonic + timeout_ms / 1000
        deadline.wall = sent_wall + timeout_ms / 1000
        log.debug(f"extended the job's timeout by {timeout_ms} ms")
