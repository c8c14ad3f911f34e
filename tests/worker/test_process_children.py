"""The process strategy under hostile handlers: how a child dies, and what waits in its pipe."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import handlers
import pytest
from conftest import wait_until
from loguru import logger

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker


def build(handler: Any, client: Any, **kwargs: Any) -> JobWorker:
    kwargs.setdefault("process_pool_size", 1)
    kwargs.setdefault("process_start_method", "fork")
    return JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=4),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        **kwargs,
    )


def job(engine: Any, key: int) -> Any:
    (found,) = [job for job in engine.jobs(job_type="work") if job.key == key]
    return found


def runs_of(runs: Path, key: int) -> int:
    path = runs / str(key)
    return path.read_text().count("run") if path.exists() else 0


def test_a_child_that_dies_costs_its_job_one_retry_not_all_of_them(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """docs/strategies.md: "fails only its own job: one retry fewer"."""
    victim = engine.create_job(
        "work", variables={"die": True, "runs_dir": str(tmp_path)}, retries=3
    )
    worker = build(handlers.count_runs, client)
    with worker:
        wait_until(lambda: job(engine, victim).retries == 0, timeout=30)
    assert job(engine, victim).state == "FAILED"
    assert runs_of(tmp_path, victim) == 3  # each death took one retry; the last one left none
    assert worker.stats.failed == 3
    assert "exit code 3" in job(engine, victim).error_message


def test_a_handler_that_exits_the_child_with_code_0_fails_its_job_once(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """``os._exit(0)`` in a handler is a death like any other, not a job that never started."""
    victim = engine.create_job(
        "work", variables={"die": True, "exit_code": 0, "runs_dir": str(tmp_path)}, retries=1
    )
    worker = build(handlers.count_runs, client)
    with worker:
        wait_until(lambda: job(engine, victim).state == "FAILED", timeout=30)
    assert runs_of(tmp_path, victim) == 1
    assert "exit code 0" in job(engine, victim).error_message


def test_a_big_job_queued_behind_a_busy_child_does_not_block_the_worker(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """A job too big for a child's pipe waits on the worker's side, not in ``send()`` on its loop.

    While the only child runs a job that waits for the test, a 1 MB job arrives: if the worker
    sent it to the busy child it would block in the write (the child reads its next job only
    when this one ends) and poll no more; the third job shows it still does.
    """
    release = tmp_path / "release"
    started = tmp_path / "started"
    common = {"release": str(release), "started": str(started)}
    engine.create_job("work", variables=common)
    worker = build(handlers.wait_for_release, client)
    with worker:
        try:
            wait_until(started.exists, timeout=60)
            engine.create_job("work", variables={**common, "big": "x" * 1_000_000})
            wait_until(lambda: worker.stats.activated == 2, timeout=30)
            engine.create_job("work", variables=common)
            wait_until(lambda: worker.stats.activated == 3, timeout=30)
        finally:
            release.touch()
        wait_until(lambda: worker.stats.completed == 3, timeout=60)
    assert all(job.state == "COMPLETED" for job in engine.jobs(job_type="work"))


def test_jobs_go_to_idle_children_before_any_is_queued_behind_a_busy_one(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """Two children, two jobs that run until both have started: both must run at once."""
    release = tmp_path / "release"
    started = [tmp_path / f"started-{n}" for n in range(2)]
    for path in started:
        engine.create_job("work", variables={"release": str(release), "started": str(path)})
    worker = build(handlers.wait_for_release, client, process_pool_size=2)
    with worker:
        try:
            wait_until(lambda: all(path.exists() for path in started), timeout=60)
        finally:
            release.touch()
        wait_until(lambda: worker.stats.completed == 2, timeout=60)
    pids = {job.result_variables["pid"] for job in engine.jobs(job_type="work")}
    assert len(pids) == 2


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_child_killed_with_a_job_in_its_pipe_fails_one_and_runs_the_other_once_elsewhere(
    engine: Any, client: Any, tmp_path: Path, method: str
) -> None:
    """SIGKILL from outside while a child runs one job and holds the next in its pipe."""
    release = tmp_path / "release"
    first_started, second_started = tmp_path / "first", tmp_path / "second"
    first = engine.create_job(
        "work", variables={"release": str(release), "started": str(first_started)}, retries=3
    )
    worker = build(handlers.wait_for_release, client, process_start_method=method)
    with worker:
        wait_until(first_started.exists, timeout=60)
        second = engine.create_job(
            "work", variables={"release": str(release), "started": str(second_started)}
        )
        wait_until(lambda: worker.stats.activated == 2, timeout=30)
        killed = int(first_started.read_text())
        os.kill(killed, signal.SIGKILL)
        wait_until(second_started.exists, timeout=60)
        release.touch()
        wait_until(lambda: worker.stats.completed == 2, timeout=60)  # the first one, retried
    assert worker.stats.failed == 1
    assert int(second_started.read_text()) != killed
    retried, other = job(engine, first), job(engine, second)
    assert (retried.state, other.state) == ("COMPLETED", "COMPLETED")
    assert retried.retries == 2  # the death cost it one retry
    assert "SIGKILL" in retried.error_message


def test_a_child_killed_while_idle_is_logged_and_replaced(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """The OOM killer may pick an idle child: the worker says so, and goes on."""
    records: list[str] = []
    sink = logger.add(lambda message: records.append(message.record["message"]), level="WARNING")
    started = tmp_path / "started"
    release = tmp_path / "release"
    release.touch()
    engine.create_job("work", variables={"release": str(release), "started": str(started)})
    worker = build(handlers.wait_for_release, client)
    try:
        with worker:
            wait_until(lambda: worker.stats.completed == 1, timeout=60)
            pid = int(started.read_text())
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: any(str(pid) in record for record in records), timeout=30)
            started.unlink()
            engine.create_job("work", variables={"release": str(release), "started": str(started)})
            wait_until(lambda: worker.stats.completed == 2, timeout=60)
    finally:
        logger.remove(sink)
    (said,) = [record for record in records if str(pid) in record]
    assert "SIGKILL" in said
    assert int(started.read_text()) != pid


def test_the_drain_timeout_log_tells_the_running_job_from_the_one_waiting_in_the_pipe(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    records: list[str] = []
    sink = logger.add(lambda message: records.append(message.record["message"]), level="WARNING")
    release = tmp_path / "release"
    started = tmp_path / "started"
    variables = {"release": str(release), "started": str(started)}
    running = engine.create_job("work", variables=variables)
    worker = build(handlers.wait_for_release, client, drain_timeout=0.2)
    try:
        with worker:
            wait_until(started.exists, timeout=60)
            waiting = engine.create_job("work", variables=variables)
            wait_until(lambda: worker.stats.activated == 2, timeout=30)
    finally:
        logger.remove(sink)
        release.touch()
    (said,) = [record for record in records if "drain timeout" in record]
    assert f"{running} (running," in said
    assert f"{waiting} (queued," in said


def test_a_job_whose_deadline_passes_in_a_childs_pipe_is_not_run_there(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """Behind a handler that outlasts the job timeout, the prefetched job expires unrun."""
    release = tmp_path / "release"
    common = {"runs_dir": str(tmp_path), "release": str(release)}
    slow = engine.create_job("work", variables={**common, "wait": True})
    worker = JobWorker(
        handlers.count_then_wait,
        WorkerConfig(job_type="work", job_timeout_milliseconds=1_000, max_concurrent_jobs=2),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        process_pool_size=1,
        process_start_method="fork",
    )
    with worker:
        try:
            wait_until(lambda: runs_of(tmp_path, slow) == 1, timeout=60)
            behind = engine.create_job("work", variables=common)
            wait_until(lambda: worker.stats.activated == 2, timeout=30)
            (record,) = [job for job in engine.jobs(lifecycle="ACTIVATED") if job.key == behind]
            engine_deadline = record.deadline_ms
            # Both time out in the engine; nothing ran the job behind the slow one meanwhile.
            wait_until(lambda: not engine.jobs(lifecycle="ACTIVATED"), timeout=30)
            assert runs_of(tmp_path, behind) == 0
            # The worker's own deadline is never earlier than the engine's: it counts from when
            # the answer arrived (later by the activation's round trip, 96 ms seen in CI). The
            # child is released once that has surely passed too, or it may rightly run the job.
            wait_until(lambda: time.time() * 1000 > engine_deadline + 1_000, timeout=30)
        finally:
            release.touch()
        wait_until(lambda: worker.stats.expired >= 1, timeout=60)
    assert runs_of(tmp_path, behind) <= 1  # only a later, live activation may have run it
    assert worker.stats.expired >= 1


def test_how_many_jobs_a_child_holds_follows_its_handlers_pace() -> None:
    """docs/strategies.md: a no-op handler gets 16 jobs at once, a 10 ms handler 2."""
    from camunda_worker.worker._process_runner import PREFETCH, PREFETCH_FAST, _Child

    child = _Child(None, None)  # type: ignore[arg-type]  # no process: only its pace counts
    assert child.depth == PREFETCH  # nothing answered yet
    now = child.running_since = 100.0
    for _ in range(20):
        now += 0.00005
        child.answered(now)
    assert child.depth == PREFETCH_FAST
    for _ in range(30):  # the handler turns slow: the child soon holds two again
        now += 0.010
        child.answered(now)
    assert child.depth == PREFETCH
    child.outstanding.extend([None] * 2)  # type: ignore[list-item]
    assert not child.wants_more(now)  # running one, the next one waiting: full
    child.outstanding.pop()
    assert child.wants_more(now)


def test_a_child_whose_job_runs_long_is_sent_fewer_then_none_behind_it() -> None:
    """A fast handler's child holds 16; while its job runs long it may hold fewer, as if that
    were its pace, and once stalled none behind the one it runs."""
    from camunda_worker.worker._process_runner import (
        PREFETCH,
        PREFETCH_FAST,
        QUEUED_TIME,
        STALL_TIME,
        _Child,
    )

    child = _Child(None, None)  # type: ignore[arg-type]
    now = child.running_since = 100.0
    for _ in range(20):
        now += 0.00005
        child.answered(now)
    child.outstanding.append(None)  # type: ignore[arg-type]  # one job, running
    assert child.wants_more(now)
    assert child.room == PREFETCH_FAST
    assert child.wants_more(now + QUEUED_TIME / 4)
    assert PREFETCH < child.room <= 4
    assert child.wants_more(now + STALL_TIME / 2)
    assert child.room == PREFETCH
    assert not child.stalled(now + STALL_TIME / 2)
    assert child.stalled(now + STALL_TIME * 2)
    assert not child.wants_more(now + STALL_TIME * 2)
    assert child.room == 1


class _ExitingProcess:
    """A child process seen the way the loop may see one: its sentinel fired, its exit code not
    read yet, then closed by the pool (and, like multiprocessing's, unreadable once closed)."""

    pid = 4242
    sentinel = -1

    def __init__(self) -> None:
        self.closed = False

    @property
    def exitcode(self) -> int | None:
        if self.closed:
            raise ValueError("process object is closed")
        return None

    def close(self) -> None:
        self.closed = True

    def kill(self) -> None:
        pass


def test_no_check_of_a_childs_end_runs_after_the_pool_closed_it() -> None:
    """Seen in a benchmark run: the sentinel fired (its exit code not there yet, so the pool
    checks again soon), then the pipe's end arrived and replaced that check's timer, which the
    pool could no longer cancel; it ran after the shutdown had closed the process:
    "Exception in callback _Pool._reap ... process object is closed"."""
    import asyncio

    from camunda_worker.worker._process_runner import _Child, _Pool

    async def main() -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        errors: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        pool = object.__new__(_Pool)  # the pool's state without children of its own
        pool._loop = loop
        pool._children = []
        pool._ended_while_closing = []
        pool._closing = True
        pool._start_retries, pool._exit_poll, pool._stall_check = set(), None, None
        process = _ExitingProcess()
        sentinel, other_end = os.pipe()
        process.sentinel = sentinel  # type: ignore[misc]
        child = _Child(process, None)  # type: ignore[arg-type]
        child.watching = True  # as _start_child leaves it (watching its sentinel: no pidfd)
        child.end_fd = sentinel
        pool._children.append(child)
        pool._process_ended(child)  # exit code not there: checked again soon
        pool._pipe_closed(child)  # then the pipe's end arrives
        pool.close()  # the shutdown: the process is closed
        await asyncio.sleep(1.5)  # past every check the pool may have scheduled
        os.close(sentinel)
        os.close(other_end)
        return errors

    assert asyncio.run(main()) == []


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_job_is_either_run_by_its_child_or_taken_back_never_both_nor_neither(
    method: str,
) -> None:
    """The race the claims settle: a child reaching its jobs one after another while the worker
    takes back, again and again, whatever the child has not reached. Every job ends on exactly
    one side."""
    import multiprocessing
    import random

    from camunda_worker.worker._child import Claims

    context = multiprocessing.get_context(method)
    claims = Claims(context.RawArray("q", 3), context.Lock())
    count = 200_000
    ours, theirs = context.Pipe(duplex=False)
    go = context.Event()
    child = context.Process(target=handlers.reach_all, args=(claims, count, go, theirs))
    child.start()
    theirs.close()  # the child's alone: its death is our EOF
    taken: set[int] = set()
    end = 0
    go.set()
    while child.is_alive() and end < count:
        # The jobs "sent" so far: a few more than the child has reached, as in a pool.
        end = max(end, min(count, claims.values[Claims.PASSED] + random.randint(1, 20)))
        first = claims.take_back(end)
        if first is not None:
            taken.update(range(first, end))
    assert ours.poll(60), "the child sent nothing"
    ran = set(ours.recv())
    child.join(60)
    assert child.exitcode == 0
    assert not ran & taken
    assert ran | taken == set(range(count))
    assert taken  # both sides won some: the race was run
    assert ran


class _DeadProcess:
    pid = 4242
    exitcode = -9

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("reached", "failed"), [(5, False), (6, True)])
def test_a_child_killed_between_two_jobs_costs_the_next_one_no_retry(
    reached: int, failed: bool
) -> None:
    """The OOM killer ends a child after it answered a job and before it reached the next one
    in its pipe (job number 5): that job never ran, and goes to another child with its
    retries. Had the child reached it, it fails, one retry fewer."""
    import asyncio
    import collections
    import multiprocessing
    import types

    from conftest import make_job

    from camunda_worker.worker._child import Claims
    from camunda_worker.worker._process_runner import _Child, _Pool, _Work

    async def main() -> tuple[list[Any], list[str]]:
        loop = asyncio.get_running_loop()
        said: list[str] = []
        pool = object.__new__(_Pool)  # the pool's state without children of its own
        pool._loop = loop
        pool._children, pool._pending, pool._barren = [], collections.deque(), []
        pool._ended_while_closing, pool._closing = [], False
        pool.broken = True  # starts no child in its place
        pool._log = types.SimpleNamespace(error=said.append, warning=said.append)
        claims = Claims(multiprocessing.RawArray("q", 3), multiprocessing.Lock())
        claims.values[Claims.PASSED] = reached
        child = _Child(_DeadProcess(), types.SimpleNamespace(claims=claims))  # type: ignore[arg-type]
        child.ready = True
        work = _Work(make_job(7, retries=3), None, loop.create_future())
        work.number, work.sent = 5, True
        child.outstanding.append(work)
        pool._children.append(child)
        pool._ended(child)
        return [work.waiter.result() if work.waiter.done() else None, list(pool._pending)], said

    (outcome, pending), said = asyncio.run(main())
    if failed:
        assert outcome.retries == 2
        assert pending == []
        assert "running job 7 died (killed by signal SIGKILL)" in said[0]
    else:
        assert outcome is None
        assert len(pending) == 1  # back in line, its retries untouched
        assert "died between jobs (killed by signal SIGKILL)" in said[0]
