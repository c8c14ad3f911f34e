"""The chaos proxy itself: each fault does what its docstring says, on a real engine server."""

from __future__ import annotations

import httpx
import pytest

from camunda_worker.testing import EngineHarness

from .chaos import ChaosProxy, chaos_proxy, wait_for

__all__ = ["chaos_proxy"]  # the fixture, imported for the tests below


def topology(proxy: ChaosProxy, *, timeout: float = 5.0) -> httpx.Response:
    with httpx.Client(base_url=proxy.url, timeout=timeout) as client:
        return client.get("/topology")


def test_it_passes_requests_and_answers_through(chaos_proxy: ChaosProxy) -> None:
    assert topology(chaos_proxy).status_code == 200
    stats = chaos_proxy.stats
    assert stats.accepted == 1
    assert stats.bytes_up > 0
    assert stats.bytes_down > 0


def test_a_stall_holds_the_bytes_with_the_socket_open_until_resume(
    chaos_proxy: ChaosProxy,
) -> None:
    with httpx.Client(base_url=chaos_proxy.url, timeout=0.5) as client:
        assert client.get("/topology").status_code == 200
        chaos_proxy.stall()
        with pytest.raises(httpx.ReadTimeout):
            client.get("/topology")
        assert chaos_proxy.stats.open >= 1  # nothing was closed: a black hole
        chaos_proxy.resume()
        assert client.get("/topology").status_code == 200


def test_a_stall_of_one_direction_lets_the_request_through_but_not_the_answer(
    camunda_engine: EngineHarness, chaos_proxy: ChaosProxy
) -> None:
    camunda_engine.create_job("one-way")
    chaos_proxy.stall("down")
    body = {"type": "one-way", "maxJobsToActivate": 1, "timeout": 60_000, "worker": "w"}
    with (
        httpx.Client(base_url=chaos_proxy.url, timeout=0.5) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.post("/jobs/activation", json=body)
    # The engine got the request and handed the job out; its answer is held.
    assert [job.lifecycle for job in camunda_engine.jobs(job_type="one-way")] == ["ACTIVATED"]
    assert chaos_proxy.stats.bytes_up > 0
    assert chaos_proxy.stats.bytes_down == 0


def test_truncate_cuts_an_answer_after_n_bytes_then_passes_again(chaos_proxy: ChaosProxy) -> None:
    chaos_proxy.truncate(after_bytes=12, match=b"/topology", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        topology(chaos_proxy)
    assert chaos_proxy.stats.cut == 1
    assert topology(chaos_proxy).status_code == 200  # times=1: used up


def test_reset_sends_a_reset_instead_of_the_answer(chaos_proxy: ChaosProxy) -> None:
    chaos_proxy.reset(match=b"/topology", times=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        topology(chaos_proxy)
    assert chaos_proxy.stats.resets == 1
    assert topology(chaos_proxy).status_code == 200


def test_a_fault_with_a_match_leaves_other_requests_alone(chaos_proxy: ChaosProxy) -> None:
    chaos_proxy.truncate(after_bytes=0, match=b"/jobs/activation")
    assert topology(chaos_proxy).status_code == 200
    assert chaos_proxy.stats.cut == 0


def test_reset_connections_resets_every_open_connection(chaos_proxy: ChaosProxy) -> None:
    with httpx.Client(base_url=chaos_proxy.url, timeout=5) as client:
        assert client.get("/topology").status_code == 200
        wait_for(lambda: chaos_proxy.stats.open == 1, what="one kept-alive connection")
        assert chaos_proxy.reset_connections() == 1
        assert chaos_proxy.stats.open == 0


def test_refuse_closes_the_port_and_resume_opens_it_again(chaos_proxy: ChaosProxy) -> None:
    port = chaos_proxy.port
    chaos_proxy.refuse()
    with pytest.raises(httpx.ConnectError):
        topology(chaos_proxy)
    chaos_proxy.resume()
    assert chaos_proxy.port == port
    assert topology(chaos_proxy).status_code == 200


def test_a_delay_holds_every_chunk_back(chaos_proxy: ChaosProxy) -> None:
    chaos_proxy.delay(2.0, "down")
    with pytest.raises(httpx.ReadTimeout):
        topology(chaos_proxy, timeout=0.2)
    chaos_proxy.delay(0)
    assert topology(chaos_proxy).status_code == 200


def test_close_ends_its_thread_and_connections(camunda_engine: EngineHarness) -> None:
    server = camunda_engine.serve()
    proxy = ChaosProxy(server.host, server.port).start()
    client = httpx.Client(base_url=proxy.url, timeout=5)
    try:
        assert client.get("/topology").status_code == 200
        proxy.stall()
        proxy.close()
        with pytest.raises(httpx.TransportError):
            client.get("/topology")
    finally:
        client.close()
        proxy.close()  # idempotent
