"""The fast lane refuses every answer h11 refuses: hostile framing, explicitly and generated.

The lane frames answers with httptools (llhttp). Each test here scripts a loopback server
(:mod:`wire_servers`) that writes exact bytes; the property-based test writes generated and
hostile answers and holds the lane's reading of each beside h11's, the parser httpx uses: the
lane refuses whatever h11 refuses, and reads the same status and body from whatever both take.
Where the lane refuses more, it is one of the refusals listed in ``wire.py``'s documentation.
"""

from __future__ import annotations

import asyncio
import re

import h11
import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from wire_servers import FAST, Peer, WireServer, answer, answering, fetch, get

from camunda_worker._transport.wire import WirePool

# -- each hostile answer the hand parser took ------------------------------------------------


async def _read(reply: bytes) -> httpx.Response | Exception:
    async with WireServer(answering(reply)) as server:
        pool = WirePool(server.url, ssl_context=None, limits=httpx.Limits())
        try:
            response = await fetch(server, pool)
        except httpx.TransportError as error:
            return error
        finally:
            await pool.aclose()
    return httpx.Response(response.status, content=response.content)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fields", "body"),
    [
        # two differing Content-Length fields: the hand parser took the last, cutting the body
        (b"Content-Length: 5\r\nContent-Length: 2\r\n", b"abcde"),
        # two Transfer-Encoding fields
        (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        # a coding after chunked: the body is not chunked at its end, so not framed by it
        (b"Transfer-Encoding: chunked, gzip\r\n", b"0\r\n\r\n"),
        (b"Transfer-Encoding: gzip\r\n", b"0\r\n\r\n"),
        # control characters in a header name
        (b"X-\x01A: 1\r\nContent-Length: 0\r\n", b""),
        (b"X-\x7fA: 1\r\nContent-Length: 0\r\n", b""),
    ],
    ids=["two-lengths", "two-transfer-encodings", "chunked-gzip", "gzip", "ctl-name", "del-name"],
)
async def test_a_hostile_answer_is_a_protocol_error(fields: bytes, body: bytes) -> None:
    result = await _read(b"HTTP/1.1 200 OK\r\n" + fields + b"\r\n" + body)
    assert isinstance(result, httpx.RemoteProtocolError), result


@pytest.mark.asyncio
async def test_a_101_is_refused_and_its_connection_never_reused() -> None:
    # The server switched protocols nobody asked for: what follows is not HTTP/1.1 any more.
    async def switch_then_answer(peer: Peer) -> None:
        while await peer.read_request() is not None:
            await peer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
            await peer.write(answer(200, b"after"))

    async with WireServer(scripts=[switch_then_answer, answering(answer(200, b"fresh"))]) as server:
        pool = WirePool(server.url, ssl_context=None, limits=httpx.Limits())
        with pytest.raises(httpx.RemoteProtocolError, match="101"):
            await fetch(server, pool)
        second = await fetch(server, pool)
        await pool.aclose()

    assert second.content == b"fresh"  # on a new connection
    assert server.opened == 2


# -- generated answers, beside h11 ----------------------------------------------------------

# httpcore's setting: h11's default (16 KiB) would refuse heads the lane (64 KiB) takes.
_H11_MAX_EVENT = 100 * 1024


def _h11_reads(data: bytes) -> tuple[int, bytes] | None:
    """The status and body h11 reads from ``data`` followed by the close; ``None``: refused."""
    conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_H11_MAX_EVENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "127.0.0.1")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    conn.receive_data(b"")
    status = 0
    body: list[bytes] = []
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                return status, b"".join(body)
            elif not isinstance(event, h11.InformationalResponse):
                return None  # the connection closed (or stalled) before a whole answer
    except h11.RemoteProtocolError:
        return None


def _lane_reads(data: bytes) -> tuple[int, bytes] | None:
    """The status and body the lane reads from a server that writes ``data`` and closes."""

    async def write_and_close(peer: Peer) -> None:
        await peer.read_request()
        await peer.write(data)
        peer.close()

    async def run() -> tuple[int, bytes] | None:
        async with WireServer(write_and_close) as server:
            pool = WirePool(server.url, ssl_context=None, limits=httpx.Limits())
            try:
                response = await pool.request(get("/", server.port), b"", FAST)
            except httpx.RemoteProtocolError:
                return None
            finally:
                await pool.aclose()
        return response.status, response.content

    return asyncio.run(run())


# The refusals the lane adds to h11's (wire.py's documentation lists them): each one RFC 9112
# forbids and llhttp refuses.
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STRICTER = [
    re.compile(rb"(?im)^content-length[ \t]*:.*,"),  # a list of lengths
    re.compile(rb"(?ims)^content-length[ \t]*:.*^content-length[ \t]*:"),  # two fields
    re.compile(  # Content-Length beside Transfer-Encoding
        rb"(?ims)^(content-length|transfer-encoding)[ \t]*:"
        rb".*^(content-length|transfer-encoding)[ \t]*:"
    ),
    re.compile(rb"\n[ \t]"),  # a folded line
    re.compile(rb"(?<!\r)\n"),  # a bare LF
    re.compile(rb"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]"),  # a control character in the head
]
_CHUNK_SPACES = re.compile(rb"(?m)^[0-9A-Fa-f]+[ \t]+(;|\r?$)")


_INTERIM = re.compile(rb"HTTP/[0-9.]+ 1[0-9][0-9]")


def _documented_stricter(data: bytes) -> bool:
    end = 0  # the heads end here: interim ones, then the final one
    while found := _HEAD_END.search(data, end):
        interim = _INTERIM.match(data, end)
        end = found.end()
        if not interim:
            break
    else:
        end = len(data)
    head = data[:end]
    if any(pattern.search(head) for pattern in _STRICTER):
        return True
    return bool(_CHUNK_SPACES.search(data[len(head) :]))


