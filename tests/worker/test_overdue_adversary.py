"""Overdue handlers in a hostile world: late and refused extensions, handlers that outlive the
worker or swallow its cancel, hung and killed children, jobs waiting for a thread or a child,
2,000 slots, one job activated twice, a group of workers, a drain.

Each test asserts what a user sees: ``worker.stats``, the log, the health report, and the
job's state in the in-memory engine. The tests whose docstring says "Found:" failed on the
feature's first version (commit 1c46643) and name what was wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import overdue_adversary_handlers as adversary
import pytest
from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker._base.errors import NotFoundError
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.health import check
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker
from camunda_worker.worker._worker import serve_workers

OVERDUE = "past the job's deadline"


def _warnings(log: RecordingLogger) -> list[str]:
    return [line for line in log.lines if OVERDUE in line and "is still running" in line]


def _tracebacks(log: RecordingLogger) -> list[str]:
    return [
        line
        for line in log.lines
        if "Traceback" in line or "internal error" in line or "crashed" in line
    ]


def _worker(
    handler: Any,
    client: Any,
    *,
    timeout_ms: int = 1000,
    slots: int = 1,
    log: RecordingLogger | None = None,
    **options: Any,
) -> JobWorker:
    return JobWorker(
        handler,
        WorkerConfig(
            job_type="work", job_timeout_milliseconds=timeout_ms, max_concurrent_jobs=slots
        ),
        client=client,
        settings=CamundaSettings(),
        logger=log if log is not None else RecordingLogger(),
        **options,
    )


def _errors(log: RecordingLogger) -> list[str]:
    return [line for line in log.lines if line.startswith(("ERROR", "CRITICAL"))]


class _Gate:
    """A thread-safe release for async and thread handlers."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.started = threading.Event()  # a handler of :meth:`holder` runs

    async def wait_async(self) -> None:
        while not self.event.is_set():  # noqa: ASYNC110 - set by the test thread
            await asyncio.sleep(0.01)

    def holder(self, strategy: str) -> Any:
        """A handler for ``strategy`` that says it started, holds until the gate opens, and
        returns ``{"late": True}``."""

        async def hold_async(job: Any) -> dict[str, Any]:
            self.started.set()
            await self.wait_async()
            return {"late": True}

        def hold_thread(job: Any) -> dict[str, Any]:
            self.started.set()
            self.event.wait(30)
            return {"late": True}

        return hold_async if strategy == "async" else hold_thread


# -- 1. auto_extend_timeout: an extension that answers late -----------------------------------


