"""Re-emitting the log records of child processes in the worker, so the user's sinks see them.

Loguru records are re-emitted through the worker's logger. When that is loguru's, the record is
logged from a tiny function whose module name is the record's original one, so the user's
``logger.enable()`` / ``logger.disable()`` choices and their filters on module names apply as if
the child's code had logged in this process; time, function and line are those of the child.
With a stdlib or custom logger, the record goes through it with the job context bound.
Stdlib ``logging`` records of the child are handed to the logger of the same name here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loguru import logger as loguru_logger

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger

__all__ = ["ChildLogs"]

_LOGURU_TYPE = type(loguru_logger)
_EMIT_SOURCE = "def emit(log, level, message):\n    log.log(level, message)\n"

Emit = Callable[[Any, "str | int", str], None]


class ChildLogs:
    """Re-emits the records that children send; called on the worker's event loop.

    Args:
        target: the worker's logger (as adapted from what the user gave).
    """

    def __init__(self, target: JobLogger) -> None:
        self._target = target
        self._is_loguru = isinstance(target, _LOGURU_TYPE)
        self._emitters: dict[tuple[str, str], Emit] = {}
        self._levels: dict[str, bool] = {}
        self._lock = threading.Lock()

    def handle(self, kind: str, payload: dict[str, Any]) -> None:
        """Re-emit one record sent by a child (``kind`` is ``loguru`` or ``logging``)."""
        if kind == "logging":
            record = logging.makeLogRecord(payload)
            target = logging.getLogger(record.name)
            if target.isEnabledFor(record.levelno):
                target.handle(record)
            return
        message = payload["message"]
        if payload.get("exception"):
            message = f"{message}\n{payload['exception'].rstrip()}"
        extra = {**payload["extra"], "child_pid": payload["pid"]}
        if self._is_loguru:
            self._emit_loguru(payload, message, extra)
        else:
            self._emit_adapter(payload["levelno"], message, extra)

    def _emit_loguru(self, payload: dict[str, Any], message: str, extra: dict[str, Any]) -> None:
        def patch(record: Any) -> None:
            record.update(
                time=payload["time"],
                function=payload["function"],
                line=payload["line"],
                name=payload["name"],
            )

        bound = self._target.bind(**extra)
        level: str | int = payload["level"]
        if not self._known_level(payload["level"]):
            level = payload["levelno"]
        emit = self._emitter(payload["name"] or "", payload["path"] or "<child process>")
        emit(bound.patch(patch), level, message)  # type: ignore[attr-defined]

    def _emit_adapter(self, levelno: int, message: str, extra: dict[str, Any]) -> None:
        bound = self._target.bind(**extra)
        if levelno >= logging.ERROR:
            bound.error(message)
        elif levelno >= logging.WARNING:
            bound.warning(message)
        elif levelno >= logging.INFO:
            bound.info(message)
        else:
            bound.debug(message)

    def _known_level(self, name: str) -> bool:
        known = self._levels.get(name)
        if known is None:
            try:
                loguru_logger.level(name)
                known = True
            except ValueError:
                known = False
            self._levels[name] = known
        return known

    def _emitter(self, name: str, path: str) -> Emit:
        key = (name, path)
        emit = self._emitters.get(key)
        if emit is None:
            with self._lock:
                namespace: dict[str, Any] = {"__name__": name}
                # The function's globals carry the child's module name: loguru decides whether
                # a record is enabled from the name of the module that logs it.
                exec(compile(_EMIT_SOURCE, path, "exec"), namespace)  # noqa: S102 - fixed source
                emit = self._emitters[key] = namespace["emit"]
        return emit
