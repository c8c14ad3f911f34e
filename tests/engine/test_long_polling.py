"""Long polling of job activation: wake-up on new jobs, request timeouts, fairness among
pollers, no job twice, cancellation without losing jobs, timers, close()."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from camunda_worker.engine._runtime.clock import ManualClock, SystemClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError
from camunda_worker.engine._runtime.waiters import Waiter

pytestmark = pytest.mark.asyncio

LONG = 10_000  # a request timeout no test waits for


def poll(
    engine: Engine, job_type: str = "work", **options: Any
) -> Coroutine[Any, Any, list[dict[str, Any]]]:
    arguments: dict[str, Any] = {
        "job_type": job_type,
        "max_jobs_to_activate": 10,
        "timeout_ms": 30_000,
        "worker": "poller",
        "request_timeout_ms": LONG,
    }
    arguments.update(options)
    return engine.activate_jobs(**arguments)


async def until_waiting(engine: Engine, count: int = 1) -> None:
    """Let pollers register (up to a generous bound)."""
    for _ in range(1_000):
        if engine.stats().waiting_polls >= count:
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"{count} polls never started waiting")


async def test_a_waiting_poll_returns_as_soon_as_a_job_is_created() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    key = engine.create_job("work")
    jobs = await asyncio.wait_for(waiting, 5)
    assert [job["jobKey"] for job in jobs] == [key]
    assert engine.stats().waiting_polls == 0


async def test_a_job_created_on_another_thread_wakes_the_poll() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    keys: list[str] = []
    thread = threading.Thread(target=lambda: keys.append(engine.create_job("work")))
    thread.start()
    jobs = await asyncio.wait_for(waiting, 5)
    thread.join()
    assert [job["jobKey"] for job in jobs] == keys


async def test_jobs_of_other_types_do_not_end_the_poll() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine, request_timeout_ms=50))
    await until_waiting(engine)
    engine.create_job("other")
    assert await asyncio.wait_for(waiting, 5) == []


@pytest.mark.parametrize("request_timeout_ms", [None, 0])
async def test_no_request_timeout_means_the_engine_default(request_timeout_ms: int | None) -> None:
    engine = Engine(clock=ManualClock(), default_request_timeout_ms=30)
    result = await asyncio.wait_for(poll(engine, request_timeout_ms=request_timeout_ms), 5)
    assert result == []


async def test_a_negative_request_timeout_answers_at_once() -> None:
    engine = Engine(clock=ManualClock(), default_request_timeout_ms=LONG)
    assert await poll(engine, request_timeout_ms=-1) == []
    assert engine.stats().waiting_polls == 0


async def test_waiting_pollers_are_served_in_turn_one_job_each() -> None:
    engine = Engine(clock=ManualClock())
    pollers = []
    for index in range(3):
        pollers.append(asyncio.create_task(poll(engine, worker=f"w{index}")))
        await until_waiting(engine, index + 1)
    keys = [engine.create_job("work") for _ in range(3)]
    results = await asyncio.wait_for(asyncio.gather(*pollers), 5)
    assert [[job["jobKey"] for job in jobs] for jobs in results] == [[key] for key in keys]
    assert [jobs[0]["worker"] for jobs in results] == ["w0", "w1", "w2"]


async def test_a_poller_filtering_tenants_lets_the_next_poller_take_other_jobs() -> None:
    engine = Engine(clock=ManualClock())
    picky = asyncio.create_task(poll(engine, tenant_ids=["acme"], request_timeout_ms=100))
    await until_waiting(engine)
    anyone = asyncio.create_task(poll(engine))
    await until_waiting(engine, 2)
    key = engine.create_job("work", tenant_id="globex")
    assert [job["jobKey"] for job in await asyncio.wait_for(anyone, 5)] == [key]
    assert await asyncio.wait_for(picky, 5) == []


async def test_concurrent_pollers_on_several_threads_never_get_the_same_job() -> None:
    engine = Engine(clock=ManualClock())
    total = 300
    received: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def run_poller() -> None:
        async def loop() -> None:
            while not done.is_set():
                jobs = await poll(engine, max_jobs_to_activate=7, request_timeout_ms=50)
                with lock:
                    received.extend(job["jobKey"] for job in jobs)
                    if len(received) >= total:
                        done.set()

        asyncio.run(loop())

    threads = [threading.Thread(target=run_poller) for _ in range(4)]
    for thread in threads:
        thread.start()
    created = []
    for _ in range(total):
        created.append(engine.create_job("work"))
        if len(created) % 50 == 0:
            await asyncio.sleep(0.001)
    done.wait(20)
    for thread in threads:
        thread.join(20)
    assert sorted(received) == sorted(created)
    assert len(set(received)) == total


async def test_a_cancelled_waiting_poll_leaves_nothing_behind() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert engine.stats().waiting_polls == 0
    key = engine.create_job("work")
    assert [job["jobKey"] for job in await poll(engine, request_timeout_ms=-1)] == [key]


async def test_jobs_assigned_to_a_poll_cancelled_before_it_resumed_are_given_back() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    key = engine.create_job("work")  # activated for the waiting poll, which has not run yet
    assert engine.jobs()[0].lifecycle == "ACTIVATED"
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    [view] = engine.jobs()
    assert view.lifecycle == "ACTIVATABLE"
    assert view.worker == ""
    assert engine.stats().jobs_activated == 0
    assert [job["jobKey"] for job in await poll(engine, request_timeout_ms=-1)] == [key]


async def test_given_back_jobs_go_to_the_next_waiting_poll() -> None:
    engine = Engine(clock=ManualClock())
    first = asyncio.create_task(poll(engine, worker="first"))
    await until_waiting(engine)
    second = asyncio.create_task(poll(engine, worker="second"))
    await until_waiting(engine, 2)
    key = engine.create_job("work")
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    jobs = await asyncio.wait_for(second, 5)
    assert [(job["jobKey"], job["worker"]) for job in jobs] == [(key, "second")]


async def test_a_poll_whose_loop_is_closed_gives_its_jobs_to_the_next() -> None:
    engine = Engine(clock=ManualClock())
    dead_loop = asyncio.new_event_loop()
    dead = Waiter(
        dead_loop, dead_loop.create_future(), "work", 10, 1_000, "dead", None, None, False
    )
    dead_loop.close()
    engine._waiters.add(dead)  # as if its thread died while it waited
    alive = asyncio.create_task(poll(engine, worker="alive"))
    await until_waiting(engine, 2)
    key = engine.create_job("work")
    jobs = await asyncio.wait_for(alive, 5)
    assert [(job["jobKey"], job["worker"]) for job in jobs] == [(key, "alive")]
    assert dead.activations is not None  # it was offered the job first and could not take it


async def test_close_ends_waiting_polls_and_later_ones_at_once() -> None:
    engine = Engine(clock=ManualClock())
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    engine.close()
    assert await asyncio.wait_for(waiting, 5) == []
    assert await asyncio.wait_for(poll(engine), 5) == []
    engine.close()  # idempotent


async def test_advancing_a_manual_clock_hands_timed_out_jobs_to_waiting_polls() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    key = engine.create_job("work")
    await poll(engine, timeout_ms=1_000, worker="slow", request_timeout_ms=-1)
    waiting = asyncio.create_task(poll(engine, worker="next"))
    await until_waiting(engine)
    clock.advance(1_000)
    jobs = await asyncio.wait_for(waiting, 5)
    assert [(job["jobKey"], job["worker"]) for job in jobs] == [(key, "next")]


async def test_advancing_a_manual_clock_ends_a_back_off_for_waiting_polls() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    key = engine.create_job("work")
    engine.fail_job(key, retries=1, retry_back_off_ms=60_000)
    waiting = asyncio.create_task(poll(engine))
    await until_waiting(engine)
    clock.advance(60_000)
    assert [job["jobKey"] for job in await asyncio.wait_for(waiting, 5)] == [key]


async def test_with_the_system_clock_a_job_timeout_wakes_a_waiting_poll() -> None:
    engine = Engine(clock=SystemClock())
    key = engine.create_job("work")
    await poll(engine, timeout_ms=30, worker="slow", request_timeout_ms=-1)
    jobs = await asyncio.wait_for(poll(engine, worker="next"), 5)
    assert [(job["jobKey"], job["worker"]) for job in jobs] == [(key, "next")]


async def test_with_the_system_clock_a_back_off_end_wakes_a_waiting_poll() -> None:
    engine = Engine(clock=SystemClock())
    key = engine.create_job("work")
    engine.fail_job(key, retries=1, retry_back_off_ms=30)
    jobs = await asyncio.wait_for(poll(engine), 5)
    assert [job["jobKey"] for job in jobs] == [key]


async def test_a_forgotten_engine_is_not_kept_alive_by_its_manual_clock() -> None:
    import gc
    import weakref

    clock = ManualClock()
    engine = Engine(clock=clock)
    reference = weakref.ref(engine)
    del engine
    gc.collect()
    assert reference() is None
    clock.advance(1)  # the dangling subscription is harmless


async def test_deadlines_of_finished_jobs_do_not_wake_waiting_polls() -> None:
    engine = Engine(clock=SystemClock())
    key = engine.create_job("work")
    await poll(engine, timeout_ms=60_000, request_timeout_ms=-1)
    assert engine._seconds_to_next_timer() > 50  # the live deadline, a minute away
    engine.complete_job(key)
    assert engine._seconds_to_next_timer() == float("inf")


def ready(engine: Engine, **options: Any) -> list[dict[str, Any]] | None:
    arguments: dict[str, Any] = {
        "job_type": "work",
        "max_jobs_to_activate": 10,
        "timeout_ms": 30_000,
        "worker": "poller",
        "request_timeout_ms": LONG,
    }
    arguments.update(options)
    return engine.activate_ready_jobs(**arguments)


async def test_activate_ready_jobs_answers_what_needs_no_wait_and_never_waits() -> None:
    engine = Engine(clock=ManualClock())
    assert ready(engine) is None  # activate_jobs would long-poll: nothing registered
    assert engine.stats().waiting_polls == 0
    assert ready(engine, request_timeout_ms=-1) == []
    engine.create_job("work")
    engine.create_job("work")
    jobs = ready(engine, max_jobs_to_activate=1)
    assert jobs is not None
    assert len(jobs) == 1
    assert ready(engine) is not None  # the second job
    assert ready(engine) is None  # both are activated now


async def test_activate_ready_jobs_checks_the_request_like_activate_jobs() -> None:
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as error:
        ready(engine, job_type=" ", timeout_ms=0)
    assert error.value.status == 400
    assert "No type provided" in str(error.value.detail)
