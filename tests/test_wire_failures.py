"""The fast lane's HTTP/1.1 client (:class:`WirePool`): failures, cancellation and limits.

Every failure is one of httpx's exception types, so the client translates it as for httpx.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest
from wire_servers import (
    FAST,
    Peer,
    WireServer,
    answer,
    answering,
    closed_port,
    echo,
    fetch,
    get,
    make_pool,
    post,
    until,
)

from camunda_worker._transport.wire import WireResponse

# -- errors --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_closed_port_is_a_connect_error() -> None:
    port = closed_port()
    pool = make_pool(httpx.URL(f"http://127.0.0.1:{port}"), max_connections=1)
    with pytest.raises(httpx.ConnectError):
        await pool.request(get("/", port), b"", FAST)
    with pytest.raises(httpx.ConnectError):  # the failed attempt gave its slot back
        await pool.request(get("/", port), b"", httpx.Timeout(5.0, pool=0.5))


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full: the kernel leaves new connection attempts hanging."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers: list[socket.socket] = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.settimeout(0.05)
                fillers.append(filler)
                try:
                    filler.connect(listener.getsockname())
                except TimeoutError:
                    break  # this one hangs: so will the client's
                except OSError:
                    pytest.skip("this system refuses connections beyond the accept queue")
            else:
                pytest.skip("this system completes connections beyond the accept queue")
            yield int(listener.getsockname()[1])
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.asyncio
async def test_a_connection_that_never_completes_is_a_connect_timeout(unanswered_port: int) -> None:
    pool = make_pool(httpx.URL(f"http://127.0.0.1:{unanswered_port}"))
    with pytest.raises(httpx.ConnectTimeout):
        await pool.request(get("/", unanswered_port), b"", httpx.Timeout(5.0, connect=0.2))


@pytest.mark.asyncio
async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(peer: Peer) -> None:
        await peer.read_request()
        await peer.until_client_closes()

    async with WireServer(silent) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.ReadTimeout):
            await fetch(server, pool, timeout=httpx.Timeout(5.0, read=0.2))
        await until(lambda: server.open_now == 0)  # the timed-out connection was closed
        await pool.aclose()


@pytest.mark.asyncio
async def test_a_short_read_timeout_after_a_long_one_on_the_same_connection_still_holds() -> None:
    # The connection's timer is moved lazily: one armed for a long limit must not delay a
    # shorter limit that comes after it.
    async def answers_once_then_silent(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(answer(200, b"first"))
        await peer.read_request()
        await peer.until_client_closes()

    async with WireServer(answers_once_then_silent) as server:
        pool = make_pool(server.url)
        first = await fetch(server, pool, timeout=httpx.Timeout(5.0, read=600.0))
        assert first.content == b"first"
        with pytest.raises(httpx.ReadTimeout):
            await asyncio.wait_for(
                fetch(server, pool, timeout=httpx.Timeout(5.0, read=0.2)), timeout=60
            )
        assert server.opened == 1  # the second request went on the kept-alive connection
        await pool.aclose()


@pytest.mark.asyncio
async def test_each_read_of_an_answer_gets_its_own_timeout() -> None:
    # A slow answer whose pieces each come within the read timeout is read whole, though the
    # whole takes longer than one timeout; a silence longer than it then times out.
    async def trickles(peer: Peer) -> None:
        await peer.read_request()
        whole = answer(200, b"0123456789")
        for index in range(0, len(whole), 6):  # 8 pieces, 0.35 s apart: longer than 2 s
            await peer.write(whole[index : index + 6])
            await asyncio.sleep(0.35)
        await peer.read_request()
        await peer.write(answer(200, b"0123456789")[:-3])
        await peer.until_client_closes()

    async with WireServer(trickles) as server:
        pool = make_pool(server.url)
        timeout = httpx.Timeout(5.0, read=2.0)
        response = await fetch(server, pool, timeout=timeout)
        assert response.content == b"0123456789"
        with pytest.raises(httpx.ReadTimeout):
            await asyncio.wait_for(fetch(server, pool, timeout=timeout), timeout=60)
        await pool.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "partial",
    [
        answer(200, b"0123456789")[:-4],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Le",
    ],
    ids=["length", "chunk", "trailer", "head"],
)
async def test_a_server_closing_in_the_middle_of_an_answer(partial: bytes) -> None:
    async def cut(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(partial)
        peer.close()

    async with WireServer(cut) as server:
        pool = make_pool(server.url)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "partial",
    [
        answer(200, b"0123456789")[:-4],
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the",
    ],
    ids=["length", "until-close"],
)
async def test_a_server_resetting_in_the_middle_of_an_answer_is_a_read_error(
    partial: bytes,
) -> None:
    async def cut(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(partial)
        await asyncio.sleep(0.01)  # the partial answer arrives before the reset
        peer.reset()

    async with WireServer(cut) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.ReadError):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "head",
    [
        b"garbage\r\n\r\n",
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 OK 200\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 ²00 OK\r\n\r\n".encode("latin-1"),
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nName : space\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: line\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: ¹\r\n\r\nx".encode("latin-1"),
        b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * 70_000,
    ],
)
async def test_a_malformed_answer_head_is_a_protocol_error(head: bytes) -> None:
    async with WireServer(answering(head)) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "fields", [b"Content-Length: 3, 3\r\n", b"Content-Length: 3\r\nContent-Length: 3\r\n"]
)
async def test_a_repeated_content_length_is_refused_even_when_equal(fields: bytes) -> None:
    # RFC 9110, 8.6 lets a recipient refuse it; llhttp does (h11 would merge equal values).
    reply = b"HTTP/1.1 200 OK\r\n" + fields + b"\r\nabc"
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError, match="Content-Length"):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n", b"-2\r\n", b"0x3\r\nabc\r\n", b"1_0\r\n", b"\r\n", b";x=y\r\n", b"3\r\nabcd\r\n"],
)
async def test_a_malformed_chunk_is_a_protocol_error(chunks: bytes) -> None:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    async with WireServer(answering(reply)) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError, match="chunk"):
            await fetch(server, pool)
        await pool.aclose()


@pytest.mark.asyncio
async def test_a_full_pool_is_a_pool_timeout_and_the_slot_comes_back() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.target == "/hold":
                await release.wait()
            await peer.write(echo(request))

    async with WireServer(script) as server:
        pool = make_pool(server.url, max_connections=1)
        held = asyncio.ensure_future(fetch(server, pool, "/hold"))
        await until(lambda: len(server.requests) == 1)
        with pytest.raises(httpx.PoolTimeout):
            await fetch(server, pool, "/next", timeout=httpx.Timeout(5.0, pool=0.1))
        release.set()
        assert (await held).content == b"/hold"
        assert (await fetch(server, pool, "/next")).content == b"/next"
        await pool.aclose()

    assert server.most_open == 1


@pytest.mark.asyncio
async def test_a_server_that_reads_nothing_is_a_write_timeout() -> None:
    stop = asyncio.Event()

    async def deaf(peer: Peer) -> None:
        await stop.wait()

    async with WireServer(deaf) as server:
        pool = make_pool(server.url)
        head, body = post("/big", server.port, b"x" * 32_000_000)
        with pytest.raises(httpx.WriteTimeout):
            await pool.request(head, body, httpx.Timeout(5.0, write=0.2))
        stop.set()
        await pool.aclose()


@pytest.mark.asyncio
async def test_a_large_request_waits_for_a_slow_reader_and_arrives_whole() -> None:
    async def slow_reader(peer: Peer) -> None:
        await asyncio.sleep(0.05)  # the client's buffers fill up: it must wait to write
        request = await peer.read_request()
        assert request is not None
        await peer.write(answer(200, str(len(request.body)).encode()))

    async with WireServer(slow_reader) as server:
        pool = make_pool(server.url)
        head, body = post("/big", server.port, b"x" * 32_000_000)
        response = await pool.request(head, body, httpx.Timeout(None))  # no timeout at all
        await pool.aclose()

    assert response.content == b"32000000"


@pytest.mark.asyncio
async def test_a_server_resetting_while_a_request_is_written_is_a_write_error() -> None:
    async def reset(peer: Peer) -> None:
        await peer.reader.read(1)
        peer.writer.transport.abort()  # unread bytes left behind: the kernel answers with RST

    async with WireServer(reset) as server:
        pool = make_pool(server.url)
        head, body = post("/big", server.port, b"x" * 32_000_000)
        with pytest.raises((httpx.WriteError, httpx.ReadError)):
            await pool.request(head, body, FAST)
        await pool.aclose()


# -- cancellation --------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("before_cancel", ["nothing", "part-of-the-answer"])
async def test_a_cancelled_request_leaves_no_stale_answer_behind(before_cancel: str) -> None:
    halfway = asyncio.Event()
    finish = asyncio.Event()

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.target == "/slow/1":
                whole = echo(request)
                cut = 0 if before_cancel == "nothing" else len(whole) - 3
                await peer.write(whole[:cut])
                halfway.set()
                await finish.wait()
                await peer.write(whole[cut:])  # the rest, too late
            else:
                await peer.write(echo(request))

    async with WireServer(script) as server:
        pool = make_pool(server.url, max_connections=1)
        await fetch(server, pool, "/warm/0")  # the slow request runs on a kept-alive connection
        slow = asyncio.ensure_future(fetch(server, pool, "/slow/1"))
        await halfway.wait()
        await asyncio.sleep(0.01)  # let the partial answer reach the client
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        finish.set()
        following = await fetch(server, pool, "/next/2")
        await until(lambda: server.client_closed == 1)  # the cancelled connection was closed
        await pool.aclose()

    assert following.content == b"/next/2"
    assert server.opened == 2


@pytest.mark.asyncio
async def test_a_request_cancelled_as_its_turn_came_passes_the_turn_on() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.target == "/hold":
                await release.wait()
            await peer.write(echo(request))

    async with WireServer(script) as server:
        pool = make_pool(server.url, max_connections=1)
        pool_wait = httpx.Timeout(5.0, pool=3.0)

        async def hold_then_cancel_the_first_waiter() -> WireResponse:
            response = await fetch(server, pool, "/hold")
            first.cancel()  # its turn has just come: the released connection woke it
            return response

        holder = asyncio.ensure_future(hold_then_cancel_the_first_waiter())
        await until(lambda: len(server.requests) == 1)
        first = asyncio.ensure_future(fetch(server, pool, "/first", timeout=pool_wait))
        second = asyncio.ensure_future(fetch(server, pool, "/second", timeout=pool_wait))
        await asyncio.sleep(0.01)  # both wait for the one connection
        release.set()
        await holder
        assert (await second).content == b"/second"  # not a PoolTimeout
        assert first.cancelled()
        await pool.aclose()


@pytest.mark.asyncio
async def test_a_request_cancelled_while_waiting_for_the_pool_gives_nothing_away() -> None:
    release = asyncio.Event()

    async def script(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            if request.target == "/hold":
                await release.wait()
            await peer.write(echo(request))

    async with WireServer(script) as server:
        pool = make_pool(server.url, max_connections=1)
        held = asyncio.ensure_future(fetch(server, pool, "/hold"))
        await until(lambda: len(server.requests) == 1)
        no_pool_timeout = httpx.Timeout(5.0, pool=None)
        waiting = asyncio.ensure_future(fetch(server, pool, "/never", timeout=no_pool_timeout))
        await asyncio.sleep(0.01)
        waiting.cancel()
        release.set()
        await held
        assert (await fetch(server, pool, "/after")).content == b"/after"
        await pool.aclose()

    assert "/never" not in [r.target for r in server.requests]
    assert server.opened == 1


# -- limits --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_concurrent_requests_never_open_more_than_max_connections() -> None:
    async def slow_echo(peer: Peer) -> None:
        while (request := await peer.read_request()) is not None:
            await asyncio.sleep(0.001)
            await peer.write(echo(request))

    async with WireServer(slow_echo) as server:
        pool = make_pool(server.url, max_connections=2)
        bodies = await asyncio.gather(*(fetch(server, pool, f"/{n}") for n in range(20)))
        await pool.aclose()

    assert [body.content for body in bodies] == [f"/{n}".encode() for n in range(20)]
    assert server.most_open == 2
    assert server.opened == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("pieces", [1, 7], ids=["in-one-write", "in-pieces"])
async def test_a_whole_head_over_64_kib_is_refused_however_it_arrives(pieces: int) -> None:
    # The size was checked only while the head was incomplete: a whole head that arrived in
    # one read went through, the same head in pieces was refused.
    reply = answer(200, b"{}", headers={"X-Big": "b" * (70 * 1024)})

    async def script(peer: Peer) -> None:
        while await peer.read_request() is not None:
            size = -(-len(reply) // pieces)
            for start in range(0, len(reply), size):
                await peer.write(reply[start : start + size])

    async with WireServer(script) as server:
        pool = make_pool(server.url)
        with pytest.raises(httpx.RemoteProtocolError, match="head is too large"):
            await fetch(server, pool)
        await pool.aclose()
