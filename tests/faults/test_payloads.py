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
import dataclasses
import functools
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testing.bpmn import ORDER_BPMN
from wire_servers import WireServer, answer, answering, clear_proxies

from camunda_worker import (
    BadRequestError,
    CamundaAsyncClient,
    CamundaClient,
    CamundaSettings,
    WorkerConfig,
)
from camunda_worker.engine import AsyncInProcessTransport, EngineServer, JobView
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .payloads import (
    ECHO,
    FAR_TOO_DEEP,
    BodyLimit,
    depth_of,
    nest,
    report_depth,
    respond,
    respond_async,
    results,
    seen,
    unsendable,
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
    assert f"variable 'deep' nests {FAR_TOO_DEEP} levels deep" in failure["errorMessage"]
    kind, failure = server.acks["13"]
    assert kind == "failure"
    assert failure["retries"] == 0
    assert "retries" in failure["errorMessage"]
    warnings = [line for line in log.lines if line.startswith("WARNING")]
    assert any("job 12 cannot be read" in line for line in warnings)
    assert any("job 13 cannot be read" in line for line in warnings)
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


# -- defect 7: a result that cannot be sent ------------------------------------------------------

# What each unsendable result is, and what its job's failure message must say.
UNSENDABLE = {
    "deep": ["variable 'items'", "levels"],
    "engine-deep": ["refused", "400", "the deepest variable is 'items' (250 levels)"],
    "nan": ["variable 'ratio'", "NaN"],
    "infinite-model": ["variable 'ratio'", "Infinity"],
    "set": ["variable 'tags'", "set"],
    "object": ["variable 'thing'", "object"],
    "surrogate": ["variable 'text'", "surrogate"],
    "bytes": ["variable 'raw'", "bytes"],
    "bpmn-deep": ["variable 'items'", "levels"],
    "failure-deep": ["variable 'items'", "levels"],
    # The handler's exception text itself cannot be encoded: the failure goes with a '?' for it.
    "surrogate-error": ["ValueError: caf? is not valid Unicode"],
}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_result_that_cannot_be_sent_fails_its_job_with_a_message(strategy: str) -> None:
    log = RecordingLogger()
    kinds = {**UNSENDABLE}
    if strategy == "process":  # JSON can encode it, pickle cannot bring it back from a child
        kinds["unpicklable"] = ["variable 'thing'", "child process"]
    with EngineHarness() as harness:
        keys = {
            make: harness.create_job("results", {"make": make}, retries=1)
            for make in [*kinds, "ok"]
        }
        worker = harness.start_worker(
            unsendable,
            "results",
            logger=log,
            **{**_worker_options(strategy), "max_concurrent_jobs": 16},
        )
        jobs = wait_for_end(harness, keys.values(), log)
        assert worker.state is WorkerState.POLLING
    assert jobs[keys["ok"]].lifecycle == "COMPLETED"
    assert jobs[keys["ok"]].result_variables == {"ok": True}
    for make, fragments in kinds.items():
        job = jobs[keys[make]]
        assert (job.lifecycle, job.retries) == ("FAILED", 0), (make, job)
        assert job.incident_key is not None, make
        for fragment in fragments:
            assert fragment in (job.error_message or ""), (make, fragment, job.error_message)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_result_the_server_refuses_as_too_large_fails_its_job(strategy: str) -> None:
    log = RecordingLogger()
    with EngineHarness() as harness:
        keys = {
            make: harness.create_job("results", {"make": make}, retries=1)
            for make in ["big", "big-error", "big-failure", "ok"]
        }
        limited = BodyLimit(AsyncInProcessTransport(harness.app), limit=64 * 1024)
        client = CamundaAsyncClient("http://camunda.invalid/v2", transport=limited)
        worker = JobWorker(
            unsendable,
            WorkerConfig(
                job_type="results", job_timeout_milliseconds=30_000, max_concurrent_jobs=8
            ),
            client=client,
            settings=CamundaSettings(),
            logger=log,
            **{
                key: value
                for key, value in _worker_options(strategy).items()
                if key != "max_concurrent_jobs"
            },
        )
        with worker:
            jobs = wait_for_end(harness, keys.values(), log)
            assert worker.state is WorkerState.POLLING
        asyncio.run(client.aclose())
    assert jobs[keys["ok"]].lifecycle == "COMPLETED"
    assert len(limited.refused) == 3
    for make in ["big", "big-error"]:
        job = jobs[keys[make]]
        assert (job.lifecycle, job.retries) == ("FAILED", 0), (make, job)
        assert "413" in (job.error_message or ""), make
        assert "refused" in (job.error_message or ""), make
        assert "the largest variable is 'blob'" in (job.error_message or ""), make
    # A failure whose variables are refused is sent again without them, as the handler meant it.
    failed = jobs[keys["big-failure"]]
    assert (failed.lifecycle, failed.retries) == ("FAILED", 0)
    assert (failed.error_message or "").startswith("the handler failed")
    assert "413" in (failed.error_message or "")
    assert not failed.result_variables


# -- properties: any shape, depth, size, and what is not JSON at all ----------------------------
#
# One worker per strategy serves every example (a worker per example would cost more than the
# examples). Its handler returns what the example registered in ``payloads.results`` under the
# job's ``case``, so the strategies here are those that run handlers in this process: the
# ``process`` strategy's children are forked before the examples register anything (its
# pickling is covered by the tests above).

_cases = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Deep:
    """A value ``depth`` objects (or arrays) deep, built when the test runs: hypothesis shows
    ``Deep(depth=150, array=False)`` for a failing example instead of recursing into it."""

    depth: int
    array: bool = False

    def build(self) -> Any:
        """The nested value."""
        if not self.array:
            return nest(self.depth)
        return functools.reduce(lambda value, _: [value], range(self.depth), 0)


@dataclasses.dataclass(frozen=True)
class Bad:
    """A value no encoder can send, what its failure message must say, and where it hides:
    ``path`` wraps it in objects (a text step) and arrays (a number step)."""

    says: str
    make: Callable[[], Any] = dataclasses.field(repr=False)
    shown: str
    path: tuple[str | int, ...] = ()

    def build(self) -> Any:
        """The value, wrapped in its path."""
        value = self.make()
        for step in reversed(self.path):
            value = {step: value} if isinstance(step, str) else [value] * (step % 3 + 1)
        return value


def built(variables: dict[str, Any]) -> dict[str, Any]:
    """``variables`` with every :class:`Deep` or :class:`Bad` replaced by its value."""
    return {
        name: value.build() if isinstance(value, Deep | Bad) else value
        for name, value in variables.items()
    }


# Variable names: any text the encoder takes (a lone surrogate is not valid Unicode).
NAMES = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
# Any JSON shape, and the extremes: as deep as the engine reads in a completion (it parses at
# most 200 levels; the body and its ``variables`` take two, the value's own leaf one), and large.
JSON_VALUES = st.one_of(
    st.recursive(
        SCALARS,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5)
        ),
        max_leaves=25,
    ),
    st.builds(Deep, st.integers(1, 197), st.booleans()),
    st.integers(0, 200_000).map(lambda size: "é" * size),
)


