"""The command line's log sink: loguru on stderr, honouring ``CAMUNDA_SDK_LOG_LEVEL``.

The library itself never adds a sink (see :mod:`camunda_worker._base.logs`); a command that runs
workers does: it replaces loguru's default sink with one on stderr whose filter applies the level
to the library's records (:func:`~camunda_worker.log_filter`), and shows the context a record is
bound with (job type, job key, process instance) in front of its message. With ``--log-format
json`` each record is one flat JSON object on one line (:func:`json_line`), for log shippers.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any, TextIO

from camunda_worker._base.logs import apply_sdk_log_level, log_filter, logger
from camunda_worker._base.redact import scrub

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loguru import Message, Record

__all__ = [
    "LOG_LEVELS",
    "cli_filter",
    "format_record",
    "json_line",
    "say",
    "setup_cli_logging",
    "sink_floor",
    "use_colour",
]

LOG_LEVELS = ("silent", "error", "warn", "info", "debug", "trace")
"""What ``--log-level`` accepts (``CAMUNDA_SDK_LOG_LEVEL``'s names)."""

_CONTEXT_KEYS = ("job_type", "job_key", "process_instance_key")
# The level of the application's own records (handlers' ``job.log``): never quieter than INFO,
# more verbose when the library is asked to be.
_APPLICATION_LEVEL = {"debug": "DEBUG", "trace": "TRACE", "silly": "TRACE"}


def say(line: str, *, stream: TextIO | None = None) -> None:
    """Write one line of the command's own output (stdout by default) in one write, and flush.

    Under ``run --processes N`` the supervisor and its N processes share one stdout and one
    stderr. ``print`` writes a line's text and its newline separately, which are two system
    calls when Python runs unbuffered (``PYTHONUNBUFFERED``, ``-u``, as containers often set),
    so two processes' lines could merge into one. One write of a line shorter than the pipe's
    atomic size (4 KiB on Linux) reaches the pipe whole.
    """
    target = sys.stdout if stream is None else stream
    target.write(f"{line}\n")
    target.flush()


def format_record(record: Record) -> str:
    """The text sink's format: the record's job context in front of its message."""
    extra = record["extra"]
    context = " ".join(f"{key}={extra[key]}" for key in _CONTEXT_KEYS if key in extra)
    extra["cli_context"] = f"[{context}] " if context else ""
    return (
        "<green>{time:YYYY-MM-DD HH:mm:ss.SSS}</green> <level>{level: <7}</level> "
        "<cyan>{name}</cyan>: {extra[cli_context]}{message}\n{exception}"
    )


def json_line(record: Record) -> str:
    """One record as one flat JSON object (no newline inside): what ``--log-format json`` writes.

    Keys: ``time`` (ISO 8601 with offset), ``level``, ``logger`` (the module), ``message``, the
    bound context (``job_type``, ``job_key``, ``process_instance_key``, ``worker``, and any other
    ``extra``) when the record has it, and ``exception`` (the formatted traceback, secrets
    masked) when it carries one.
    """
    document: dict[str, Any] = {
        "time": record["time"].isoformat(),
        "level": record["level"].name,
        "logger": record["name"],
        "message": record["message"],
    }
    for key, value in record["extra"].items():
        document.setdefault(key, value)
    exception = record["exception"]
    if exception is not None and exception.type is not None:
        lines = traceback.format_exception(exception.type, exception.value, exception.traceback)
        document["exception"] = scrub("".join(lines).rstrip())
    return json.dumps(document, default=str, ensure_ascii=False)


def _json_sink(message: Message) -> None:
    sys.stderr.write(json_line(message.record) + "\n")
    sys.stderr.flush()


def use_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour log lines on ``stream``: on a terminal, unless told otherwise.

    ``NO_COLOR`` (set and not empty, https://no-color.org) turns colour off and wins;
    ``FORCE_COLOR`` (set and not empty) turns it on even into a pipe or a file.
    """
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def cli_filter(level: str) -> dict[str | None, Any]:
    """The sink's filter: the library's records at ``level``, the application's at INFO or more.

    Raises:
        ValueError: the level is unknown.
    """
    sink_filter: dict[str | None, Any] = {"": _APPLICATION_LEVEL.get(level, "INFO")}
    sink_filter.update(log_filter(level))  # raises ValueError for an unknown level
    return sink_filter


def sink_floor(sink_filter: dict[str | None, Any]) -> int:
    """The lowest level ``sink_filter`` lets through, as the sink's own level.

    loguru drops a record below every sink's level before building it (about 0.4 us); a record
    it builds only for the filter to drop costs about 14 us. With the sink at level 0 every
    DEBUG line of the poll and acknowledgement path would cost that at INFO.
    """
    numbers = [
        logger.level(value).no if isinstance(value, str) else value
        for value in sink_filter.values()
        if not isinstance(value, bool)
    ]
    return min(numbers, default=0)


def setup_cli_logging(level: str, *, json: bool = False) -> None:
    """Send log records to stderr: the library's at ``level``, the application's at INFO or more.

    Args:
        level: ``silent``, ``error``, ``warn``, ``info``, ``debug`` or ``trace`` (``silly`` and
            ``warning`` are accepted too).
        json: one flat JSON object per line (:func:`json_line`) instead of text lines.

    Raises:
        ValueError: the level is unknown.
    """
    level = {"warning": "warn"}.get(level, level)
    sink_filter = cli_filter(level)
    floor = sink_floor(sink_filter)
    logger.remove()
    if json:
        logger.add(_json_sink, level=floor, filter=sink_filter, format="{message}")
    else:
        logger.add(
            sys.stderr,
            level=floor,
            filter=sink_filter,
            format=format_record,
            colorize=use_colour(sys.stderr),
        )
    apply_sdk_log_level(level)
