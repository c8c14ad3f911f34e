"""Helpers of the engine's REST read-side tests: deploy, start, read a search's items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

MODELS = Path(__file__).parent / "models"
USER_TASK_BPMN = (MODELS / "user-task.bpmn").read_bytes()
MESSAGE_CATCH_BPMN = (MODELS / "message-catch.bpmn").read_bytes()


def deploy(client: httpx.Client, name: str, xml: bytes) -> dict[str, Any]:
    response = client.post("/deployments", files={"resources": (name, xml, "application/xml")})
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def start(client: httpx.Client, process_id: str, **variables: Any) -> str:
    response = client.post(
        "/process-instances", json={"processDefinitionId": process_id, "variables": variables}
    )
    assert response.status_code == 200, response.text
    key: str = response.json()["processInstanceKey"]
    return key


def items(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def user_task_of(client: httpx.Client, instance: str) -> dict[str, Any]:
    (task,) = items(
        client.post("/user-tasks/search", json={"filter": {"processInstanceKey": instance}})
    )
    return task
