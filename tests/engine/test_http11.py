"""The engine's own HTTP/1.1 server (:mod:`camunda_worker.engine._http.http11`), byte by byte.

A tiny ASGI app is served on a loopback port; raw sockets send exact requests. The limits
(timeouts, sizes) are in ``test_limits.py``; the engine app over TCP in ``test_server.py``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camunda_worker.engine._http.http11 import Http11Server, _Connection
from camunda_worker.engine._http.server import MAX_HEAD_SIZE, _bind

WAIT = 10.0


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the request's method, path and body; ``/stream`` streams, ``/fail`` fails."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/fail":
        raise RuntimeError("the app failed")
    content = f"{scope['method']} {path} ".encode() + body
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for piece in (b"one ", b"two"):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    headers = [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _server(app: Any = echo_app) -> Http11Server:
    return Http11Server(
        app,
        header_timeout=WAIT,
        body_timeout=WAIT,
        idle_timeout=WAIT,
        graceful_timeout=1.0,
        max_head=MAX_HEAD_SIZE,
    )


@pytest.fixture
def port() -> Iterator[int]:
    server = _server()
    sock = _bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    for _ in range(2000):
        if server.started:
            break
        threading.Event().wait(0.005)
    yield int(sock.getsockname()[1])
    server.request_stop()
    thread.join(WAIT)
    sock.close()
    assert not thread.is_alive()


def _exchange(port: int, data: bytes, *, quiet: float = WAIT) -> bytes:
    """Send ``data``, then read until the server closes, or nothing came for ``quiet`` s."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(data)
        sock.settimeout(quiet)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


_CLOSE = b"Connection: close\r\n"


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    requests = b"".join(
        b"POST /%d HTTP/1.1\r\nHost: x\r\n%sContent-Length: 1\r\n\r\n%d"
        % (n, _CLOSE if n == 2 else b"", n)
        for n in range(3)
    )
    answers = _exchange(port, requests)
    assert answers.count(b"HTTP/1.1 200 OK") == 3
    bodies = [part.split(b"\r\n\r\n", 1)[1][:9] for part in answers.split(b"HTTP/1.1 ")[1:]]
    assert bodies == [b"POST /0 0", b"POST /1 1", b"POST /2 2"]


def test_a_chunked_request_body_is_joined(port: int) -> None:
    request = (
        b"POST /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    assert _exchange(port, request).endswith(b"\r\n\r\nPOST /c abcde")


def test_an_answer_streamed_without_a_length_goes_chunked(port: int) -> None:
    answer = _exchange(port, b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert body == b"4\r\none \r\n3\r\ntwo\r\n0\r\n\r\n"


def test_an_http_1_0_request_gets_its_answer_and_the_close(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # ends only because the server closes
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"connection: close" in received
    assert received.endswith(b"GET /old ")


def test_expect_100_continue_is_answered_before_the_body_is_sent(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(
            b"POST /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        interim = sock.recv(65536)
        sock.sendall(b"ok")
        rest = b""
        while chunk := sock.recv(65536):
            rest += chunk
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert rest.endswith(b"POST /e ok")


def test_a_failing_app_answers_500_and_closes(port: int) -> None:
    answer = _exchange(port, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\n")  # closed after the 500
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"connection: close" in answer


def test_a_request_llhttp_refuses_is_answered_400_and_closed(port: int) -> None:
    answer = _exchange(port, b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"connection: close" in answer


# -- the answer in one write ---------------------------------------------------------------


class _RecordingTransport(asyncio.Transport):
    """A transport that records every write (the server's only way to the socket)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name in ("peername", "sockname") else default


@pytest.mark.asyncio
async def test_an_answer_s_head_and_body_go_out_in_one_write() -> None:
    # On loopback each write is a system call and a packet, and a worker waits for each answer.
    conn = _Connection(_server())
    transport = _RecordingTransport()
    conn.connection_made(transport)
    conn.data_received(b"POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
    for _ in range(100):
        if transport.writes:
            break
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(transport.writes) == 1
    head, _, body = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 12" in head
    assert body == b"POST /one hi"
    conn.connection_lost(None)


# -- whatever a client sends ---------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        b"GET / HTTP/1.1\r\n",
        b"POST /p HTTP/1.1\r\n",
        b"GET / HTTP/1.0\r\n",
        b"Host: x\r\n",
        b"Content-Length: 3\r\n",
        b"Content-Length: -1\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"Connection: close\r\n",
        b"Expect: 100-continue\r\n",
        b"Bad Header: 1\r\n",
        b"\r\n",
        b"abc",
        b"3\r\nabc\r\n0\r\n\r\n",
        b"\x00\xff",
        b" ",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=8).map(b"".join))
def test_whatever_a_client_sends_the_server_answers_or_closes_and_serves_on(
    port: int, data: bytes
) -> None:
    answer = _exchange(port, data, quiet=0.2)  # an unfinished request waits: stop listening
    assert answer == b"" or answer.startswith(b"HTTP/1.1 ")
    following = _exchange(port, b"GET /next HTTP/1.1\r\nHost: x\r\n" + _CLOSE + b"\r\n")
    assert following.endswith(b"GET /next ")
