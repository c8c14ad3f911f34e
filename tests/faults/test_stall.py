"""A black-holed network, cut and reset answers: through the chaos proxy, between worker and engine.

Every test ends in the state a user sees: each job completed (or activated again after its
timeout, then completed), the worker's state and readiness, and what it logged. The client of
these workers has a long general read timeout (120 s, as a user with slow deployments might set):
what bounds a stalled long poll and a stalled acknowledgement must be the poll's
``requestTimeout`` and the job's deadline, not that timeout. Bounded waits are generous (30 s).
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from camunda_worker import WorkerConfig
from camunda_worker.health import check
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .chaos import ChaosProxy, chaos_proxy, running_worker, wait_for

__all__ = ["chaos_proxy"]  # the fixture, imported for the tests below

JOB_TYPE = "black-hole-work"
BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="black-hole" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work">
      <bpmn:extensionElements><zeebe:taskDefinition type="{JOB_TYPE}" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

LONG_CLIENT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
REQUEST_TIMEOUT_MS = 500
WAIT = 30.0

pytestmark = pytest.mark.camunda(BPMN, manual_clock=False)


def config(*, job_timeout_ms: int = 3000) -> WorkerConfig:
    return WorkerConfig(
        JOB_TYPE,
        job_timeout_milliseconds=job_timeout_ms,
        request_timeout_milliseconds=REQUEST_TIMEOUT_MS,
        max_concurrent_jobs=4,
    )


def logged(log: RecordingLogger, *fragments: str) -> bool:
    return any(all(fragment in line for fragment in fragments) for line in log.lines)


def polling_and_ready(worker: JobWorker) -> bool:
    return worker.last_successful_poll is not None and check([worker]).ready


class Runs:
    """Counts handler runs per job (thread-safe); the first run of a job may act on the proxy."""

    def __init__(self, on_first: Any = None) -> None:
        self.lock = threading.Lock()
        self.by_job: dict[str, int] = {}
        self.on_first = on_first

    def __call__(self, job: Any) -> dict[str, Any]:
        with self.lock:
            runs = self.by_job[job.job_key] = self.by_job.get(job.job_key, 0) + 1
        if runs == 1 and self.on_first is not None:
            self.on_first()
        return {"runs": runs}


@pytest.mark.parametrize("lane", ["wire", "httpx"])
def test_a_long_poll_into_a_black_hole_times_out_the_worker_is_not_ready_and_recovers(
    camunda_engine: EngineHarness, chaos_proxy: ChaosProxy, lane: str
) -> None:
    log = RecordingLogger()
    runs = Runs()
    with running_worker(
        chaos_proxy.url,
        runs,
        config(),
        client_timeout=LONG_CLIENT_TIMEOUT,
        httpx_transport=lane == "httpx",
        logger=log,
        drain_timeout=2,
    ) as worker:
        wait_for(lambda: polling_and_ready(worker), what="the first successful poll")
        connections = chaos_proxy.stats.accepted
        chaos_proxy.stall()
        key = camunda_engine.start_instance("black-hole")  # its job waits behind the stall

        # The poll in flight is overdue after requestTimeout + margin: not ready, and it times
        # out, is logged and sent again (on a new connection: the stalled one is given up).
        reports = []

        def not_ready() -> bool:
            reports.append(check([worker]))
            return not reports[-1].ready

        wait_for(not_ready, timeout=WAIT, what="not ready in the stall")
        # Not ready because of the poll, long before the liveness bound (3 polls + 10 s) says
        # the loop is stuck.
        assert reports[-1].live, reports[-1].reasons()
        wait_for(
            lambda: logged(log, "activating jobs failed", "RequestTimeoutError"),
            timeout=WAIT,
            what="the stalled poll timed out and was logged",
        )
        wait_for(
            lambda: chaos_proxy.stats.accepted > connections,
            timeout=WAIT,
            what="the worker polled again",
        )
        assert worker.state in (WorkerState.BACKING_OFF, WorkerState.POLLING)
        assert camunda_engine.instance(key).state == "ACTIVE"
        assert runs.by_job == {}

        chaos_proxy.resume()
        done = camunda_engine.wait_for_completion(key, timeout=WAIT)
        wait_for(lambda: polling_and_ready(worker), timeout=WAIT, what="ready after the stall")
        assert worker.state is WorkerState.POLLING
        assert worker.error is None
        assert logged(log, "activating jobs works again")
    assert done.variables["runs"] >= 1
    assert worker.stats.completed >= 1


def test_a_completion_into_a_black_hole_gives_up_at_the_deadline_and_the_job_comes_back(
    camunda_engine: EngineHarness, chaos_proxy: ChaosProxy
) -> None:
    log = RecordingLogger()
    runs = Runs(on_first=chaos_proxy.stall)  # the first run's completion goes into the stall
    with running_worker(
        chaos_proxy.url,
        runs,
        config(job_timeout_ms=2000),
        client_timeout=LONG_CLIENT_TIMEOUT,
        logger=log,
        drain_timeout=2,
    ) as worker:
        wait_for(lambda: polling_and_ready(worker), what="the first successful poll")
        key = camunda_engine.start_instance("black-hole")
        wait_for(
            lambda: logged(log, "gave up sending the completion", "deadline passed"),
            timeout=WAIT,
            what="the stalled completion was given up at the job's deadline",
        )
        assert worker.stats.acknowledgement_failures == 1
        assert worker.stats.in_flight == 0  # the slot came back with the deadline
        assert camunda_engine.instance(key).state == "ACTIVE"

        # The partition outlived the connections (their bytes are lost), then heals.
        chaos_proxy.reset_connections()
        chaos_proxy.resume()
        done = camunda_engine.wait_for_completion(key, timeout=WAIT)
        wait_for(lambda: polling_and_ready(worker), timeout=WAIT, what="ready after the stall")
        assert worker.error is None
    # The job timed out at the engine, was activated again and completed by its second run.
    assert list(runs.by_job.values()) == [2]
    assert done.variables["runs"] == 2
    assert camunda_engine.stats().jobs_timed_out >= 1
    assert worker.stats.completed == 1


@pytest.mark.parametrize(
    ("fault", "match"),
    [
        ("truncate", b"/completion"),
        ("reset", b"/completion"),
        ("truncate", b"/jobs/activation"),
        ("reset", b"/jobs/activation"),
    ],
)
def test_cut_and_reset_answers_still_end_in_completed_jobs(
    camunda_engine: EngineHarness, chaos_proxy: ChaosProxy, fault: str, match: bytes
) -> None:
    log = RecordingLogger()
    runs = Runs()
    with running_worker(
        chaos_proxy.url,
        runs,
        config(job_timeout_ms=1500),
        logger=log,
        drain_timeout=2,
    ) as worker:
        wait_for(lambda: polling_and_ready(worker), what="the first successful poll")
        activation = match == b"/jobs/activation"
        # An answer to a completion is cut once; answers to activations until one carried the
        # job (the engine handed it out, the worker never heard of it).
        times = None if activation else 1
        if fault == "truncate":
            chaos_proxy.truncate(after_bytes=12, match=match, times=times)
        else:
            chaos_proxy.reset(after_bytes=0, match=match, times=times)
        if activation:
            # The poll in flight was sent before the fault: end it, so the next one is cut.
            chaos_proxy.reset_connections()
        keys = [camunda_engine.start_instance("black-hole") for _ in range(2)]
        if activation:
            wait_for(
                lambda: camunda_engine.stats().jobs_activated >= 2,
                timeout=WAIT,
                what="the jobs were activated behind the cut answers",
            )
            assert worker.stats.activated == 0
            chaos_proxy.resume()
        done = [camunda_engine.wait_for_completion(key, timeout=WAIT) for key in keys]
        wait_for(lambda: polling_and_ready(worker), timeout=WAIT, what="ready again")
        assert worker.error is None
    assert chaos_proxy.stats.cut >= 1
    assert all(instance.state == "COMPLETED" for instance in done)
    if activation:
        # Lost with their answers: the jobs came back after their timeout and ran then.
        assert camunda_engine.stats().jobs_timed_out >= 2
        assert logged(log, "activating jobs failed")
    else:
        # One completion's answer was lost after the engine completed the job: sent again,
        # refused (404: the job is gone), logged, never turned into a failure or a second run.
        assert worker.stats.rejected + worker.stats.completed == 2
        assert worker.stats.failed == 0
        assert all(count == 1 for count in runs.by_job.values())
