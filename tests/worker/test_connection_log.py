"""What an operator reads about a worker's connection: few lines, each saying what changed."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from camunda_worker._base.errors import ConnectError, ServerError
from camunda_worker.worker._connection import ConnectionLog


class Lines:
    """A logger that keeps ``(level, message)`` pairs."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda message, *args, **kwargs: self.lines.append((level, message))

    def at(self, *levels: str) -> list[str]:
        return [message for level, message in self.lines if level in levels]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def version() -> str:
    return "8.10.0"


async def no_version() -> str:
    raise ServerError(403, "FORBIDDEN", "not for workers")


def make(interval: float = 30.0) -> tuple[ConnectionLog, Lines, Clock]:
    lines, clock = Lines(), Clock()
    return ConnectionLog(lines, "http://c/v2", summary_interval=interval, clock=clock), lines, clock  # type: ignore[arg-type]


def test_the_first_success_says_reached_with_the_version_once() -> None:
    connection, lines, _ = make()
    anyio.run(connection.succeeded, version)
    anyio.run(connection.succeeded, version)
    assert lines.at("info", "warning") == ["reached http://c/v2 (Camunda 8.10.0)"]
    assert connection.reached


def test_a_version_that_cannot_be_read_is_unknown() -> None:
    connection, lines, _ = make()
    anyio.run(connection.succeeded, no_version)
    assert lines.at("info") == ["reached http://c/v2 (version unknown)"]
    assert "403 FORBIDDEN" in lines.at("debug")[0]


def test_an_outage_is_one_warning_summaries_and_one_line_when_back() -> None:
    connection, lines, clock = make(interval=30)
    anyio.run(connection.succeeded, version)
    for second in range(100):  # a retry a second for 100 s
        clock.now = 200.0 + second
        connection.failed(ConnectError(f"refused {second}"), delay=1.0)
    assert connection.last_error is not None
    clock.now = 300.5
    anyio.run(connection.succeeded, version)

    warnings = lines.at("warning")
    assert len(warnings) == 4  # the first failure, then at 30, 60 and 90 s
    assert warnings[0].startswith("activating jobs failed at http://c/v2 (ConnectError: refused 0)")
    assert "summary follows every 30 s" in warnings[0]
    assert warnings[1].startswith("still failing to activate jobs at http://c/v2 after 30 s: 31")
    assert "last error ConnectError: refused 30" in warnings[1]
    assert lines.at("info")[-1] == (
        "activating jobs works again after 100.5 s and 100 failed attempt(s) (http://c/v2)"
    )
    assert len(lines.at("debug")) == 99  # one per retry after the first
    assert connection.last_error is None


def test_failures_before_the_first_success_say_the_cluster_is_not_reached_yet() -> None:
    connection, lines, clock = make()
    connection.failed(ConnectError("refused"), delay=0.1)
    clock.now += 2
    connection.failed(ConnectError("refused"), delay=0.2)
    anyio.run(connection.succeeded, version)
    assert lines.at("warning")[0].startswith("cannot reach the cluster yet at http://c/v2")
    assert lines.at("info") == [
        "reached http://c/v2 (Camunda 8.10.0) after 2.0 s and 2 failed attempt(s)"
    ]


@pytest.mark.parametrize("interval", [0.5, 5.0])
def test_the_summary_interval_is_kept(interval: float) -> None:
    connection, lines, clock = make(interval=interval)
    for tick in range(40):
        clock.now = 100.0 + tick * 0.25
        connection.failed(ConnectError("x"), delay=0.25)
    elapsed = 39 * 0.25
    assert len(lines.at("warning")) == 1 + int(elapsed // interval)
