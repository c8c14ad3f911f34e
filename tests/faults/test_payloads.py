"""What crosses the wire: variables and results of any shape, depth and size, and values that
are not JSON at all. Every job ends completed (holding what was sent) or failed with a message
that says why; none is left activated, none loops.

Limits found by experiment (CPython 3.11, pydantic-core 2): pydantic's JSON parser stops at 200
levels, the engine's request parser with it (a creation or completion body nesting deeper is a
400); ``json.loads``/``json.dumps`` stop near the interpreter's recursion limit (about 990
levels), ``pickle`` near half of it, ``copy.deepcopy`` near a third.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from testing.bpmn import ORDER_BPMN
from wire_servers import WireServer, answer, answering, clear_proxies

from camunda_worker import CamundaAsyncClient, CamundaClient, CamundaSettings, WorkerConfig
from camunda_worker.engine import EngineServer
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .payloads import (
    FAR_TOO_DEEP,
    depth_of,
    nest,
    report_depth,
    wait_for_end,
)

STRATEGIES = ["async", "thread", "process"]

# Deeper than pydantic reads in one pass (the old parser gave up on the whole answer), shallow
# enough for the engine's Python API, json, pickle and copy.deepcopy.
DEEPER_THAN_PYDANTIC = 250


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxies(monkeypatch)  # the clients' fast lane is off when a proxy applies


def _worker_options(strategy: str) -> dict[str, Any]:
    options: dict[str, Any] = {"execution_strategy": strategy, "max_concurrent_jobs": 4}
    if strategy == "process":
        options.update(process_start_method="fork", process_pool_size=1)
    return options


# -- defect 2: one job the client cannot read in one pass ---------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_deeply_nested_job_does_not_take_its_batch_down(strategy: str) -> None:
    log = RecordingLogger()
    with EngineHarness() as harness:
        deep = harness.create_job("work", {"deep": nest(DEEPER_THAN_PYDANTIC), "n": 1})
        plain = harness.create_job("work", {"n": 2})
        worker = harness.start_worker(report_depth, "work", logger=log, **_worker_options(strategy))
        jobs = wait_for_end(harness, [deep, plain], log)
        assert worker.state is WorkerState.POLLING
    assert jobs[plain].lifecycle == "COMPLETED"
    assert jobs[plain].result_variables == {"depth": 0, "n": 2}
    # The deep one is read too (one job at a time, by a parser without pydantic's limit).
    assert jobs[deep].lifecycle == "COMPLETED"
    assert jobs[deep].result_variables == {"depth": DEEPER_THAN_PYDANTIC, "n": 1}
    assert not [line for line in log.lines if line.startswith("ERROR")]


WIRE_JOB: dict[str, Any] = {
    "type": "work",
    "processDefinitionId": "order",
    "processDefinitionVersion": 1,
    "elementId": "task",
    "customHeaders": {},
    "worker": "w",
    "retries": 3,
    "deadline": 4102444800000,
    "variables": {"n": 1},
    "tenantId": "<default>",
    "processInstanceKey": "2251799813685250",
    "processDefinitionKey": "2251799813685251",
    "elementInstanceKey": "2251799813685252",
}


def _raw_nest(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def unreadable_answer() -> bytes:
    """An activation answer with two good jobs around three no client can read."""
    good = json.dumps({**WIRE_JOB, "jobKey": "11"})
    later = json.dumps({**WIRE_JOB, "jobKey": "15", "variables": {"n": 5}})
    # Too deep for every JSON decoder of the standard library, and for pydantic's.
    deep = json.dumps({**WIRE_JOB, "jobKey": "12", "variables": {"n": 2, "deep": None}})
    deep = deep.replace('"deep": null', f'"deep": {_raw_nest(FAR_TOO_DEEP)}')
    wrong = json.dumps({**WIRE_JOB, "jobKey": "13", "retries": "three"})
    keyless = json.dumps(WIRE_JOB)
    return f'{{"jobs":[{good},{deep},{wrong},{keyless},{later}]}}'.encode()


class ScriptedActivations(httpx.AsyncBaseTransport):
    """A server that answers the first activation with ``first``, then nothing (long polls of
    50 ms), and records every acknowledgement."""

    def __init__(self, first: bytes) -> None:
        self._first: bytes | None = first
        self.acks: dict[str, tuple[str, dict[str, Any]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer an activation or record an acknowledgement."""
        path = request.url.path
        if path.endswith("/jobs/activation"):
            first, self._first = self._first, None
            if first is None:
                await asyncio.sleep(0.05)
                first = b'{"jobs":[]}'
            return httpx.Response(200, content=first, headers={"content-type": "application/json"})
        _, _, key, kind = path.rsplit("/", 3)
        self.acks[key] = (kind, json.loads(await request.aread() or b"{}"))
        return httpx.Response(204)


