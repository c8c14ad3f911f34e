"""``createProcessInstance`` with ``awaitCompletion``: every end a cluster's gateway gives it.

A cluster answers 200 with the final variables when the instance completes in time, and 504
``DEADLINE_EXCEEDED`` when the request timeout passes first. A cancelled or terminated instance
sends no result (Zeebe's process processor sends one on completion only), so the gateway's
request waits for its timeout and answers 504 as well. Shown in-process (sync and async
transports) and over TCP.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from camunda_worker.engine import EngineApp, EngineServer

from .conftest import ORDER_BPMN

_AWAIT = {"processDefinitionId": "order", "awaitCompletion": True}


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.usefixtures("deployed")
def test_a_timed_out_wait_is_a_504_in_process(client: httpx.Client) -> None:
    response = client.post("/process-instances", json={**_AWAIT, "requestTimeout": 30})

    assert response.status_code == 504, response.text
    problem = _problem(response)
    assert problem["title"] == "DEADLINE_EXCEEDED"
    assert problem["instance"] == "/v2/process-instances"


@pytest.mark.asyncio
@pytest.mark.usefixtures("deployed")
async def test_a_timed_out_wait_is_a_504_through_the_async_transport(
    aclient: httpx.AsyncClient,
) -> None:
    response = await aclient.post("/process-instances", json={**_AWAIT, "requestTimeout": 30})

    assert response.status_code == 504, response.text
    assert _problem(response)["title"] == "DEADLINE_EXCEEDED"


@pytest.mark.asyncio
@pytest.mark.usefixtures("deployed")
async def test_an_instance_cancelled_while_awaited_is_a_504_not_a_500(
    aclient: httpx.AsyncClient, app: EngineApp
) -> None:
    waiting = asyncio.ensure_future(
        aclient.post("/process-instances", json={**_AWAIT, "requestTimeout": 1_000})
    )
    keys: list[str] = []
    for _ in range(500):
        keys = [i["processInstanceKey"] for i in app.engine.search_process_instances(None)["items"]]
        if keys:
            break
        await asyncio.sleep(0.01)
    cancelled = await aclient.post(f"/process-instances/{keys[0]}/cancellation")
    assert cancelled.status_code == 204, cancelled.text

    response = await asyncio.wait_for(waiting, timeout=30)

    assert response.status_code == 504, response.text
    assert _problem(response)["title"] == "DEADLINE_EXCEEDED"


def test_an_instance_cancelled_while_awaited_is_a_504_over_tcp(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app()
    files = {"resources": ("order.bpmn", ORDER_BPMN.encode(), "application/xml")}
    answers: list[httpx.Response] = []
    with EngineServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        client.post("/deployments", files=files)

        def wait() -> None:
            body = {**_AWAIT, "requestTimeout": 1_000}
            answers.append(client.post("/process-instances", json=body))

        thread = threading.Thread(target=wait)
        thread.start()
        keys: list[str] = []
        for _ in range(500):
            found = client.post("/process-instances/search", json={}).json()["items"]
            keys = [item["processInstanceKey"] for item in found]
            if keys:
                break
            threading.Event().wait(0.01)
        assert client.post(f"/process-instances/{keys[0]}/cancellation").status_code == 204
        thread.join(30)

    (response,) = answers
    assert response.status_code == 504, response.text
    assert _problem(response)["title"] == "DEADLINE_EXCEEDED"
