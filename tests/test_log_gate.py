"""DebugGate: a DEBUG line per job is built only when a sink would take it, and seen soon after."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
from loguru import logger

from camunda_worker._base.logs import (
    DEBUG_RECHECK_SECONDS,
    DebugGate,
    JobLogger,
    adapt_logger,
    bind_job_logger,
    would_log_debug,
)
from camunda_worker._base.logs import logger as library_logger


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Sinks:
    """Sinks added by a test; what reached them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.ids: list[int] = []

    def add(self, level: str) -> None:
        self.ids.append(logger.add(lambda message: self.lines.append(str(message)), level=level))


@pytest.fixture
def seen() -> Iterator[Sinks]:
    """Only the test's sinks (loguru's stderr sink comes back after it); the library disabled."""
    sinks = Sinks()
    logger.remove()
    try:
        yield sinks
    finally:
        logger.remove()
        logger.add(sys.stderr)  # loguru's default sink
        logger.disable("camunda_worker")


def _bound() -> JobLogger:
    return bind_job_logger(
        library_logger, job_type="t", job_key="1", process_instance_key=None, worker="w"
    )


def test_a_disabled_library_builds_no_debug_line(seen: Sinks) -> None:
    seen.add("DEBUG")
    logger.disable("camunda_worker")
    assert not would_log_debug(_bound())
    assert seen.lines == []  # the probe itself reaches no sink


def test_an_enabled_library_with_a_debug_sink_builds_them(seen: Sinks) -> None:
    seen.add("DEBUG")
    logger.enable("camunda_worker")
    assert would_log_debug(_bound())
    assert seen.lines == []  # the probe itself reaches no sink


def test_sinks_above_debug_build_none(seen: Sinks) -> None:
    seen.add("INFO")
    logger.enable("camunda_worker")
    assert not would_log_debug(_bound())


def test_the_gate_sees_a_change_within_its_recheck(seen: Sinks) -> None:
    clock = Clock()
    logger.enable("camunda_worker")
    gate = DebugGate(_bound(), clock=clock)
    assert not gate.open()  # no sink at all
    seen.add("DEBUG")
    clock.now += DEBUG_RECHECK_SECONDS / 2
    assert not gate.open()  # not asked again yet
    clock.now += DEBUG_RECHECK_SECONDS
    assert gate.open()
    logger.disable("camunda_worker")
    clock.now += DEBUG_RECHECK_SECONDS
    assert not gate.open()


def test_a_stdlib_logger_is_asked_for_its_level() -> None:
    target = logging.getLogger("camunda-worker-test-gate")
    log = adapt_logger(target)
    target.setLevel(logging.INFO)
    assert not would_log_debug(log)
    target.setLevel(logging.DEBUG)
    assert would_log_debug(log.bind(job_key="1"))


def test_any_other_logger_might_take_them() -> None:
    class Printer:
        def debug(self, message: str) -> None: ...
        def info(self, message: str) -> None: ...
        def warning(self, message: str) -> None: ...
        def error(self, message: str) -> None: ...

    assert would_log_debug(adapt_logger(Printer()))
