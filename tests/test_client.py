"""Both clients, over httpx.MockTransport (and loopback sockets for real transport failures)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from camunda_worker import (
    BackpressureError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectError,
    ForbiddenError,
    NotFoundError,
    ProblemError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from camunda_worker._api.models import ActivatedJob
from camunda_worker._client import CamundaAsyncClient, CamundaClient

Handler = Callable[[httpx.Request], httpx.Response]

JOB = {
    "type": "payment",
    "processDefinitionId": "order",
    "processDefinitionVersion": 1,
    "elementId": "charge",
    "customHeaders": {},
    "worker": "w",
    "retries": 3,
    "deadline": 1,
    "variables": {"amount": 1},
    "tenantId": "<default>",
    "jobKey": "10",
    "processInstanceKey": "11",
    "processDefinitionKey": "12",
    "elementInstanceKey": "13",
    "kind": "BPMN_ELEMENT",
    "listenerEventType": "UNSPECIFIED",
}
INSTANCE = {
    "processDefinitionId": "order",
    "processDefinitionVersion": 1,
    "state": "ACTIVE",
    "tenantId": "<default>",
    "processInstanceKey": "11",
    "processDefinitionKey": "12",
}


class Run:
    """Calls one client method on a sync or an async client built around ``handler``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.requests: list[httpx.Request] = []

    def __call__(
        self,
        handler: Handler,
        method: str,
        *args: Any,
        client: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        def recording(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        options = {"transport": httpx.MockTransport(recording), **(client or {})}
        if self.kind == "sync":
            with CamundaClient(**options) as sync:
                return getattr(sync, method)(*args, **kwargs)

        async def main() -> Any:
            async with CamundaAsyncClient(**options) as aclient:
                return await getattr(aclient, method)(*args, **kwargs)

        return asyncio.run(main())

    @property
    def request(self) -> httpx.Request:
        [request] = self.requests
        return request


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Run:
    return Run(request.param)


def answer(status: int = 200, body: Any = None) -> Handler:
    if body is None:
        return lambda request: httpx.Response(status)
    return lambda request: httpx.Response(status, json=body)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


KEY = "2251799813685249"
# method, args, kwargs, answer, expected HTTP method, path (below /v2), JSON body
ENDPOINTS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any], Handler, str, str, Any]] = {
    "activate": (
        "activate_jobs",
        (),
        {
            "job_type": "payment",
            "max_jobs_to_activate": 5,
            "timeout": 30_000,
            "worker": "w",
            "request_timeout": 20_000,
            "fetch_variable": ["amount"],
            "tenant_ids": ["<default>"],
        },
        answer(200, {"jobs": [JOB]}),
        "POST",
        "/jobs/activation",
        {
            "type": "payment",
            "worker": "w",
            "timeout": 30_000,
            "maxJobsToActivate": 5,
            "requestTimeout": 20_000,
            "fetchVariable": ["amount"],
            "tenantIds": ["<default>"],
        },
    ),
    "complete": (
        "complete_job",
        (KEY, {"paid": True}),
        {},
        answer(204),
        "POST",
        f"/jobs/{KEY}/completion",
        {"variables": {"paid": True}},
    ),
    "complete-no-variables": (
        "complete_job",
        (KEY,),
        {},
        answer(204),
        "POST",
        f"/jobs/{KEY}/completion",
        {},
    ),
    "fail": (
        "fail_job",
        (KEY,),
        {"retries": 2, "error_message": "boom", "retry_back_off": 1000, "variables": {"a": 1}},
        answer(204),
        "POST",
        f"/jobs/{KEY}/failure",
        {"retries": 2, "retryBackOff": 1000, "errorMessage": "boom", "variables": {"a": 1}},
    ),
    "error": (
        "throw_job_error",
        (KEY,),
        {"error_code": "NOT_PAID", "error_message": "declined", "variables": {"a": 1}},
        answer(204),
        "POST",
        f"/jobs/{KEY}/error",
        {"errorCode": "NOT_PAID", "errorMessage": "declined", "variables": {"a": 1}},
    ),
    "update": (
        "update_job",
        (KEY,),
        {"retries": 4, "timeout": 60_000},
        answer(204),
        "PATCH",
        f"/jobs/{KEY}",
        {"changeset": {"retries": 4, "timeout": 60_000}},
    ),
    "search-jobs": (
        "search_jobs",
        (),
        {"filter": {"type": "payment"}, "limit": 5, "sort": [{"field": "deadline"}], "after": "c"},
        answer(200, {"items": [{**JOB, "state": "CREATED"}], "page": {"totalItems": 1}}),
        "POST",
        "/jobs/search",
        {
            "page": {"limit": 5, "after": "c"},
            "filter": {"type": "payment"},
            "sort": [{"field": "deadline"}],
        },
    ),
    "create": (
        "create_process_instance",
        (),
        {"process_definition_id": "order", "version": 2, "variables": {"a": 1}, "tenant_id": "t"},
        answer(200, {**INSTANCE, "variables": {}}),
        "POST",
        "/process-instances",
        {
            "processDefinitionId": "order",
            "processDefinitionVersion": 2,
            "variables": {"a": 1},
            "tenantId": "t",
        },
    ),
    "create-by-key-awaited": (
        "create_process_instance",
        (),
        {
            "process_definition_key": "12",
            "await_completion": True,
            "request_timeout": 5000,
            "fetch_variables": ["a"],
        },
        answer(200, {**INSTANCE, "variables": {"a": 2}}),
        "POST",
        "/process-instances",
        {
            "processDefinitionKey": "12",
            "awaitCompletion": True,
            "requestTimeout": 5000,
            "fetchVariables": ["a"],
        },
    ),
    "get-instance": (
        "get_process_instance",
        ("11",),
        {},
        answer(200, INSTANCE),
        "GET",
        "/process-instances/11",
        None,
    ),
    "search-instances": (
        "search_process_instances",
        (),
        {"filter": {"state": "ACTIVE"}},
        answer(200, {"items": [INSTANCE], "page": {"totalItems": 1}}),
        "POST",
        "/process-instances/search",
        {"page": {"limit": 100}, "filter": {"state": "ACTIVE"}},
    ),
    "search-incidents": (
        "search_incidents",
        (),
        {"filter": {"state": "ACTIVE"}, "limit": 5},
        answer(
            200,
            {
                "items": [{"incidentKey": 30, "errorType": "JOB_NO_RETRIES", "state": "ACTIVE"}],
                "page": {"totalItems": 1},
            },
        ),
        "POST",
        "/incidents/search",
        {"page": {"limit": 5}, "filter": {"state": "ACTIVE"}},
    ),
    "publish": (
        "publish_message",
        (),
        {
            "name": "paid",
            "correlation_key": "o-1",
            "variables": {"a": 1},
            "time_to_live": 1000,
            "message_id": "m",
            "tenant_id": "t",
        },
        answer(200, {"messageKey": "20", "tenantId": "t"}),
        "POST",
        "/messages/publication",
        {
            "name": "paid",
            "correlationKey": "o-1",
            "variables": {"a": 1},
            "timeToLive": 1000,
            "messageId": "m",
            "tenantId": "t",
        },
    ),
    "topology": (
        "topology",
        (),
        {},
        answer(
            200,
            {
                "brokers": [],
                "clusterSize": 1,
                "partitionsCount": 1,
                "replicationFactor": 1,
                "gatewayVersion": "8.9.0",
            },
        ),
        "GET",
        "/topology",
        None,
    ),
    "get-incident": (
        "get_incident",
        (KEY,),
        {},
        answer(200, {"incidentKey": KEY, "errorType": "JOB_NO_RETRIES", "state": "ACTIVE"}),
        "GET",
        f"/incidents/{KEY}",
        None,
    ),
    "search-element-instances": (
        "search_element_instances",
        (),
        {"filter": {"elementId": "charge"}, "limit": 3},
        answer(
            200,
            {
                "items": [
                    {
                        "elementInstanceKey": "13",
                        "elementId": "charge",
                        "type": "SERVICE_TASK",
                        "state": "ACTIVE",
                        "processInstanceKey": "11",
                    }
                ],
                "page": {"totalItems": 1},
            },
        ),
        "POST",
        "/element-instances/search",
        {"page": {"limit": 3}, "filter": {"elementId": "charge"}},
    ),
    "search-variables": (
        "search_variables",
        (),
        {"filter": {"name": "total"}},
        answer(
            200,
            {
                "items": [
                    {
                        "variableKey": "20",
                        "name": "total",
                        "value": "12",
                        "scopeKey": "11",
                        "processInstanceKey": "11",
                    }
                ]
            },
        ),
        "POST",
        "/variables/search",
        {"page": {"limit": 100}, "filter": {"name": "total"}},
    ),
    "search-user-tasks": (
        "search_user_tasks",
        (),
        {"filter": {"assignee": "ann"}, "sort": [{"field": "priority", "order": "DESC"}]},
        answer(200, {"items": [], "page": {"totalItems": 0}}),
        "POST",
        "/user-tasks/search",
        {
            "page": {"limit": 100},
            "filter": {"assignee": "ann"},
            "sort": [{"field": "priority", "order": "DESC"}],
        },
    ),
    "get-user-task": (
        "get_user_task",
        (KEY,),
        {},
        answer(
            200,
            {
                "userTaskKey": KEY,
                "state": "CREATED",
                "elementId": "approve",
                "elementInstanceKey": "13",
                "processInstanceKey": "11",
            },
        ),
        "GET",
        f"/user-tasks/{KEY}",
        None,
    ),
    "assign-user-task": (
        "assign_user_task",
        (KEY, "ann"),
        {"allow_override": False},
        answer(204),
        "POST",
        f"/user-tasks/{KEY}/assignment",
        {"assignee": "ann", "allowOverride": False},
    ),
    "unassign-user-task": (
        "unassign_user_task",
        (KEY,),
        {},
        answer(204),
        "DELETE",
        f"/user-tasks/{KEY}/assignee",
        None,
    ),
    "complete-user-task": (
        "complete_user_task",
        (KEY, {"approved": True}),
        {},
        answer(204),
        "POST",
        f"/user-tasks/{KEY}/completion",
        {"variables": {"approved": True}},
    ),
    "pin-clock": (
        "pin_clock",
        (1_700_000_000_000,),
        {},
        answer(204),
        "PUT",
        "/clock",
        {"timestamp": 1_700_000_000_000},
    ),
    "reset-clock": ("reset_clock", (), {}, answer(204), "POST", "/clock/reset", None),
    "status": ("status", (), {}, answer(204), "GET", "/status", None),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_sends_its_request_and_reads_its_answer(endpoint: str, run: Run) -> None:
    method, args, kwargs, handler, http_method, path, body = ENDPOINTS[endpoint]
    result = run(handler, method, *args, **kwargs)
    assert run.request.method == http_method
    assert run.request.url.path == "/v2" + path
    assert body_of(run.request) == body
    if method == "activate_jobs":
        assert [job.job_key for job in result] == ["10"]
        assert isinstance(result[0], ActivatedJob)
    elif method == "status":
        assert result is True
    elif http_method == "GET" or method.startswith(("search", "create", "publish")):
        assert result is not None
    else:
        assert result is None


def test_answers_are_parsed_into_models(run: Run) -> None:
    created = run(
        ENDPOINTS["create-by-key-awaited"][3],
        "create_process_instance",
        process_definition_key="12",
        await_completion=True,
    )
    assert (created.process_instance_key, created.variables) == ("11", {"a": 2})
    found = Run(run.kind)(
        answer(200, {"items": [INSTANCE], "page": {}}), "search_process_instances"
    )
    assert [item.state for item in found.items] == ["ACTIVE"]
    message = Run(run.kind)(
        answer(200, {"messageKey": 20, "tenantId": "t"}), "publish_message", name="m"
    )
    assert message.message_key == "20"


def test_deploy_resources_sends_multipart_from_bytes_text_and_paths(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "order.bpmn"
    path.write_bytes(b"<definitions id='order'/>")
    deployed = {
        "deploymentKey": "1",
        "tenantId": "t",
        "deployments": [
            {
                "processDefinition": {
                    "processDefinitionId": "order",
                    "processDefinitionVersion": 1,
                    "resourceName": "order.bpmn",
                    "tenantId": "t",
                    "processDefinitionKey": "2",
                }
            }
        ],
    }
    result = run(
        answer(200, deployed),
        "deploy_resources",
        [("a.bpmn", b"<a/>"), ("b.dmn", "<b/>"), path, str(path)],
        tenant_id="t",
    )
    request = run.request
    assert request.url.path == "/v2/deployments"
    assert request.headers["content-type"].startswith("multipart/form-data")
    content = request.content
    assert content.count(b'name="resources"') == 4
    for piece in (
        b'filename="a.bpmn"',
        b"<a/>",
        b'filename="b.dmn"',
        b"<b/>",
        b"<definitions id='order'/>",
    ):
        assert piece in content
    assert b'name="tenantId"' in content
    assert [p.process_definition_id for p in result.processes] == ["order"]


def test_job_keys_cannot_escape_their_path_segment(run: Run) -> None:
    run(answer(204), "complete_job", "1/../../topology")
    assert run.request.url.raw_path == b"/v2/jobs/1%2F..%2F..%2Ftopology/completion"


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("update_job", {"job_key": "1"}),
        ("create_process_instance", {}),
        ("create_process_instance", {"process_definition_id": "a", "process_definition_key": "1"}),
        ("deploy_resources", {"resources": []}),
    ],
)
def test_impossible_requests_are_refused_before_sending(
    run: Run, method: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"update_job|exactly one|at least one"):
        run(answer(204), method, **kwargs)
    assert run.requests == []


