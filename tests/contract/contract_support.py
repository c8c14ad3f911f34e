"""Contract-test support: the official OpenAPI specs, loaded once, and httpx adapters for them.

The specs live outside the repository, in ``<repo>/../shared/camunda-openapi`` (8.8, 8.9 and
8.10-dev, converted to OpenAPI 3.1 for Python validators). Every test here skips with a clear
reason when that folder is absent; the library itself never reads it.

- :class:`SpecChecker`: ``validate_request(version, request)``,
  ``validate_response(version, request, response)``, ``has_operation(...)``; each failure shows
  the validator's own explanation (the ``spec`` fixture holds one per session);
- :class:`Recorder`: an ``httpx`` transport (sync and async) that records every request and
  answers each with a canned, spec-valid 8.9 answer for its endpoint (the ``recorder`` fixture).

This module has a unique name so that test modules can import it (``from contract_support
import ...``) whatever other ``conftest`` modules pytest loads.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "camunda-openapi").resolve()
VERSIONS = ("8.8", "8.9", "8.10-dev")
BASE_URL = "http://localhost:8080/v2"
# 8.10 declares security on every operation: a request needs some Authorization header.
AUTH_HEADERS = {"Authorization": "Bearer contract-test"}


def require_specs() -> None:
    """Skip the calling test when the official specs are not next to the repository."""
    if not (SPEC_DIR / "8.9" / "rest-api.oas31.json").is_file():
        pytest.skip(
            f"official OpenAPI specs not found at {SPEC_DIR} (needs ../shared next to the repo)"
        )


def _patch_known_spec_defects(node: Any) -> Any:
    """Fix, in memory, places where the specs say something no server or client means.

    1. ``additionalProperties: false`` beside ``allOf`` (the search queries): in JSON Schema it
       rejects the properties the ``allOf`` brings (``page``), so no search body could ever be
       valid. ``unevaluatedProperties: false`` is what the authors mean, and 3.1 has it.
    2. ``SearchQueryPageRequest`` is a ``oneOf`` of limit, offset and cursor pagination whose
       members overlap (``{"limit": 10}`` matches two), so ``oneOf`` rejects every page; the
       server tries them in turn, i.e. ``anyOf``.
    3. Multipart parts declared ``type: string, format: binary`` (OpenAPI 3.0 style): openapi-core
       hands raw ``bytes`` to the 3.1 validator, which has no binary string. 3.1 describes
       binary parts with no ``type``; the part must still be present.
    4. 8.8's filter properties (``StringFilterProperty``...) say ``type: object`` beside a
       ``oneOf`` whose first member is an exact-match string, which rules out the exact match
       the 8.8 docs show (``"filter": {"type": "payment"}``); 8.9 dropped the ``type``.
    """
    if isinstance(node, list):
        return [_patch_known_spec_defects(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _patch_known_spec_defects(value) for key, value in node.items()}
    if node.get("additionalProperties") is False and "allOf" in node:
        del node["additionalProperties"]
        node["unevaluatedProperties"] = False
    if node.get("format") == "binary" and node.get("type") == "string":
        del node["type"]
    if node.get("type") == "object" and any(
        isinstance(member, dict) and member.get("type") not in (None, "object")
        for member in node.get("oneOf", ())
    ):
        del node["type"]
    return node


def _load(version: str) -> tuple[OpenAPI, dict[str, Any]]:
    raw = json.loads((SPEC_DIR / version / "rest-api.oas31.json").read_text())
    spec = _patch_known_spec_defects(raw)
    page = spec["components"]["schemas"].get("SearchQueryPageRequest")
    if page is not None and "oneOf" in page:
        page["anyOf"] = page.pop("oneOf")
    # The specs are Camunda's own; validating the spec itself costs ~9 s a version and proves
    # nothing about our client, so it is skipped.
    config = Config(
        spec_validator_cls=None,
        extra_media_type_deserializers={"application/problem+json": json.loads},
    )
    return OpenAPI(SchemaPath.from_dict(spec), config=config), spec


class OpenAPIRequest:
    """An httpx request seen through openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        return self._request.url.path

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.read() or None

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("content-type", ""))


