"""The command line run as users run it: subprocesses against the engine on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
TIMEOUT = 60.0  # generous: a hang must fail, a slow machine must not


def clean_environment(**extra: str) -> dict[str, str]:
    """The test process's environment without CAMUNDA_*/ZEEBE_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "camunda_worker", *args]


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cli_command(*args),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=TIMEOUT,
        check=False,
    )


class CliProcess(subprocess.Popen[str]):
    """A CLI process whose stdout and stderr are read by threads as they come.

    Tests wait for lines with a deadline (:func:`read_line_with`, :func:`wait_for_lines`):
    a line that never comes fails the test instead of blocking it forever, as a plain read of
    the pipe would. :meth:`communicate` returns everything the process wrote, lines already
    waited for included.
    """

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        super().__init__(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
        self._lines: list[str] = []
        self._errors: list[str] = []
        self._stdout_closed = False
        self._cursor = 0  # read_line_with's position: each call looks past the last match
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._pump, args=(self.stdout, self._lines), daemon=True),
            threading.Thread(target=self._pump, args=(self.stderr, self._errors), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            with self._changed:
                sink.append(line)
                self._changed.notify_all()
        with self._changed:
            self._stdout_closed = self._stdout_closed or sink is self._lines
            self._changed.notify_all()

    def _until(self, found: Callable[[], T | None], timeout: float) -> T | None:
        """``found()``'s first answer that is not ``None``, while stdout is open, for ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = found()
                left = deadline - time.monotonic()
                if value is not None or self._stdout_closed or left <= 0:
                    return value
                self._changed.wait(left)

    def _fail(self, what: str) -> NoReturn:
        why = "stdout closed" if self._stdout_closed else "not in time"
        pytest.fail(f"{what} ({why}) in {self.stdout_text()!r}; stderr: {self.stderr_text()}")

    def stdout_text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def stderr_text(self) -> str:
        with self._changed:
            return "".join(self._errors)

    def next_line_with(self, marker: str, timeout: float) -> str:
        def found() -> str | None:
            for index in range(self._cursor, len(self._lines)):
                if marker in self._lines[index]:
                    self._cursor = index + 1
                    return self._lines[index]
            self._cursor = len(self._lines)
            return None

        line = self._until(found, timeout)
        if line is None:
            self._fail(f"no line with {marker!r}")
        return line

    def lines_with(self, marker: str, count: int, timeout: float) -> list[str]:
        def found() -> list[str] | None:
            lines = [line for line in self._lines if marker in line]
            return lines if len(lines) >= count else None

        lines = self._until(found, timeout)
        if lines is None:
            self._fail(f"fewer than {count} lines with {marker!r}")
        return lines

    def communicate(  # type: ignore[override]
        self, input: str | None = None, timeout: float | None = None
    ) -> tuple[str, str]:
        """Wait for the process to end; all it wrote to stdout and stderr."""
        assert input is None, "the CLI tests send no input"
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        self.wait(timeout=max(0.0, deadline - time.monotonic()))
        for reader in self._readers:  # a surviving grandchild may hold the pipe: not forever
            reader.join(timeout=max(0.1, deadline - time.monotonic()))
        return self.stdout_text(), self.stderr_text()


def start_cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> CliProcess:
    return CliProcess(cli_command(*args), env=env, cwd=cwd)


def read_line_with(process: CliProcess, marker: str, timeout: float = TIMEOUT) -> str:
    """The next line of stdout containing ``marker``, after the one the last call returned.

    Fails at EOF or after ``timeout`` seconds, with all the process wrote.
    """
    return process.next_line_with(marker, timeout)


def wait_for_lines(
    process: CliProcess, marker: str, count: int, timeout: float = TIMEOUT
) -> list[str]:
    """All lines of stdout containing ``marker`` once there are ``count`` of them, in any order
    with the other lines (two processes' lines interleave as they please)."""
    return process.lines_with(marker, count, timeout)


def wait_until(predicate: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.01)


class ServedEngine:
    """An in-memory engine served over TCP on 127.0.0.1 (a free port)."""

    def __init__(self, **app_options: Any) -> None:
        self.engine = Engine()
        self.app = EngineApp(self.engine, **app_options)
        self.server = EngineServer(self.app)

    @property
    def url(self) -> str:
        return self.server.url

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment pointing the worker at this engine."""
        return clean_environment(CAMUNDA_REST_ADDRESS=self.url, **extra)

    def completed(self, job_type: str) -> list[Any]:
        return self.engine.jobs(job_type=job_type, lifecycle="COMPLETED")


@pytest.fixture
def served_engine() -> Iterator[ServedEngine]:
    served = ServedEngine()
    served.server.start()
    yield served
    served.server.stop()
    served.engine.close()