def _circular() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def _bad(says: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Bad]:
    return values.map(lambda value: Bad(says, lambda: value, repr(value)))


# What no encoder can send, and what the failure message must say about it.
NOT_JSON = st.one_of(
    _bad("NaN", st.just(math.nan)),
    _bad("Infinity", st.sampled_from([math.inf, -math.inf])),
    _bad("frozenset", st.frozensets(st.integers(), max_size=3)),
    _bad("set", st.sets(st.integers(), max_size=3)),
    _bad("bytes", st.binary(max_size=8)),
    _bad("complex", st.complex_numbers()),
    _bad("Decimal", st.decimals(allow_nan=False)),
    _bad("object", st.builds(object)),
    _bad("lone surrogate", st.just("x\ud800y")),
    st.just(Bad("refers to itself", _circular, "a list holding itself")),
    st.integers(2_000, 6_000).map(
        lambda depth: Bad("levels", lambda: nest(depth), f"nest({depth})")
    ),
)
# Where it hides: the variable itself, or deep inside JSON around it.
BURIED = st.builds(
    lambda bad, path: dataclasses.replace(bad, path=tuple(path)),
    NOT_JSON,
    st.lists(st.text(max_size=3) | st.integers(0, 5), max_size=4),
)


# One service task of type ``prop``, one retry: a failure with retries - 1 is an incident.
PROP_BPMN = (
    ORDER_BPMN.replace('"charge"', '"prop"')
    .replace('"order"', '"prop-order"')
    .replace('retries="3"', 'retries="1"')
)


