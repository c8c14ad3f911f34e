"""Real worker processes for the fault suite: ``camunda-worker run`` against a served engine.

A test writes a small handler module, starts one or more CLI worker processes on it (each
against the engine served on a loopback port), and inspects what a hostile operator would: the
process tree read from ``/proc`` (Linux), the exit code, stderr, and the jobs' end states.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli.conftest import ServedEngine, clean_environment, cli_command

WAIT = 30.0  # generous: a hang must fail, a slow machine must not
HAS_PROC = Path("/proc/self/stat").exists()

needs_proc = pytest.mark.skipif(not HAS_PROC, reason="reads the process tree from /proc (Linux)")


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not met within {timeout:g} s: {what or predicate}")
        time.sleep(0.05)


def write_module(folder: Path, name: str, source: str) -> Path:
    """Write a handler module for ``camunda-worker run``."""
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.fixture
def served_engine() -> Iterator[ServedEngine]:
    served = ServedEngine()
    served.server.start()
    yield served
    served.server.stop()
    served.engine.close()


def job(served: ServedEngine, key: str) -> Any:
    """The engine's view of job ``key``."""
    return next(view for view in served.engine.jobs() if view.key == key)


class WorkerProcess:
    """``python -m camunda_worker run MODULE`` in a subprocess; stderr collected as it comes."""

    def __init__(self, module: Path, engine_url: str, **env: str) -> None:
        self.process = subprocess.Popen(
            cli_command("run", str(module)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_environment(CAMUNDA_REST_ADDRESS=engine_url, **env),
            cwd=module.parent,
        )
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stderr
        if stream is not None:
            for line in stream:
                self._lines.append(line)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stderr(self) -> str:
        return "".join(self._lines)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def exit_code(self, timeout: float = WAIT) -> int:
        """Wait for the process to exit (fail after ``timeout``) and return its exit code."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker process did not exit within {timeout:g} s:\n{self.stderr}")
        self._reader.join(5)
        return code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()


# -- the process tree, from /proc -----------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of ``pid``, or ``None`` when it does not exist."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = data.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """Every live process below ``root`` (children, grandchildren...), by pid: its start time."""
    children: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _stat(int(entry.name))
        if stat is not None and stat[1] != "Z":
            children.setdefault(stat[0], []).append(int(entry.name))
            started[int(entry.name)] = stat[2]
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            found[pid] = started[pid]
            todo.append(pid)
    return found


def running(processes: dict[int, int]) -> dict[int, str]:
    """Those of ``processes`` (pid: start time) still running, with their command lines.

    A zombie is not running (it waits to be reaped by whatever adopted it), and a pid whose
    start time differs is another process.
    """
    alive = {}
    for pid, start in processes.items():
        stat = _stat(pid)
        if stat is None or stat[1] == "Z" or stat[2] != start:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        alive[pid] = command.strip()
    return alive


def still_running_after(processes: dict[int, int], timeout: float) -> dict[int, str]:
    """Wait up to ``timeout`` seconds for ``processes`` to end; those still running then."""
    deadline = time.monotonic() + timeout
    while (alive := running(processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def kill_all(processes: dict[int, int]) -> None:
    """SIGKILL whatever of ``processes`` still runs (a failed test must not leave them)."""
    for pid in running(processes):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
