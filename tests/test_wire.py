"""The fast lane's HTTP/1.1 client (:class:`WirePool`): framing, keep-alive, closing, TLS.

Each test scripts a loopback server (:mod:`wire_servers`) byte by byte; failures, cancellation
and limits are in ``test_wire_failures.py``.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import select
import ssl
import threading
import time
import warnings
import zlib
from typing import Any

import httpx
import pytest
from wire_servers import (
    FAST,
    Peer,
    ThreadedServer,
    WireServer,
    answer,
    answering,
    echo,
    fetch,
    get,
    make_pool,
    post,
    tls_contexts,
    until,
)

from camunda_worker._transport.wire import WirePool

# -- framing -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_content_length_body_is_read_and_the_request_arrives_whole() -> None:
    async with WireServer(answering(answer(200, b'{"ok":true}', headers={"X-A": "1"}))) as server:
        pool = make_pool(server.url)
        head, body = post("/v2/jobs/1/completion", server.port, b'{"variables":{}}')
        response = await pool.request(head, body, FAST)
        await pool.aclose()

    assert response.status == 200
    assert response.content == b'{"ok":true}'
    assert response.headers["x-a"] == "1"  # names lower-cased
    assert server.requests[0].target == "/v2/jobs/1/completion"
    assert server.requests[0].body == b'{"variables":{}}'


@pytest.mark.asyncio
async def test_a_chunked_body_with_an_extension_and_a_trailer_is_joined() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: 42\r\n\r\n"
    )
    async with WireServer(answering(chunked)) as server:
        pool = make_pool(server.url)
        first = await fetch(server, pool)
        second = await fetch(server, pool)
        await pool.aclose()

    assert first.content == second.content == b"hello 0123456789"
    assert server.opened == 1  # the trailer was consumed: the connection stayed usable


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [204, 304])
async def test_an_answer_without_a_body_ends_at_its_head(status: int) -> None:
    async with WireServer(answering(f"HTTP/1.1 {status} X\r\n\r\n".encode())) as server:
        pool = make_pool(server.url)
        responses = [await fetch(server, pool) for _ in range(2)]
        await pool.aclose()

    assert [(r.status, r.content) for r in responses] == [(status, b"")] * 2
    assert server.opened == 1


@pytest.mark.asyncio
async def test_a_100_continue_before_the_answer_is_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(200, b"done")
    async with WireServer(answering(interim)) as server:
        pool = make_pool(server.url)
        response = await fetch(server, pool)
        await pool.aclose()

    assert (response.status, response.content) == (200, b"done")


@pytest.mark.asyncio
async def test_a_body_delimited_by_the_connection_closing() -> None:
    async def script(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the ")
        await peer.write(b"end")
        peer.close()

    async with WireServer(script) as server:
        pool = make_pool(server.url)
        first = await fetch(server, pool)
        second = await fetch(server, pool)
        await pool.aclose()

    assert first.content == second.content == b"until the end"
    assert server.opened == 2


def _deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", _deflate_raw),  # raw, as some servers send it
        ("identity, gzip", gzip.compress),
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
    ],
)
async def test_compressed_bodies_are_decoded(encoding: str, encode: Any) -> None:
    document = b'{"jobs":[' + b'{"jobKey":"1"},' * 50 + b"{}]}"
    reply = answer(200, encode(document), headers={"Content-Encoding": encoding})
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        response = await fetch(server, pool)
        await pool.aclose()

    assert response.content == document


@pytest.mark.asyncio
async def test_an_empty_compressed_body_stays_empty() -> None:
    reply = answer(200, b"", headers={"Content-Encoding": "gzip"})
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        response = await fetch(server, pool)
        await pool.aclose()

    assert (response.status, response.content) == (200, b"")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", b"not gzip at all"), ("deflate", b"\x78broken")],
)
async def test_an_undecodable_body_is_a_protocol_error(encoding: str, body: bytes) -> None:
    reply = answer(200, body, headers={"Content-Encoding": encoding})
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError, match=encoding):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
async def test_a_body_in_an_encoding_httpx_does_not_decode_either_comes_as_it_came() -> None:
    reply = answer(200, b"\x1b\x00", headers={"Content-Encoding": "br"})
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        response = await fetch(server, pool)
        await pool.aclose()

    assert response.content == b"\x1b\x00"


@pytest.mark.asyncio
@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
async def test_an_answer_written_one_byte_at_a_time(chunked: bool) -> None:
    if chunked:
        reply = (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
    else:
        reply = answer(200, b"abcde", headers={"X-Long": "v" * 40})

    async def script(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + reply, piece=1)

    async with WireServer(script) as server:
        pool = make_pool(server.url)
        responses = [await fetch(server, pool) for _ in range(2)]
        await pool.aclose()

    assert [r.content for r in responses] == [b"abcde"] * 2
    assert server.opened == 1


@pytest.mark.asyncio
async def test_a_repeated_header_keeps_its_last_value() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Twice: 1\r\nx-twice: 2\r\n\r\nabcde"
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        response = await fetch(server, pool)
        again = await fetch(server, pool)
        await pool.aclose()

    assert (response.content, response.headers["x-twice"]) == (b"abcde", "2")
    assert again.status == 200
    assert server.opened == 1


@pytest.mark.asyncio
async def test_a_head_request_is_refused_before_anything_is_sent() -> None:
    # A HEAD answer's framing headers describe a body that never comes; the lane sends none.
    async with WireServer(answering(echo)) as server:
        pool = make_pool(server.url)
        with pytest.raises(ValueError, match="HEAD"):
            await pool.request(get("/", server.port).replace(b"GET", b"HEAD", 1), b"", FAST)
        await pool.aclose()

    assert server.opened == 0


# -- keep-alive ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sequential_requests_share_one_connection() -> None:
    async with WireServer(answering(echo)) as server:
        pool = make_pool(server.url)
        bodies = [(await fetch(server, pool, f"/{n}")).content for n in range(10)]
        await pool.aclose()

    assert bodies == [f"/{n}".encode() for n in range(10)]
    assert server.opened == 1


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("version", "connection", "connections"),
    [
        ("HTTP/1.1", "close", 3),
        ("HTTP/1.1", "Keep-Alive, Close", 3),
        ("HTTP/1.0", None, 3),
        ("HTTP/1.0", "keep-alive", 1),
        ("HTTP/1.1", None, 1),
    ],
)
async def test_the_answer_decides_whether_its_connection_is_reused(
    version: str, connection: str | None, connections: int
) -> None:
    headers = {"Connection": connection} if connection else {}
    reply = answer(200, b"x", headers=headers, version=version)
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        for _ in range(3):
            assert (await fetch(server, pool)).content == b"x"
        await pool.aclose()

    assert server.opened == connections


@pytest.mark.asyncio
async def test_bytes_nobody_asked_for_rule_the_connection_out() -> None:
    async with WireServer(answering(answer(200, b"x") + b"HTTP/1.1 200 OK\r\n")) as server:
        pool = make_pool(server.url)
        await fetch(server, pool)
        second = await fetch(server, pool)
        await pool.aclose()

    assert second.content == b"x"
    assert server.opened == 2


@pytest.mark.asyncio
async def test_at_most_max_keepalive_connections_stay_idle() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await release.wait()
            await peer.write(answer(204))

    async with WireServer(script) as server:
        pool = make_pool(server.url, max_connections=None, max_keepalive_connections=1)
        calls = [asyncio.ensure_future(fetch(server, pool)) for _ in range(3)]
        await until(lambda: len(server.requests) == 3)
        release.set()
        await asyncio.gather(*calls)
        await until(lambda: server.client_closed == 2)
        await fetch(server, pool)
        await pool.aclose()

    assert server.opened == 3  # the last request reused the one kept idle


# -- stale connections ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_idle_connection_the_server_closed_is_replaced() -> None:
    idle = asyncio.Event()

    async def answer_once(peer: Peer) -> None:
        request = await peer.read_request()
        assert request is not None
        await peer.write(echo(request))
        await idle.wait()
        peer.close()  # keep-alive promised, but the server drops it while idle

    async with WireServer(answer_once) as server:
        pool = make_pool(server.url)
        await fetch(server, pool, "/1")
        idle.set()
        await until(lambda: server.open_now == 0)
        await asyncio.sleep(0.01)  # the client reads the end of the connection
        second = await fetch(server, pool, "/2")
        await pool.aclose()

    assert second.content == b"/2"
    assert server.opened == 2
    assert [r.target for r in server.requests] == ["/1", "/2"]


async def _answer_then_drop_the_next(peer: Peer) -> None:
    # Answers the first request; reads the second and closes without answering.
    request = await peer.read_request()
    assert request is not None
    await peer.write(echo(request))
    await peer.read_request()
    peer.close()


def _head(method: str, path: str, port: int, body: bytes) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("ascii")


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
async def test_an_idempotent_request_the_server_dropped_unanswered_is_sent_once_more(
    method: str,
) -> None:
    async with WireServer(scripts=[_answer_then_drop_the_next, answering(echo)]) as server:
        pool = make_pool(server.url)
        await fetch(server, pool, "/1")
        second = await pool.request(_head(method, "/2", server.port, b"{}"), b"{}", FAST)
        await pool.aclose()

    assert second.status == 200
    assert [(r.method, r.target) for r in server.requests] == [
        ("GET", "/1"),
        (method, "/2"),
        (method, "/2"),  # sent once more, on a new connection
    ]
    assert server.opened == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_request_the_server_read_and_dropped_unanswered_is_never_sent_again(
    method: str,
) -> None:
    # The classic duplicate: the server read (and may have acted on) the request, then the
    # kept-alive connection closed before the answer. Sending it again could do it twice.
    async with WireServer(scripts=[_answer_then_drop_the_next, answering(echo)]) as server:
        pool = make_pool(server.url)
        await fetch(server, pool, "/1")
        with pytest.raises(httpx.RemoteProtocolError, match="without answering"):
            await pool.request(_head(method, "/2", server.port, b"{}"), b"{}", FAST)
        third = await fetch(server, pool, "/3")  # the pool goes on with a new connection
        await pool.aclose()

    assert [(r.method, r.target, r.body) for r in server.requests] == [
        ("GET", "/1", b""),
        (method, "/2", b"{}"),  # exactly once
        ("GET", "/3", b""),
    ]
    assert third.content == b"/3"
    assert server.opened == 2


def test_a_post_on_a_kept_alive_connection_the_server_closed_unseen_goes_on_a_new_one() -> None:
    # The race every keep-alive client meets: the server closed the idle connection, and its
    # end has arrived, but the event loop has not run since, so nothing has noticed it yet.
    # The POST must not be written into that connection (it could not be sent again): it goes
    # on a new one, once.
    closed = threading.Event()

    async def answer_then_close(peer: Peer) -> None:
        request = await peer.read_request()
        assert request is not None
        await peer.write(echo(request))
        peer.close()
        await peer.writer.wait_closed()
        closed.set()

    with ThreadedServer(scripts=[answer_then_close, answering(echo)]) as server:
        pool = make_pool(server.url)

        async def two_posts() -> tuple[bytes, bytes]:
            first = await pool.request(*post("/1", server.port, b"{}"), FAST)
            # Block this loop (no callback runs, so the end stays unnoticed) until the end of
            # the connection reached the client's socket.
            if not closed.wait(5):
                raise AssertionError("the server never closed the connection")
            sockets = [conn.transport.get_extra_info("socket") for conn in pool._idle]
            deadline = time.monotonic() + 5
            while not select.select(sockets, [], [], 0.01)[0]:
                if time.monotonic() > deadline:
                    raise AssertionError("the end of the connection never arrived")
            second = await pool.request(*post("/2", server.port, b"{}"), FAST)
            await pool.aclose()
            return first.content, second.content

        bodies = asyncio.run(two_posts())

    assert bodies == (b"/1", b"/2")
    assert [(r.method, r.target) for r in server.requests] == [("POST", "/1"), ("POST", "/2")]
    assert server.opened == 2


@pytest.mark.asyncio
async def test_a_fresh_connection_closed_without_answering_is_a_protocol_error() -> None:
    async def drop(peer: Peer) -> None:
        await peer.read_request()
        peer.close()

    async with WireServer(drop) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError):
            await fetch(server, pool)
        await pool.aclose()

    assert len(server.requests) == 1  # never sent again
    assert server.opened == 1


@pytest.mark.asyncio
async def test_a_request_is_sent_at_most_twice() -> None:
    async with WireServer(_answer_then_drop_the_next) as server:
        pool = make_pool(server.url)
        await asyncio.gather(fetch(server, pool, "/a"), fetch(server, pool, "/b"))  # 2 idle
        with pytest.raises(httpx.RemoteProtocolError):
            await fetch(server, pool, "/c")
        await pool.aclose()

    assert [r.target for r in server.requests].count("/c") == 2
    assert server.opened == 2


# -- closing and event loops ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_aclose_closes_idle_connections_and_refuses_new_requests() -> None:
    async with WireServer(answering(echo)) as server:
        pool = make_pool(server.url)
        await asyncio.gather(*(fetch(server, pool, f"/{n}") for n in range(3)))
        await pool.aclose()
        await until(lambda: server.client_closed == server.opened == 3)
        with pytest.raises(RuntimeError, match="closed"):
            await fetch(server, pool)


@pytest.mark.asyncio
async def test_a_connection_busy_at_aclose_closes_after_its_answer() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            await release.wait()
            await peer.write(echo(request))

    async with WireServer(script) as server:
        pool = make_pool(server.url)
        busy = asyncio.ensure_future(fetch(server, pool, "/busy"))
        await until(lambda: len(server.requests) == 1)
        await pool.aclose()
        release.set()
        assert (await busy).content == b"/busy"
        await until(lambda: server.client_closed == 1)


def test_a_pool_moves_to_a_new_event_loop() -> None:
    with ThreadedServer(answering(echo)) as server:
        pool = make_pool(server.url)

        async def one(path: str) -> bytes:
            return (await pool.request(get(path, server.port), b"", FAST)).content

        with warnings.catch_warnings():
            # A closed loop cannot close its connections' sockets any more: the pool drops
            # them, and they close when collected (with a ResourceWarning; see the h9 report).
            warnings.simplefilter("ignore", ResourceWarning)
            first = asyncio.run(one("/first-loop"))
            second = asyncio.run(one("/second-loop"))
            asyncio.run(pool.aclose())
            gc.collect()

    assert (first, second) == (b"/first-loop", b"/second-loop")
    assert server.opened == 2  # the second loop did not touch the first loop's connection


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server TLS context for 127.0.0.1 and a client context that trusts it."""
    return tls_contexts()


@pytest.mark.asyncio
async def test_https_through_a_trusted_tls_context(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = tls
    async with WireServer(answering(echo), ssl=server_context) as server:
        url = httpx.URL(f"https://127.0.0.1:{server.port}")
        pool = WirePool(url, ssl_context=client_context, limits=httpx.Limits())
        bodies = [(await fetch(server, pool, f"/{n}")).content for n in range(3)]
        await pool.aclose()
        await until(lambda: server.client_closed == 1)

    assert bodies == [b"/0", b"/1", b"/2"]
    assert server.opened == 1


@pytest.mark.asyncio
async def test_https_to_an_untrusted_server_is_a_connect_error(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, _ = tls
    async with WireServer(answering(echo), ssl=server_context) as server:
        url = httpx.URL(f"https://127.0.0.1:{server.port}")
        pool = WirePool(url, ssl_context=ssl.create_default_context(), limits=httpx.Limits())
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetch(server, pool)
        await pool.aclose()


def test_an_https_origin_needs_a_tls_context() -> None:
    with pytest.raises(ValueError, match="SSL context"):
        WirePool(httpx.URL("https://camunda.test"), ssl_context=None, limits=httpx.Limits())
