"""An activated job as the worker gets it from an activation, for the benchmarks without network."""

from __future__ import annotations

from typing import Any

from camunda_worker._api.models import ActivatedJob


def activated_job(key: int, variables: dict[str, Any]) -> ActivatedJob:
    """Job ``key`` of type ``bench`` with ``variables``, read as an activation answer is."""
    return ActivatedJob.model_validate(
        {
            "jobKey": str(key),
            "type": "bench",
            "processInstanceKey": "9000",
            "processDefinitionId": "process",
            "processDefinitionVersion": 1,
            "processDefinitionKey": "8000",
            "elementId": "task",
            "elementInstanceKey": "7000",
            "customHeaders": {},
            "worker": "bench",
            "retries": 3,
            "deadline": 0,
            "variables": variables,
            "tenantId": "<default>",
        }
    )
