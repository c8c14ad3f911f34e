"""A :class:`~camunda_worker.JobLogger` that keeps what a handler logs, for assertions."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["RecordingLogger"]


class RecordingLogger:
    """Records ``"LEVEL: message"`` lines; loguru-style ``{}`` arguments are formatted.

    Bound copies (:meth:`bind`) share one record, so a handler's bound ``job.log`` writes where
    the test reads. Thread-safe.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()

    @property
    def lines(self) -> tuple[str, ...]:
        """What was logged, oldest first."""
        with self._lock:
            return tuple(self._lines)

    def bind(self, **context: Any) -> RecordingLogger:
        """A logger writing to the same record (the context is not recorded)."""
        del context
        bound = RecordingLogger()
        bound._lines, bound._lock = self._lines, self._lock
        return bound

    def _record(self, level: str, message: str, args: tuple[Any, ...], kwargs: Any) -> None:
        text = str(message)
        if args or kwargs:
            try:
                text = text.format(*args, **kwargs)
            except (IndexError, KeyError, ValueError):
                text = f"{text} {args!r} {kwargs!r}"
        with self._lock:
            self._lines.append(f"{level}: {text}")

    def debug(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at DEBUG."""
        self._record("DEBUG", message, args, kwargs)

    def info(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at INFO."""
        self._record("INFO", message, args, kwargs)

    def warning(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at WARNING."""
        self._record("WARNING", message, args, kwargs)

    def error(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at ERROR."""
        self._record("ERROR", message, args, kwargs)

    def exception(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at ERROR (the traceback is not kept)."""
        self._record("ERROR", message, args, kwargs)

    def critical(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Record at CRITICAL."""
        self._record("CRITICAL", message, args, kwargs)
