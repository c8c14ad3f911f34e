"""Fixtures of the engine's HTTP tests.

Every :class:`EngineApp` made through ``make_app`` (and so ``app``, ``client``, ``aclient``)
has its recorded answers validated against the official spec of its server line when the test
ends: a test fails when the engine sent an answer a real cluster could not have sent. Without
``../shared/camunda-openapi`` that check is off (``test_spec_responses.py`` then skips, saying
why).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from camunda_worker.engine import (
    AsyncInProcessTransport,
    Engine,
    EngineApp,
    InProcessTransport,
    ManualClock,
)

from .spec_check import app_errors, specs_available

BASE_URL = "http://engine.test/v2"

ORDER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_order"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="order" name="Order" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:serviceTask id="charge" name="Charge">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="charge" retries="3" />
        <zeebe:taskHeaders><zeebe:header key="currency" value="EUR" /></zeebe:taskHeaders>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="declined" attachedToRef="charge">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:errorEventDefinition id="declined_def" errorRef="error_declined" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="done" />
    <bpmn:sequenceFlow id="f3" sourceRef="declined" targetRef="rejected" />
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="rejected"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmn:error id="error_declined" name="Declined" errorCode="DECLINED" />
</bpmn:definitions>
"""
"""One service task ``charge`` (job type ``charge``) with an error boundary event ``DECLINED``."""


def activation(job_type: str = "charge", **fields: Any) -> dict[str, Any]:
    """A job activation body with sensible defaults (answers at once when nothing is there)."""
    body: dict[str, Any] = {
        "type": job_type,
        "maxJobsToActivate": 10,
        "timeout": 30_000,
        "worker": "test-worker",
        "requestTimeout": -1,
    }
    body.update(fields)
    return body


@pytest.fixture
def make_app() -> Iterator[Callable[..., EngineApp]]:
    """Build apps (``make_app(engine=None, **EngineApp options)``), spec-checked at the end."""
    apps: list[EngineApp] = []

    def make(engine: Engine | None = None, **options: Any) -> EngineApp:
        if engine is None:
            engine = Engine(server_line="8.9", clock=ManualClock())
        app = EngineApp(engine, **options)
        apps.append(app)
        return app

    yield make
    failures: list[str] = []
    for app in apps:
        app.close()
        if specs_available():
            failures.extend(app_errors(app))
        app.engine.close()
    if failures:
        pytest.fail("answers that break the spec:\n" + "\n".join(failures), pytrace=False)


@pytest.fixture
def app(make_app: Callable[..., EngineApp]) -> EngineApp:
    """An app around a fresh 8.9 engine with a manual clock."""
    return make_app()


@pytest.fixture
def engine(app: EngineApp) -> Engine:
    """The engine behind ``app``."""
    return app.engine


@pytest.fixture
def client(app: EngineApp) -> Iterator[httpx.Client]:
    """A sync httpx client talking to ``app`` in-process (base URL ends in ``/v2``)."""
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        yield client


@pytest_asyncio.fixture
async def aclient(app: EngineApp) -> AsyncIterator[httpx.AsyncClient]:
    """An async httpx client talking to ``app`` in-process."""
    transport = AsyncInProcessTransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def deployed(client: httpx.Client) -> dict[str, Any]:
    """The ``order`` process, deployed over HTTP; returns the deployment answer."""
    files = {"resources": ("order.bpmn", ORDER_BPMN.encode(), "application/xml")}
    response = client.post("/deployments", files=files)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document