class _SlowFirstUpdate(FakeAsyncClient):
    """The first extension answers ``delay`` seconds late (a loaded engine); later ones at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.answered = 0

    async def update_job(self, job_key: str, **kwargs: Any) -> None:
        first = not self.updates
        await super().update_job(job_key, **kwargs)
        if first:
            await anyio.sleep(self.delay)
        self.answered += 1


def test_a_handler_whose_late_extension_lands_is_no_longer_counted_overdue() -> None:
    """A handler whose late extension lands is overdue only until it does.

    Timeout 1.5 s: the first extension is sent at 1.0 s and answered at 3.0 s (the local
    deadline passed at 1.5 s: rightly marked); from then on the deadline is ahead again, and
    the next extensions answer at once. Found: once marked, a slot stayed overdue (and its
    one-slot worker not ready) until its handler returned.
    """
    fake = _SlowFirstUpdate(delay=2.0)
    gate = _Gate()

    async def slow(job: Any) -> dict[str, Any]:
        await gate.wait_async()
        return {"done": True}

    log = RecordingLogger()
    worker = _worker(slow, fake, timeout_ms=1500, log=log, auto_extend_timeout=True)
    fake.add(make_job(1))
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)  # the late answer
            wait_until(lambda: fake.answered >= 2, timeout=30)  # extended, and extended again
            stats, (entry,) = worker.stats, check([worker]).workers
            assert (stats.overdue_handlers, entry.ready) == (0, True), (
                stats.overdue_handlers,
                entry.reason,
            )
        finally:
            gate.event.set()
        wait_until(lambda: worker.stats.completed == 1, timeout=30)
    assert worker.stats.overdue_handlers == 0


# -- 2. auto_extend_timeout: the extension is refused (404), so the deadline really passes ------


@pytest.mark.parametrize("strategy", ["async", "thread"])
def test_a_refused_extension_lets_the_deadline_pass_and_the_handler_is_counted(
    fake: FakeAsyncClient, strategy: str
) -> None:
    gate = _Gate()
    fake.ack_errors["update"].append(NotFoundError(404, "NOT_FOUND"))
    log = RecordingLogger()
    worker = _worker(
        gate.holder(strategy),
        fake,
        timeout_ms=900,
        log=log,
        auto_extend_timeout=True,
        execution_strategy=strategy,
    )
    fake.add(make_job(1))
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
            (entry,) = check([worker]).workers
            assert (entry.live, entry.ready, entry.overdue_handlers) == (True, False, 1)
        finally:
            gate.event.set()
        wait_until(lambda: worker.stats.completed == 1, timeout=30)
        assert worker.stats.overdue_handlers == 0
        assert check([worker]).ready
    assert fake.completed == {"1": {"late": True}}
    assert [kind for kind, _ in fake.ack_attempts if kind == "update"] == ["update"]  # refused once
    assert any("cannot extend the job's timeout" in line for line in log.lines)
    (warning,) = _warnings(log)
    assert "the handler of job 1 is still running" in warning
    assert _errors(log) == []


# -- 3. the thread strategy: a handler that outlives the worker's shutdown ----------------------


def test_a_thread_handler_abandoned_at_shutdown_stops_counting_once_it_returns(
    fake: FakeAsyncClient,
) -> None:
    """A thread handler that outlives the worker's shutdown gives its slot back when it returns.

    The drain timeout gives up on the hung (and overdue) handler; its thread keeps running.
    Found: when it returned, the worker's loop was closed and the result handback dropped, so
    ``stats.overdue_handlers`` and ``in_flight`` stayed 1 for good.
    """
    gate = _Gate()
    returned = threading.Event()

    def hang(job: Any) -> dict[str, Any]:
        gate.event.wait(30)
        returned.set()
        return {"late": True}

    log = RecordingLogger()
    worker = _worker(hang, fake, log=log, execution_strategy="thread", drain_timeout=0.2)
    fake.add(make_job(1))
    try:
        worker.start()
        wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
        worker.close()  # the drain gives up on it after 0.2 s; the thread runs on
        worker.close()  # a second close: nothing more happens
        assert worker.stats.abandoned == 1
        assert worker.stats.overdue_handlers in (0, 1)  # never negative, never more
    finally:
        gate.event.set()
    wait_until(returned.is_set, timeout=30)
    wait_until(lambda: worker.stats.in_flight == 0, timeout=30)  # its thread gives it back
    stats = worker.stats
    assert fake.completed == {}  # nothing sent for an abandoned job: the engine times it out
    assert (stats.in_flight, stats.overdue_handlers) == (0, 0), stats
    assert _errors(log) == []


# -- 4. the async strategy: a handler cancelled at shutdown -------------------------------------


def test_an_overdue_async_handler_cancelled_at_the_drain_timeout_leaves_no_count(
    fake: FakeAsyncClient,
) -> None:
    cancelled = threading.Event()

    async def hang(job: Any) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    log = RecordingLogger()
    worker = _worker(hang, fake, log=log, drain_timeout=0.2)
    fake.add(make_job(1))
    worker.start()
    wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
    assert not check([worker]).ready
    worker.close()
    worker.close()
    assert cancelled.is_set()
    stats = worker.stats
    assert (stats.abandoned, stats.in_flight, stats.overdue_handlers) == (1, 0, 0)
    assert fake.acknowledged() == 0
    assert len(_warnings(log)) == 1
    assert _errors(log) == []
    (entry,) = check([worker]).workers
    assert (entry.live, entry.ready, entry.overdue_handlers) == (False, False, 0)


def test_an_overdue_async_handler_that_swallows_the_cancel_at_shutdown(
    fake: FakeAsyncClient,
) -> None:
    """A handler that swallows the drain's cancel and returns a result anyway: logged, not sent.

    Found (the shutdown's, not the watch's): its result was submitted after
    ``AckSender.close()``, and "internal error while handling job 1" was logged.
    """

    async def stubborn(job: Any) -> dict[str, Any]:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)
        return {"stubborn": True}

    log = RecordingLogger()
    worker = _worker(stubborn, fake, log=log, drain_timeout=0.2)
    fake.add(make_job(1))
    worker.start()
    wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
    worker.close()
    stats = worker.stats
    assert (stats.in_flight, stats.overdue_handlers, stats.abandoned) == (0, 0, 1), stats
    assert _errors(log) == [], _errors(log)
    assert fake.acknowledged() == 0  # the drain gave up on it: nothing is sent
    assert any(
        "the handler of job 1 returned after the worker stopped waiting for it: its completion "
        "is not sent" in line
        for line in log.lines
    )


# -- 5. the process strategy ---------------------------------------------------------------------


def test_a_hung_child_killed_while_overdue_fails_its_job_and_stops_counting(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    job = engine.create_job("work", variables={"marker": str(marker)}, retries=3)
    log = RecordingLogger()
    worker = _worker(
        adversary.hang_once, client, log=log, execution_strategy="process", process_pool_size=1
    )
    with worker:
        wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
        assert not check([worker]).ready
        os.kill(int(marker.read_text()), signal.SIGKILL)
        # The job fails (one retry fewer), is activated again, and its second run returns.
        wait_until(lambda: worker.stats.completed == 1 and worker.stats.in_flight == 0, timeout=30)
        stats = worker.stats
        assert (stats.failed, stats.overdue_handlers) == (1, 0)
        assert check([worker]).ready
    (record,) = engine.jobs(job_type="work")
    assert (record.key, record.state, record.retries) == (job, "COMPLETED", 2)
    assert record.variables.get("second") is True
    assert len(_warnings(log)) == 1
    assert any("died (killed by signal SIGKILL)" in line for line in _errors(log))


def _runs(runs: Path, key: str) -> int:
    return sum(1 for path in runs.iterdir() if path.name.startswith(f"{key}-"))


@pytest.mark.parametrize("max_tasks_per_child", [None, 1])
def test_jobs_queued_behind_a_hung_child_are_expired_not_overdue(
    engine: Any, client: Any, tmp_path: Path, max_tasks_per_child: int | None
) -> None:
    """One child, three slots: the first job hangs; the two behind it (in the child's pipe or
    in the worker) never start: they expire (and come back), and are never counted overdue."""
    runs = tmp_path / "runs"
    runs.mkdir()
    release = tmp_path / "release"
    variables = {"runs_dir": str(runs), "release": str(release)}
    keys = [engine.create_job("work", variables=variables) for _ in range(3)]
    log = RecordingLogger()
    worker = _worker(
        adversary.hold_until_release,
        client,
        timeout_ms=1000,
        slots=3,
        log=log,
        execution_strategy="process",
        process_pool_size=1,
        max_tasks_per_child=max_tasks_per_child,
    )
    seen: list[int] = []
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
            wait_until(
                lambda: seen.append(worker.stats.overdue_handlers) or worker.stats.expired >= 4,
                timeout=30,
            )
            (hung,) = [key for key in keys if _runs(runs, key)]
            assert sum(_runs(runs, key) for key in keys) == 1  # the others never started
            (entry,) = check([worker]).workers
            # 1 of 3 slots, but the only child: nothing else can run, so not ready.
            assert (entry.overdue_handlers, entry.ready) == (1, False)
        finally:
            release.touch()
        wait_until(lambda: worker.stats.completed == 3, timeout=30)
        assert worker.stats.overdue_handlers == 0
    assert set(seen) == {1}
    (warning,) = _warnings(log)
    assert f"the handler of job {hung} is still running" in warning
    assert {record.state for record in engine.jobs(job_type="work")} == {"COMPLETED"}
    assert _errors(log) == []


def test_a_process_worker_whose_every_child_hangs_is_not_ready(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    """Four slots, two children, both hung past their deadline: not ready.

    ``process_pool_size`` defaults to ``min(max_concurrent_jobs, cpu_count)``, 2 here. No
    other job can run: each one activated waits in the worker, expires, comes back. Found: the
    health check compared the overdue handlers with ``max_concurrent_jobs`` (4) rather than with
    the handlers that can run at once (2), and said ready.
    """
    runs = tmp_path / "runs"
    runs.mkdir()
    release = tmp_path / "release"
    variables = {"runs_dir": str(runs), "release": str(release)}
    for _ in range(4):
        engine.create_job("work", variables=variables)
    log = RecordingLogger()
    worker = _worker(
        adversary.hold_until_release,
        client,
        timeout_ms=1000,
        slots=4,
        log=log,
        execution_strategy="process",
        process_pool_size=2,
    )
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 2, timeout=30)
            wait_until(lambda: worker.stats.expired >= 2, timeout=30)  # nothing else can run
            (entry,) = check([worker]).workers
            assert not entry.ready, entry
        finally:
            release.touch()
        wait_until(lambda: worker.stats.completed == 4, timeout=30)


# -- 6. many slots: exact counts, read from another thread while they change --------------------


def test_two_thousand_overdue_handlers_are_counted_exactly_and_read_consistently(
    fake: FakeAsyncClient,
) -> None:
    from prometheus_client import CollectorRegistry

    from camunda_worker.metrics import PrometheusObserver

    count = 2000
    gate = _Gate()

    async def hold(job: Any) -> dict[str, Any]:
        await gate.wait_async()
        return {"n": job.job_key}

    registry = CollectorRegistry()
    log = RecordingLogger()
    worker = _worker(
        hold, fake, timeout_ms=1500, slots=count, log=log, observers=[PrometheusObserver(registry)]
    )
    fake.add(*(make_job(key) for key in range(1, count + 1)))
    bad: list[Any] = []
    reading = threading.Event()

    def read() -> None:
        while not reading.is_set():
            stats = worker.stats
            if not 0 <= stats.overdue_handlers <= count or stats.in_flight > count:
                bad.append(stats)
            time.sleep(0.001)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with worker:
            try:
                wait_until(lambda: worker.stats.overdue_handlers == count, timeout=30)
                (entry,) = check([worker]).workers
                assert (entry.ready, entry.overdue_handlers) == (False, count)
                assert f"all {count} handler(s) that can run at once" in str(entry.reason)
                gauge = registry.get_sample_value(
                    "camunda_worker_handlers_overdue", {"job_type": "work"}
                )
                assert gauge == count
            finally:
                gate.event.set()
            wait_until(lambda: worker.stats.completed == count, timeout=30)
            assert worker.stats.overdue_handlers == 0
            assert check([worker]).ready
    finally:
        reading.set()
        reader.join()
    assert bad == []
    warnings = _warnings(log)
    assert len(warnings) == count
    assert len({line.split("job ")[1].split(" ")[0] for line in warnings}) == count  # one per job
    assert len(fake.completed) == count


# -- 7. the same job activated again while its first handler still hangs -----------------------


def test_one_job_activated_twice_holds_two_overdue_slots_and_ends_completed(
    engine: Any, client: Any, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    release = tmp_path / "release"
    job = engine.create_job("work", variables={"runs_dir": str(runs), "release": str(release)})
    log = RecordingLogger()
    worker = _worker(
        adversary.hold_until_release,
        client,
        timeout_ms=1000,
        slots=2,
        log=log,
        execution_strategy="thread",
    )
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 2, timeout=30)
            assert _runs(runs, job) == 2  # the same job, activated again after its deadline
            (entry,) = check([worker]).workers
            assert (entry.ready, entry.overdue_handlers, entry.in_flight) == (False, 2, 2)
        finally:
            release.touch()
        wait_until(lambda: worker.stats.in_flight == 0, timeout=30)
        stats = worker.stats
        assert stats.overdue_handlers == 0
        # Each activation's result was sent; the engine took one (a third activation may
        # have come once a slot was free: the job had timed out again meanwhile).
        assert stats.completed + stats.rejected == stats.activated >= 2
        assert stats.completed == 1
        assert check([worker]).ready
    (record,) = engine.jobs(job_type="work")
    assert record.state == "COMPLETED"
    warnings = _warnings(log)
    assert len(warnings) == 2  # one per activation of the job (both hold a slot)
    assert all(f"the handler of job {job} is still running" in line for line in warnings)
    assert "(2 of 2 slot(s) now)" in warnings[-1]
    assert _errors(log) == []


# -- 8. a group of workers on one loop (serve_workers) ------------------------------------------


def test_in_a_group_only_the_worker_full_of_overdue_handlers_is_not_ready(
    fake: FakeAsyncClient, tmp_path: Path
) -> None:
    other = FakeAsyncClient()
    gate = _Gate()

    async def hang(job: Any) -> dict[str, Any]:
        await gate.wait_async()
        return {"late": True}

    async def quick(job: Any) -> dict[str, Any]:
        return {"quick": True}

    log = RecordingLogger()
    hung = _worker(hang, fake, log=log)
    fine = JobWorker(
        quick,
        WorkerConfig(job_type="other", job_timeout_milliseconds=1000, max_concurrent_jobs=1),
        client=other,  # type: ignore[arg-type]
        settings=CamundaSettings(),
    )
    fake.add(make_job(1))
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(serve_workers(hung, fine))
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_until(lambda: hung.stats.overdue_handlers == 1, timeout=30)
        other.add(*(make_job(key, job_type="other") for key in range(10, 15)))
        wait_until(lambda: fine.stats.completed == 5, timeout=30)  # the other one goes on
        report = check([hung, fine])
        first, second = report.workers
        assert (first.ready, first.overdue_handlers) == (False, 1)
        assert (second.ready, second.overdue_handlers) == (True, 0)
        assert report.live
        assert not report.ready
        assert fine.stats.overdue_handlers == 0
    finally:
        gate.event.set()
        wait_until(lambda: hung.stats.completed == 1, timeout=30)
        hung.stop()
        fine.stop()
        thread.join(30)
    assert not thread.is_alive()
    assert failures == []
    assert hung.stats.overdue_handlers == 0
    assert len(_warnings(log)) == 1


# -- 9. the worker draining while its handler goes past the deadline ---------------------------


@pytest.mark.parametrize("strategy", ["async", "thread"])
def test_a_handler_that_goes_overdue_while_the_worker_drains_is_reported(
    fake: FakeAsyncClient, strategy: str
) -> None:
    """A handler that passes its deadline while the worker drains is warned about and counted.

    Found: the watch ran in the polling task group, cancelled by ``stop()``: during a drain
    (SIGTERM, a 30 s drain timeout) nothing was noticed, though the worker waited for the
    handler for the whole drain.
    """
    gate = _Gate()
    log = RecordingLogger()
    worker = _worker(
        gate.holder(strategy),
        fake,
        timeout_ms=1000,
        log=log,
        execution_strategy=strategy,
        drain_timeout=4.0,
    )
    fake.add(make_job(1))
    worker.start()
    try:
        wait_until(gate.started.is_set, timeout=30)
        worker.stop()  # drain: up to 4 s, of which 3 past the job's deadline
        seen: list[int] = []
        wait_until(
            lambda: seen.append(worker.stats.overdue_handlers) or worker.stats.abandoned == 1,
            timeout=30,
        )
    finally:
        gate.event.set()
        worker.close()
    assert any("drain timeout (4 s) hit" in line for line in log.lines)
    assert 1 in seen, "never counted overdue while draining"
    assert len(_warnings(log)) == 1


# -- 10. an engine that hands out more jobs than asked for (thread strategy) --------------------


class _OverDelivering(FakeAsyncClient):
    """Answers every activation with every job it has, however many were asked for."""

    async def activate_jobs(self, *, max_jobs_to_activate: int, **kwargs: Any) -> Any:
        return await super().activate_jobs(max_jobs_to_activate=10_000, **kwargs)


def test_jobs_waiting_for_a_pool_thread_are_not_reported_as_running_overdue() -> None:
    """Jobs waiting for a pool thread are not "running": never warned about, never overdue.

    More jobs than threads (an engine that over-delivers; the worker never drops a job).
    Found: the thread strategy marked a slot ``running`` when its job was queued for a thread,
    so the waiting jobs were warned about as "still running" and counted overdue.
    """
    fake = _OverDelivering()
    gate = _Gate()

    def hang(job: Any) -> dict[str, Any]:
        gate.event.wait(30)
        return {"done": job.job_key}

    log = RecordingLogger()
    worker = _worker(hang, fake, timeout_ms=1000, slots=1, log=log, execution_strategy="thread")
    fake.add(make_job(1), make_job(2), make_job(3))
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers >= 1, timeout=30)
            wait_until(lambda: len(_warnings(log)) >= 1, timeout=30)
            overdue = worker.stats.overdue_handlers
        finally:
            gate.event.set()
        wait_until(lambda: worker.stats.in_flight == 0, timeout=30)
    stats = worker.stats
    assert (stats.completed, stats.expired) == (1, 2)  # two never ran
    warned = [line.split("job ")[1].split(" ")[0] for line in _warnings(log)]
    assert (warned, overdue) == (["1"], 1), (_warnings(log), overdue)  # only the one that ran


# -- 11. the process strategy, auto_extend_timeout refused: a queued job past its deadline ------


def test_a_queued_process_job_whose_extension_is_refused_is_expired(
    fake: FakeAsyncClient, tmp_path: Path
) -> None:
    """A job waiting for a child, whose extensions are refused, expires at its deadline.

    Found (the process runner's, not the watch's): with ``auto_extend_timeout`` the runner gave
    waiting jobs no deadline, counting on the extensions; refused (404), a job queued behind a
    hung one passed its deadline and was neither expired nor overdue: it held its slot unseen
    and would have run later although the engine had given it away.
    """
    runs = tmp_path / "runs"
    runs.mkdir()
    release = tmp_path / "release"
    for _ in range(10):
        fake.ack_errors["update"].append(NotFoundError(404, "NOT_FOUND"))
    log = RecordingLogger()
    worker = _worker(
        adversary.hold_until_release,
        fake,
        timeout_ms=900,
        slots=2,
        log=log,
        execution_strategy="process",
        process_pool_size=1,
        auto_extend_timeout=True,
    )
    variables = {"runs_dir": str(runs), "release": str(release)}
    fake.add(make_job(1, **variables), make_job(2, **variables))
    with worker:
        try:
            wait_until(lambda: worker.stats.overdue_handlers == 1, timeout=30)
            assert _runs(runs, "1") + _runs(runs, "2") == 1  # one runs, one waits
            # Its deadline passed with the first one's: settled as expired within a look or two.
            wait_until(lambda: worker.stats.expired == 1, timeout=30)
            (entry,) = check([worker]).workers
        finally:
            release.touch()
        wait_until(lambda: worker.stats.in_flight == 0, timeout=30)
    stats = worker.stats
    # Not ready: the one child runs the overdue handler, nothing else can run.
    assert (len(fake.completed), entry.ready) == (1, False), (
        stats,
        sorted(fake.completed),
        entry,
    )
