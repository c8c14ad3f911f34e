"""Shared helpers for the worker tests: a duck-typed fake client, job factories, waiting."""

from __future__ import annotations

import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from camunda_worker._api.models import ActivatedJob
from camunda_worker._client.retry import set_testing
from camunda_worker._config.settings import CamundaSettings


def make_job(
    key: str | int, *, retries: int = 3, job_type: str = "work", **variables: Any
) -> ActivatedJob:
    return ActivatedJob.model_validate(
        {
            "jobKey": str(key),
            "type": job_type,
            "processInstanceKey": "9000",
            "processDefinitionId": "process",
            "processDefinitionVersion": 1,
            "processDefinitionKey": "8000",
            "elementId": "task",
            "elementInstanceKey": "7000",
            "customHeaders": {},
            "worker": "test-worker",
            "retries": retries,
            "deadline": int(time.time() * 1000) + 60_000,
            "variables": variables,
            "tenantId": "<default>",
        }
    )


class FakeAsyncClient:
    """Answers activations from a thread-safe queue of jobs and records every acknowledgement.

    Usable from any event loop and thread. ``activation_errors`` / ``ack_errors`` script failures.
    """

    base_url = "http://fake.invalid/v2"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: deque[ActivatedJob] = deque()
        self.activations: list[dict[str, Any]] = []
        self.activation_errors: deque[BaseException] = deque()
        self.ack_errors: dict[str, deque[BaseException]] = {
            "complete": deque(),
            "fail": deque(),
            "error": deque(),
            "update": deque(),
        }
        self.completed: dict[str, Any] = {}
        self.failed: dict[str, dict[str, Any]] = {}
        self.thrown: dict[str, dict[str, Any]] = {}
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.ack_attempts: list[tuple[str, str]] = []
        self.closed = False
        self.latency = 0.0  # seconds each activation takes before answering

    def add(self, *jobs: ActivatedJob) -> None:
        with self.lock:
            self.queue.extend(jobs)

    async def activate_jobs(
        self, *, max_jobs_to_activate: int, request_timeout: int | None = None, **kwargs: Any
    ) -> list[ActivatedJob]:
        with self.lock:
            self.activations.append({"max_jobs_to_activate": max_jobs_to_activate, **kwargs})
            if self.activation_errors:
                raise self.activation_errors.popleft()
        if self.latency:
            await anyio.sleep(self.latency)
        give_up = time.monotonic() + min((request_timeout or 10_000) / 1000, 0.5)
        while True:
            with self.lock:
                if self.queue:
                    count = min(max_jobs_to_activate, len(self.queue))
                    return [self.queue.popleft() for _ in range(count)]
            if time.monotonic() >= give_up:
                return []
            await anyio.sleep(0.002)

    def _ack(self, kind: str, job_key: str) -> None:
        with self.lock:
            self.ack_attempts.append((kind, job_key))
            errors = self.ack_errors[kind]
            if errors:
                raise errors.popleft()

    async def complete_job(self, job_key: str, variables: Any = None) -> None:
        self._ack("complete", job_key)
        self.completed[job_key] = variables

    async def fail_job(self, job_key: str, **kwargs: Any) -> None:
        self._ack("fail", job_key)
        self.failed[job_key] = kwargs

    async def throw_job_error(self, job_key: str, **kwargs: Any) -> None:
        self._ack("error", job_key)
        self.thrown[job_key] = kwargs

    async def update_job(self, job_key: str, **kwargs: Any) -> None:
        self._ack("update", job_key)
        self.updates.append((job_key, kwargs))

    async def topology(self) -> Any:
        return types.SimpleNamespace(gateway_version="8.10.0-fake")

    async def aclose(self) -> None:
        self.closed = True

    def acknowledged(self) -> int:
        return len(self.completed) + len(self.failed) + len(self.thrown)


class FakeSyncClient:
    """The blocking twin, for thread handlers: records calls."""

    base_url = FakeAsyncClient.base_url

    def __init__(self) -> None:
        self.completed: dict[str, Any] = {}
        self.closed = False

    def complete_job(self, job_key: str, variables: Any = None) -> None:
        self.completed[job_key] = variables

    def close(self) -> None:
        self.closed = True


def fake_worker(
    fake: FakeAsyncClient,
    handler: Callable[..., Any],
    *,
    job_type: str = "work",
    **options: Any,
) -> Any:
    """A ``JobWorker`` of ``handler`` on ``fake`` (job timeout one minute), with ``options``."""
    from camunda_worker._config.worker_config import WorkerConfig
    from camunda_worker.worker import JobWorker

    return JobWorker(
        handler,
        WorkerConfig(job_type, job_timeout_milliseconds=60_000),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        **options,
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


async def await_until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    with anyio.fail_after(limit):
        while not predicate():  # noqa: ASYNC110 - polling a condition set by other threads
            await anyio.sleep(0.005)


@pytest.fixture
def fake() -> FakeAsyncClient:
    return FakeAsyncClient()


@pytest.fixture
def settings() -> CamundaSettings:
    """Settings that do not depend on the machine's environment."""
    return CamundaSettings(worker_timeout=30_000)


@pytest.fixture(autouse=True)
def _no_backoff_sleeps() -> Iterator[None]:
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture(autouse=True)
def _worker_warnings_on_stderr() -> Iterator[None]:
    """The library's warnings and errors go to stderr, which pytest shows for a failed test."""
    import sys

    from loguru import logger

    # A lambda: sys.stderr is looked up per record, so pytest captures it per test.
    sink = logger.add(lambda message: sys.stderr.write(message), level="WARNING")  # noqa: PLW0108
    logger.enable("camunda_worker")
    yield
    logger.disable("camunda_worker")
    logger.remove(sink)


# -- the in-memory engine ----------------------------------------------------------------------

ENGINE_URL = "http://engine.test/v2"


@pytest.fixture
def engine() -> Iterator[Any]:
    from camunda_worker.engine import Engine

    instance = Engine()
    yield instance
    instance.close()


@pytest.fixture
def engine_app(engine: Any) -> Any:
    from camunda_worker.engine import EngineApp

    return EngineApp(engine)


@pytest.fixture
def client(engine_app: Any) -> Iterator[Any]:
    """An async client into the engine, usable from any event loop (no sockets)."""
    import asyncio

    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker.engine import AsyncInProcessTransport

    instance = CamundaAsyncClient(ENGINE_URL, transport=AsyncInProcessTransport(engine_app))
    yield instance
    asyncio.run(instance.aclose())


@pytest.fixture
def sync_client(engine_app: Any) -> Iterator[Any]:
    from camunda_worker._client import CamundaClient
    from camunda_worker.engine import InProcessTransport

    transport = InProcessTransport(engine_app)
    instance = CamundaClient(ENGINE_URL, transport=transport)
    yield instance
    instance.close()
    transport.close()
