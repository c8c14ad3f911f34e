"""``CamundaAsyncClient`` on the fast lane: what the server reads, and the errors users see.

Each test runs the client against a raw loopback server (:mod:`wire_servers`) that records the
request as it arrived, and compares with what httpx sends for the same call.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from wire_servers import Peer, Request, WireServer, answer, answering, clear_proxies, closed_port

from camunda_worker import (
    BasicAuth,
    CamundaAsyncClient,
    CamundaClient,
    ConfigurationError,
    ConnectError,
    OAuthClientCredentials,
    RequestTimeoutError,
    TransportError,
    UnauthorizedError,
)
from camunda_worker._api.endpoints import complete_job
from camunda_worker._transport.http import build_request

PASSWORD = "s3cret-pa55word"


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane is off when a proxy applies."""
    clear_proxies(monkeypatch)


# -- authentication on the lane ------------------------------------------------------------


@pytest_asyncio.fixture
async def recorder() -> AsyncIterator[WireServer]:
    """A raw server that answers 204 to everything and records each request."""
    async with WireServer(answering(answer(204))) as server:
        yield server


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("userinfo", "options", "authorization"),
    [
        ("", {"auth": BasicAuth("demo", PASSWORD)}, basic("demo", PASSWORD)),
        ("demo:p%40ss@", {}, basic("demo", "p@ss")),  # httpx sends the URL's user info
        ("", {"headers": {"Authorization": "Bearer static"}}, "Bearer static"),
        (
            "",
            {"auth": BasicAuth("demo", PASSWORD), "headers": {"Authorization": "Bearer x"}},
            basic("demo", PASSWORD),
        ),
        ("", {}, None),
    ],
    ids=["basic-auth", "url-userinfo", "static-header", "auth-wins", "none"],
)
async def test_the_authorization_header_is_sent_as_httpx_would(
    recorder: WireServer, userinfo: str, options: dict[str, Any], authorization: str | None
) -> None:
    url = f"http://{userinfo}127.0.0.1:{recorder.port}/v2"
    async with CamundaAsyncClient(url, **options) as lane:
        assert lane._wire is not None
        await lane.complete_job("1")
    async with CamundaAsyncClient(url, transport=httpx.AsyncHTTPTransport(), **options) as http:
        await http.complete_job("1")

    on_lane, through_httpx = recorder.requests
    assert on_lane.all("Authorization") == through_httpx.all("Authorization")
    assert on_lane.headers.get("authorization") == authorization


class TokenEndpoint:
    """An OAuth token endpoint behind ``httpx.MockTransport``: issues token-1, token-2..."""

    def __init__(self) -> None:
        self.issued = 0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        token = {"access_token": f"token-{self.issued}", "expires_in": 300}
        return httpx.Response(200, json={**token, "token_type": "Bearer"})

    def auth(self) -> OAuthClientCredentials:
        return OAuthClientCredentials(
            oauth_url="http://idp.test/oauth/token",
            client_id="worker",
            client_secret="client-s3cret",
            async_transport=httpx.MockTransport(self.handler),
        )


def refusing(*tokens: str) -> Any:
    """A script answering 401 to the given bearer tokens and 204 to any other."""

    def reply(request: Request) -> bytes:
        if request.headers.get("authorization") in {f"Bearer {token}" for token in tokens}:
            return answer(401, b'{"title":"UNAUTHORIZED","status":401}')
        return answer(204)

    return answering(reply)


@pytest.mark.asyncio
async def test_an_oauth_401_fetches_a_new_token_and_sends_once_more() -> None:
    idp = TokenEndpoint()
    async with WireServer(refusing("token-1")) as server:
        url = f"http://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, auth=idp.auth()) as client:
            assert client._wire is not None
            await client.complete_job("1", {"paid": True})
            await client.complete_job("2")

    seen = [(r.target, r.headers["authorization"], r.body) for r in server.requests]
    assert seen == [
        ("/v2/jobs/1/completion", "Bearer token-1", b'{"variables":{"paid":true}}'),
        ("/v2/jobs/1/completion", "Bearer token-2", b'{"variables":{"paid":true}}'),
        ("/v2/jobs/2/completion", "Bearer token-2", b"{}"),
    ]
    assert idp.issued == 2


