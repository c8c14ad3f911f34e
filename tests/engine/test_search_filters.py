"""Enum-valued search filters are refused as a cluster's gateway refuses them (400).

The engine's tables of enum-valued filter properties are checked against the official specs of
every server line, so every search endpoint's enums are the spec's.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp, InProcessTransport, ManualClock
from camunda_worker.engine._http.search_filters import enum_filters, sort_fields

from .conftest import BASE_URL
from .spec_check import SKIP_REASON, SPEC_DIR, SPEC_FOLDERS, specs_available

_JOB_STATES = enum_filters("8.9")["/v2/jobs/search"]["state"]


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _enum(spec: dict[str, Any], node: Any, depth: int = 0) -> list[str]:
    node = _resolve(spec, node)
    if depth > 6 or not isinstance(node, dict):
        return []
    if "enum" in node:
        return [value for value in node["enum"] if value is not None]
    found: list[str] = []
    for key in ("allOf", "anyOf", "oneOf"):
        for part in node.get(key, []):
            found += [value for value in _enum(spec, part, depth + 1) if value not in found]
    if not found and node.get("type") == "object":
        for operator in ("$eq", "$neq", "$in", "$notIn"):
            operand = node.get("properties", {}).get(operator)
            if operand is not None:
                operand = _resolve(spec, operand)
                values = _enum(spec, operand.get("items", operand), depth + 1)
                found += [value for value in values if value not in found]
    return found


def _properties(spec: dict[str, Any], schema: Any) -> dict[str, Any]:
    schema = _resolve(spec, schema)
    properties: dict[str, Any] = {}
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            properties.update(_properties(spec, part))
    properties.update(schema.get("properties", {}))
    return properties


def _spec_enums(
    folder: str,
) -> tuple[dict[str, dict[str, tuple[str, ...]]], dict[str, tuple[str, ...]]]:
    spec = json.loads((SPEC_DIR / folder / "rest-api.oas31.json").read_text())
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    sorts: dict[str, tuple[str, ...]] = {}
    for path, item in spec["paths"].items():
        operation = item.get("post")
        if not path.endswith("/search") or not operation or "requestBody" not in operation:
            continue
        body = _resolve(spec, operation["requestBody"])
        fields = _properties(spec, body["content"]["application/json"]["schema"])
        if "sort" in fields:
            criterion = _properties(spec, _resolve(spec, fields["sort"]).get("items", {}))
            sortable = _enum(spec, criterion.get("field", {}))
            assert _enum(spec, criterion.get("order", {})) == ["ASC", "DESC"]
            if sortable:
                sorts[f"/v2{path}"] = tuple(sortable)
        if "filter" not in fields:
            continue
        enums = {
            name: tuple(values)
            for name, schema in _properties(spec, fields["filter"]).items()
            if (values := _enum(spec, schema))
        }
        if enums:
            table[f"/v2{path}"] = enums
    return table, sorts


@pytest.mark.parametrize("line", sorted(SPEC_FOLDERS))
def test_the_tables_are_the_enums_of_the_spec(line: str) -> None:
    if not specs_available():
        pytest.skip(SKIP_REASON)
    expected, expected_sorts = _spec_enums(SPEC_FOLDERS[line])
    actual = {path: dict(fields) for path, fields in enum_filters(line).items()}
    assert actual == expected
    assert dict(sort_fields(line)) == expected_sorts
    assert "/v2/jobs/search" in actual


def _search(client: httpx.Client, path: str, filter_: dict[str, Any]) -> httpx.Response:
    return client.post(path, json={"filter": filter_})


@pytest.mark.parametrize(
    "filter_",
    [
        {"state": "FOO"},
        {"state": {"$eq": "FOO"}},
        {"state": {"$neq": "FOO"}},
        {"state": {"$in": ["CREATED", "FOO"]}},
        {"state": {"$notIn": ["FOO"]}},
        {"kind": "SERVICE_TASK"},
    ],
)
def test_job_search_refuses_a_value_outside_an_enum(
    client: httpx.Client, filter_: dict[str, Any]
) -> None:
    response = _search(client, "/jobs/search", filter_)

    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["title"] == "Bad Request"
    (field,) = filter_
    assert f"for enum field '{field}'. Use any of the following values: [" in problem["detail"]


def test_the_refusal_names_the_value_and_lists_the_values(client: httpx.Client) -> None:
    detail = _search(client, "/jobs/search", {"state": "FOO"}).json()["detail"]

    assert detail == (
        "Unexpected value 'FOO' for enum field 'state'. Use any of the following values: ["
        + ", ".join(_JOB_STATES)
        + "]"
    )


def test_a_wrong_json_type_in_an_enum_filter_cannot_be_parsed(client: httpx.Client) -> None:
    response = _search(client, "/jobs/search", {"state": 3})

    assert response.status_code == 400
    assert response.json()["detail"] == "Request property [filter.state] cannot be parsed"


@pytest.mark.parametrize(
    ("path", "filter_"),
    [
        ("/process-instances/search", {"state": "RUNNING"}),
        ("/incidents/search", {"errorType": "OOPS"}),
        ("/incidents/search", {"state": {"$in": ["DONE"]}}),
    ],
)
def test_every_search_endpoint_refuses_values_outside_its_enums(
    client: httpx.Client, path: str, filter_: dict[str, Any]
) -> None:
    response = _search(client, path, filter_)

    assert response.status_code == 400, response.text
    assert "Use any of the following values" in response.json()["detail"]


@pytest.mark.parametrize("state", _JOB_STATES)
def test_every_value_of_the_enum_is_accepted(client: httpx.Client, state: str) -> None:
    assert _search(client, "/jobs/search", {"state": state}).status_code == 200
    assert _search(client, "/jobs/search", {"state": {"$in": [state]}}).status_code == 200


def test_each_line_has_its_own_enums() -> None:
    engine = Engine(server_line="8.10", clock=ManualClock())
    with httpx.Client(transport=InProcessTransport(EngineApp(engine)), base_url=BASE_URL) as c:
        assert _search(c, "/jobs/search", {"state": "TIMEOUT_UPDATED"}).status_code == 200
    assert "TIMEOUT_UPDATED" not in _JOB_STATES


@given(st.text(max_size=20).filter(lambda value: value not in _JOB_STATES))
def test_any_other_string_is_refused(value: str) -> None:
    engine = Engine(server_line="8.9", clock=ManualClock())
    with httpx.Client(transport=InProcessTransport(EngineApp(engine)), base_url=BASE_URL) as c:
        response = _search(c, "/jobs/search", {"state": value})
    assert response.status_code == 400
    assert response.json()["title"] == "Bad Request"


@pytest.mark.parametrize(
    ("sort", "property_"),
    [
        ([{"field": "colour"}], "field"),
        ([{"field": "jobKey", "order": "UP"}], "order"),
        ([{"field": "jobKey"}, {"field": 7}], "sort[1].field"),
    ],
)
def test_a_sort_outside_the_spec_enums_is_refused(
    client: httpx.Client, sort: list[dict[str, Any]], property_: str
) -> None:
    response = client.post("/jobs/search", json={"sort": sort})

    assert response.status_code == 400, response.text
    assert property_ in response.json()["detail"]
