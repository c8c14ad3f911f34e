"""The async client's network layer on asyncio: real loopback sockets, TLS, timeouts, closes."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from camunda_worker import ConnectError, RequestTimeoutError, TransportError
from camunda_worker._client import CamundaAsyncClient
from camunda_worker._transport.asyncio_net import AsyncioBackend, async_transport
from camunda_worker.engine import Engine, EngineServer

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


def _answer(body: bytes, *, close: bool = False) -> bytes:
    headers = f"HTTP/1.1 200 OK\r\ncontent-length: {len(body)}\r\n"
    if close:
        headers += "connection: close\r\n"
    return headers.encode() + b"\r\n" + body


class Server:
    """A raw HTTP/1.1 server on 127.0.0.1 that counts its connections."""

    def __init__(self, serve: Serve) -> None:
        self._serve = serve
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self._serve(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self, context: ssl.SSLContext | None = None) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=context)
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if context else 'http'}://127.0.0.1:{port}"


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[tuple[Server, str]]]]:
    servers: list[Server] = []

    async def start(handler: Serve, context: ssl.SSLContext | None = None) -> tuple[Server, str]:
        server = Server(handler)
        servers.append(server)
        return server, await server.start(context)

    yield start
    for server in servers:
        assert server.server is not None
        server.server.close()


def client(base_url: str, **options: object) -> httpx.AsyncClient:
    verify = options.pop("verify", True)
    assert isinstance(verify, ssl.SSLContext | bool)
    transport = async_transport(verify=verify, limits=None)
    return httpx.AsyncClient(base_url=base_url, transport=transport, **options)  # type: ignore[arg-type]


def test_the_default_async_client_runs_on_the_asyncio_backend() -> None:
    # If an httpx upgrade hides the pool, the client still works, only slower: this test says so.
    camunda = CamundaAsyncClient("http://127.0.0.1:9/v2")
    pool = camunda._http._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, AsyncioBackend)


@pytest.mark.asyncio
async def test_the_client_drives_the_engine_over_tcp() -> None:
    engine = Engine()
    key = engine.create_job("charge", variables={"amount": 3})
    with EngineServer(engine) as server:
        async with CamundaAsyncClient(server.url) as camunda:
            jobs = await camunda.activate_jobs(
                job_type="charge", max_jobs_to_activate=5, timeout=10_000, worker="w"
            )
            assert [job.job_key for job in jobs] == [key]
            assert jobs[0].variables == {"amount": 3}
            await camunda.complete_job(key, {"paid": True})
    assert engine.jobs(job_type="charge")[0].state == "COMPLETED"


@pytest.mark.asyncio
async def test_sequential_requests_reuse_one_connection(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            body = await _read_request(reader)
            writer.write(_answer(b"echo:" + body))

    server, url = await serve(handler)
    async with client(url) as http:
        for index in range(20):
            response = await http.post("/", content=str(index).encode())
            assert response.content == f"echo:{index}".encode()
    assert server.connections == 1


@pytest.mark.asyncio
async def test_a_connection_the_server_closed_is_replaced(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(_answer(b"once"))  # keep-alive announced, then the server closes anyway
        await writer.drain()

    server, url = await serve(handler)
    async with client(url) as http:
        for _ in range(3):
            assert (await http.get("/")).content == b"once"
            await asyncio.sleep(0.05)  # the close reaches the client while the connection idles
    assert server.connections == 3


@pytest.mark.asyncio
async def test_large_answers_and_bodies_arrive_whole(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    big = bytes(range(256)) * 8 * 1024  # 2 MiB: more than the read buffer's high water mark

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = await _read_request(reader)
        writer.write(_answer(body[::-1]))
        await writer.drain()

    _, url = await serve(handler)
    async with client(url) as http:
        response = await http.post("/", content=big)
    assert response.content == big[::-1]


@pytest.mark.asyncio
async def test_a_server_that_never_answers_times_out(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    _, url = await serve(handler)
    async with CamundaAsyncClient(f"{url}/v2", timeout=0.2) as camunda:
        with pytest.raises(RequestTimeoutError) as error:
            await camunda.complete_job("1")
    assert isinstance(error.value.__cause__, httpx.ReadTimeout)


@pytest.mark.asyncio
async def test_an_answer_cut_short_is_a_transport_error(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
        await writer.drain()

    _, url = await serve(handler)
    async with CamundaAsyncClient(f"{url}/v2") as camunda:
        with pytest.raises(TransportError):
            await camunda.complete_job("1")


@pytest.mark.asyncio
async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with CamundaAsyncClient(f"http://127.0.0.1:{port}/v2") as camunda:
        with pytest.raises(ConnectError) as error:
            await camunda.complete_job("1")
    assert isinstance(error.value.__cause__, httpx.ConnectError)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    crypto = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = crypto.Name([crypto.NameAttribute(crypto.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        crypto.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(crypto.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(crypto.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            crypto.SubjectAlternativeName([crypto.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.asyncio
async def test_https_with_a_trusted_certificate(
    serve: Callable[..., Awaitable[tuple[Server, str]]],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await _read_request(reader)
            writer.write(_answer(b"secure"))

    with tempfile.TemporaryDirectory() as directory:
        cert, key = _self_signed(Path(directory))
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert, key)
        trusting = ssl.create_default_context(cafile=str(cert))
    server, url = await serve(handler, server_context)
    async with client(url, verify=trusting) as http:
        for _ in range(3):
            response = await http.get("/")
            assert response.content == b"secure"
    assert server.connections == 1
    async with client(url) as http:  # the system's CAs do not trust a self-signed certificate
        with pytest.raises(httpx.ConnectError):
            await http.get("/")


def test_under_trio_the_client_uses_httpcore_s_own_backend() -> None:
    pytest.importorskip("trio", reason="trio runs the client outside asyncio")
    import anyio

    engine = Engine()
    engine.create_job("charge")

    async def complete(url: str) -> None:
        async with CamundaAsyncClient(url) as camunda:
            jobs = await camunda.activate_jobs(
                job_type="charge", max_jobs_to_activate=1, timeout=10_000, worker="w"
            )
            await camunda.complete_job(jobs[0].job_key)

    with EngineServer(engine) as server:
        anyio.run(complete, server.url, backend="trio")
    assert engine.jobs(job_type="charge")[0].state == "COMPLETED"
