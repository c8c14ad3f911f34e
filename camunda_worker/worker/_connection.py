"""What an operator reads about a worker's connection: reached, failing, still failing, back.

The poll loop reports each activation's outcome here, and this turns them into few lines:

- INFO once, when the worker first reaches the cluster, with the cluster's version (from
  ``GET /topology``, best effort: a cluster may not let the worker's credentials read it);
- WARNING once when activations start failing (a transport error, backpressure, a 5xx), then a
  summary every :data:`OUTAGE_SUMMARY_INTERVAL` seconds while they keep failing (how long, how
  many retries, the last error) instead of one line per retry;
- INFO when an activation succeeds again (after how long, how many retries).

Each retry is a DEBUG line.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger

__all__ = ["OUTAGE_SUMMARY_INTERVAL", "ConnectionLog"]

OUTAGE_SUMMARY_INTERVAL = 30.0
"""Seconds between two summaries while activations keep failing."""

_VERSION_TIMEOUT = 5.0


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class ConnectionLog:
    """Logs one worker's connection to its cluster as an operator wants to read it.

    Args:
        log: the worker's logger.
        address: the cluster's REST address (shown in every line).
        summary_interval: seconds between two summaries while activations keep failing.
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self,
        log: JobLogger,
        address: str,
        *,
        summary_interval: float = OUTAGE_SUMMARY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._address = address
        self._interval = summary_interval
        self._clock = clock
        self.reached = False
        """Whether an activation ever succeeded."""
        self._failing_since: float | None = None
        self._retries = 0
        self._last_summary = 0.0
        self._last_error: BaseException | None = None

    async def succeeded(self, version: Callable[[], Awaitable[str]]) -> None:
        """An activation was answered; ``version`` reads the cluster's version (first time only)."""
        if not self.reached:
            self.reached = True
            shown = await self._version(version)
            after = self._outage_text()
            self._log.info(f"reached {self._address} ({shown}){after}")
        elif self._failing_since is not None:
            self._log.info(f"activating jobs works again{self._outage_text()} ({self._address})")
        self._failing_since = None
        self._retries = 0
        self._last_error = None

    def failed(self, error: BaseException, delay: float) -> None:
        """An activation failed with an error worth retrying; the next try is in ``delay`` s."""
        now = self._clock()
        self._last_error = error
        if self._failing_since is None:
            self._failing_since = now
            self._last_summary = now
            self._retries = 1
            what = "activating jobs failed" if self.reached else "cannot reach the cluster yet"
            self._log.warning(
                f"{what} at {self._address} ({_describe(error)}); retrying with back-off, "
                f"a summary follows every {self._interval:g} s until it works"
            )
            return
        self._retries += 1
        self._log.debug(f"activation retry {self._retries} failed ({_describe(error)})")
        if now - self._last_summary >= self._interval:
            self._last_summary = now
            self._log.warning(
                f"still failing to activate jobs at {self._address} after "
                f"{now - self._failing_since:.0f} s: {self._retries} retries, last error "
                f"{_describe(error)}; next retry in {delay:.2f} s"
            )

    @property
    def last_error(self) -> BaseException | None:
        """The error of the last failed activation, while they fail (``None`` once one works)."""
        return self._last_error

    def _outage_text(self) -> str:
        if self._failing_since is None:
            return ""
        elapsed = self._clock() - self._failing_since
        return f" after {elapsed:.1f} s and {self._retries} failed attempt(s)"

    async def _version(self, version: Callable[[], Awaitable[str]]) -> str:
        try:
            with anyio.fail_after(_VERSION_TIMEOUT):
                return f"Camunda {await version()}"
        except Exception as error:  # noqa: BLE001 - the version is shown when it can be read
            self._log.debug(f"reading the cluster's version failed ({_describe(error)})")
            return "version unknown"
