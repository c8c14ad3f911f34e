"""``camunda-worker run --processes N``: real processes under the supervisor, real signals."""

from __future__ import annotations

import os
import re
import signal
import textwrap
from pathlib import Path

import pytest

from camunda_worker._config.settings import resolve_settings
from camunda_worker.cli._supervisor import child_arguments

from .conftest import (
    TIMEOUT,
    CliProcess,
    ServedEngine,
    read_line_with,
    start_cli,
    wait_for_lines,
    wait_until,
)

SPREAD = """
import os
import pathlib
import time
import camunda_worker

@camunda_worker.task("spread", strategy="thread", max_concurrent_jobs=1)
def spread(job):
    pathlib.Path(os.environ["STARTED_DIR"], job.job_key).write_text(str(os.getpid()))
    time.sleep(float(os.environ["HANDLER_SECONDS"]))
    return {"pid": os.getpid()}
"""

STARTED = re.compile(r"process (\d) of 2 started \(pid (\d+)\)")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _start(
    engine: ServedEngine, folder: Path, seconds: float, *args: str
) -> tuple[CliProcess, Path]:
    handlers = folder / "spread_tasks.py"
    handlers.write_text(textwrap.dedent(SPREAD), encoding="utf-8")
    started = folder / "started"
    started.mkdir()
    env = engine.env(
        CAMUNDA_WORKER_TIMEOUT="60000", STARTED_DIR=str(started), HANDLER_SECONDS=str(seconds)
    )
    return start_cli("run", str(handlers), "--processes", "2", *args, env=env), started


def _children(process: CliProcess) -> dict[int, int]:
    """Slot -> pid, read from the two ``started`` lines, then both processes polling.

    The supervisor's lines and its processes' lines share one pipe and interleave as they
    please (a first process may poll before the supervisor has said it started the second).
    """
    lines = wait_for_lines(process, "started (pid", 2)
    children = {}
    for line in lines:
        found = STARTED.search(line)
        assert found is not None
        children[int(found[1])] = int(found[2])
    wait_for_lines(process, "polling ", 2)
    return children


def test_two_processes_share_the_jobs_and_sigterm_drains_both(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    process, started = _start(served_engine, tmp_path, 1.0)
    try:
        children = _children(process)
        keys = {served_engine.engine.create_job("spread") for _ in range(2)}
        # Each process runs one job at a time: two started at once are one in each process.
        wait_until(lambda: len(list(started.iterdir())) == 2)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, (out, err)
    done = served_engine.completed("spread")
    assert {job.key for job in done} == keys
    assert {job.result_variables["pid"] for job in done} == set(children.values())
    assert process.pid not in children.values()
    assert "SIGTERM: draining 2 process(es)" in out
    wait_until(lambda: all(_gone(pid) for pid in children.values()))


def test_a_killed_process_is_restarted_and_its_successor_works(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    process, _ = _start(served_engine, tmp_path, 0.05)
    try:
        children = _children(process)
        os.kill(children[1], signal.SIGKILL)
        read_line_with(process, f"process 1 (pid {children[1]}) was killed by SIGKILL; restarting")
        found = STARTED.search(wait_for_lines(process, "process 1 of 2 started", 2)[-1])
        assert found is not None
        successor = int(found[2])
        wait_for_lines(process, "polling ", 3)
        keys = {served_engine.engine.create_job("spread") for _ in range(6)}
        wait_until(lambda: len(served_engine.completed("spread")) == 6)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, (out, err)
    assert {job.key for job in served_engine.completed("spread")} == keys
    assert successor != children[1]
    wait_until(lambda: all(_gone(pid) for pid in [*children.values(), successor]))


def test_a_second_sigterm_ends_the_drain_at_once_with_exit_4(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    process, started = _start(served_engine, tmp_path, 120.0)
    try:
        children = _children(process)
        served_engine.engine.create_job("spread")
        wait_until(lambda: list(started.iterdir()))
        process.send_signal(signal.SIGTERM)
        read_line_with(process, "SIGTERM: draining")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=TIMEOUT)  # not the handler's 120 s
    finally:
        process.kill()
    assert process.returncode == 4, (out, err)
    assert "second SIGTERM: ending the drain" in out
    assert "abandoned at shutdown" in err
    assert served_engine.completed("spread") == []
    wait_until(lambda: all(_gone(pid) for pid in children.values()))


def test_a_configuration_error_is_not_restarted(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    handlers = tmp_path / "empty_tasks.py"
    handlers.write_text("x = 1\n", encoding="utf-8")
    process = start_cli(
        "run", str(handlers), "--processes", "2", env=served_engine.env(CAMUNDA_WORKER_TIMEOUT="1")
    )
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 2, (out, err)
    assert "exited with code 2; not restarting it" in out
    assert "restarting it in" not in out
    assert "registers no handler" in err


def test_watch_cannot_be_combined_with_processes(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    process = start_cli("run", "tasks", "--processes", "2", "--watch", env=served_engine.env())
    _, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 2
    assert "cannot be combined with --processes" in err


@pytest.mark.parametrize(
    ("health", "metrics", "expected"),
    [
        (None, None, []),
        (0, None, []),
        (
            8081,
            9464,
            [
                "--set",
                "CAMUNDA_WORKER_HEALTH_PORT=8083",
                "--set",
                "CAMUNDA_WORKER_METRICS_PORT=9466",
            ],
        ),
    ],
)
def test_each_process_gets_its_own_ports(
    health: int | None, metrics: int | None, expected: list[str]
) -> None:
    overrides: dict[str, object] = {"CAMUNDA_REST_ADDRESS": "http://127.0.0.1:1/v2"}
    if health is not None:
        overrides["CAMUNDA_WORKER_HEALTH_PORT"] = health
    if metrics is not None:
        overrides["CAMUNDA_WORKER_METRICS_PORT"] = metrics
    settings = resolve_settings(overrides).settings
    assert child_arguments(["tasks"], settings, 2) == ["tasks", *expected]


def _ended(pid: int) -> bool:
    """Gone, or a zombie nobody reaps (an orphan's new parent may not be a real init)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        return _gone(pid)
    return "\nState:\tZ" in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_sigkill_of_the_supervisor_ends_its_processes(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    """Nobody is left to forward signals: each process drains its jobs and exits on its own."""
    process, started = _start(served_engine, tmp_path, 1.0)
    children: dict[int, int] = {}
    try:
        children = _children(process)
        key = served_engine.engine.create_job("spread")
        wait_until(lambda: list(started.iterdir()))
        process.kill()
        process.communicate(timeout=TIMEOUT)
        wait_until(lambda: all(_ended(pid) for pid in children.values()))
    finally:
        for pid in children.values():
            if not _ended(pid):
                os.kill(pid, signal.SIGKILL)
    assert [job.key for job in served_engine.completed("spread")] == [key]