PROBLEMS = [
    (400, "INVALID_ARGUMENT", "no job type", BadRequestError),
    (401, "UNAUTHORIZED", "no token", UnauthorizedError),
    (403, "FORBIDDEN", "not allowed", ForbiddenError),
    (404, "NOT_FOUND", "job 1 not found", NotFoundError),
    (409, "INVALID_STATE", "job is failed", ConflictError),
    (429, "TOO_MANY_REQUESTS", "slow down", BackpressureError),
    (500, "INTERNAL", "RESOURCE_EXHAUSTED: queue full", BackpressureError),
    (503, "RESOURCE_EXHAUSTED", "backpressure", BackpressureError),
    (500, "INTERNAL", "boom", ServerError),
    (502, "ABORTED", "aborted", ServerError),
    (504, "DEADLINE_EXCEEDED", "slow", ServerError),
]


@pytest.mark.parametrize(("status", "title", "detail", "error"), PROBLEMS)
def test_problem_details_raise_the_matching_error(
    run: Run, status: int, title: str, detail: str, error: type[ProblemError]
) -> None:
    problem = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "/v2/jobs/1/completion",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=json.dumps(problem),
            headers={"content-type": "application/problem+json"},
        )

    with pytest.raises(error) as raised:
        run(handler, "complete_job", "1")
    assert (raised.value.status, raised.value.title, raised.value.detail) == (status, title, detail)
    assert raised.value.instance == "/v2/jobs/1/completion"
    assert raised.value.retryable == (error in (BackpressureError, ServerError))


