"""Logging: loguru, silent by default, and a bound logger per job for handlers.

The library logs through :data:`loguru.logger` and never adds a sink. Importing this module
calls ``logger.disable("camunda_worker")``, so nothing the library logs shows anywhere until the
application calls ``logger.enable("camunda_worker")`` (after importing camunda_worker), or sets
``CAMUNDA_SDK_LOG_LEVEL`` to a level other than ``silent`` (see :func:`apply_sdk_log_level`).

Handlers get a :class:`JobLogger` bound with the job's context (``job_type``, ``job_key``,
``process_instance_key``, ``worker``). It is loguru's logger unless the user injected another
one: a stdlib :class:`logging.Logger` gets the context as ``extra`` and as a message prefix; any
other object with ``debug``/``info``/``warning``/``error`` gets it as a prefix.

:data:`logger` is loguru's logger with a patcher that masks, in every form, the secrets that
live objects hold (the authentications' credentials and tokens, the settings' secrets: see
:func:`~camunda_worker._base.redact.scrub`) in each record's message and text ``extra`` values,
whatever the record was formatted from. Records of the library, and those handlers log
through their ``job.log``, go through it.
"""

from __future__ import annotations

import contextlib
import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from loguru import logger as _loguru_logger

from camunda_worker._base.redact import known_secrets, scrub

if TYPE_CHECKING:
    from loguru import Message, Record

__all__ = [
    "DebugGate",
    "JobLogger",
    "adapt_logger",
    "apply_sdk_log_level",
    "bind_job_logger",
    "log_filter",
    "log_to_stdlib",
    "logger",
]


def _scrub_record(record: Record) -> None:
    """Mask every form of every known secret in a record's message and text ``extra``."""
    if not known_secrets():
        return
    record["message"] = scrub(record["message"])
    extra = record["extra"]
    for key, value in extra.items():
        if isinstance(value, str):
            extra[key] = scrub(value)


logger = _loguru_logger.patch(_scrub_record)
"""loguru's logger, whose records are scrubbed of secrets (see the module docstring)."""

logger.disable("camunda_worker")

_LOGURU_LOGGER_TYPE = type(logger)

