"""Real-time timers: under the system clock, due timers fire without any request.

``Engine.run_timers`` sleeps until the next due timer (or until an earlier timer event is
armed) and fires it; ``EngineServer`` and ``camunda-worker engine`` run it on their loop. The
observers here do not move the engine themselves: ``await_process_instance`` (and
``awaitCompletion`` over HTTP) only waits to be woken by the instance's completion, so an
instance behind a timer completes only if something else fires the timer. Waits are generous;
only end states are asserted.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from camunda_worker.engine import Engine, EngineServer, ManualClock

from .models.corpus import END, START, chain, process, service, timer_catch
from .models.modeler import modeler_xml

WAIT_S = 30


def _timer_process(name: str, duration: str) -> bytes:
    body = START + timer_catch("wait", "timeDuration", duration) + END
    return modeler_xml(name, process(name, body + chain("f", "start", "wait", "end"))).encode()


@pytest.mark.asyncio
async def test_run_timers_fires_a_timer_armed_after_it_started_sleeping() -> None:
    engine = Engine()  # the system clock, as ``camunda-worker engine`` runs
    engine.deploy([("later.bpmn", _timer_process("later", "PT0.5S"))])
    task = asyncio.create_task(engine.run_timers())
    try:
        await asyncio.sleep(0.05)  # the task sleeps with no timer armed
        created = engine.create_process_instance(process_definition_id="later")
        result = await engine.await_process_instance(
            str(created["processInstanceKey"]), timeout_ms=WAIT_S * 1000
        )
        assert result["processInstanceKey"] == created["processInstanceKey"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_without_run_timers_the_instance_waits_for_a_request() -> None:
    # What run_timers changes: alone, a due timer waits for someone to look at the engine.
    engine = Engine()
    engine.deploy([("later.bpmn", _timer_process("later", "PT0.1S"))])
    created = engine.create_process_instance(process_definition_id="later")
    await asyncio.sleep(0.3)
    with pytest.raises(Exception, match="did not complete within"):
        await engine.await_process_instance(str(created["processInstanceKey"]), timeout_ms=200)
    view = engine.process_instance(str(created["processInstanceKey"]))  # a look: it fires
    assert view.state == "COMPLETED"


@pytest.mark.asyncio
async def test_run_timers_ends_when_the_engine_closes_and_runs_once_per_engine() -> None:
    engine = Engine()
    task = asyncio.create_task(engine.run_timers())
    await asyncio.sleep(0.05)
    with pytest.raises(RuntimeError, match="already run in real time"):
        await engine.run_timers()
    engine.close()
    await asyncio.wait_for(task, timeout=WAIT_S)
    # Once it ended, it may run again (and returns at once on a closed engine).
    await asyncio.wait_for(engine.run_timers(), timeout=WAIT_S)


@pytest.mark.asyncio
async def test_under_a_manual_clock_run_timers_returns_at_once() -> None:
    engine = Engine(clock=ManualClock())
    await asyncio.wait_for(engine.run_timers(), timeout=WAIT_S)


def test_over_tcp_a_timer_completes_the_instance_with_no_request_in_between() -> None:
    engine = Engine()
    with EngineServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        files = {"resources": ("tick.bpmn", _timer_process("tick", "PT1S"), "application/xml")}
        assert client.post("/deployments", files=files).status_code == 200
        # One request: create and await completion; only the server's timer task can fire the
        # timer meanwhile (awaiting completion does not move the engine).
        response = client.post(
            "/process-instances",
            json={
                "processDefinitionId": "tick",
                "awaitCompletion": True,
                "requestTimeout": WAIT_S * 1000,
            },
        )
        assert response.status_code == 200, response.text
        key = response.json()["processInstanceKey"]
    [view] = engine.process_instances(process_definition_id="tick")
    assert (view.key, view.state) == (key, "COMPLETED")
    assert view.visited_element_ids == ("start", "wait", "end")


def _one_task_process() -> bytes:
    body = START + service("work", "work") + END
    return modeler_xml("one", process("one", body + chain("f", "start", "work", "end"))).encode()


async def _activate(engine: Engine, *, request_timeout_ms: int) -> list[dict[str, object]]:
    return await engine.activate_jobs(
        job_type="work",
        max_jobs_to_activate=1,
        timeout_ms=60_000,
        worker="b",
        request_timeout_ms=request_timeout_ms,
    )


@pytest.mark.asyncio
async def test_a_back_off_armed_while_a_poll_waits_hands_the_job_to_that_poll_on_time() -> None:
    # Poll B starts waiting while worker A holds the only job (deadline a minute away); A then
    # fails it with a short back-off. Only run_timers notices the earlier timer: B's own sleep
    # was computed before it existed and would last until B's request timeout.
    engine = Engine()
    engine.deploy([("one.bpmn", _one_task_process())])
    engine.create_process_instance(process_definition_id="one")
    task = asyncio.create_task(engine.run_timers())
    try:
        ready = engine.activate_ready_jobs(
            job_type="work", max_jobs_to_activate=1, timeout_ms=60_000, worker="a"
        )
        assert ready is not None
        [held] = ready
        poll = asyncio.create_task(_activate(engine, request_timeout_ms=WAIT_S * 1000))
        await asyncio.sleep(0.1)  # B waits
        engine.fail_job(str(held["jobKey"]), retries=2, retry_back_off_ms=300)
        jobs = await asyncio.wait_for(poll, timeout=WAIT_S / 2)
        assert [job["jobKey"] for job in jobs] == [held["jobKey"]]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
