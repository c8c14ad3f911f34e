"""The demo's live progress: one line redrawn in place on a terminal, periodic lines otherwise.

No dependency: plain text, so it also reads well in CI logs and when piped to a file.
"""

from __future__ import annotations

import time
from typing import TextIO

import attrs

__all__ = ["Progress", "Snapshot"]

_BAR_WIDTH = 24
_TTY_INTERVAL = 0.1
_LINE_INTERVAL = 1.0


@attrs.frozen
class Snapshot:
    """What the demo has done so far.

    Attributes:
        started: process instances started.
        ended: process instances that reached an end event.
        jobs: jobs the workers finished.
        incidents: incidents raised.
        elapsed: seconds since the workers started.
    """

    started: int
    ended: int
    jobs: int
    incidents: int
    elapsed: float


class Progress:
    """Draws :class:`Snapshot` s of a run of ``total`` process instances.

    Args:
        total: how many process instances the run starts.
        stream: where to draw.
        tty: redraw one line (``None``: when ``stream`` is a terminal).
    """

    def __init__(self, total: int, stream: TextIO, *, tty: bool | None = None) -> None:
        self._total = total
        self._stream = stream
        self._tty = stream.isatty() if tty is None else tty
        self._last_drawn = float("-inf")
        self._width = 0

    @property
    def interval(self) -> float:
        """Seconds between two updates."""
        return _TTY_INTERVAL if self._tty else _LINE_INTERVAL

    def line(self, snapshot: Snapshot) -> str:
        """The text of one update."""
        share = snapshot.ended / self._total if self._total else 1.0
        filled = round(share * _BAR_WIDTH)
        rate = snapshot.jobs / snapshot.elapsed if snapshot.elapsed > 0 else 0.0
        return (
            f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%} "
            f"instances {snapshot.ended}/{self._total} ended ({snapshot.started} started) | "
            f"jobs {snapshot.jobs} ({rate:.0f}/s) | incidents {snapshot.incidents} | "
            f"{snapshot.elapsed:.1f} s"
        )

    def update(self, snapshot: Snapshot, *, force: bool = False) -> None:
        """Draw ``snapshot`` if an update is due (or ``force``)."""
        now = time.monotonic()
        if not force and now - self._last_drawn < self.interval:
            return
        self._last_drawn = now
        text = self.line(snapshot)
        if self._tty:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self, snapshot: Snapshot) -> None:
        """Draw the final state and end the line."""
        self.update(snapshot, force=True)
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()
