"""Health probes: liveness and readiness of real workers, and the HTTP endpoints that serve them."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import anyio
import pytest

from camunda_worker import CamundaAsyncClient, CamundaSettings, ForbiddenError, WorkerConfig
from camunda_worker.engine import AsyncInProcessTransport, Engine, EngineApp, FaultPlan
from camunda_worker.health import HealthReport, HealthServer, WorkerHealth, check
from camunda_worker.worker import JobWorker, WorkerState, WorkerStats

URL = "http://engine.test/v2"


@pytest.fixture
def engine() -> Iterator[Engine]:
    instance = Engine()
    yield instance
    instance.close()


def worker_for(client: CamundaAsyncClient, handler: Any = None, **config: Any) -> JobWorker:
    async def complete(job: Any) -> dict[str, Any]:
        return {}

    options = {"job_timeout_milliseconds": 30_000, "request_timeout_milliseconds": 100, **config}
    return JobWorker(
        handler or complete,
        WorkerConfig("work", **options),
        client=client,
        settings=CamundaSettings(),
    )


@pytest.fixture
def client(engine: Engine) -> Iterator[CamundaAsyncClient]:
    """A client into the engine, without sockets (used in one test's loop, closed after)."""
    instance = CamundaAsyncClient(URL, transport=AsyncInProcessTransport(EngineApp(engine)))
    yield instance
    asyncio.run(instance.aclose())


async def wait_for(predicate: Any) -> None:
    with anyio.fail_after(10):
        while not predicate():  # noqa: ASYNC110 - polling a condition the worker sets
            await anyio.sleep(0.005)


@pytest.mark.asyncio
async def test_a_polling_worker_is_live_and_ready(client: CamundaAsyncClient) -> None:
    async with worker_for(client) as worker:
        await wait_for(lambda: worker.last_successful_poll is not None)
        report = check([worker])
    assert report.live
    assert report.ready
    assert report.reasons() == []
    entry = report.to_dict()["workers"][0]
    assert entry["job_type"] == "work"
    assert entry["state"] == "polling"
    assert entry["max_concurrent_jobs"] == 10
    json.dumps(report.to_dict())  # what the endpoints send


@pytest.mark.asyncio
async def test_a_stopped_worker_is_neither_live_nor_ready(client: CamundaAsyncClient) -> None:
    async with worker_for(client) as worker:
        await wait_for(lambda: worker.state is WorkerState.POLLING)
    report = check([worker])
    assert not report.live
    assert not report.ready
    assert report.reasons() == ["work: stopped"]


def test_a_worker_not_started_yet_is_live_but_not_ready(client: CamundaAsyncClient) -> None:
    worker = worker_for(client)
    report = check([worker])
    assert report.live
    assert not report.ready
    assert report.workers[0].reason == "not started"
    assert check([]).to_dict()["reasons"] == ["no workers"]


@pytest.mark.asyncio
async def test_refused_credentials_make_it_fail_both_probes(engine: Engine) -> None:
    app = EngineApp(engine, basic_auth=("worker", "secret"))
    client = CamundaAsyncClient(URL, transport=AsyncInProcessTransport(app))
    async with client, worker_for(client) as worker:
        await wait_for(lambda: worker.state is WorkerState.FAILED)
        report = check([worker])
    assert not report.live
    assert not report.ready
    assert "authentication was refused" in (report.workers[0].reason or "")


@pytest.mark.asyncio
async def test_backing_off_is_live_but_not_ready(engine: Engine) -> None:
    faults = FaultPlan().script("activate", ["503"] * 100)
    app = EngineApp(engine, faults=faults)
    client = CamundaAsyncClient(URL, transport=AsyncInProcessTransport(app))
    async with client, worker_for(client) as worker:
        await wait_for(lambda: worker.state is WorkerState.BACKING_OFF)
        report = check([worker])
        faults.clear()
    assert report.live
    assert not report.ready
    assert report.workers[0].reason == "the last activation failed; retrying after a back-off"


@pytest.mark.asyncio
async def test_a_poll_loop_without_progress_is_not_live(client: CamundaAsyncClient) -> None:
    async with worker_for(client) as worker:
        await wait_for(lambda: worker.last_successful_poll is not None)
        later = datetime.now(timezone.utc) + timedelta(minutes=5)
        report = check([worker], now=later)
        tight = check([worker], liveness_bound_seconds=0.0, now=later)
    assert not report.live
    reason = report.workers[0].reason or ""
    assert "no successful activation for 3" in reason
    assert "(bound 10.3 s)" in reason  # 3 long polls of 0.1 s + the 10 s longest back-off
    assert not tight.live


@pytest.mark.asyncio
async def test_a_worker_whose_every_slot_is_busy_stays_live(
    engine: Engine, client: CamundaAsyncClient
) -> None:
    release = anyio.Event()

    async def hold(job: Any) -> None:
        await release.wait()

    engine.create_job("work")
    async with worker_for(client, hold, max_concurrent_jobs=1) as worker:
        await wait_for(lambda: worker.stats.in_flight == 1)
        report = check([worker], now=datetime.now(timezone.utc) + timedelta(hours=1))
        release.set()
    assert report.live
    assert report.workers[0].in_flight == 1


@pytest.mark.asyncio
async def test_a_worker_whose_first_activation_never_ends_is_not_live_after_the_bound(
    engine: Engine,
) -> None:
    started = datetime.now(timezone.utc) - timedelta(minutes=10)
    # The first activation does not long-poll; a server that holds it a minute anyway:
    faults = FaultPlan().latency(60_000, endpoint="activate")
    client = CamundaAsyncClient(
        URL, transport=AsyncInProcessTransport(EngineApp(engine, faults=faults))
    )
    async with client, worker_for(client) as worker:
        await wait_for(lambda: worker.state is WorkerState.POLLING)
        report = check([worker], started_at=started)
        fresh = check([worker], started_at=datetime.now(timezone.utc))
    assert not report.live
    assert "no activation yet for 600 s" in (report.workers[0].reason or "")
    assert fresh.live
    assert fresh.ready  # polling, nothing failed


class SilentClient:
    """A client whose activations never answer and never time out (a black hole, no timeout)."""

    base_url = URL

    def __init__(self) -> None:
        self.activations = 0

    async def activate_jobs(self, **kwargs: Any) -> list[Any]:
        self.activations += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        pass


@pytest.mark.asyncio
async def test_a_worker_whose_poll_is_overdue_is_not_ready_even_if_the_poll_never_times_out() -> (
    None
):
    silent = SilentClient()
    # requestTimeout 100 ms: the poll is overdue 100 ms + the margin after it was sent.
    async with worker_for(silent) as worker:  # type: ignore[arg-type]
        await wait_for(lambda: silent.activations == 1)
        assert worker.poll_in_flight_seconds is not None
        assert check([worker]).ready  # the long poll may still answer
        await wait_for(lambda: not check([worker]).ready)
        report = check([worker])
        assert worker.state is WorkerState.POLLING  # still waiting: nothing failed yet
    assert report.live  # not stuck long enough to be restarted
    reason = report.workers[0].reason or ""
    assert "unanswered" in reason
    assert "stalled" in reason


class FailedWorker:
    """What check() reads of a worker that a fatal error stopped."""

    job_type = "work"
    state = WorkerState.FAILED
    last_successful_poll = None
    stats = WorkerStats()
    config = WorkerConfig("work", max_concurrent_jobs=10, request_timeout_milliseconds=10_000)
    event_loop_block = None

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


def test_a_failed_worker_reports_its_error() -> None:
    forbidden = FailedWorker(ForbiddenError(403, "FORBIDDEN", "not allowed for tenant x"))
    report = check([forbidden, FailedWorker(None)])  # type: ignore[list-item]
    assert not report.live
    assert report.reasons()[0].startswith("work: failed: ForbiddenError: ")
    assert report.reasons()[1] == "work: failed"


class FullWorker:
    """What check() reads of a polling worker whose 4 slots are all taken, ``overdue`` of them
    by handlers running past their job's deadline; ``running`` handlers can run at once (fewer
    than the slots: the process strategy's pool)."""

    job_type = "work"
    state = WorkerState.POLLING
    error = None
    poll_in_flight_seconds = None
    config = WorkerConfig("work", max_concurrent_jobs=4, request_timeout_milliseconds=10_000)
    event_loop_block = None

    def __init__(self, overdue: int, running: int = 4) -> None:
        self.stats = WorkerStats(in_flight=4, free_capacity=0, overdue_handlers=overdue)
        self.handler_capacity = running
        self.last_successful_poll = datetime.now(timezone.utc) - timedelta(hours=1)


@pytest.mark.parametrize(
    ("overdue", "running", "ready"),
    [(0, 4, True), (3, 4, True), (4, 4, False), (1, 2, True), (2, 2, False)],
)
def test_a_worker_whose_every_running_handler_is_overdue_is_not_ready(
    overdue: int, running: int, ready: bool
) -> None:
    (entry,) = check([FullWorker(overdue, running)]).workers  # type: ignore[list-item]
    assert entry.live  # a restart would end handlers whose completion may still be accepted
    assert entry.ready is ready
    assert entry.to_dict()["overdue_handlers"] == overdue
    if not ready:
        assert entry.reason == (
            f"all {running} handler(s) that can run at once are running past their job's "
            "deadline: no other job can run until one returns"
        )


# -- the HTTP endpoints ------------------------------------------------------------------------


def entry(*, live: bool, ready: bool) -> WorkerHealth:
    return WorkerHealth(
        job_type="work",
        state=WorkerState.POLLING if ready else WorkerState.BACKING_OFF,
        live=live,
        ready=ready,
        reason=None if ready else "the last activation failed; retrying after a back-off",
        last_successful_poll=None,
        in_flight=0,
        max_concurrent_jobs=10,
    )


def get(url: str, method: str = "GET") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_endpoints_answer_200_or_503_with_the_reasons() -> None:
    current = [HealthReport((entry(live=True, ready=True),))]
    with HealthServer(lambda: current[0]) as server:
        assert server.port != 0
        status, body = get(f"{server.url}/readyz")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        current[0] = HealthReport((entry(live=True, ready=False),))
        assert get(f"{server.url}/livez")[0] == 200
        status, body = get(f"{server.url}/readyz")
        assert status == 503
        document = json.loads(body)
        assert document["status"] == "failing"
        assert document["reasons"] == [
            "work: the last activation failed; retrying after a back-off"
        ]
        assert get(f"{server.url}/healthz")[0] == 503
        assert get(f"{server.url}/readyz", method="HEAD") == (503, b"")
        assert get(f"{server.url}/metrics")[0] == 404


def test_the_server_reports_on_workers(client: CamundaAsyncClient) -> None:
    worker = worker_for(client)
    server = HealthServer([worker]).start()
    try:
        status, body = get(f"{server.url}/readyz")
    finally:
        server.stop()
        server.stop()  # idempotent
    assert status == 503
    assert json.loads(body)["reasons"] == ["work: not started"]


def test_extra_routes_are_served_beside_the_probes() -> None:
    with (
        HealthServer(
            [], routes={"/metrics": lambda: ("text/plain; version=0.0.4", b"up 1\n")}
        ) as s,
        urllib.request.urlopen(f"{s.url}/metrics", timeout=10) as answer,
    ):
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "text/plain; version=0.0.4"
        assert answer.read() == b"up 1\n"
