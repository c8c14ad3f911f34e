"""Serving over TCP: EngineServer, the ``engine`` command, signals, drops, shutdown of polls."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from camunda_worker.engine import EngineApp, EngineServer
from camunda_worker.engine._http import server as server_module

from .conftest import ORDER_BPMN, activation

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^camunda engine listening on (http://127\.0\.0\.1:(\d+)/v2)$")


def test_the_server_serves_the_api_over_loopback(make_app: Callable[..., EngineApp]) -> None:
    app = make_app()
    key = app.engine.create_job("tcp")

    with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
        jobs = client.post("/jobs/activation", json=activation("tcp")).json()["jobs"]
        completed = client.post(f"/jobs/{key}/completion")
        missing = client.post(f"/jobs/{key}/completion")

    assert server.url == f"http://127.0.0.1:{server.port}/v2"
    assert server.address == f"http://127.0.0.1:{server.port}"
    assert [job["jobKey"] for job in jobs] == [key]
    assert completed.status_code == 204
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_an_awaited_instance_that_does_not_complete_is_a_504_over_tcp(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app()
    files = {"resources": ("order.bpmn", ORDER_BPMN.encode(), "application/xml")}
    body = {"processDefinitionId": "order", "awaitCompletion": True, "requestTimeout": 50}
    with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
        client.post("/deployments", files=files)
        answer = client.post("/process-instances", json=body)
    assert answer.status_code == 504, answer.text
    assert answer.json()["title"] == "DEADLINE_EXCEEDED"


def test_a_dropped_connection_gets_no_answer_over_tcp(make_app: Callable[..., EngineApp]) -> None:
    app = make_app()
    app.faults.script("topology", ["drop"])

    with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/topology")
        assert client.get("/topology").status_code == 200


def test_stopping_the_server_answers_waiting_long_polls(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app()
    answers: list[httpx.Response] = []
    server = EngineServer(app).start()
    client = httpx.Client(base_url=server.url, timeout=30)

    def poll() -> None:
        body = activation("idle", requestTimeout=60_000)
        answers.append(client.post("/jobs/activation", json=body))

    thread = threading.Thread(target=poll)
    thread.start()
    while not app.engine.stats().waiting_polls:
        threading.Event().wait(0.005)
    server.stop()
    thread.join(timeout=10)
    client.close()

    assert [answer.json() for answer in answers] == [{"jobs": []}]


def test_a_client_that_goes_away_takes_no_job_with_it(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app()
    with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(
                "/jobs/activation",
                json=activation("gone", requestTimeout=60_000),
                timeout=httpx.Timeout(10, read=0.2),
            )
        for _ in range(2000):  # the server notices the closed connection
            if not app.engine.stats().waiting_polls:
                break
            threading.Event().wait(0.005)
        key = app.engine.create_job("gone")
        jobs = client.post("/jobs/activation", json=activation("gone")).json()["jobs"]

    assert [job["jobKey"] for job in jobs] == [key]


def test_no_thread_is_left_after_stop(make_app: Callable[..., EngineApp]) -> None:
    before = set(threading.enumerate())

    with EngineServer(make_app()) as server:
        httpx.get(f"{server.url}/status")

    assert set(threading.enumerate()) <= before


def test_a_port_in_use_is_reported(make_app: Callable[..., EngineApp]) -> None:
    with EngineServer(make_app()) as first, pytest.raises(OSError, match="in use"):
        EngineServer(make_app(), port=first.port).start()


def test_a_missing_httptools_is_named(
    make_app: Callable[..., EngineApp],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The server imports httptools when it starts; a broken environment is told what to install.
    monkeypatch.setitem(sys.modules, "httptools", None)
    monkeypatch.delitem(sys.modules, "camunda_worker.engine._http.http11", raising=False)

    with pytest.raises(RuntimeError, match=r"pip install httptools"):
        EngineServer(make_app()).start()
    assert server_module.main(["--port", "0"]) == 1
    assert "pip install httptools" in capsys.readouterr().err


def start_command(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "camunda_worker.engine", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    match = LISTENING.match(line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"unexpected first line {line!r}; stderr: {err}")
    return process, match.group(1)


def test_the_command_serves_with_its_options_and_stops_on_sigterm() -> None:
    process, url = start_command(
        "--server-line", "8.8", "--fault", "topology:503:1", "--oauth-client", "w:secret"
    )
    try:
        token = httpx.post(
            url.replace("/v2", "/oauth/token"),
            data={"grant_type": "client_credentials", "client_id": "w", "client_secret": "secret"},
            timeout=10,
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        faulty = httpx.get(f"{url}/topology", headers=headers, timeout=10)
        unauthenticated = httpx.post(f"{url}/jobs/activation", json=activation(), timeout=10)
        status = httpx.get(f"{url}/status", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)

    assert token.status_code == 200
    assert faulty.status_code == 503
    assert unauthenticated.status_code == 401
    assert status.status_code == 204
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_the_command_stops_on_sigint_and_answers_as_the_chosen_line() -> None:
    process, url = start_command("--server-line", "8.8")
    try:
        topology = httpx.get(f"{url}/topology", timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)

    assert topology.json()["gatewayVersion"].startswith("8.8")
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_the_command_refuses_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        server_module.main(["--fault", "activate:teapot:1"])

    assert exit_.value.code == 2
    assert "unknown fault kind" in capsys.readouterr().err


def test_accepted_connections_disable_nagle() -> None:
    """Without TCP_NODELAY every answer with a body waited ~40 ms for a delayed ACK."""
    import asyncio
    import socket

    from camunda_worker.engine._http.server import _bind

    async def accept_one() -> int:
        listener = _bind("127.0.0.1", 0)
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        port = listener.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    assert asyncio.run(accept_one()) != 0
