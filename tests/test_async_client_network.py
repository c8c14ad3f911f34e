"""The async client over real loopback sockets: on asyncio (the fast lane) and under trio (httpx)."""

from __future__ import annotations

import pytest

from camunda_worker._client import CamundaAsyncClient
from camunda_worker.engine import Engine, EngineServer


@pytest.mark.asyncio
async def test_the_client_drives_the_engine_over_tcp() -> None:
    engine = Engine()
    key = engine.create_job("charge", variables={"amount": 3})
    with EngineServer(engine) as server:
        async with CamundaAsyncClient(server.url) as camunda:
            jobs = await camunda.activate_jobs(
                job_type="charge", max_jobs_to_activate=5, timeout=10_000, worker="w"
            )
            assert [job.job_key for job in jobs] == [key]
            assert jobs[0].variables == {"amount": 3}
            await camunda.complete_job(key, {"paid": True})
    assert engine.jobs(job_type="charge")[0].state == "COMPLETED"


def test_under_trio_the_client_goes_through_httpx() -> None:
    pytest.importorskip("trio", reason="trio runs the client outside asyncio")
    import anyio

    engine = Engine()
    engine.create_job("charge")

    async def complete(url: str) -> None:
        async with CamundaAsyncClient(url) as camunda:
            jobs = await camunda.activate_jobs(
                job_type="charge", max_jobs_to_activate=1, timeout=10_000, worker="w"
            )
            await camunda.complete_job(jobs[0].job_key)

    with EngineServer(engine) as server:
        anyio.run(complete, server.url, backend="trio")
    assert engine.jobs(job_type="charge")[0].state == "COMPLETED"
