"""``CamundaAsyncClient`` on the fast lane against the engine over TCP, and when httpx sends.

What the server reads (headers, authentication, body) and the errors a user sees are in
``test_wire_lane_requests.py``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from testing.bpmn import ORDER_BPMN
from wire_servers import (
    Peer,
    WireServer,
    answer,
    answering,
    clear_proxies,
    closed_port,
    echo,
    tls_contexts,
)

from camunda_worker import CamundaAsyncClient, CamundaClient, ConnectError, NotFoundError
from camunda_worker._auth.tls import shared_ssl_context
from camunda_worker._transport.lane import wire_lane
from camunda_worker.engine import EngineServer

# The testing suite's order model, under a process id and job type of its own.
ORDER = ORDER_BPMN.replace('id="order"', 'id="wire-order"').replace(
    'type="charge"', 'type="wire-charge"'
)


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane is off when a proxy applies: these tests set the proxy variables themselves."""
    clear_proxies(monkeypatch)


@pytest.fixture(scope="module")
def engine_server() -> Iterator[EngineServer]:
    """The project's engine served on loopback, with the ``wire-order`` process deployed."""
    with EngineServer() as server:
        server.app.engine.deploy([("wire-order.bpmn", ORDER.encode())])
        yield server


def no_httpx(client: CamundaAsyncClient) -> list[httpx.Request]:
    """Record what still goes through httpx (multipart deployments only, on the lane)."""
    sent: list[httpx.Request] = []
    send = client._http.send

    async def recording(request: httpx.Request, **options: Any) -> httpx.Response:
        sent.append(request)
        return await send(request, **options)

    client._http.send = recording  # type: ignore[method-assign]
    return sent


# -- the lane against the engine -----------------------------------------------------------


@pytest.mark.asyncio
async def test_the_job_lifecycle_over_the_lane(engine_server: EngineServer) -> None:
    async with CamundaAsyncClient(engine_server.url) as client:
        assert client._wire is not None
        through_httpx = no_httpx(client)

        assert await client.status() is True
        assert (await client.topology()).cluster_size >= 1
        created = [
            await client.create_process_instance(
                process_definition_id="wire-order", variables={"order": n, "customer": "Zoë"}
            )
            for n in range(3)
        ]
        jobs = await client.activate_jobs(
            job_type="wire-charge", max_jobs_to_activate=10, timeout=30_000, worker="lane"
        )
        by_order = {job.variables["order"]: job for job in jobs}
        assert sorted(by_order) == [0, 1, 2]
        assert by_order[0].variables["customer"] == "Zoë"

        await client.complete_job(by_order[0].job_key, {"charged": True})
        await client.fail_job(by_order[1].job_key, retries=0, error_message="card expired")
        await client.throw_job_error(by_order[2].job_key, error_code="DECLINED")
        with pytest.raises(NotFoundError) as missing:
            await client.complete_job(by_order[0].job_key)

        keys = [instance.process_instance_key for instance in created]
        states = [(await client.get_process_instance(key)).state for key in keys]
        failed = await client.search_jobs(filter={"type": "wire-charge", "state": "FAILED"})
        instances = await client.search_process_instances(
            filter={"processDefinitionId": "wire-order"}
        )

    assert states == ["COMPLETED", "ACTIVE", "COMPLETED"]
    assert [item.job_key for item in failed.items] == [by_order[1].job_key]
    assert set(keys) <= {item.process_instance_key for item in instances.items}
    assert missing.value.status == 404
    assert missing.value.title == "NOT_FOUND"
    assert by_order[0].job_key in (missing.value.detail or "")
    assert through_httpx == []


@pytest.mark.asyncio
async def test_multipart_deployments_still_go_through_httpx(engine_server: EngineServer) -> None:
    async with CamundaAsyncClient(engine_server.url) as client:
        through_httpx = no_httpx(client)
        deployed = await client.deploy_resources([("again.bpmn", ORDER.encode())])
        await client.topology()

    assert [process.process_definition_id for process in deployed.processes] == ["wire-order"]
    assert [request.url.path for request in through_httpx] == ["/v2/deployments"]