class OpenAPIResponse:
    """An httpx response seen through openapi-core's response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def content_type(self) -> str:
        return str(self._response.headers.get("content-type", ""))

    @property
    def headers(self) -> Headers:
        return Headers(dict(self._response.headers))

    @property
    def data(self) -> bytes | None:
        return self._response.read() or None


def _explain(error: Exception) -> str:
    cause = error.__cause__
    details = [str(e).split("\n\n")[0] for e in getattr(cause, "schema_errors", ())]
    return f"{type(error).__name__}: {error}" + "".join(f"\n  - {d}" for d in details)


class SpecChecker:
    """Validates httpx requests and answers against the official specs, loaded lazily, once."""

    def __init__(self) -> None:
        self._loaded: dict[str, tuple[OpenAPI, dict[str, Any]]] = {}

    def api(self, version: str) -> OpenAPI:
        """The parsed spec of ``version`` (``"8.8"``, ``"8.9"``, ``"8.10-dev"``)."""
        if version not in self._loaded:
            self._loaded[version] = _load(version)
        return self._loaded[version][0]

    def document(self, version: str) -> dict[str, Any]:
        """The spec of ``version`` as a plain dict (with the known defects patched)."""
        self.api(version)
        return self._loaded[version][1]

    def has_operation(self, version: str, request: httpx.Request) -> bool:
        """Tell whether ``version`` declares the operation ``request`` calls."""
        paths = self.document(version)["paths"]
        return request.method.lower() in paths.get(template_of(request.url.path), {})

    def validate_request(self, version: str, request: httpx.Request) -> None:
        """Fail the test unless ``request`` (method, path, headers, body) is valid for ``version``."""
        try:
            self.api(version).validate_request(OpenAPIRequest(request))
        except Exception as error:  # openapi-core raises a family of errors; show any of them
            pytest.fail(
                f"{request.method} {request.url.path} violates the {version} spec: {_explain(error)}"
            )

    def validate_response(
        self, version: str, request: httpx.Request, response: httpx.Response
    ) -> None:
        """Fail the test unless ``response`` is a valid answer to ``request`` for ``version``."""
        try:
            self.api(version).validate_response(OpenAPIRequest(request), OpenAPIResponse(response))
        except Exception as error:
            pytest.fail(
                f"answer to {request.method} {request.url.path} violates the {version} spec: "
                f"{_explain(error)}"
            )


# Canned answers, valid for 8.9 (test_request_bodies checks them against the spec).
JOB_8_9: dict[str, Any] = {
    "type": "payment",
    "processDefinitionId": "order",
    "processDefinitionVersion": 3,
    "elementId": "charge",
    "customHeaders": {"region": "eu"},
    "worker": "contract-worker",
    "retries": 3,
    "deadline": 1767225600000,
    "variables": {"amount": 42},
    "tenantId": "<default>",
    "jobKey": "2251799813685249",
    "processInstanceKey": "2251799813685250",
    "processDefinitionKey": "2251799813685251",
    "elementInstanceKey": "2251799813685252",
    "kind": "BPMN_ELEMENT",
    "listenerEventType": "UNSPECIFIED",
    "userTask": None,
    "tags": ["priority:high"],
    "rootProcessInstanceKey": "2251799813685250",
}
PROCESS_INSTANCE: dict[str, Any] = {
    "processDefinitionId": "order",
    "processDefinitionName": "Order",
    "processDefinitionVersion": 3,
    "processDefinitionVersionTag": None,
    "startDate": "2026-01-01T00:00:00.000Z",
    "endDate": None,
    "state": "ACTIVE",
    "hasIncident": False,
    "tenantId": "<default>",
    "processInstanceKey": "2251799813685250",
    "processDefinitionKey": "2251799813685251",
    "parentProcessInstanceKey": None,
    "parentElementInstanceKey": None,
    "rootProcessInstanceKey": "2251799813685250",
    "tags": [],
    "businessId": None,
}
PAGE = {"totalItems": 1, "hasMoreTotalItems": False, "startCursor": None, "endCursor": None}
JOB_SEARCH_ITEM: dict[str, Any] = {
    "customHeaders": {},
    "elementId": "charge",
    "elementInstanceKey": "2251799813685252",
    "hasFailedWithRetriesLeft": False,
    "jobKey": "2251799813685249",
    "kind": "BPMN_ELEMENT",
    "listenerEventType": "UNSPECIFIED",
    "processDefinitionId": "order",
    "processDefinitionKey": "2251799813685251",
    "processInstanceKey": "2251799813685250",
    "retries": 3,
    "state": "CREATED",
    "tenantId": "<default>",
    "type": "payment",
    "worker": "contract-worker",
    "rootProcessInstanceKey": "2251799813685250",
    "creationTime": "2026-01-01T00:00:00.000Z",
    "deadline": None,
    "deniedReason": None,
    "endTime": None,
    "errorCode": None,
    "errorMessage": None,
    "isDenied": None,
    "lastUpdateTime": "2026-01-01T00:00:00.000Z",
}
_NO_CONTENT = (204, None)
CANNED: dict[tuple[str, str], tuple[int, Any]] = {
    ("POST", "/jobs/activation"): (200, {"jobs": [JOB_8_9]}),
    ("POST", "/jobs/{jobKey}/completion"): _NO_CONTENT,
    ("POST", "/jobs/{jobKey}/failure"): _NO_CONTENT,
    ("POST", "/jobs/{jobKey}/error"): _NO_CONTENT,
    ("PATCH", "/jobs/{jobKey}"): _NO_CONTENT,
    ("POST", "/jobs/search"): (200, {"items": [JOB_SEARCH_ITEM], "page": PAGE}),
    ("POST", "/deployments"): (
        200,
        {
            "deploymentKey": "2251799813685260",
            "tenantId": "<default>",
            "deployments": [
                {
                    "processDefinition": {
                        "processDefinitionId": "order",
                        "processDefinitionVersion": 3,
                        "resourceName": "order.bpmn",
                        "tenantId": "<default>",
                        "processDefinitionKey": "2251799813685251",
                    },
                    "decisionDefinition": None,
                    "decisionRequirements": None,
                    "form": None,
                    "resource": None,
                }
            ],
        },
    ),
    ("POST", "/process-instances"): (
        200,
        {
            "processDefinitionId": "order",
            "processDefinitionKey": "2251799813685251",
            "processDefinitionVersion": 3,
            "tenantId": "<default>",
            "variables": {},
            "processInstanceKey": "2251799813685250",
            "tags": [],
            "businessId": None,
        },
    ),
    ("GET", "/process-instances/{processInstanceKey}"): (200, PROCESS_INSTANCE),
    ("POST", "/process-instances/search"): (200, {"items": [PROCESS_INSTANCE], "page": PAGE}),
    ("POST", "/messages/publication"): (
        200,
        {"tenantId": "<default>", "messageKey": "2251799813685270"},
    ),
    ("GET", "/topology"): (
        200,
        {
            "brokers": [
                {
                    "nodeId": 0,
                    "host": "localhost",
                    "port": 26501,
                    "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                    "version": "8.9.0",
                }
            ],
            "clusterId": None,
            "clusterSize": 1,
            "partitionsCount": 1,
            "replicationFactor": 1,
            "gatewayVersion": "8.9.0",
            "lastCompletedChangeId": "-1",
        },
    ),
    ("GET", "/status"): _NO_CONTENT,
}


def template_of(path: str) -> str:
    """Map a concrete API path (``/v2/jobs/1/failure``) to its spec template (``/jobs/{jobKey}/failure``)."""
    parts = path.removeprefix("/v2").split("/")
    if len(parts) > 2 and parts[1] == "jobs" and parts[2].lstrip("-").isdigit():
        parts[2] = "{jobKey}"
    if len(parts) > 2 and parts[1] == "process-instances" and parts[2].isdigit():
        parts[2] = "{processInstanceKey}"
    return "/".join(parts)


class Recorder(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport for both clients that records requests and answers canned spec-valid bodies."""

    canned = CANNED

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def _answer(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        status, body = CANNED[(request.method, template_of(request.url.path))]
        if body is None:
            response = httpx.Response(status, request=request)
        else:
            response = httpx.Response(status, json=copy.deepcopy(body), request=request)
        self.responses.append(response)
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)