@pytest.mark.asyncio
async def test_a_second_oauth_401_is_the_answer() -> None:
    idp = TokenEndpoint()
    async with WireServer(refusing("token-1", "token-2")) as server:
        url = f"http://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, auth=idp.auth()) as client:
            with pytest.raises(UnauthorizedError) as error:
                await client.complete_job("1")

    assert len(server.requests) == 2
    assert "token-" not in str(error.value)


@pytest.mark.asyncio
async def test_a_token_with_a_line_break_is_refused_before_sending(recorder: WireServer) -> None:
    async def forged(request: httpx.Request) -> httpx.Response:
        token = "token-1\r\nX-Injected: yes"
        return httpx.Response(200, json={"access_token": token, "expires_in": 300})

    auth = OAuthClientCredentials(
        oauth_url="http://idp.test/oauth/token",
        client_id="worker",
        client_secret="client-s3cret",
        async_transport=httpx.MockTransport(forged),
    )
    url = f"http://127.0.0.1:{recorder.port}/v2"
    async with CamundaAsyncClient(url, auth=auth) as client:
        with pytest.raises(TransportError) as error:
            await client.complete_job("1")

    assert recorder.requests == []
    assert "token-1" not in str(error.value)
    assert "/v2/jobs/1/completion" in str(error.value)


@pytest.mark.parametrize(
    "headers", [{"X-Bad": "a\r\nX-Injected: 1"}, {"X-Bad": "nul\0"}, {"Bad Name": "x"}]
)
@pytest.mark.parametrize("client_class", [CamundaAsyncClient, CamundaClient])
def test_a_header_no_request_could_carry_is_refused_when_the_client_is_built(
    headers: dict[str, str], client_class: type[CamundaAsyncClient] | type[CamundaClient]
) -> None:
    with pytest.raises(ConfigurationError) as error:
        client_class("http://127.0.0.1:1/v2", headers=headers)

    assert error.value.variable == "headers"
    assert next(iter(headers)) in str(error.value)


def test_a_refused_authorization_header_does_not_show_the_token() -> None:
    headers = {"Authorization": "Bearer static-t0ken\n"}  # e.g. read from a file, not stripped
    with pytest.raises(ConfigurationError) as error:
        CamundaAsyncClient("http://127.0.0.1:1/v2", headers=headers)

    assert "static-t0ken" not in str(error.value)
    assert "Authorization" in str(error.value)


# -- the request as the server reads it ----------------------------------------------------


@pytest.mark.asyncio
async def test_the_request_reads_as_the_one_httpx_sends(recorder: WireServer) -> None:
    variables = {"customer": "Zoë 東京", "amount": 12.5, "items": [1, None, True]}
    url = f"http://127.0.0.1:{recorder.port}/v2/"
    async with CamundaAsyncClient(url, headers={"X-Tenant": "a"}) as lane:
        await lane.complete_job("a/b", variables)
        assert await lane.status() is True
    async with CamundaAsyncClient(url, transport=httpx.AsyncHTTPTransport()) as http:
        await http.complete_job("a/b", variables)
        expected = build_request(http._http, complete_job("a/b", variables), httpx.Timeout(1))

    post, get, httpx_post = recorder.requests
    assert post.target == httpx_post.target == "/v2/jobs/a%2Fb/completion"
    assert post.body == httpx_post.body == expected.content
    assert json.loads(post.body) == {"variables": variables}
    assert "Zoë 東京".encode() in post.body  # UTF-8, not \\u escapes
    assert post.headers["host"] == f"127.0.0.1:{recorder.port}"
    assert post.headers["user-agent"].startswith("camunda-worker/")
    assert post.headers["content-type"] == "application/json"
    assert post.headers["content-length"] == str(len(post.body))
    assert post.headers["x-tenant"] == "a"
    names = [name.lower() for name, _ in post.header_lines]
    assert len(names) == len(set(names))  # no header twice
    assert (get.method, get.target, get.body) == ("GET", "/v2/status", b"")
    assert "content-length" not in get.headers
    assert "content-type" not in get.headers


@pytest.mark.asyncio
async def test_given_headers_replace_the_defaults_as_in_httpx(recorder: WireServer) -> None:
    headers = {"Host": "camunda.example", "Content-Type": "application/json; charset=utf-8"}
    url = f"http://127.0.0.1:{recorder.port}/v2"
    async with CamundaAsyncClient(url, headers=headers) as lane:
        assert lane._wire is not None
        await lane.complete_job("1", {"a": 1})
    async with CamundaAsyncClient(url, headers=headers, transport=httpx.AsyncHTTPTransport()) as c:
        await c.complete_job("1", {"a": 1})

    on_lane, through_httpx = recorder.requests
    for name in ("Host", "Content-Type", "Accept", "Connection"):
        assert on_lane.all(name) == through_httpx.all(name), name


