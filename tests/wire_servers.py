"""Scriptable loopback HTTP servers for the fast lane's tests (``test_wire*.py``).

:class:`WireServer` listens on ``127.0.0.1`` (a free port) on the running asyncio loop and runs
one script per accepted connection: an ``async def script(peer)`` that reads requests and
writes exact bytes (split, late, malformed) or closes. The server counts the connections it
saw, how many were open at once, and which ones the client closed. :class:`ThreadedServer`
runs the same on a loop of its own in a thread, for tests whose client changes event loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl as ssl_module
import struct
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

from camunda_worker._transport.wire import WirePool, WireResponse

__all__ = [
    "FAST",
    "Peer",
    "Request",
    "Script",
    "ThreadedServer",
    "WireServer",
    "answer",
    "answering",
    "clear_proxies",
    "closed_port",
    "echo",
    "fetch",
    "get",
    "make_pool",
    "post",
    "tls_contexts",
    "until",
]

FAST = httpx.Timeout(5.0)
"""Timeouts generous enough never to fire in a passing test."""


class Request:
    """One request as the server read it."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head = head
        self.body = body
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target, self.version = lines[0].split(" ")
        self.header_lines = [tuple(line.split(": ", 1)) for line in lines[1:] if line]
        self.headers = {name.lower(): value for name, value in self.header_lines}

    def all(self, name: str) -> list[str]:
        """Every value of the header ``name`` (to catch a header sent twice)."""
        return [value for key, value in self.header_lines if key.lower() == name.lower()]


class Peer:
    """The server's side of one connection, as a script sees it."""

    def __init__(
        self, server: WireServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.index = server.opened  # 1 for the first connection, 2 for the next...
        self.requests: list[Request] = []

    async def read_request(self) -> Request | None:
        """The next request (head and ``Content-Length`` body); ``None`` when the client closed."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        request = Request(head, b"")
        length = int(request.headers.get("content-length", "0"))
        request.body = await self.reader.readexactly(length) if length else b""
        self.requests.append(request)
        self.server.requests.append(request)
        return request

    async def write(self, data: bytes, *, piece: int | None = None) -> None:
        """Write ``data`` at once, or in pieces of ``piece`` bytes, each sent separately."""
        if piece is None:
            self.writer.write(data)
            await self.writer.drain()
            return
        for start in range(0, len(data), piece):
            self.writer.write(data[start : start + piece])
            await self.writer.drain()
            await asyncio.sleep(0)

    async def until_client_closes(self) -> None:
        """Read (and drop) everything until the client closes the connection."""
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(65536):
                pass

    def close(self) -> None:
        """Close the connection from the server's side."""
        self.writer.close()

    def reset(self) -> None:
        """Drop the connection with a TCP reset (RST) instead of an orderly close."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


Script = Callable[[Peer], Awaitable[None]]


def answer(
    status: int = 200,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    reason: str = "OK",
    version: str = "HTTP/1.1",
) -> bytes:
    """An answer's bytes; ``Content-Length`` is added unless ``headers`` frame the body."""
    fields = dict(headers or {})
    if "Transfer-Encoding" not in fields and "Content-Length" not in fields:
        fields["Content-Length"] = str(len(body))
    lines = [f"{version} {status} {reason}"] + [
        f"{name}: {value}" for name, value in fields.items()
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def echo(request: Request) -> bytes:
    """An answer whose body is the request's path (tells which request an answer is for)."""
    return answer(200, request.target.encode())


def answering(reply: Callable[[Request], bytes] | bytes) -> Script:
    """A script that answers every request on its connection with ``reply`` (or its result)."""

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            await peer.write(reply(request) if callable(reply) else reply)

    return script


class WireServer:
    """A loopback server on the running loop; each connection runs ``script`` (or ``scripts``).

    Args:
        script: what every connection does.
        scripts: what the first, second... connection does (the last repeats).
        ssl: serve TLS with this server context.
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        scripts: list[Script] | None = None,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.ssl = ssl
        self.port = 0  # the port listened on, once started
        self.scripts = scripts if scripts is not None else [script or answering(answer(204))]
        self.opened = 0
        self.open_now = 0
        self.most_open = 0
        self.client_closed = 0  # connections the client closed (the server read an EOF)
        self.requests: list[Request] = []
        self.peers: list[Peer] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> httpx.URL:
        """The origin, ``http://127.0.0.1:<port>``."""
        return httpx.URL(f"http://127.0.0.1:{self.port}")

    async def __aenter__(self) -> WireServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for peer in self.peers:
            peer.writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.opened += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        peer = Peer(self, reader, writer)
        self.peers.append(peer)
        try:
            await self.scripts[min(peer.index, len(self.scripts)) - 1](peer)
            await peer.until_client_closes()
            self.client_closed += 1
        except ConnectionError:  # the script wrote to a connection the client had dropped
            self.client_closed += 1
        except asyncio.CancelledError:
            pass  # the server is shutting down: asyncio's stream callback chokes on a cancelled task
        finally:
            self.open_now -= 1
            writer.close()
            self._tasks.discard(task)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait up to ``timeout`` seconds until ``condition()`` holds; fail the test if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the awaited condition never held")
        await asyncio.sleep(0.002)


class ThreadedServer:
    """A :class:`WireServer` on an event loop of its own, in a thread (``with`` block)."""

    def __init__(
        self, script: Script | None = None, *, scripts: list[Script] | None = None
    ) -> None:
        self._script = script
        self._scripts = scripts
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.server: WireServer | None = None

    def __enter__(self) -> WireServer:
        self._thread.start()
        self.server = self._call(self._start())
        return self.server

    def __exit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self._call(self.server.__aexit__(None, None, None))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> WireServer:
        return await WireServer(self._script, scripts=self._scripts).__aenter__()

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(5)


def get(path: str, port: int) -> bytes:
    """A ``GET`` request head for ``path``."""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode("ascii")


def post(path: str, port: int, body: bytes) -> tuple[bytes, bytes]:
    """A ``POST`` request head for ``path`` and its body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii"), body


def make_pool(url: httpx.URL, **limits: Any) -> WirePool:
    """A pool for ``url`` with ``limits`` (``max_connections``...), no TLS."""
    return WirePool(url, ssl_context=None, limits=httpx.Limits(**limits))


async def fetch(
    server: WireServer, pool: WirePool, path: str = "/", **options: Any
) -> WireResponse:
    """``GET path`` through ``pool``, with :data:`FAST` timeouts unless ``timeout=`` is given."""
    timeout = options.pop("timeout", FAST)
    return await pool.request(get(path, server.port), b"", timeout, **options)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tls_contexts() -> tuple[ssl_module.SSLContext, ssl_module.SSLContext]:
    """A server context for 127.0.0.1 and a client context trusting it (``test_tls``'s PKI)."""
    test_tls = pytest.importorskip("test_tls", reason="test_tls's PKI makes the certificates")
    pki = test_tls.Pki()
    server = ssl_module.SSLContext(ssl_module.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert, key = Path(directory, "s.pem"), Path(directory, "s.key")
        cert.write_text(pki.pem(pki.server_cert))
        key.write_text(pki.key_pem(pki.server_key))
        server.load_cert_chain(cert, key)
    return server, ssl_module.create_default_context(cadata=pki.pem(pki.ca_cert))


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove proxy variables from the environment: a proxy turns the client's lane off."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