def test_an_error_answer_without_problem_detail_still_maps(run: Run) -> None:
    with pytest.raises(ServerError) as raised:
        run(lambda request: httpx.Response(502, text="<html>bad gateway</html>"), "topology")
    assert raised.value.status == 502


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("refused"), ConnectError),
        (httpx.ConnectTimeout("slow connect"), ConnectError),
        (httpx.ReadTimeout("slow read"), RequestTimeoutError),
        (httpx.WriteTimeout("slow write"), RequestTimeoutError),
        (httpx.PoolTimeout("pool full"), RequestTimeoutError),
        (httpx.RemoteProtocolError("server hung up"), TransportError),
        (httpx.ReadError("reset"), TransportError),
    ],
)
def test_transport_failures_raise_retryable_transport_errors(
    run: Run, raised: httpx.TransportError, expected: type[TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    with pytest.raises(expected) as error:
        run(handler, "complete_job", "1")
    assert type(error.value) is expected
    assert error.value.__cause__ is raised
    assert error.value.retryable
    assert "/v2/jobs/1/completion" in str(error.value)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    # Listens (the kernel completes the handshake) but never answers.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_connection_refused_is_a_connect_error(run: Run, closed_port: int) -> None:
    base = f"http://127.0.0.1:{closed_port}/v2"
    real = httpx.HTTPTransport() if run.kind == "sync" else httpx.AsyncHTTPTransport()
    with pytest.raises(ConnectError, match=f"127.0.0.1:{closed_port}/v2/topology") as error:
        run(answer(200), "topology", client={"base_url": base, "transport": real})
    assert isinstance(error.value.__cause__, httpx.ConnectError)


def test_a_server_that_never_answers_is_a_request_timeout(run: Run, silent_server: int) -> None:
    base = f"http://127.0.0.1:{silent_server}/v2"
    real = httpx.HTTPTransport() if run.kind == "sync" else httpx.AsyncHTTPTransport()
    options = {"base_url": base, "transport": real, "timeout": 0.2}
    with pytest.raises(RequestTimeoutError) as error:
        run(answer(204), "complete_job", "1", client=options)
    assert isinstance(error.value.__cause__, httpx.ReadTimeout)


def _read_timeout(request: httpx.Request) -> float | None:
    read: float | None = request.extensions["timeout"]["read"]
    return read


@pytest.mark.parametrize(
    ("client_timeout", "request_timeout", "read"),
    [
        (None, 60_000, 62.0),  # long poll + 2 s margin
        # A poll that cannot be answered later than its requestTimeout is given up soon after:
        # not after the client's general read timeout (30 s), however long that is.
        (None, 1_000, 3.0),
        (120.0, 1_000, 3.0),
        # The server's default (unknown here, 10 s on Camunda) + 2 s, never below the client's.
        (None, None, 30.0),
        (None, 0, 30.0),
        (None, -1, 30.0),  # no long poll: the ordinary timeout
        (1.0, None, 12.0),
        (1.0, 0, 12.0),
        (1.0, 20_000, 22.0),
        (1.0, -1, 1.0),
    ],
)
def test_long_poll_read_timeout_is_the_request_timeout_plus_a_margin(
    run: Run, client_timeout: float | None, request_timeout: int | None, read: float
) -> None:
    run(
        answer(200, {"jobs": []}),
        "activate_jobs",
        job_type="t",
        max_jobs_to_activate=1,
        timeout=1000,
        worker="w",
        request_timeout=request_timeout,
        client={"timeout": client_timeout},
    )
    assert _read_timeout(run.request) == read
    timeouts = run.request.extensions["timeout"]
    assert timeouts["connect"] == (10.0 if client_timeout is None else client_timeout)


def test_default_timeouts_are_finite(run: Run) -> None:
    run(answer(204), "complete_job", "1")
    assert run.request.extensions["timeout"] == {
        "connect": 10.0,
        "read": 30.0,
        "write": 30.0,
        "pool": 30.0,
    }


def test_awaited_creation_read_timeout_outlasts_its_request_timeout(run: Run) -> None:
    handler = answer(200, {**INSTANCE, "variables": {}})
    run(
        handler,
        "create_process_instance",
        process_definition_id="p",
        await_completion=True,
        request_timeout=120_000,
    )
    run(handler, "create_process_instance", process_definition_id="p", request_timeout=120_000)
    awaited, plain = run.requests
    assert _read_timeout(awaited) == 122.0
    assert _read_timeout(plain) == 30.0


def test_infinite_client_timeout_stays_infinite_for_long_polls(run: Run) -> None:
    run(
        answer(200, {"jobs": []}),
        "activate_jobs",
        job_type="t",
        max_jobs_to_activate=1,
        timeout=1,
        worker="w",
        request_timeout=60_000,
        client={"timeout": httpx.Timeout(None)},
    )
    assert _read_timeout(run.request) is None


@pytest.mark.parametrize(("status", "ready"), [(204, True), (503, False)])
def test_status_tells_readiness(run: Run, status: int, ready: bool) -> None:
    assert run(answer(status), "status") is ready


def test_status_raises_on_other_errors(run: Run) -> None:
    with pytest.raises(ServerError):
        run(answer(500, {"title": "INTERNAL"}), "status")


def test_headers_auth_and_user_agent_are_sent(run: Run) -> None:
    run(
        answer(204),
        "complete_job",
        "1",
        client={"headers": {"X-Tenant": "a"}, "auth": httpx.BasicAuth("demo", "s3cret")},
    )
    headers = run.request.headers
    assert headers["x-tenant"] == "a"
    assert headers["authorization"].startswith("Basic ")
    assert headers["user-agent"].startswith("camunda-worker/")


@pytest.mark.parametrize("cls", [CamundaClient, CamundaAsyncClient])
def test_base_url_is_checked_and_shown_without_credentials(cls: type[Any]) -> None:
    client = cls("https://demo:s3cret@camunda.example.com:8443/v2/")
    assert client.base_url == "https://camunda.example.com:8443/v2"
    assert "s3cret" not in repr(client)
    assert cls().base_url == "http://localhost:8080/v2"
    for bad in ("localhost:8080/v2", "ftp://host/v2", "/v2"):
        with pytest.raises(ConfigurationError):
            cls(bad)
    for leaky in (
        "ftp://demo:s3cret@host/v2",
        "demo:s3cret@host:8080/v2",
        "http://demo:s3cret@[::1",
    ):
        with pytest.raises(ConfigurationError) as error:
            cls(leaky)
        assert "s3cret" not in str(error.value)
        assert error.value.variable == "base_url"


def test_one_async_client_serves_many_concurrent_tasks() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.split("/")[3])
        return httpx.Response(204)

    async def main() -> None:
        transport = httpx.MockTransport(handler)
        limits = httpx.Limits(max_connections=4)
        async with CamundaAsyncClient(transport=transport, limits=limits) as client:
            await asyncio.gather(*(client.complete_job(str(key)) for key in range(50)))

    asyncio.run(main())
    assert sorted(seen, key=int) == [str(key) for key in range(50)]


def test_a_closed_client_refuses_to_send() -> None:
    client = CamundaClient(transport=httpx.MockTransport(answer(204)))
    client.close()
    with pytest.raises(RuntimeError):
        client.complete_job("1")