_VERSIONS = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"http/1.1", b"ICE/1.0"])
_STATUSES = st.one_of(
    st.sampled_from([b"200", b"204", b"304", b"404", b"100", b"101", b"199", b"099", b"2000"]),
    st.integers(0, 999).map(lambda n: b"%03d" % n),
)
_REASONS = st.one_of(
    st.sampled_from([b" OK", b"", b" ", b" No Content", b" O\x01K", b" O\x0bK", b" \x80"]),
    st.binary(max_size=8).map(lambda b: b" " + b.replace(b"\r", b"").replace(b"\n", b"")),
)
_NAMES = st.one_of(
    st.sampled_from(
        [b"Content-Length", b"Transfer-Encoding", b"Connection", b"Content-Type", b"X-A"]
    ),
    st.binary(min_size=0, max_size=6).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)
_VALUES = st.one_of(
    st.sampled_from(
        [
            *(b"chunked", b"Chunked", b"chunked, gzip", b"gzip", b"identity", b"5", b"3, 3"),
            *(b"-1", b"+2", b"0", b"close", b"keep-alive", b"", b"  5  ", b"9" * 23),
        ]
    ),
    st.integers(0, 40).map(lambda n: b"%d" % n),
    st.binary(max_size=6).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)
_SEPARATORS = st.sampled_from([b": ", b":", b" : ", b":\t"])


@st.composite
def _chunked(draw: st.DrawFn) -> bytes:
    parts = []
    for size in draw(st.lists(st.integers(0, 12), max_size=3)):
        data = draw(st.binary(min_size=size, max_size=size))
        shown = draw(st.sampled_from([b"%x" % size, b"%X" % size, b"%x " % size, b"%x;e=1" % size]))
        parts.append(shown + b"\r\n" + data + b"\r\n")
    parts.append(draw(st.sampled_from([b"0\r\n\r\n", b"0\r\nX-T: 1\r\n\r\n", b"", b"0\r\n"])))
    return b"".join(parts)


@st.composite
def _answers(draw: st.DrawFn) -> bytes:
    line_end = draw(st.sampled_from([b"\r\n"] * 9 + [b"\n"]))
    status_line = draw(_VERSIONS) + b" " + draw(_STATUSES) + draw(_REASONS)
    fields = draw(st.lists(st.tuples(_NAMES, _SEPARATORS, _VALUES), max_size=4))
    head = line_end.join(
        [status_line] + [name + separator + value for name, separator, value in fields]
    )
    body = draw(st.one_of(st.binary(max_size=12), _chunked()))
    data = draw(st.sampled_from([b"", b"HTTP/1.1 100 Continue\r\n\r\n", b"\r\n"]))
    data += head + line_end + line_end + body
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


_MUTATIONS = st.sampled_from(
    [
        b"Content-Length: 0",
        b"Content-Length: 2",
        b"Content-Length: 3, 3",
        b"Transfer-Encoding: chunked",
        b"Transfer-Encoding: chunked, gzip",
        b"Transfer-Encoding: identity",
        b"X-\x01: 1",
        b"Connection: close",
        b"Connection: upgrade",
        b"Upgrade: websocket",
    ]
)


@st.composite
def _plausible(draw: st.DrawFn) -> bytes:
    """A well-formed answer, then perhaps a field more, an interim answer before, or a cut."""
    version = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    status = draw(st.sampled_from([200, 201, 204, 304, 400, 404, 500, 503]))
    content = draw(st.binary(max_size=20))
    framing = draw(st.sampled_from(["length", "chunked", "close"]))
    fields = [b"Content-Type: application/json"]
    if framing == "length":
        fields.append(b"Content-Length: %d" % len(content))
        body = content
    elif framing == "chunked":
        fields.append(b"Transfer-Encoding: chunked")
        body = (b"%x\r\n%s\r\n" % (len(content), content) if content else b"") + b"0\r\n\r\n"
    else:
        body = content
    fields += draw(st.lists(_MUTATIONS, max_size=2))
    fields = draw(st.permutations(fields))
    head = b"\r\n".join([version + b" %d OK" % status, *fields]) + b"\r\n\r\n"
    before = draw(
        st.sampled_from(
            [b""] * 4 + [b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 101 Switching\r\n\r\n"]
        )
    )
    data = before + head + body
    cut = draw(st.one_of(st.none(), st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


_FRAMED = st.sampled_from(
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 2\r\n\r\nabcde",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 101 Switching\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.one_of(_answers(), _plausible(), _plausible(), _plausible(), _FRAMED))
@example(data=b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde")
@example(data=b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
@example(data=b"HTTP/1.1 100 Continue\r\n\r\nICE/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
@example(data=b"HTTP/1.1 200 OK\r\n\r\nto the close")
def test_the_lane_refuses_whatever_h11_refuses_and_reads_the_rest_alike(data: bytes) -> None:
    expected = _h11_reads(data)
    read = _lane_reads(data)
    event(
        f"h11 {'refuses' if expected is None else 'reads'}, "
        f"the lane {'refuses' if read is None else 'reads'}"
    )
    if expected is None:
        assert read is None, f"h11 refuses {data!r}, the lane read {read!r}"
    elif read is None:
        assert _documented_stricter(data), f"the lane refuses {data!r}, h11 reads {expected!r}"
    else:
        assert read == expected


def test_the_oracle_refuses_what_it_should() -> None:
    # The comparison is only as good as its oracle: h11 refuses the hostile shapes above.
    assert (
        _h11_reads(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 2\r\n\r\nabcde")
        is None
    )
    assert _h11_reads(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde") == (200, b"abcde")
    assert _h11_reads(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc") is None  # truncated
