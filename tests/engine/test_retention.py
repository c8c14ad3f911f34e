"""Memory stays flat: finished jobs, ended instances and resolved incidents beyond the retention
limit are dropped (oldest first), and no internal queue grows with the number of jobs."""

from __future__ import annotations

import pytest

from camunda_worker.engine._runtime.clock import ManualClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import MINIMAL, NO_WAIT, resource

pytestmark = pytest.mark.asyncio

RETENTION = 1_000


def internal_sizes(engine: Engine) -> dict[str, int]:
    machine = engine._machine
    return {
        "jobs": len(machine.jobs),
        "instances": len(machine.instances),
        "incidents": len(machine.incidents),
        "timers": len(machine.timers),
        "ready": machine.ready.size(),
    }


async def test_100_000_jobs_leave_only_the_retained_records_behind() -> None:
    engine = Engine(clock=ManualClock(), retention=RETENTION)
    batch = 100
    peak: dict[str, int] = {}
    for round_ in range(100_000 // batch):
        for _ in range(batch):
            engine.create_job("work", variables={"order": {"id": 1}})
        jobs = await engine.activate_jobs(
            job_type="work",
            max_jobs_to_activate=batch,
            timeout_ms=60_000,
            worker="w",
            request_timeout_ms=-1,
        )
        for job in jobs:
            engine.complete_job(job["jobKey"], {"done": True})
        if round_ % 10 == 9:
            for name, size in internal_sizes(engine).items():
                peak[name] = max(peak.get(name, 0), size)
    stats = engine.stats()
    assert stats.jobs_completed == 100_000
    assert stats.retained_jobs == RETENTION
    assert peak["jobs"] <= RETENTION + batch
    assert peak["timers"] <= 4 * RETENTION  # stale deadlines are compacted away
    assert peak["ready"] <= batch
    found = engine.search_jobs(limit=1)
    assert found["page"]["totalItems"] == RETENTION
    newest = engine.jobs()[-1]
    assert newest.state == "COMPLETED"


async def test_ended_instances_and_their_jobs_are_dropped_oldest_first() -> None:
    engine = Engine(clock=ManualClock(), retention=200)
    engine.deploy(resource(MINIMAL))
    first = engine.create_process_instance(process_definition_id="minimal")["processInstanceKey"]
    for _ in range(5_000):
        engine.create_process_instance(process_definition_id="minimal")
        jobs = await engine.activate_jobs(
            job_type="work",
            max_jobs_to_activate=5,
            timeout_ms=60_000,
            worker="w",
            request_timeout_ms=-1,
        )
        for job in jobs:
            engine.complete_job(job["jobKey"])
    sizes = internal_sizes(engine)
    assert sizes["instances"] == 200
    assert sizes["jobs"] == 200
    assert engine.stats().process_instances_completed == 5_001
    with pytest.raises(EngineError) as raised:
        engine.get_process_instance(first)
    assert raised.value.status == 404


async def test_active_records_are_never_dropped() -> None:
    engine = Engine(clock=ManualClock(), retention=10)
    engine.deploy(resource(MINIMAL))
    waiting = engine.create_process_instance(process_definition_id="minimal")["processInstanceKey"]
    waiting_job = engine.jobs()[0].key
    for _ in range(100):
        engine.complete_job(engine.create_job("other"))
    assert engine.process_instance(waiting).state == "ACTIVE"
    engine.complete_job(waiting_job)
    assert engine.process_instance(waiting).state == "COMPLETED"


async def test_jobs_finished_without_activation_do_not_pile_up_in_the_queue() -> None:
    engine = Engine(clock=ManualClock(), retention=100)
    for _ in range(20_000):
        engine.complete_job(engine.create_job("never-polled"))
    sizes = internal_sizes(engine)
    assert sizes["ready"] <= 5_000
    assert sizes["jobs"] == 100


async def test_resolved_incidents_are_dropped_beyond_the_retention() -> None:
    engine = Engine(clock=ManualClock(), retention=50)
    for _ in range(500):
        key = engine.create_job("work")
        engine.fail_job(key, retries=0)
        engine.update_job(key, retries=1)
        engine.resolve_incident(engine.incidents()[0].key)
        engine.complete_job(key)
    assert internal_sizes(engine)["incidents"] == 50
    assert engine.stats().incidents_created == 500


async def test_timed_out_and_failed_jobs_keep_the_timer_queue_small() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock, retention=100)
    for _ in range(3_000):
        key = engine.create_job("work")
        await engine.activate_jobs(
            job_type="work",
            max_jobs_to_activate=1,
            timeout_ms=10,
            worker="w",
            request_timeout_ms=-1,
        )
        engine.fail_job(key, retries=1, retry_back_off_ms=5)
        engine.update_job(key, retries=2)
        clock.advance(5)
        engine.complete_job(key)
    assert internal_sizes(engine)["timers"] <= 2_100


async def test_variable_keys_and_key_times_stay_bounded_as_instances_come_and_go() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock, retention=10)
    engine.deploy(resource(NO_WAIT))
    for round_ in range(1_500):
        engine.create_process_instance(process_definition_id="instant", variables={"n": round_})
        engine.search_records("variables")
        clock.advance(1)
        engine.search_records("variables")  # a command with no key made: no new key time

    listed = engine.search_records("variables", limit=10_000)["page"]["totalItems"]

    assert listed == 10  # the retained instances' variables
    assert len(engine._record_rows._variable_keys) <= 2 * listed + 1_000
    assert len(engine._machine._key_times) <= 1_500 + 2