@pytest.mark.asyncio
async def test_the_lane_keeps_the_client_limits() -> None:
    async def slow(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await asyncio.sleep(0.001)
            await peer.write(answer(204))

    limits = httpx.Limits(max_connections=2)
    async with WireServer(slow) as server:
        url = f"http://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, limits=limits) as client:
            await asyncio.gather(*(client.complete_job(str(n)) for n in range(10)))

    assert len(server.requests) == 10
    assert server.most_open == 2


# -- when httpx sends instead --------------------------------------------------------------


class HeaderAuth(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Signed"] = "yes"
        yield request


@pytest.mark.parametrize(
    ("options", "base"),
    [
        ({"transport": httpx.AsyncHTTPTransport()}, ""),
        ({"auth": HeaderAuth()}, ""),
        ({"auth": httpx.BasicAuth("demo", "pa55word")}, ""),
        ({}, "?tenant=a"),
        ({"headers": {"Content-Length": "5"}}, ""),
        ({"headers": {"Transfer-Encoding": "chunked"}}, ""),
    ],
    ids=[
        "transport",
        "custom-auth",
        "httpx-basic-auth",
        "query",
        "content-length-header",
        "transfer-encoding-header",
    ],
)
def test_httpx_sends_when_the_lane_cannot_send_exactly_alike(
    options: dict[str, Any], base: str
) -> None:
    assert CamundaAsyncClient(f"http://127.0.0.1:8080/v2{base}", **options)._wire is None


@pytest.mark.parametrize(
    ("environment", "lane"),
    [
        ({"HTTP_PROXY": "http://proxy.test:3128"}, False),
        ({"http_proxy": "http://proxy.test:3128"}, False),
        ({"ALL_PROXY": "http://proxy.test:3128"}, False),
        ({"HTTPS_PROXY": "http://proxy.test:3128"}, True),  # another scheme's proxy
        ({"HTTP_PROXY": "http://proxy.test:3128", "NO_PROXY": "127.0.0.1"}, True),
        ({"ALL_PROXY": "http://proxy.test:3128", "NO_PROXY": "localhost,127.0.0.1"}, True),
        ({"HTTP_PROXY": "http://proxy.test:3128", "NO_PROXY": "example.com"}, False),
    ],
)
def test_a_proxy_in_the_environment_turns_the_lane_off(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], lane: bool
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert (CamundaAsyncClient("http://127.0.0.1:8080/v2")._wire is not None) is lane


@pytest.mark.asyncio
async def test_with_a_proxy_in_the_environment_requests_go_through_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with WireServer(answering(answer(204))) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        url = f"http://127.0.0.1:{closed_port()}/v2"  # reachable only through the proxy
        async with CamundaAsyncClient(url) as client:
            await client.complete_job("1")

    assert proxy.requests[0].target == f"{url}/jobs/1/completion"  # absolute form: proxied


@pytest.mark.asyncio
async def test_the_injected_transport_client_reaches_the_engine(
    engine_server: EngineServer,
) -> None:
    transport = httpx.AsyncHTTPTransport()
    async with CamundaAsyncClient(engine_server.url, transport=transport) as client:
        assert await client.status() is True


def test_a_lane_client_works_under_trio(engine_server: EngineServer) -> None:
    async def main() -> tuple[bool, str]:
        async with CamundaAsyncClient(engine_server.url) as client:
            assert client._wire is not None
            ready = await client.status()
            try:
                await client.complete_job("2251799813685249")
            except NotFoundError as error:
                return ready, error.title or ""
        raise AssertionError("completing an unknown job succeeded")

    assert anyio.run(main, backend="trio") == (True, "NOT_FOUND")


# -- https ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_https_on_the_lane_with_the_client_tls_context() -> None:
    server_context, client_context = tls_contexts()
    async with WireServer(answering(echo), ssl=server_context) as server:
        url = f"https://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, verify=client_context) as client:
            assert client._wire is not None
            ready = [await client.status() for _ in range(3)]

    assert ready == [True] * 3  # 200 with a body: ready
    assert server.opened == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("verify", [False, True])
async def test_https_with_the_verification_of_the_client_transport(verify: bool) -> None:
    server_context, _ = tls_contexts()
    async with WireServer(answering(echo), ssl=server_context) as server:
        url = f"https://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url, verify=verify) as client:
            assert client._wire is not None
            if verify:  # the system's CAs do not know the test CA
                with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await client.status()
            else:
                assert await client.status() is True


@pytest.mark.asyncio
async def test_the_default_verification_follows_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Clients share one TLS context per verification setting; SSL_CERT_FILE (which httpx
    # reads) must still reach every client built after it changed.
    test_tls = pytest.importorskip("test_tls", reason="test_tls's PKI makes the certificates")
    pki = test_tls.Pki()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert, key, bundle = tmp_path / "s.pem", tmp_path / "s.key", tmp_path / "ca.pem"
    cert.write_text(pki.pem(pki.server_cert))
    key.write_text(pki.key_pem(pki.server_key))
    bundle.write_text(pki.pem(pki.ca_cert))
    server_context.load_cert_chain(cert, key)
    async with WireServer(answering(echo), ssl=server_context) as server:
        url = f"https://127.0.0.1:{server.port}/v2"
        async with CamundaAsyncClient(url) as client:
            with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.status()
        monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
        async with CamundaAsyncClient(url) as client:
            assert await client.status() is True
        with CamundaClient(url) as sync_client:  # the sync client, from a thread: same rule
            assert await asyncio.to_thread(sync_client.status) is True


@pytest.mark.parametrize(("verify", "mode"), [(True, ssl.CERT_REQUIRED), (False, ssl.CERT_NONE)])
def test_a_verification_flag_gives_the_lane_the_shared_context(verify: bool, mode: int) -> None:
    # The context is built here, not read out of httpx's transport: the one httpx gets too.
    options: dict[str, Any] = {"auth": None, "headers": {}, "limits": None}
    lane = wire_lane(httpx.URL("https://camunda.test/v2"), verify=verify, **options)
    assert lane is not None
    assert lane._pool._ssl is shared_ssl_context(verify)
    assert lane._pool._ssl.verify_mode == mode


def test_the_lane_and_httpx_share_the_client_s_tls_context() -> None:
    client = CamundaAsyncClient("https://camunda.test/v2", verify=False)
    assert client._wire is not None
    assert client._wire._pool._ssl is shared_ssl_context(False)