# CAMUNDA_SDK_LOG_LEVEL (the official SDK's names) -> loguru level names.
_LOGURU_LEVELS: Mapping[str, str] = {
    "error": "ERROR",
    "warn": "WARNING",
    "info": "INFO",
    "debug": "DEBUG",
    "trace": "TRACE",
    "silly": "TRACE",
}
_METHODS = ("debug", "info", "warning", "error")
# LogRecord attributes that ``extra`` must not overwrite (logging raises KeyError).
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JobLogger(Protocol):
    """What a handler's ``log`` is: loguru's logger, or an adapter with the same calls."""

    def debug(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Log at DEBUG."""

    def info(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Log at INFO."""

    def warning(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Log at WARNING."""

    def error(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Log at ERROR."""

    def exception(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        """Log at ERROR with the exception being handled."""

    def bind(self, **context: Any) -> JobLogger:
        """Return a logger that adds ``context`` to every record."""


def _prefix(context: Mapping[str, object]) -> str:
    if not context:
        return ""
    return "[" + " ".join(f"{key}={value}" for key, value in context.items()) + "] "


@attrs.frozen
class _StdlibJobLogger:
    """A stdlib logger seen as a :class:`JobLogger`: context as ``extra`` and as a prefix."""

    target: logging.Logger | logging.LoggerAdapter[logging.Logger]
    context: Mapping[str, object] = attrs.field(factory=dict)

    def bind(self, **context: Any) -> JobLogger:
        return _StdlibJobLogger(self.target, {**self.context, **context})

    def debug(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self._log(logging.DEBUG, message, args, kwargs)

    def info(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self._log(logging.INFO, message, args, kwargs)

    def warning(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self._log(logging.WARNING, message, args, kwargs)

    def error(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self._log(logging.ERROR, message, args, kwargs)

    def exception(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(logging.ERROR, message, args, kwargs)

    def _log(self, level: int, message: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self.target.isEnabledFor(level):
            return
        options = {key: kwargs.pop(key) for key in ("exc_info", "stack_info") if key in kwargs}
        user_extra = kwargs.pop("extra", None) or {}
        extra = {**self.context, **kwargs, **user_extra}
        safe_extra = {(f"ctx_{k}" if k in _RESERVED else k): v for k, v in extra.items()}
        prefix = _prefix(self.context)
        if args:
            prefix = prefix.replace("%", "%%")  # the prefix must survive %-formatting
        # stacklevel 3: the record points at the caller of debug()/info()/..., not at us.
        self.target.log(level, prefix + message, *args, extra=safe_extra, stacklevel=3, **options)


@attrs.frozen
class _PrefixJobLogger:
    """Any object with debug/info/warning/error seen as a :class:`JobLogger` (prefix binding)."""

    target: Any
    context: Mapping[str, object] = attrs.field(factory=dict)

    def bind(self, **context: Any) -> JobLogger:
        return _PrefixJobLogger(self.target, {**self.context, **context})

    def debug(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self.target.debug(_prefix(self.context) + message, *args, **kwargs)

    def info(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self.target.info(_prefix(self.context) + message, *args, **kwargs)

    def warning(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self.target.warning(_prefix(self.context) + message, *args, **kwargs)

    def error(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        self.target.error(_prefix(self.context) + message, *args, **kwargs)

    def exception(self, message: str, /, *args: Any, **kwargs: Any) -> None:
        method = getattr(self.target, "exception", None)
        if callable(method):
            method(_prefix(self.context) + message, *args, **kwargs)
            return
        details = traceback.format_exc().rstrip()
        self.target.error(_prefix(self.context) + message + "\n" + details, *args, **kwargs)


class _Probed(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the probe's patcher: the record got past loguru's level and module checks."""


def _stop_probe(record: Record) -> None:
    raise _Probed


def would_log_debug(log: JobLogger) -> bool:
    """Whether a DEBUG record sent through ``log`` now would reach a sink (or might).

    For loguru's logger, a probe record is sent through a patcher that raises before any sink
    sees it: it gets that far only when some sink takes DEBUG and the records of this package
    are enabled (loguru has no public question for it). A stdlib logger is asked
    (``isEnabledFor``); any other logger might take it.
    """
    if isinstance(log, _LOGURU_LOGGER_TYPE):
        try:
            log.patch(_stop_probe).debug("probe")
        except _Probed:
            return True
        return False
    if isinstance(log, _StdlibJobLogger):
        return log.target.isEnabledFor(logging.DEBUG)
    return True


class DebugGate:
    """Whether to build a DEBUG line for ``log`` at all: asked at most once a second.

    The worker logs a DEBUG line or two per job (each acknowledgement sent and answered). With
    no sink taking them, formatting them and loguru's own checks were a few percent of a no-op
    worker's CPU. A sink added, or a level changed, while the worker runs is seen within
    :data:`DEBUG_RECHECK_SECONDS`.

    Args:
        log: the logger the lines go to.
        clock: the monotonic clock (tests move it).
    """

    __slots__ = ("_clock", "_log", "_next", "_open")

    def __init__(self, log: JobLogger, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._log = log
        self._clock = clock
        self._next = -float("inf")
        self._open = True

    def open(self) -> bool:
        """Whether a DEBUG line sent to the logger now would be seen (or might be)."""
        now = self._clock()
        if now >= self._next:
            self._open = would_log_debug(self._log)
            self._next = now + DEBUG_RECHECK_SECONDS
        return self._open


DEBUG_RECHECK_SECONDS = 1.0
"""How often a :class:`DebugGate` asks its logger again."""


def adapt_logger(user_logger: object | None) -> JobLogger:
    """Turn whatever logger the user gave into a :class:`JobLogger`.

    Args:
        user_logger: ``None`` (the library's loguru logger), loguru's logger (used as is), a
            stdlib :class:`logging.Logger` or :class:`logging.LoggerAdapter`, or any object
            with ``debug``/``info``/``warning``/``error`` methods.

    Returns:
        A logger whose ``bind(**context)`` works whatever the underlying logger is.

    Raises:
        TypeError: the object has none of the above shapes.
    """
    if user_logger is None:
        return logger
    if isinstance(user_logger, _LOGURU_LOGGER_TYPE | _StdlibJobLogger | _PrefixJobLogger):
        return user_logger
    if isinstance(user_logger, logging.Logger | logging.LoggerAdapter):
        return _StdlibJobLogger(user_logger)
    if all(callable(getattr(user_logger, name, None)) for name in _METHODS):
        return _PrefixJobLogger(user_logger)
    raise TypeError(
        "logger must be None, loguru's logger, a logging.Logger, or an object with "
        f"debug/info/warning/error methods; got {type(user_logger).__name__}"
    )


def bind_job_logger(
    job_logger: JobLogger,
    *,
    job_type: str,
    job_key: str,
    process_instance_key: str | None,
    worker: str,
) -> JobLogger:
    """Bind a job's context to a logger; handlers receive the result as their ``log``.

    Args:
        job_logger: a logger from :func:`adapt_logger`.
        job_type: the job type the worker serves.
        job_key: the job's key.
        process_instance_key: the key of the job's process instance, when known.
        worker: the worker name.

    Returns:
        A logger that adds the context to every record (loguru ``extra``, stdlib ``extra`` and
        prefix, or a prefix).
    """
    context: dict[str, object] = {"job_type": job_type, "job_key": job_key}
    if process_instance_key is not None:
        context["process_instance_key"] = process_instance_key
    context["worker"] = worker
    return job_logger.bind(**context)


def log_filter(level: str) -> dict[str | None, str | int | bool]:
    """Return a loguru sink filter that applies ``CAMUNDA_SDK_LOG_LEVEL`` to the library.

    Pass it as ``logger.add(sink, filter=log_filter("info"))``: records of ``camunda_worker``
    below the level are dropped, records of other modules pass untouched.

    Args:
        level: one of ``silent``, ``error``, ``warn``, ``info``, ``debug``, ``trace``, ``silly``.

    Returns:
        A loguru filter mapping.

    Raises:
        ValueError: the level is not one of the above.
    """
    if level == "silent":
        return {"camunda_worker": False}
    try:
        return {"camunda_worker": _LOGURU_LEVELS[level]}
    except KeyError:
        raise ValueError(
            f"unknown CAMUNDA_SDK_LOG_LEVEL {level!r}: expected silent, "
            + ", ".join(_LOGURU_LEVELS)
        ) from None


def apply_sdk_log_level(level: str | None) -> None:
    """Act on ``CAMUNDA_SDK_LOG_LEVEL``: turn the library's logs on or off; adds no sink.

    ``None`` (not set) leaves the choice to the application; ``silent`` disables the
    ``camunda_worker`` records; any other level enables them. The minimum level itself is applied
    by sinks that use :func:`log_filter` (the ``camunda-worker`` command line does).

    Args:
        level: the resolved ``sdk_log_level`` setting.
    """
    if level is None:
        return
    if level == "silent":
        logger.disable("camunda_worker")
    else:
        logger.enable("camunda_worker")


def _to_stdlib(message: Message) -> None:
    """A loguru sink: hand the record to the stdlib logger of its module, extras as attributes."""
    record = message.record
    target = logging.getLogger(record["name"] or "camunda_worker")
    levelno = record["level"].no
    if not target.isEnabledFor(levelno):
        return
    exception = record["exception"]
    exc_info = (exception.type, exception.value, exception.traceback) if exception else None
    extra = {(f"ctx_{k}" if k in _RESERVED else k): v for k, v in record["extra"].items()}
    stdlib_record = target.makeRecord(
        target.name,
        levelno,
        record["file"].path,
        record["line"],
        record["message"],
        (),
        exc_info,  # type: ignore[arg-type]  # loguru's exception type is Optional per field
        record["function"],
        extra,
    )
    stdlib_record.levelname = record["level"].name
    stdlib_record.created = record["time"].timestamp()
    target.handle(stdlib_record)


def log_to_stdlib(*, level: str | int = 0) -> int:
    """Route loguru's records (the library's, and handlers' ``job.log``) into stdlib ``logging``.

    One call at start-up, e.g. ``camunda_worker.log_to_stdlib()`` after ``logging.basicConfig``,
    and the records arrive, through ``logging.getLogger(<module name>)``, in whatever handlers
    stdlib logging has: structlog's ``ProcessorFormatter``, OpenTelemetry's ``LoggingHandler``,
    a JSON formatter... The bound context (``job_type``, ``job_key``, ``process_instance_key``,
    ``worker``) becomes attributes of the :class:`logging.LogRecord` (a name that
    :class:`~logging.LogRecord` already uses gets a ``ctx_`` prefix); an exception becomes its
    ``exc_info``. Stdlib's logger levels decide what is kept, e.g.
    ``logging.getLogger("camunda_worker").setLevel(logging.INFO)``.

    It enables the library's records (``logger.enable("camunda_worker")``) and removes loguru's
    default stderr sink if it is still there, so nothing is printed twice.

    Args:
        level: the least loguru level handed over (a name or a number; 0, the default, hands
            over everything and lets stdlib decide).

    Returns:
        The loguru sink id: ``loguru.logger.remove(sink_id)`` undoes the routing.
    """
    with contextlib.suppress(ValueError):
        _loguru_logger.remove(0)  # loguru's default stderr sink; gone already in most apps
    sink_id = _loguru_logger.add(_to_stdlib, level=level, format="{message}", catch=True)
    _loguru_logger.enable("camunda_worker")
    return sink_id
