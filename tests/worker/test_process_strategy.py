"""The process strategy: picklability checked up front, start methods, logs, crashes, pools."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

import handlers
import pytest
from conftest import FakeAsyncClient, wait_until
from loguru import logger

from camunda_worker import ConfigurationError
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, WorkerState


def build(handler: Any, client: Any, **kwargs: Any) -> JobWorker:
    kwargs.setdefault("process_pool_size", 1)
    return JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=4),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process",
        **kwargs,
    )


def test_an_unpicklable_handler_is_refused_when_the_worker_is_built(fake: FakeAsyncClient) -> None:
    with pytest.raises(ConfigurationError, match="cannot be pickled"):
        build(lambda job: None, fake)
    assert fake.activations == []  # no job was activated, none burned


def test_an_unpicklable_initializer_is_refused_too(fake: FakeAsyncClient) -> None:
    with pytest.raises(ConfigurationError, match="process initializer"):
        build(handlers.pid, fake, process_initializer=lambda: None)


def test_an_unknown_start_method_is_refused(fake: FakeAsyncClient) -> None:
    with pytest.raises(ConfigurationError, match="'teleport' is not available") as info:
        build(handlers.pid, fake, process_start_method="teleport")
    assert info.value.variable == "CAMUNDA_WORKER_PROCESS_START_METHOD"


def test_the_process_strategy_is_refused_on_windows_with_what_to_use_instead(
    fake: FakeAsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its pool is served by the event loop's add_reader, which Windows' loops do not offer for
    pipes and process handles: a clear refusal when the worker is built, not a crash at the
    first job."""
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(ConfigurationError, match=r"Linux and macOS.*'thread' strategy") as info:
        build(handlers.pid, fake)
    assert info.value.variable == "execution_strategy"


def test_max_tasks_per_child_below_one_is_a_clear_error(fake: FakeAsyncClient) -> None:
    with pytest.raises(ConfigurationError, match=">= 1, got 0") as info:
        build(handlers.pid, fake, max_tasks_per_child=0)
    assert info.value.variable == "CAMUNDA_WORKER_MAX_TASKS_PER_CHILD"


def test_process_settings_come_from_the_environment_when_not_given(fake: FakeAsyncClient) -> None:
    settings = CamundaSettings(
        worker_process_start_method="fork", worker_execution_strategy="process"
    )
    worker = JobWorker(
        handlers.pid,
        WorkerConfig(job_type="work", job_timeout_milliseconds=1000),
        client=fake,  # type: ignore[arg-type]
        settings=settings,
    )
    assert worker.strategy == "process"
    assert worker._options.process is not None
    assert worker._options.process.start_method == "fork"


