"""Logging: silent by default, no sinks of its own, bound job loggers for any logger."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from loguru import logger

from camunda_worker._base.logs import (
    JobLogger,
    adapt_logger,
    apply_sdk_log_level,
    bind_job_logger,
    log_filter,
)
from camunda_worker._config.keys import _WARNED, warn_unknown_keys

CONTEXT = {
    "job_type": "payment",
    "job_key": "2251799813685249",
    "process_instance_key": "2251799813685100",
    "worker": "w1",
}


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    """Every loguru record at TRACE and above, as the record dict."""
    seen: list[dict[str, Any]] = []
    sink = logger.add(lambda message: seen.append(dict(message.record)), level="TRACE")
    _WARNED.clear()
    try:
        yield seen
    finally:
        logger.remove(sink)
        logger.disable("camunda_worker")
        _WARNED.clear()


def library_warning() -> None:
    """Make the library log one warning (an unknown setting)."""
    _WARNED.clear()
    warn_unknown_keys(["CAMUNDA_WORKER_TIMOUT"])


def test_the_library_is_silent_until_enabled(records: list[dict[str, Any]]) -> None:
    library_warning()
    assert records == []
    logger.enable("camunda_worker")
    library_warning()
    assert [r["level"].name for r in records] == ["WARNING"]
    assert records[0]["name"].startswith("camunda_worker")


def test_importing_the_library_adds_no_sink() -> None:
    code = (
        "from loguru import logger; before = len(logger._core.handlers); "
        "import camunda_worker, camunda_worker._base.logs, camunda_worker._config.settings, "
        "camunda_worker._auth.schemes; print(len(logger._core.handlers) - before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


def test_sdk_log_level_turns_the_library_on_and_off(records: list[dict[str, Any]]) -> None:
    apply_sdk_log_level(None)
    library_warning()
    assert records == []
    apply_sdk_log_level("debug")
    library_warning()
    assert len(records) == 1
    apply_sdk_log_level("silent")
    library_warning()
    assert len(records) == 1


def test_log_filter_applies_the_level_to_the_library_only() -> None:
    lines: list[str] = []
    sink = logger.add(lines.append, filter=log_filter("error"), format="{name}:{level}")
    logger.enable("camunda_worker")
    try:
        library_warning()  # camunda_worker WARNING: below error, dropped
        logger.info("application info")  # other module: passes
    finally:
        logger.remove(sink)
        logger.disable("camunda_worker")
    assert lines == ["test_logging:INFO\n"]
    assert log_filter("silent") == {"camunda_worker": False}
    assert log_filter("warn") == {"camunda_worker": "WARNING"}
    with pytest.raises(ValueError, match="CAMUNDA_SDK_LOG_LEVEL"):
        log_filter("loud")


def test_default_job_logger_is_loguru_bound_with_the_job_context(
    records: list[dict[str, Any]],
) -> None:
    job_log = bind_job_logger(adapt_logger(None), **CONTEXT)
    job_log.info("charging {}", "card")
    assert records[-1]["message"] == "charging card"
    assert records[-1]["extra"] == CONTEXT
    assert adapt_logger(logger) is logger


def test_process_instance_key_is_left_out_when_unknown(records: list[dict[str, Any]]) -> None:
    job_log = bind_job_logger(
        adapt_logger(None), job_type="t", job_key="1", process_instance_key=None, worker="w"
    )
    job_log.warning("x")
    assert records[-1]["extra"] == {"job_type": "t", "job_key": "1", "worker": "w"}


def test_stdlib_logger_gets_context_as_extra_and_prefix(caplog: pytest.LogCaptureFixture) -> None:
    stdlib = logging.getLogger("tests.jobs")
    job_log = bind_job_logger(adapt_logger(stdlib), **CONTEXT)
    with caplog.at_level(logging.DEBUG, logger="tests.jobs"):
        job_log.info("charged %s of %d%%", "card", 100)
        job_log.debug("detail", extra={"attempt": 2})
    first, second = caplog.records
    assert first.getMessage() == (
        "[job_type=payment job_key=2251799813685249 process_instance_key=2251799813685100 "
        "worker=w1] charged card of 100%"
    )
    assert first.job_key == "2251799813685249"  # type: ignore[attr-defined]
    assert first.worker == "w1"  # type: ignore[attr-defined]
    assert first.pathname == __file__  # points at the handler's line, not the adapter
    assert second.attempt == 2  # type: ignore[attr-defined]
    assert second.levelname == "DEBUG"


def test_stdlib_exception_carries_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    job_log = adapt_logger(logging.getLogger("tests.jobs")).bind(job_key="1")
    with caplog.at_level(logging.ERROR, logger="tests.jobs"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            job_log.exception("handler failed")
    record = caplog.records[0]
    assert record.exc_info is not None
    assert record.getMessage() == "[job_key=1] handler failed"


def test_stdlib_context_keys_that_clash_with_log_records_are_renamed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job_log = adapt_logger(logging.getLogger("tests.jobs")).bind(name="x", message="y")
    with caplog.at_level(logging.INFO, logger="tests.jobs"):
        job_log.info("hello")
    assert caplog.records[0].ctx_name == "x"  # type: ignore[attr-defined]


class PrintLogger:
    """Any object with debug/info/warning/error."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def debug(self, message: str, *args: object) -> None:
        self.lines.append(("debug", message % args if args else message))

    def info(self, message: str, *args: object) -> None:
        self.lines.append(("info", message % args if args else message))

    def warning(self, message: str, *args: object) -> None:
        self.lines.append(("warning", message))

    def error(self, message: str, *args: object) -> None:
        self.lines.append(("error", message))


def test_any_object_with_the_four_methods_gets_prefix_binding() -> None:
    target = PrintLogger()
    job_log: JobLogger = bind_job_logger(adapt_logger(target), **CONTEXT)
    job_log.info("done")
    job_log.bind(step="2").warning("slow")
    try:
        raise ValueError("bad input")
    except ValueError:
        job_log.exception("failed")
    assert target.lines[0] == (
        "info",
        "[job_type=payment job_key=2251799813685249 process_instance_key=2251799813685100 "
        "worker=w1] done",
    )
    assert target.lines[1][1].endswith("worker=w1 step=2] slow")
    level, text = target.lines[2]
    assert level == "error"
    assert "failed" in text
    assert "ValueError: bad input" in text  # no exception() method: the traceback is appended


def test_adapted_loggers_are_not_wrapped_twice() -> None:
    adapted = adapt_logger(PrintLogger())
    assert adapt_logger(adapted) is adapted


@pytest.mark.parametrize("wrong", [42, "logger", object()])
def test_anything_else_is_a_clear_type_error(wrong: object) -> None:
    with pytest.raises(TypeError, match="debug/info/warning/error"):
        adapt_logger(wrong)