# -- failures the user sees ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_closed_port_is_a_connect_error_without_credentials() -> None:
    port = closed_port()
    url = f"http://demo:{PASSWORD}@127.0.0.1:{port}/v2"
    async with CamundaAsyncClient(url) as client:
        assert client._wire is not None
        with pytest.raises(ConnectError) as error:
            await client.complete_job("1")

    message = str(error.value)
    assert f"POST http://127.0.0.1:{port}/v2/jobs/1/completion" in message
    assert isinstance(error.value.__cause__, httpx.ConnectError)
    for secret in (PASSWORD, "demo:", basic("demo", PASSWORD)[6:]):
        assert secret not in message
        assert secret not in str(error.value.__cause__)


@pytest.mark.asyncio
async def test_a_silent_server_is_a_request_timeout_without_the_token() -> None:
    async def silent(peer: Peer) -> None:
        await peer.read_request()

    idp = TokenEndpoint()
    async with WireServer(silent) as server:
        url = f"http://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, auth=idp.auth(), timeout=0.2) as client:
            with pytest.raises(RequestTimeoutError) as error:
                await client.topology()

    assert f"GET http://127.0.0.1:{server.port}/v2/topology" in str(error.value)
    assert isinstance(error.value.__cause__, httpx.ReadTimeout)
    assert "token-1" not in str(error.value)
    assert "client-s3cret" not in str(error.value)


@pytest.mark.asyncio
async def test_a_server_hanging_up_is_a_retryable_transport_error() -> None:
    async def hang_up(peer: Peer) -> None:
        await peer.read_request()
        peer.close()

    async with WireServer(hang_up) as server:
        client = CamundaAsyncClient(f"http://127.0.0.1:{server.port}/v2")
        with pytest.raises(TransportError) as error:
            await client.fail_job("7", retries=1)
        await client.aclose()

    assert type(error.value) is TransportError
    assert error.value.retryable
    assert f"POST http://127.0.0.1:{server.port}/v2/jobs/7/failure" in str(error.value)


@pytest.mark.asyncio
async def test_a_creation_the_server_read_before_hanging_up_is_not_sent_again() -> None:
    created = answer(
        200,
        json.dumps(
            {
                "processDefinitionId": "order",
                "processDefinitionVersion": 1,
                "processDefinitionKey": "1",
                "processInstanceKey": "2",
                "tenantId": "<default>",
            }
        ).encode(),
    )

    async def answer_then_hang_up(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(created)
        await peer.read_request()  # read whole: the server may have acted on it
        peer.close()

    async with WireServer(scripts=[answer_then_hang_up, answering(created)]) as server:
        client = CamundaAsyncClient(f"http://127.0.0.1:{server.port}/v2")
        assert client._wire is not None
        first = await client.create_process_instance(process_definition_id="order")
        with pytest.raises(TransportError) as error:
            await client.create_process_instance(process_definition_id="order")
        await client.aclose()

    assert first.process_instance_key == "2"
    assert [(r.method, r.target) for r in server.requests] == [
        ("POST", "/v2/process-instances"),
        ("POST", "/v2/process-instances"),  # the second call, once: never a third POST
    ]
    assert error.value.retryable
    assert "without answering" in str(error.value)


@pytest.mark.asyncio
async def test_a_long_poll_outlasts_the_client_read_timeout() -> None:
    async def slow_poll(peer: Peer) -> None:
        await peer.read_request()
        await asyncio.sleep(0.15)  # longer than the client's read timeout
        await peer.write(answer(200, b'{"jobs":[]}'))

    async with WireServer(slow_poll) as server:
        url = f"http://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, timeout=0.05) as client:
            jobs = await client.activate_jobs(
                job_type="t", max_jobs_to_activate=1, timeout=1000, worker="w", request_timeout=1
            )
    assert jobs == []


@pytest.mark.asyncio
async def test_status_503_is_not_ready_and_a_closed_client_refuses() -> None:
    async with WireServer(answering(answer(503))) as server:
        client = CamundaAsyncClient(f"http://127.0.0.1:{server.port}/v2")
        assert await client.status() is False
        await client.aclose()
        with pytest.raises(RuntimeError):
            await client.status()