def test_spawned_children_log_to_the_workers_sinks_and_run_the_initializer(
    engine: Any, client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """spawn (the default): a fresh interpreter per child; its records still reach our sinks."""
    records: list[Any] = []
    sink = logger.add(lambda message: records.append(message.record), level="DEBUG")
    marker = tmp_path / "initialized"
    engine.create_job("work")
    worker = build(
        handlers.log_both_ways,
        client,
        process_initializer=handlers.initializer,
        process_initargs=(str(marker),),
    )
    assert worker._options.process is not None
    assert worker._options.process.start_method == "spawn"
    try:
        with caplog.at_level(logging.WARNING, logger="tests.child"), worker:
            wait_until(lambda: worker.stats.completed == 1, timeout=60)
            wait_until(lambda: any("stdlib record" in r.getMessage() for r in caplog.records))
    finally:
        logger.remove(sink)
    (job,) = engine.jobs(job_type="work")
    child_pid = job.result_variables["pid"]
    assert child_pid != os.getpid()
    assert marker.read_text().split() == [str(child_pid)]
    (record,) = [r for r in records if r["message"] == "loguru record from the child"]
    assert record["extra"]["job_key"] == job.key
    assert record["extra"]["job_type"] == "work"
    assert record["extra"]["child_pid"] == child_pid
    assert record["name"] == "handlers"
    assert record["function"] == "log_both_ways"
    (stdlib,) = [r for r in caplog.records if r.getMessage() == "stdlib record from the child"]
    assert stdlib.name == "tests.child"


@pytest.mark.parametrize("death", ["die", "segfault"], ids=["os._exit", "segfault"])
def test_a_child_that_dies_fails_only_its_own_job_and_the_pool_is_replaced(
    engine: Any, client: Any, death: str
) -> None:
    victim = engine.create_job("work", variables={death: True}, retries=1)
    others = [engine.create_job("work", variables={"sleep": 0.3}) for _ in range(3)]
    worker = build(handlers.die, client, process_start_method="fork", process_pool_size=2)
    with worker:
        wait_until(lambda: worker.stats.completed == 3 and worker.stats.failed == 1, timeout=60)
    jobs = {job.key: job for job in engine.jobs(job_type="work")}
    assert jobs[victim].state == "FAILED"
    assert "child process running the handler died" in jobs[victim].error_message
    assert all(jobs[key].state == "COMPLETED" for key in others)
    assert worker.state is WorkerState.STOPPED
    assert multiprocessing.active_children() == []


def test_a_dying_child_interrupts_no_other_job(engine: Any, client: Any, tmp_path: Path) -> None:
    """The other children's jobs, and the one queued behind it, each run once, not again."""
    runs = str(tmp_path)
    others = [
        engine.create_job("work", variables={"sleep": 0.5, "runs_dir": runs}) for _ in range(3)
    ]
    worker = build(handlers.count_runs, client, process_start_method="fork", process_pool_size=2)
    with worker:
        wait_until(lambda: len(list(tmp_path.iterdir())) == 2)  # both children busy
        victim = engine.create_job("work", variables={"die": True, "runs_dir": runs}, retries=1)
        wait_until(lambda: worker.stats.completed == 3 and worker.stats.failed == 1, timeout=60)
    jobs = {job.key: job for job in engine.jobs(job_type="work")}
    assert jobs[victim].state == "FAILED"
    assert all(jobs[key].state == "COMPLETED" for key in others)
    ran = {path.name: path.read_text().count("run") for path in tmp_path.iterdir()}
    assert ran == dict.fromkeys([*others, victim], 1)
    assert multiprocessing.active_children() == []


def test_a_segfault_names_the_signal(engine: Any, client: Any) -> None:
    engine.create_job("work", retries=1)
    worker = build(handlers.segfault, client, process_start_method="fork")
    with worker:
        wait_until(lambda: worker.stats.failed == 1, timeout=60)
    (job,) = engine.jobs(job_type="work")
    assert "SIGSEGV" in job.error_message


def test_an_async_handler_runs_in_the_child_on_its_own_loop(engine: Any, client: Any) -> None:
    engine.create_job("work")
    worker = build(handlers.complete_async, client, process_start_method="fork")
    assert worker.strategy == "process"
    with worker:
        wait_until(lambda: worker.stats.completed == 1, timeout=60)
    (job,) = engine.jobs(job_type="work")
    assert job.result_variables["pid"] != os.getpid()


@pytest.mark.parametrize("method", ["forkserver", "fork"])
def test_children_are_replaced_after_max_tasks_per_child(
    engine: Any, client: Any, method: str
) -> None:
    """Any start method, any Python: the pool is ours, not concurrent.futures'."""
    for _ in range(3):
        engine.create_job("work")
    worker = build(handlers.pid, client, process_start_method=method, max_tasks_per_child=1)
    with worker:
        wait_until(lambda: worker.stats.completed == 3, timeout=90)
    pids = {job.result_variables["pid"] for job in engine.jobs(job_type="work")}
    assert len(pids) == 3


def test_children_that_cannot_start_stop_the_worker_without_burning_retries(
    engine: Any, client: Any
) -> None:
    engine.create_job("work", retries=3)
    worker = build(
        handlers.pid,
        client,
        process_start_method="fork",
        process_initializer=handlers.failing_initializer,
    )
    with worker:
        wait_until(lambda: worker.state is WorkerState.FAILED, timeout=60)
    assert isinstance(worker.error, RuntimeError)
    assert "die before running any job" in str(worker.error)
    (job,) = engine.jobs(job_type="work")
    assert job.retries == 3  # not failed: it times out and goes to a healthy worker
    assert multiprocessing.active_children() == []


def test_a_hanging_initializer_is_reported_while_jobs_wait(
    engine: Any, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child whose initializer never returns neither dies nor runs jobs: say so, repeatedly."""
    monkeypatch.setattr("camunda_worker.worker._process_runner.READY_WARNING", 0.2)
    warnings: list[str] = []
    sink = logger.add(lambda message: warnings.append(message.record["message"]), level="WARNING")
    release = tmp_path / "release"
    key = engine.create_job("work")
    worker = build(
        handlers.pid,
        client,
        process_start_method="fork",
        process_initializer=handlers.blocking_initializer,
        process_initargs=(str(release),),
    )
    try:
        with worker:

            def said_so() -> list[str]:
                return [w for w in warnings if "strategy is ready" in w]

            wait_until(lambda: len(said_so()) >= 2)
            said = said_so()
            release.touch()  # the initializer returns: the job runs
            wait_until(lambda: engine.jobs(job_type="work", lifecycle="COMPLETED"))
    finally:
        logger.remove(sink)
    assert "no child process of the 'process' strategy is ready" in said[0]
    assert "(1 job(s) waiting)" in said[0]
    assert "process initializer may hang" in said[0]
    assert len(said) >= 2  # said again while it lasts
    (done,) = engine.jobs(job_type="work", lifecycle="COMPLETED")
    assert done.key == key
    assert worker.stats.completed == 1


def test_the_drain_timeout_terminates_children_still_running(engine: Any, client: Any) -> None:
    engine.create_job("work", variables={"sleep": 30})
    worker = build(handlers.sleep, client, process_start_method="fork", drain_timeout=0.2)
    with worker:
        wait_until(lambda: worker.stats.in_flight == 1)
        wait_until(lambda: multiprocessing.active_children() != [])
    assert multiprocessing.active_children() == []
    assert worker.state is WorkerState.STOPPED


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_pool_of_several_children_shuts_down_without_an_error(
    engine: Any, client: Any, method: str
) -> None:
    """The children end at once when the worker closes; settling each end on the loop must not
    close a process the shutdown thread is still joining ("process object is closed")."""
    records: list[str] = []
    sink = logger.add(lambda message: records.append(message.record["message"]), level="ERROR")
    try:
        for round_ in range(3):
            engine.create_job("work")
            worker = build(handlers.pid, client, process_start_method=method, process_pool_size=4)
            with worker:
                wait_until(lambda: worker.stats.completed == 1, timeout=60)  # noqa: B023
            assert worker.state == WorkerState.STOPPED, round_
    finally:
        logger.remove(sink)
    assert records == []


linux_scheduling = pytest.mark.skipif(
    not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is a Linux scheduling policy"
)


@linux_scheduling
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_children_run_as_batch_work_with_the_workers_nice_value(
    engine: Any, client: Any, method: str
) -> None:
    """docs/strategies.md: a child does not preempt the worker's loop; its CPU share is kept."""
    engine.create_job("work")
    worker = build(handlers.scheduling_policy, client, process_start_method=method)
    with worker:
        wait_until(lambda: worker.stats.completed == 1, timeout=60)
    (job,) = engine.jobs(job_type="work")
    assert job.result_variables == {"policy": os.SCHED_BATCH, "nice": os.nice(0)}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the worker's own process is untouched


@linux_scheduling
def test_a_process_initializer_can_take_the_default_policy_back(engine: Any, client: Any) -> None:
    engine.create_job("work")
    worker = build(
        handlers.scheduling_policy,
        client,
        process_start_method="spawn",
        process_initializer=handlers.default_scheduling,
    )
    with worker:
        wait_until(lambda: worker.stats.completed == 1, timeout=60)
    (job,) = engine.jobs(job_type="work")
    assert job.result_variables["policy"] == os.SCHED_OTHER