@pytest.fixture(scope="module")
def plain_harness() -> Iterator[EngineHarness]:
    """An engine with the ``prop-order`` process and no worker."""
    with EngineHarness(bpmn=[PROP_BPMN]) as harness:
        yield harness


@pytest.fixture(scope="module", params=["async", "thread"])
def property_worker(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[EngineHarness, RecordingLogger]]:
    """A worker of job type ``prop`` that returns each case's registered result."""
    log = RecordingLogger()
    handler = respond_async if request.param == "async" else respond
    with EngineHarness(bpmn=[PROP_BPMN]) as harness:
        harness.start_worker(
            handler,
            "prop",
            execution_strategy=request.param,
            max_concurrent_jobs=8,
            logger=log,
        )
        yield harness, log
        assert harness.workers[0].state is WorkerState.POLLING


PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _run_case(harness: EngineHarness, log: RecordingLogger, result: Any) -> JobView:
    case = next(_cases)
    results[case] = result
    try:
        instance = harness.start_instance("prop-order", {"case": case})
        (job,) = harness.jobs(process_instance_key=instance)
        return wait_for_end(harness, [job.key], log, process_instance_key=instance)[job.key]
    finally:
        del results[case]


@PROPERTY_SETTINGS
@given(result=st.dictionaries(NAMES, JSON_VALUES, max_size=4))
def test_any_json_result_completes_and_the_engine_holds_exactly_it(
    property_worker: tuple[EngineHarness, RecordingLogger], result: dict[str, Any]
) -> None:
    harness, log = property_worker
    sent = built(result)
    job = _run_case(harness, log, sent)
    assert job.lifecycle == "COMPLETED", job.error_message
    assert (job.result_variables or {}) == sent


@PROPERTY_SETTINGS
@given(
    good=st.dictionaries(NAMES, JSON_VALUES, max_size=3),
    name=NAMES,
    bad=BURIED,
)
def test_any_result_holding_what_json_cannot_carry_fails_its_job_naming_it(
    property_worker: tuple[EngineHarness, RecordingLogger],
    good: dict[str, Any],
    name: str,
    bad: Bad,
) -> None:
    harness, log = property_worker
    job = _run_case(harness, log, built({**good, name: bad}))
    assert (job.lifecycle, job.retries) == ("FAILED", 0), job
    assert job.incident_key is not None
    message = job.error_message or ""
    if bad.says == "levels" and (
        "the server refused it (400" in message or "cannot be encoded as JSON" in message
    ):
        # How deep the encoder reaches depends on the interpreter's recursion limit (hypothesis
        # raises it while an example runs) and on how deep in the stack it runs: encoded, the
        # value is refused by the engine; or the handler's check passes it and the client's
        # encoding, deeper in the stack, does not.
        return
    assert f"variable {name!r}" in message
    assert bad.says in message, message  # the reason in the user's words


@PROPERTY_SETTINGS
@given(
    variables=st.dictionaries(NAMES.filter(lambda name: name != "case"), JSON_VALUES, max_size=4)
)
def test_any_json_variables_reach_the_handler_and_the_instance_unchanged(
    property_worker: tuple[EngineHarness, RecordingLogger], variables: dict[str, Any]
) -> None:
    harness, log = property_worker
    case = next(_cases)
    results[case] = ECHO
    sent = {**built(variables), "case": case}
    try:
        created = harness.client().create_process_instance(
            process_definition_id="prop-order", variables=sent
        )
        instance = created.process_instance_key
        (job,) = harness.jobs(process_instance_key=instance)
        ended = wait_for_end(harness, [job.key], log, process_instance_key=instance)[job.key]
    finally:
        del results[case]
    assert ended.lifecycle == "COMPLETED", ended.error_message
    assert seen.pop(case) == sent  # what the handler read, through the activation answer
    assert harness.variables(created.process_instance_key) == {**sent, "echoed": True}


@PROPERTY_SETTINGS
@given(name=NAMES, bad=BURIED)
def test_variables_json_cannot_carry_never_create_an_instance(
    plain_harness: EngineHarness, name: str, bad: Bad
) -> None:
    harness = plain_harness
    before = len(harness.instances())
    # Refused by the client's encoder, or (nested deeper than the engine reads but not deeper
    # than the recursion limit lets the encoder go) by the engine.
    with pytest.raises((TypeError, ValueError, RecursionError, BadRequestError)):
        harness.client().create_process_instance(
            process_definition_id="prop-order", variables=built({name: bad})
        )
    assert len(harness.instances()) == before