@pytest.mark.parametrize("strategy", ["async", "thread"])
def test_jobs_no_parser_can_read_are_failed_with_an_incident_and_the_others_run(
    strategy: str,
) -> None:
    log = RecordingLogger()
    server = ScriptedActivations(unreadable_answer())
    client = CamundaAsyncClient("http://camunda.invalid/v2", transport=server)
    worker = JobWorker(
        report_depth,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=8),
        client=client,
        settings=CamundaSettings(),
        execution_strategy=strategy,
        logger=log,
    )
    with worker:
        _wait(lambda: {"11", "12", "13", "15"} <= server.acks.keys())
        assert worker.state is WorkerState.POLLING
    asyncio.run(client.aclose())
    assert server.acks["11"] == ("completion", {"variables": {"depth": 0, "n": 1}})
    assert server.acks["15"] == ("completion", {"variables": {"depth": 0, "n": 5}})
    kind, failure = server.acks["12"]
    assert kind == "failure"
    assert failure["retries"] == 0  # reading it again cannot help: an incident shows it
    assert "cannot be read" in failure["errorMessage"]
    assert "'deep'" in failure["errorMessage"]
    assert "deep" in failure["errorMessage"]
    kind, failure = server.acks["13"]
    assert kind == "failure"
    assert failure["retries"] == 0
    assert "retries" in failure["errorMessage"]
    warnings = [line for line in log.lines if line.startswith("WARNING")]
    assert any("12" in line and "cannot be read" in line for line in warnings)
    assert any("13" in line and "cannot be read" in line for line in warnings)
    # The job without a key cannot be failed: said, not skipped silently.
    assert any("without a job key" in line for line in log.lines)


def _wait(condition: Any, timeout: float = 30.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError("the awaited condition never held")
        time.sleep(0.005)


# -- the clients: per-job parsing on every lane --------------------------------------------------


async def _activate_async(client: CamundaAsyncClient, most: int) -> Any:
    try:
        return await client.activate_jobs(
            job_type="work", max_jobs_to_activate=most, timeout=30_000, worker="w"
        )
    finally:
        await client.aclose()


def _lanes(url: str, most: int = 10) -> Iterator[tuple[str, Any]]:
    """Activate once through each way a client can send: the fast lane, httpx (async), sync."""
    lane = CamundaAsyncClient(url)
    assert lane._wire is not None
    yield "fast lane", asyncio.run(_activate_async(lane, most))
    through_httpx = CamundaAsyncClient(url, transport=httpx.AsyncHTTPTransport())
    assert through_httpx._wire is None
    yield "httpx", asyncio.run(_activate_async(through_httpx, most))
    with CamundaClient(url) as sync:
        yield (
            "sync",
            sync.activate_jobs(
                job_type="work", max_jobs_to_activate=most, timeout=30_000, worker="w"
            ),
        )


def test_every_client_lane_returns_the_readable_jobs_and_names_the_unreadable_ones() -> None:
    body = unreadable_answer()

    async def serve() -> list[tuple[str, Any]]:
        async with WireServer(answering(lambda _request: answer(200, body))) as server:
            url = f"{server.url}/v2"
            return await asyncio.to_thread(lambda: list(_lanes(url)))

    for lane, jobs in asyncio.run(serve()):
        assert [job.job_key for job in jobs] == ["11", "15"], lane
        unreadable = {job.job_key: job for job in jobs.unreadable}
        assert set(unreadable) == {"12", "13", None}, lane
        assert "'deep'" in unreadable["12"].reason, lane
        assert "retries" in unreadable["13"].reason, lane
        assert unreadable["12"].job_type == "work"


def test_every_client_lane_reads_jobs_the_engine_accepted_over_http() -> None:
    # 197 and 198 levels: the deepest the engine reads in a creation body, one level too deep
    # for pydantic in an activation answer (which wraps the variables in two more levels).
    with EngineServer() as server:
        server.app.engine.deploy([("order.bpmn", ORDER_BPMN.replace('"charge"', '"work"'))])
        with CamundaClient(server.url) as creator:
            for n, depth in enumerate([197, 198] * 3):
                creator.create_process_instance(
                    process_definition_id="order", variables={"deep": nest(depth), "n": n}
                )
        seen = dict(_lanes(server.url, most=2))
    for lane, jobs in seen.items():
        assert jobs.unreadable == (), lane
        assert [depth_of(job.variables["deep"]) for job in jobs] == [197, 198], lane
