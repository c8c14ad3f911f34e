"""The engine server's limits: request body size, head size, header, body and idle timeouts.

Real sockets on 127.0.0.1. Every wait is bounded generously and every test asserts an end state
(the answer a client got, whether its connection is closed), never how long something took.
"""

from __future__ import annotations

import json
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from camunda_worker.engine import EngineApp, EngineServer, InProcessTransport
from camunda_worker.engine._http import server as server_module

from .conftest import BASE_URL, activation
from .test_server import start_command

LIMIT = 64 * 1024
"""The body limit of most tests: small, so that going past it is quick."""
BIG = 50_000_000
"""A body far over every limit, the size of the one the issue reported."""
WAIT = 15.0
"""How long a test waits at most for an end state (the timeouts it sets are 1 s)."""
CHUNK = b"x" * (1024 * 1024)


def _head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=WAIT)


def _read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Read everything the server sends; ``(data, closed)``, closed False if it stayed open."""
    data = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _read_one_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one answer framed by Content-Length, leaving the connection as it is."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection mid-answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = _parse_head(head)
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"the server closed the connection mid-body: {data!r}")
        body += chunk
    return status, headers, body


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError(f"no complete answer: {data!r}")
    status, headers = _parse_head(head)
    return status, headers, body[: int(headers.get("content-length", len(body)))]


def _assert_too_large(
    status: int, headers: dict[str, str], body: bytes, instance: str, limit: int
) -> None:
    assert status == 413, body
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Payload Too Large",
        "status": 413,
        "detail": f"Maximum upload size of {limit} bytes exceeded",
        "instance": instance,
    }


@pytest.fixture
def limited(make_app: Callable[..., EngineApp]) -> Iterator[EngineServer]:
    """A server whose app takes bodies of 64 KiB at most."""
    with EngineServer(make_app(max_body_size=LIMIT)) as server:
        yield server


@pytest.fixture
def impatient(make_app: Callable[..., EngineApp]) -> Iterator[EngineServer]:
    """A server with 1 s header, body and idle timeouts."""
    app = make_app()
    with EngineServer(app, header_timeout=1.0, body_timeout=1.0, idle_timeout=1.0) as server:
        yield server


# -- the body limit ------------------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_refused_at_once(limited: EngineServer) -> None:
    with _connect(limited.port) as sock:
        sock.sendall(
            _head(
                "POST",
                "/v2/jobs/1/completion",
                "Content-Type: application/json",
                f"Content-Length: {BIG}",
            )
        )  # and not a byte of the body
        data, closed = _read_until_closed(sock)

    _assert_too_large(*_parse(data), "/v2/jobs/1/completion", LIMIT)
    assert closed
    [exchange] = limited.app.requests
    assert (exchange.endpoint, exchange.status) == ("complete", 413)


def test_a_chunked_body_over_the_limit_is_refused_and_not_read_to_its_end(
    limited: EngineServer,
) -> None:
    sent = 0
    with _connect(limited.port) as sock:
        sock.sendall(
            _head(
                "POST",
                "/v2/process-instances",
                "Content-Type: application/json",
                "Transfer-Encoding: chunked",
            )
        )
        sock.settimeout(WAIT)
        chunk = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
        try:
            while sent < BIG:
                sock.sendall(chunk)
                sent += len(CHUNK)
        except OSError:
            pass  # the server closed the connection: it read no further
        data, closed = _read_until_closed(sock)

    _assert_too_large(*_parse(data), "/v2/process-instances", LIMIT)
    assert closed
    assert sent < BIG  # the server stopped taking the body long before its end


def test_an_httpx_client_sending_a_big_body_reads_the_refusal(limited: EngineServer) -> None:
    with httpx.Client(base_url=limited.url, timeout=WAIT) as client:
        answer = client.post(
            "/jobs/1/completion",
            content=b"x" * BIG,
            headers={"content-type": "application/json"},
        )
        _assert_too_large(
            answer.status_code, dict(answer.headers), answer.content, "/v2/jobs/1/completion", LIMIT
        )
        assert client.get("/topology").status_code == 200  # on a new connection


def test_a_body_at_the_limit_is_read_and_answered(limited: EngineServer) -> None:
    variables = {"pad": ""}
    document = {"variables": variables}
    variables["pad"] = "p" * (LIMIT - len(json.dumps(document)))
    body = json.dumps(document).encode()
    assert len(body) == LIMIT

    with httpx.Client(base_url=limited.url, timeout=WAIT) as client:
        answer = client.post(
            "/jobs/1/completion", content=body, headers={"content-type": "application/json"}
        )

    assert answer.status_code == 404  # read whole and answered: there is no job 1
    assert answer.json()["title"] == "NOT_FOUND"


def test_the_in_process_transport_applies_the_same_limit(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app(max_body_size=LIMIT)
    transport = InProcessTransport(app)
    with httpx.Client(transport=transport, base_url=BASE_URL) as client:
        over = client.post(
            "/jobs/1/completion",
            content=b"x" * (LIMIT + 1),
            headers={"content-type": "application/json"},
        )
        at = client.post(
            "/jobs/1/completion",
            content=json.dumps({"variables": {}}).encode().ljust(LIMIT),
            headers={"content-type": "application/json"},
        )

    _assert_too_large(
        over.status_code, dict(over.headers), over.content, "/v2/jobs/1/completion", LIMIT
    )
    assert at.status_code == 404


def test_the_default_limit_is_the_gateways_4_mb(make_app: Callable[..., EngineApp]) -> None:
    app = make_app()
    with EngineServer(app) as server, _connect(server.port) as sock:
        sock.sendall(_head("POST", "/v2/deployments", f"Content-Length: {4 * 1024 * 1024 + 1}"))
        data, closed = _read_until_closed(sock)

    _assert_too_large(*_parse(data), "/v2/deployments", 4 * 1024 * 1024)
    assert closed
    assert app.max_body_size == 4 * 1024 * 1024


def _rss_bytes() -> int:
    fields = Path("/proc/self/statm").read_text().split()
    return int(fields[1]) * _page_size()


def _page_size() -> int:
    import os

    return os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the resident set size from /proc"
)
def test_refused_big_bodies_leave_no_memory_behind(make_app: Callable[..., EngineApp]) -> None:
    """The issue: a 50 MB body was read whole, kept (recorded) and never released."""
    app = make_app()  # records every exchange, as tests do
    body = b"x" * BIG
    with EngineServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        client.get("/topology")
        before = _rss_bytes()
        answers = [
            client.post(
                "/jobs/1/completion", content=body, headers={"content-type": "application/json"}
            ).status_code
            for _ in range(5)
        ]
        grown = _rss_bytes() - before

    assert answers == [413] * 5
    assert grown < 40_000_000, f"the process grew by {grown} bytes after 5 refused bodies"


# -- the head --------------------------------------------------------------------------------


def test_a_head_over_the_head_limit_is_refused(impatient: EngineServer) -> None:
    line = b"X-Junk: " + b"j" * 1000 + b"\r\n"
    sent = 0
    with _connect(impatient.port) as sock:
        sock.sendall(b"GET /v2/topology HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            while sent < BIG:
                sock.sendall(line * 64)
                sent += len(line) * 64
        except OSError:
            pass  # the server closed the connection: it read no further
        data, closed = _read_until_closed(sock)

    status, headers, body = _parse(data)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Request Header Fields Too Large",
        "status": 431,
        "detail": "The request line and headers are larger than 65536 bytes",
        "instance": "/v2/topology",
    }
    assert closed
    assert sent < BIG  # the server stopped reading the head long before its end


# -- timeouts --------------------------------------------------------------------------------


def _wait_closed(socks: list[socket.socket]) -> int:
    """Wait (up to WAIT) until the server closed every socket; return how many stayed open."""
    selector = selectors.DefaultSelector()
    for sock in socks:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    open_ = len(socks)
    deadline = time.monotonic() + WAIT
    while open_ and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=max(deadline - time.monotonic(), 0.01)):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                selector.unregister(sock)
                open_ -= 1
    selector.close()
    return open_


def test_slowloris_connections_are_closed_after_the_header_timeout(
    impatient: EngineServer,
) -> None:
    partial = [_connect(impatient.port) for _ in range(300)]
    silent = [_connect(impatient.port) for _ in range(20)]
    try:
        for sock in partial:
            sock.sendall(b"POST /v2/jobs/activation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        still_open = _wait_closed(partial + silent)
    finally:
        for sock in partial + silent:
            sock.close()

    assert still_open == 0
    with httpx.Client(base_url=impatient.url, timeout=WAIT) as client:
        assert client.get("/topology").status_code == 200


def test_a_kept_alive_connection_that_starts_a_request_but_never_ends_its_head_is_closed(
    impatient: EngineServer,
) -> None:
    with _connect(impatient.port) as sock:
        sock.sendall(_head("GET", "/v2/topology"))
        status, _, _ = _read_one_answer(sock)
        # A new request, one header byte at a time: the idle timer alone would never fire.
        for byte in b"GET /v2/topology HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.1)
        closed = _wait_closed([sock]) == 0

    assert status == 200
    assert closed


def test_an_idle_kept_alive_connection_is_closed_after_the_idle_timeout(
    impatient: EngineServer,
) -> None:
    with _connect(impatient.port) as sock:
        sock.sendall(_head("GET", "/v2/topology"))
        status, headers, _ = _read_one_answer(sock)
        data, closed = _read_until_closed(sock)

    assert status == 200
    assert headers.get("connection") != "close"  # kept alive after the answer
    assert (data, closed) == (b"", True)


def test_a_body_that_never_arrives_whole_is_refused_after_the_body_timeout(
    impatient: EngineServer,
) -> None:
    with _connect(impatient.port) as sock:
        sock.sendall(
            _head(
                "POST",
                "/v2/jobs/activation",
                "Content-Type: application/json",
                "Content-Length: 100",
            )
            + b'{"type": '
        )
        data, closed = _read_until_closed(sock)

    status, headers, body = _parse(data)
    assert status == 408
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request body did not arrive whole within 1 s",
        "instance": "/v2/jobs/activation",
    }
    assert closed


def test_a_long_poll_outlives_the_header_body_and_idle_timeouts(
    impatient: EngineServer,
) -> None:
    engine = impatient.app.engine
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=impatient.url, timeout=WAIT) as client:

        def poll() -> None:
            body = activation("late", requestTimeout=5_000)
            answers.append(client.post("/jobs/activation", json=body))

        thread = threading.Thread(target=poll)
        thread.start()
        deadline = time.monotonic() + WAIT
        while not engine.stats().waiting_polls and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(2.5)  # past every 1 s timeout the server has
        key = engine.create_job("late")
        thread.join(WAIT)
        completed = client.post(f"/jobs/{key}/completion")

    assert [job["jobKey"] for job in answers[0].json()["jobs"]] == [key]
    assert completed.status_code == 204


# -- the command -----------------------------------------------------------------------------


def test_the_command_takes_the_limits() -> None:
    process, url = start_command(
        "--max-body-size", "1000", "--header-timeout", "1", "--body-timeout", "1"
    )
    try:
        big = httpx.post(
            f"{url}/jobs/1/completion",
            content=b"x" * 1001,
            headers={"content-type": "application/json"},
            timeout=WAIT,
        )
        port = httpx.URL(url).port
        assert port is not None
        with _connect(port) as silent:
            still_open = _wait_closed([silent])
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)

    assert big.status_code == 413
    assert big.json()["detail"] == "Maximum upload size of 1000 bytes exceeded"
    assert still_open == 0
    assert process.returncode == 0, err


@pytest.mark.parametrize(
    "option",
    [
        ("--max-body-size", "0"),
        ("--header-timeout", "0"),
        ("--body-timeout", "-1"),
        ("--idle-timeout", "soon"),
    ],
)
def test_the_command_refuses_limits_that_are_not_positive(
    option: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        server_module.main(list(option))

    assert exit_.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_the_server_refuses_timeouts_that_are_not_positive() -> None:
    with pytest.raises(ValueError, match="header_timeout must be positive"):
        EngineServer(header_timeout=0)
    with pytest.raises(ValueError, match="max_body_size must be at least 0"):
        EngineApp(max_body_size=-1)
