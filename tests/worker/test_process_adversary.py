"""Adversarial tests of the process strategy: the loop-served pipes (_pipe.PipeEnd), the pool
(_process_runner._Pool) and the child's loop (_child.serve), under hostile handlers and timing.

Every test asserts what a user sees: job states in the engine, ``worker.stats``, log records,
and no child process left once the worker is closed. No timing assertions.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import adversary_handlers as adv
import pytest
from conftest import wait_until
from loguru import logger

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker

CHILD_NAME = "camunda-worker[work] child"


def build(
    client: Any,
    handler: Any = adv.act,
    *,
    timeout_ms: int = 30_000,
    max_jobs: int = 4,
    **kwargs: Any,
) -> JobWorker:
    kwargs.setdefault("process_pool_size", 1)
    kwargs.setdefault("process_start_method", "fork")
    return JobWorker(
        handler,
        WorkerConfig(
            job_type="work", job_timeout_milliseconds=timeout_ms, max_concurrent_jobs=max_jobs
        ),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        **kwargs,
    )


def jobs(engine: Any) -> dict[str, Any]:
    return {job.key: job for job in engine.jobs(job_type="work")}


def completed(engine: Any) -> int:
    return sum(job.state == "COMPLETED" for job in engine.jobs(job_type="work"))


def runs(runs_dir: Path, key: str) -> list[str]:
    path = runs_dir / key
    return path.read_text().splitlines() if path.exists() else []


def our_children() -> list[Any]:
    return [child for child in multiprocessing.active_children() if child.name == CHILD_NAME]


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every live (not zombie) process: its parent, state and command line (from /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            found[int(entry)] = (int(fields[1]), fields[0], cmdline.decode(errors="replace"))
    return found


def our_child_pids() -> list[int]:
    """The pool's children, for a thread that kills or stops them while the worker runs.

    Not ``multiprocessing.active_children()``: it polls every child's process object, and two
    threads polling a forkserver child at once (this one and the pool's loop) may both see its
    status ready and one of them then waits forever for the bytes the other read. /proc holds
    the children whose parent is this process (fork, spawn) or its fork server, less the fork
    server and the resource tracker themselves.
    """
    me, processes = os.getpid(), _processes()
    helpers = {
        pid
        for pid, (parent, _state, cmdline) in processes.items()
        if parent == me
        and ("multiprocessing.forkserver" in cmdline or "resource_tracker" in cmdline)
    }
    servers = {pid for pid in helpers if "multiprocessing.forkserver" in processes[pid][2]}
    return sorted(
        pid
        for pid, (parent, _state, _cmdline) in processes.items()
        if (parent == me and pid not in helpers) or parent in servers
    )


@contextlib.contextmanager
def records(level: str = "DEBUG") -> Iterator[list[Any]]:
    found: list[Any] = []
    sink = logger.add(lambda message: found.append(message.record), level=level)
    try:
        yield found
    finally:
        logger.remove(sink)


def asyncio_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "asyncio"]


@pytest.fixture(autouse=True)
def _asyncio_errors_are_captured(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        yield


# -- what the pipe carries ----------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_log_record_the_worker_cannot_unpickle_does_not_shift_results_onto_other_jobs(
    engine: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A job logs with a str enum member bound whose class only the child has (like a spawned child's
    ``__mp_main__`` classes). ``_simple`` keeps str subclasses as they are, so the record pickles
    in the child and fails to unpickle in the worker. That record is not the job's outcome: the
    job must complete with its own result, and every job after it with its own."""
    keys = {
        engine.create_job("work", variables={"n": n, "child_only_log": n == 0}, retries=1): n
        for n in range(6)
    }
    worker = build(client, max_jobs=8)
    with worker:
        wait_until(lambda: worker.stats.completed + worker.stats.failed >= 6, timeout=60)
        time.sleep(0.5)  # let any wrong extra settlement show
    found = jobs(engine)
    # (A standalone job's variables take its completion's: compare with the n it was made with.)
    mismatched = {
        key: (n, found[key].state, (found[key].result_variables or {}).get("n"))
        for key, n in keys.items()
        if found[key].state != "COMPLETED" or (found[key].result_variables or {}).get("n") != n
    }
    states = {key: (found[key].state, found[key].error_message) for key in mismatched}
    assert mismatched == {}, f"jobs completed with another job's result or failed: {states}"
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []


@pytest.mark.timeout(120)
def test_a_five_megabyte_log_record_and_many_small_ones_reach_the_worker(
    engine: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    big = engine.create_job("work", variables={"n": 1, "big_log": 5_000_000})
    many = engine.create_job("work", variables={"n": 2, "many_logs": 5_000})
    plain = engine.create_job("work", variables={"n": 3})
    worker = build(client)
    with records("INFO") as seen, worker:
        wait_until(lambda: worker.stats.completed == 3, timeout=60)
        wait_until(lambda: sum(r["message"].startswith("record ") for r in seen) == 5_000, 30)
    assert any(len(r["message"]) == 5_000_000 for r in seen)
    found = jobs(engine)
    assert [found[key].result_variables["n"] for key in (big, many, plain)] == [1, 2, 3]
    assert asyncio_errors(caplog) == []
    assert our_children() == []


@pytest.mark.timeout(120)
def test_three_megabyte_results_from_two_children_at_once(
    engine: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """(5 MB is over the engine's 4 MiB request limit: the worker then fails the job, 413.)"""
    keys = [
        engine.create_job("work", variables={"n": n, "big_result": 3_000_000}) for n in range(4)
    ]
    worker = build(client, process_pool_size=2)
    with worker:
        wait_until(lambda: worker.stats.completed == 4, timeout=60)
    found = jobs(engine)
    for n, key in enumerate(keys):
        assert found[key].result_variables["n"] == n
        assert len(found[key].result_variables["big"]) == 3_000_000
    assert asyncio_errors(caplog) == []


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.timeout(120)
def test_jobs_nested_5000_deep_fail_and_normal_jobs_in_the_same_batch_complete(
    fake: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """No engine takes 5,000 levels; the fake client hands such jobs over as they are. Pickling
    them for the child fails (RecursionError): those fail, the ones beside them complete."""
    from conftest import make_job

    for n in range(12):
        if n % 3 == 0:
            fake.add(make_job(n, retries=2, n=n, nested=nested(5_000)))
        else:
            fake.add(make_job(n, retries=2, n=n))
    worker = build(fake, max_jobs=16)
    with worker:
        wait_until(lambda: fake.acknowledged() == 12, timeout=60)
    assert sorted(fake.failed) == ["0", "3", "6", "9"]
    for failure in fake.failed.values():
        assert failure["retries"] == 1
        assert "could not be run in a child process" in failure["error_message"], failure
    assert {key: value["n"] for key, value in fake.completed.items()} == {
        str(n): n for n in range(12) if n % 3
    }
    assert asyncio_errors(caplog) == []


# -- children that misbehave ----------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_handler_that_closes_its_pipe_and_runs_on_costs_one_retry_then_completes(
    engine: Any, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "closed"
    victim = engine.create_job(
        "work",
        variables={"n": 1, "close_pipe_once": str(marker), "after_close": 30},
        retries=3,
    )
    worker = build(client)
    with records("WARNING") as seen, worker:
        wait_until(lambda: jobs(engine)[victim].state == "COMPLETED", timeout=60)
        others = [engine.create_job("work", variables={"n": n}) for n in range(5)]
        wait_until(lambda: completed(engine) == 6, timeout=60)
    assert jobs(engine)[victim].retries == 2
    assert worker.stats.failed == 1
    closer = int(marker.read_text())
    assert any(str(closer) in r["message"] for r in seen)
    assert all(jobs(engine)[key].state == "COMPLETED" for key in others)
    assert asyncio_errors(caplog) == []
    assert our_children() == []


@pytest.mark.timeout(180)
def test_children_killed_again_and_again_under_fast_jobs_lose_no_job(
    engine: Any, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGKILL the children while fast jobs of just under 8 KiB stream through them (16 in a
    pipe at once: batches the socket does not take at once, buffered, flushed by add_writer).
    Every job ends completed; a job that failed was the one its child ran."""
    payload = "p" * 7_000
    count = 400
    keys = [
        engine.create_job(
            "work", variables={"n": n, "pad": payload, "runs_dir": str(tmp_path)}, retries=5
        )
        for n in range(count)
    ]
    worker = build(client, process_pool_size=2, max_jobs=64)
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set() and len(killed) < 8:
            time.sleep(0.15)
            for pid in our_child_pids():
                if pid not in killed and completed(engine) > 20:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    break

    thread = threading.Thread(target=killer, daemon=True)
    with worker:
        thread.start()
        try:
            wait_until(lambda: completed(engine) == count, timeout=150)
        finally:
            stop.set()
            thread.join()
    found = jobs(engine)
    assert all(found[key].state == "COMPLETED" for key in keys)
    failures = sum(job.retries < 5 for job in found.values())
    assert failures == worker.stats.failed <= len(killed)
    for key in keys:
        lines = runs(tmp_path, key)
        ended = [line for line in lines if line.endswith(" end")]
        assert len(ended) >= 1, (key, lines)
        # Ran again only after a death that cost it a retry.
        assert len([line for line in lines if line.endswith(" start")]) <= 1 + (
            5 - found[key].retries
        ), (key, lines)
    assert asyncio_errors(caplog) == []
    assert our_children() == []


# -- how a child's end is noticed ---------------------------------------------------------------


@contextlib.contextmanager
def grandchild_killed_at_the_end(*paths: Path) -> Iterator[None]:
    """Kill, at the end, the grandchildren whose pids these files hold."""
    try:
        yield
    finally:
        for path in paths:
            if path.exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(path.read_text()), signal.SIGKILL)


@pytest.fixture(params=["pidfd", "polling"])
def exit_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the pool learns of a child's end: a pidfd (Linux), or polling its exit code."""
    if request.param == "polling":
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("os.pidfd_open needs Linux 5.3 and Python 3.9")
    return str(request.param)


@pytest.mark.timeout(120)
def test_a_child_that_dies_leaving_a_grandchild_behind_fails_its_job_and_is_replaced(
    engine: Any, client: Any, tmp_path: Path, exit_watch: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler forks a helper (it inherits the child's pipe and sentinel) and then dies.
    The grandchild lives on: the child's pipe never reaches its end. The job must still fail,
    one retry fewer, and the next job run in a new child, long before the grandchild exits."""
    grandchild = tmp_path / "grandchild"
    victim = engine.create_job(
        "work",
        variables={"fork_grandchild": 90, "grandchild_file": str(grandchild), "die": True},
        retries=1,
    )
    worker = build(client)
    with grandchild_killed_at_the_end(grandchild), worker:
        wait_until(lambda: jobs(engine)[victim].state == "FAILED", timeout=30)
        after = engine.create_job("work", variables={"n": 1})
        wait_until(lambda: jobs(engine)[after].state == "COMPLETED", timeout=30)
    assert "exit code 3" in jobs(engine)[victim].error_message
    assert worker.stats.failed == 1
    assert asyncio_errors(caplog) == []
    assert our_children() == []


@pytest.mark.timeout(120)
def test_a_child_that_ends_at_max_tasks_leaving_a_grandchild_behind_is_replaced(
    engine: Any, client: Any, tmp_path: Path, exit_watch: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With ``max_tasks_per_child=1`` the child ends after a job that left a grandchild behind:
    the next job must run in a new child, not wait for the grandchild."""
    grandchild = tmp_path / "grandchild"
    first = engine.create_job(
        "work", variables={"n": 0, "fork_grandchild": 90, "grandchild_file": str(grandchild)}
    )
    worker = build(client, max_tasks_per_child=1)
    with grandchild_killed_at_the_end(grandchild), worker:
        wait_until(lambda: jobs(engine)[first].state == "COMPLETED", timeout=30)
        after = engine.create_job("work", variables={"n": 1})
        wait_until(lambda: jobs(engine)[after].state == "COMPLETED", timeout=30)
    pids = {jobs(engine)[key].result_variables["pid"] for key in (first, after)}
    assert len(pids) == 2
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []
    assert our_children() == []


def failing_socket_pairs(monkeypatch: pytest.MonkeyPatch, failures: int, after: int) -> list[int]:
    """Make the pool's socketpair() fail with EMFILE ``failures`` times, after ``after`` calls."""
    import errno
    import socket

    from camunda_worker.worker import _process_runner

    calls: list[int] = []

    def socket_pair() -> tuple[socket.socket, socket.socket]:
        calls.append(1)
        if after < len(calls) <= after + failures:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        return socket.socketpair()

    monkeypatch.setattr(_process_runner, "_socket_pair", socket_pair)
    return calls


@pytest.mark.timeout(120)
def test_a_child_that_cannot_be_replaced_at_once_is_started_again_later(
    engine: Any, client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The only child dies; starting its successor fails twice (no descriptors left). The
    worker says so and tries again: the next job runs, and nothing escapes the loop."""
    calls = failing_socket_pairs(monkeypatch, failures=2, after=1)
    victim = engine.create_job("work", variables={"die": True}, retries=1)
    worker = build(client)
    with records("ERROR") as errors, worker:
        wait_until(lambda: jobs(engine)[victim].state == "FAILED", timeout=30)
        after = engine.create_job("work", variables={"n": 1})
        wait_until(lambda: jobs(engine)[after].state == "COMPLETED", timeout=30)
    said = [r["message"] for r in errors if "could not start a child process" in r["message"]]
    assert len(said) == 2
    assert "Too many open files" in said[0]
    assert "trying again in 0.1 s" in said[0]
    assert "trying again in 0.2 s" in said[1]
    assert len(calls) == 4
    assert asyncio_errors(caplog) == []
    assert our_children() == []


@pytest.mark.timeout(120)
def test_a_pool_whose_first_start_fails_starts_later_and_runs_the_jobs(
    engine: Any, client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failing_socket_pairs(monkeypatch, failures=1, after=0)
    keys = [engine.create_job("work", variables={"n": n}) for n in range(3)]
    worker = build(client)
    with records("ERROR") as errors, worker:
        wait_until(lambda: completed(engine) == 3, timeout=30)
    assert all(jobs(engine)[key].state == "COMPLETED" for key in keys)
    assert any("could not start a child process" in r["message"] for r in errors)
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []


# -- a handler that hangs after fast ones ---------------------------------------------------------


def warm_up(engine: Any, worker: JobWorker, count: int = 100) -> None:
    """Fast jobs first: each child learns a no-op pace, and holds up to 16 jobs at once."""
    for n in range(count):
        engine.create_job("work", variables={"n": n})
    wait_until(lambda: worker.stats.completed == count, timeout=60)


def hung_and_behind(engine: Any, runs_dir: Path, hang: Path, count: int) -> tuple[str, list[str]]:
    """A job that hangs until ``hang`` exists, then ``count`` fast ones queued after it."""
    hung = engine.create_job("work", variables={"hang": str(hang), "runs_dir": str(runs_dir)})
    behind = [
        engine.create_job("work", variables={"n": n, "runs_dir": str(runs_dir)})
        for n in range(count)
    ]
    return hung, behind


def deaths_behind_grandchildren(engine: Any, grandchildren: list[Path]) -> None:
    """One job per path: it forks a grandchild (its pid in that file), then its child dies;
    each must fail before the next is created, and a job after them must complete."""
    for path in grandchildren:
        victim = engine.create_job(
            "work",
            variables={"fork_grandchild": 90, "grandchild_file": str(path), "die": True},
            retries=1,
        )
        wait_until(lambda key=victim: jobs(engine)[key].state == "FAILED", timeout=30)
    after = engine.create_job("work", variables={"n": 1})
    wait_until(lambda: jobs(engine)[after].state == "COMPLETED", timeout=30)


@pytest.mark.timeout(120)
def test_jobs_queued_behind_a_handler_that_hangs_run_in_the_other_child_meanwhile(
    engine: Any, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Found by an adversary: after fast jobs a child holds 16; one of them hangs, and the 15
    behind it waited in its pipe (with a long job timeout, for as long as the hang lasted).
    They must be taken back and run by the other child, each once."""
    hang = tmp_path / "hang"
    worker = build(client, process_pool_size=2, max_jobs=64)
    with worker:
        warm_up(engine, worker)
        hung, behind = hung_and_behind(engine, tmp_path, hang, 30)
        try:
            wait_until(
                lambda: all(jobs(engine)[key].state == "COMPLETED" for key in behind), timeout=30
            )
            assert jobs(engine)[hung].state == "CREATED"  # still activated, still running
        finally:
            hang.touch()
        wait_until(lambda: jobs(engine)[hung].state == "COMPLETED", timeout=30)
    for key in [hung, *behind]:
        assert len(runs(tmp_path, key)) == 2, (key, runs(tmp_path, key))  # one start, one end
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_jobs_taken_back_from_the_only_child_run_once_after_the_hang(
    engine: Any, client: Any, tmp_path: Path, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One child: the jobs taken back from behind its hung job have nowhere else to go. The
    child reads them later from its pipe and must skip them: each runs exactly once."""
    hang = tmp_path / "hang"
    worker = build(client, max_jobs=32, process_start_method=method)
    with records() as seen, worker:
        warm_up(engine, worker, count=40)
        hung, behind = hung_and_behind(engine, tmp_path, hang, 10)
        try:
            wait_until(
                lambda: any("queued behind it go to other children" in r["message"] for r in seen),
                timeout=30,
            )
        finally:
            hang.touch()
        wait_until(lambda: completed(engine) == 40 + 11, timeout=30)
    for key in [hung, *behind]:
        assert len(runs(tmp_path, key)) == 2, (key, runs(tmp_path, key))
    assert all(jobs(engine)[key].result_variables["n"] == n for n, key in enumerate(behind))
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []


@pytest.mark.timeout(120)
def test_jobs_waiting_for_a_hung_child_free_their_slots_at_their_deadline(
    engine: Any, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The only child hangs; the jobs waiting for it (in the worker, taken back or never sent)
    must not hold the worker's capacity past their deadline: they are settled as expired, the
    worker polls again, and the engine's later activations of them are not lost either."""
    hang = tmp_path / "hang"
    worker = build(client, timeout_ms=1_000, max_jobs=4)
    with records("WARNING") as seen, worker:
        hung = engine.create_job("work", variables={"hang": str(hang), "runs_dir": str(tmp_path)})
        wait_until(lambda: len(runs(tmp_path, hung)) == 1, timeout=30)
        behind = [engine.create_job("work", variables={"n": n}) for n in range(3)]
        try:
            wait_until(lambda: worker.stats.expired >= 6, timeout=30)  # each, twice at least
        finally:
            hang.touch()
        wait_until(
            lambda: all(jobs(engine)[key].state == "COMPLETED" for key in behind), timeout=30
        )
    assert any("its deadline passed before its handler could start" in r["message"] for r in seen)
    assert worker.stats.failed == 0
    assert asyncio_errors(caplog) == []
