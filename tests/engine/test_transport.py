"""In-process transports: no sockets, any thread or loop, timeouts, drops, no leaked threads."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from camunda_worker.engine import (
    AsyncInProcessTransport,
    Engine,
    EngineApp,
    InProcessTransport,
    ManualClock,
)

from .conftest import BASE_URL, activation


def transport_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "camunda-engine-transport"]


def test_a_sync_client_on_an_engine_gets_the_same_answers_as_over_http() -> None:
    engine = Engine(server_line="8.9", clock=ManualClock())
    key = engine.create_job("direct")
    with httpx.Client(transport=InProcessTransport(engine), base_url=BASE_URL) as client:
        jobs = client.post("/jobs/activation", json=activation("direct")).json()["jobs"]
        completed = client.post(f"/jobs/{key}/completion")
    engine.close()

    assert [job["jobKey"] for job in jobs] == [key]
    assert completed.status_code == 204


def test_a_long_poll_in_one_thread_does_not_block_another(
    client: httpx.Client, engine: Engine
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        waiting = pool.submit(
            client.post, "/jobs/activation", json=activation("slow", requestTimeout=30_000)
        )
        quick = pool.submit(client.get, "/topology").result(timeout=10)
        assert not waiting.done()
        key = engine.create_job("slow")
        answer = waiting.result(timeout=10)

    assert quick.status_code == 200
    assert [job["jobKey"] for job in answer.json()["jobs"]] == [key]


def test_the_read_timeout_of_the_request_is_honoured(client: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/jobs/activation",
            json=activation("never", requestTimeout=30_000),
            timeout=httpx.Timeout(10, read=0.05),
        )


def test_a_timed_out_poll_leaves_later_jobs_to_others(client: httpx.Client, engine: Engine) -> None:
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "/jobs/activation",
            json=activation("later", requestTimeout=30_000),
            timeout=httpx.Timeout(10, read=0.05),
        )
    key = engine.create_job("later")

    jobs = client.post("/jobs/activation", json=activation("later")).json()["jobs"]

    assert [job["jobKey"] for job in jobs] == [key]


def test_closing_the_client_stops_the_background_thread(app: EngineApp) -> None:
    before = len(transport_threads())
    client = httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL)
    client.get("/status")
    assert len(transport_threads()) == before + 1

    client.close()

    assert len(transport_threads()) == before


def test_closing_the_transport_answers_requests_still_waiting(app: EngineApp) -> None:
    transport = InProcessTransport(app)
    client = httpx.Client(transport=transport, base_url=BASE_URL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(
            client.post, "/jobs/activation", json=activation("idle", requestTimeout=60_000)
        )
        while not app.engine.stats().waiting_polls:
            threading.Event().wait(0.005)
        transport.close()
        with pytest.raises(httpx.ReadError):
            waiting.result(timeout=10)


def test_a_closed_sync_transport_refuses_requests(app: EngineApp) -> None:
    transport = InProcessTransport(app)
    transport.close()

    with pytest.raises(RuntimeError, match="closed"):
        transport.handle_request(httpx.Request("GET", f"{BASE_URL}/status"))


def test_a_dropped_connection_raises_remote_protocol_error(
    client: httpx.Client, app: EngineApp
) -> None:
    app.faults.script("topology", ["drop"])

    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/topology")
    assert client.get("/topology").status_code == 200


@pytest.mark.asyncio
async def test_the_async_transport_runs_in_the_callers_loop(
    aclient: httpx.AsyncClient, app: EngineApp
) -> None:
    threads_before = threading.active_count()
    key = app.engine.create_job("async")

    jobs = (await aclient.post("/jobs/activation", json=activation("async"))).json()["jobs"]

    assert [job["jobKey"] for job in jobs] == [key]
    assert threading.active_count() == threads_before


@pytest.mark.asyncio
async def test_the_async_transport_honours_the_read_timeout(aclient: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await aclient.post(
            "/jobs/activation",
            json=activation("never", requestTimeout=30_000),
            timeout=httpx.Timeout(10, read=0.05),
        )


def test_one_engine_serves_several_event_loops_at_once(app: EngineApp) -> None:
    async def poll(job_type: str) -> list[str]:
        transport = AsyncInProcessTransport(app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            body = activation(job_type, requestTimeout=30_000)
            response = await client.post("/jobs/activation", json=body)
            return [job["jobKey"] for job in response.json()["jobs"]]

    results: dict[str, list[str]] = {}

    def run(job_type: str) -> None:
        results[job_type] = asyncio.run(poll(job_type))

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    while app.engine.stats().waiting_polls < 2:
        threading.Event().wait(0.005)
    key_a = app.engine.create_job("a")
    key_b = app.engine.create_job("b")
    for thread in threads:
        thread.join(timeout=10)

    assert results == {"a": [key_a], "b": [key_b]}


def test_a_transport_built_on_an_engine_owns_its_app() -> None:
    engine = Engine(server_line="8.9")
    transport = InProcessTransport(engine)

    assert isinstance(transport.app, EngineApp)
    assert transport.app.engine is engine
    transport.close()
    engine.close()
