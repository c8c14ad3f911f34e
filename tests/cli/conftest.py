"""The command line run as users run it: subprocesses against the engine on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer

ROOT = Path(__file__).resolve().parents[2]
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


def start_cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def read_line_with(process: subprocess.Popen[str], marker: str) -> str:
    """Read the process's stdout until a line containing ``marker`` (fails at EOF)."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            return line
    _, err = process.communicate(timeout=TIMEOUT)
    pytest.fail(f"no line with {marker!r} in {''.join(seen)!r}; stderr: {err}")


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
