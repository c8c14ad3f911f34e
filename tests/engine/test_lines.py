"""Server lines: every document the core produces is valid for the chosen line's official spec
(8.8, 8.9, 8.10-dev) and carries exactly the fields that line knows."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.engine._runtime.clock import ManualClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.lines import SERVER_LINES, ServerLine, iso_time, problem_detail

from ._bpmn_samples import BOUNDARY, resource

SPEC_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "camunda-openapi").resolve()
FOLDERS = {"8.8": "8.8", "8.9": "8.9", "8.10": "8.10-dev"}
needs_specs = pytest.mark.skipif(
    not (SPEC_DIR / "8.9" / "rest-api.oas31.json").is_file(),
    reason=f"the official specs are not in {SPEC_DIR} (../shared/camunda-openapi)",
)


@functools.cache
def _spec(line: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / FOLDERS[line] / "rest-api.oas31.json").read_text())


def spec_errors(line: str, schema: str, document: Any) -> list[str]:
    """Validate against a component schema; also refuse fields the schema does not declare."""
    import jsonschema
    import referencing
    import referencing.jsonschema

    spec = _spec(line)
    contents = referencing.Resource.from_contents(
        spec, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry: referencing.Registry[Any] = referencing.Registry().with_resource("urn:spec", contents)
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:spec#/components/schemas/{schema}"}, registry=registry
    )
    errors = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)
    ]
    declared = _properties(spec, spec["components"]["schemas"][schema])
    errors += [
        f"undeclared field {name!r}" for name in document if declared and name not in declared
    ]
    return errors


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        target = part
        if "$ref" in part:
            target = spec["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]]
        names |= _properties(spec, target)
    return names


async def documents(line: ServerLine) -> dict[str, Any]:
    """One of every document the core answers with, for a line."""
    engine = Engine(clock=ManualClock(), server_line=line)
    deployment = engine.deploy(resource(BOUNDARY))
    created = engine.create_process_instance(process_definition_id="payment", variables={"a": 1})
    [job] = await engine.activate_jobs(
        job_type="pay", max_jobs_to_activate=1, timeout_ms=1_000, worker="w", request_timeout_ms=-1
    )
    engine.fail_job(job["jobKey"], retries=0, error_message="no")
    standalone = engine.create_job("other")
    engine.complete_job(standalone)
    return {
        "DeploymentResult": deployment,
        "CreateProcessInstanceResult": created,
        "ActivatedJobResult": job,
        "JobSearchQueryResult": engine.search_jobs(),
        "ProcessInstanceResult": engine.get_process_instance(created["processInstanceKey"]),
        "ProcessInstanceSearchQueryResult": engine.search_process_instances(),
        "TopologyResponse": engine.topology(),
        "MessagePublicationResult": engine.publish_message(name="m"),
        "ProblemDetail": problem_detail(line, 404, "NOT_FOUND", "gone", "/v2/jobs/1/completion"),
    }


@needs_specs
@pytest.mark.asyncio
@pytest.mark.parametrize("line", SERVER_LINES)
async def test_every_document_is_valid_for_its_line(line: ServerLine) -> None:
    failures = {
        schema: errors
        for schema, document in (await documents(line)).items()
        if (errors := spec_errors(line, schema, document))
    }
    assert failures == {}


@needs_specs
@pytest.mark.asyncio
@pytest.mark.parametrize("line", SERVER_LINES)
async def test_search_items_are_valid_for_their_line(line: ServerLine) -> None:
    found = await documents(line)
    for item in found["JobSearchQueryResult"]["items"]:
        assert spec_errors(line, "JobSearchResult", item) == []
    for item in found["ProcessInstanceSearchQueryResult"]["items"]:
        assert spec_errors(line, "ProcessInstanceResult", item) == []
    for item in found["DeploymentResult"]["deployments"]:
        assert spec_errors(line, "DeploymentMetadataResult", item) == []
    broker = found["TopologyResponse"]["brokers"][0]
    assert spec_errors(line, "BrokerInfo", broker) == []
    assert spec_errors(line, "Partition", broker["partitions"][0]) == []


@pytest.mark.asyncio
async def test_each_line_sends_its_own_activated_job_fields() -> None:
    fields = {line: set((await documents(line))["ActivatedJobResult"]) for line in SERVER_LINES}
    assert "userTask" not in fields["8.8"]
    assert "rootProcessInstanceKey" not in fields["8.8"]
    assert fields["8.9"] - fields["8.8"] == {"userTask", "rootProcessInstanceKey"}
    assert fields["8.10"] - fields["8.9"] == {
        "priority",
        "businessId",
        "leaseToken",
        "physicalTenantId",
    }


@pytest.mark.asyncio
async def test_8_8_leaves_out_absent_values_instead_of_sending_null() -> None:
    found = await documents("8.8")
    for item in found["JobSearchQueryResult"]["items"]:
        assert None not in item.values()
    assert None not in found["ProcessInstanceResult"].values()
    assert found["DeploymentResult"]["deployments"][0].keys() == {"processDefinition"}
    assert "clusterId" not in found["TopologyResponse"]
    assert "businessId" not in found["CreateProcessInstanceResult"]


@pytest.mark.asyncio
async def test_8_9_and_later_send_nullable_fields_as_null() -> None:
    found = await documents("8.9")
    job = found["ActivatedJobResult"]
    assert job["userTask"] is None
    assert job["rootProcessInstanceKey"] == job["processInstanceKey"]
    instance = found["ProcessInstanceResult"]
    assert instance["endDate"] is None
    assert instance["businessId"] is None
    assert "suspendedDate" not in instance
    assert (await documents("8.10"))["ProcessInstanceResult"]["suspendedDate"] is None


def test_times_are_formatted_as_camunda_does() -> None:
    assert iso_time(1_735_689_600_123) == "2025-01-01T00:00:00.123Z"
    assert iso_time(None) is None


def test_problem_details_carry_all_five_fields() -> None:
    document = problem_detail(
        "8.8", 409, "INVALID_STATE", "in state 'FAILED'", "/v2/jobs/1/completion"
    )
    assert document == {
        "type": "about:blank",
        "title": "INVALID_STATE",
        "status": 409,
        "detail": "in state 'FAILED'",
        "instance": "/v2/jobs/1/completion",
    }
