"""The worker's fast lane: a lean HTTP/1.1 keep-alive client on asyncio protocols.

A worker sends one completion per job, so the CPU time of one small JSON request is what its
throughput is made of. Through ``httpx.AsyncClient`` that request costs about a millisecond of
pure-Python work (URL merging, header models, cookies, the auth generator, the response stream
machinery, h11); the request itself is a few hundred bytes each way. :class:`WirePool` sends the
same request for a fraction of that: the request head is written as bytes, the answer is framed
by ``httptools`` (llhttp, Node.js's parser) fed from an asyncio protocol's buffer.

It speaks exactly the HTTP/1.1 the REST API needs: JSON request bodies with ``Content-Length``
(no ``HEAD``); answers with ``Content-Length``, chunked, or delimited by the connection's close;
interim 1xx answers skipped; ``gzip``/``deflate`` bodies decoded; persistent connections reused,
at most ``max_connections`` at once, ``max_keepalive_connections`` kept idle; TLS through an
:class:`ssl.SSLContext`. Failures raise httpx's own exception types (``ConnectError``,
``ConnectTimeout``, ``ReadTimeout``, ``WriteTimeout``, ``PoolTimeout``, ``ReadError``,
``WriteError``, ``RemoteProtocolError``) so callers translate them exactly as for httpx.

A request is sent again only when that is safe. Before a kept-alive connection is reused, it is
checked (its protocol's state, and its socket, for an end the event loop has not handled yet);
one the server closed or wrote to while idle is replaced, so the request goes on a new one. Once
a request's bytes were written, the connection closing without an answer sends it once more only
when its method is idempotent (``GET``, ``PUT``, ``DELETE``, ``OPTIONS``); any other
(``POST``, ``PATCH``) raises ``RemoteProtocolError``: the server may have read it and acted on
it, and sending it again could do it twice (a second process instance). httpx raises for every
method.

An answer is refused (``RemoteProtocolError``, the connection dropped) whenever h11, httpx's
parser, would refuse it: a property-based test holds the two side by side. It also refuses a few
that h11 takes and RFC 9112 forbids, all of them what llhttp refuses: two ``Content-Length``
fields even when equal, or a list (``5, 5``); ``Content-Length`` beside ``Transfer-Encoding`` (a
request-smuggling shape); a folded header line (obs-fold); a bare ``LF`` line end; control
characters in a header value or the reason phrase; spaces after a chunk size.

It runs on any asyncio event loop (the default one, uvloop...): it uses only the documented
transport methods, whatever the transport's class.

:class:`camunda_worker.CamundaAsyncClient` uses it on asyncio for JSON requests when it owns the
network (no injected transport, no proxy in the environment, one of this package's
authentications); everything else goes through httpx.
"""

# Read and write timeouts apply per network operation, as in httpx.

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
import zlib
from collections import deque
from typing import cast

import attrs
import httptools
import httpx

__all__ = ["WirePool", "WireResponse"]

# An answer's head larger than this is not an answer from the REST API.
_MAX_HEAD = 64 * 1024
_HEAD_TOO_LARGE = "the answer's head is too large"
_NO_BODY_STATUSES = frozenset({204, 304})
# RFC 9110, 9.2.2: sending one of these twice has the effect of sending it once.
_IDEMPOTENT = frozenset({b"GET", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"TRACE"})
# A timer may run this much before its time (the loop's clock resolution): still expired.
_EARLY = 1e-3


@attrs.frozen
class WireResponse:
    """A complete answer.

    Attributes:
        status: the HTTP status code.
        headers: the header fields, names lower-cased (a repeated field keeps its last value).
        content: the body, decoded from its transfer and content encodings.
    """

    status: int
    headers: dict[str, str]
    # Not in the repr: a traceback rendered with its locals (loguru's diagnose) shows it, and an
    # error answer may echo the credentials.
    content: bytes = attrs.field(repr=False)


def _socket_fd(transport: asyncio.BaseTransport) -> int:
    """The descriptor of ``transport``'s socket; -1 when it has none the loop shows."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return -1
    with contextlib.suppress(AttributeError, OSError, ValueError):
        return int(sock.fileno())
    return -1


class _Readable:
    """Asks one socket whether something waits to be read in it right now.

    On an idle connection that is the server's close (or unasked bytes), possibly not handled by
    the event loop yet. A descriptor that cannot be asked counts as readable: not reusable. The
    socket is registered once (a ``poll`` object per connection): a new poll object per reuse
    was a measurable part of each request's CPU.
    """

    __slots__ = ("_fd", "_poll")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._poll: select.poll | None = None
        if hasattr(select, "poll"):
            try:
                poll = select.poll()
                poll.register(fd, select.POLLIN)
            except (OSError, ValueError):
                return  # asked with select() each time: that raises too, so: readable
            self._poll = poll

    def __call__(self) -> bool:
        try:
            if self._poll is not None:
                return bool(self._poll.poll(0))
            readable, _, _ = select.select([self._fd], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


def _wake(future: asyncio.Future[None] | None) -> None:
    """Resolve ``future`` unless it is gone or done (a waiter woken by a protocol callback)."""
    if future is not None and not future.done():
        future.set_result(None)


def _expire(future: asyncio.Future[None], error: type[Exception]) -> None:
    """Fail ``future`` with ``error("timed out")`` unless it is done (a timer's callback)."""
    if not future.done():
        future.set_exception(error("timed out"))


class _NotSentError(Exception):
    """The connection was closed before the request was written: nothing of it left."""


class _UnansweredError(Exception):
    """The connection ended after the request was written, before any byte of an answer."""


class _Conn(asyncio.Protocol):
    """One connection: a buffer of what arrived, and the one request in flight waiting on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        # Asks the socket for an end not handled yet (None: it has none the loop shows).
        self.readable: _Readable | None = None
        self.buffer = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None
        self.paused = False
        self.requests = 0  # answered on this connection so far
        # The time limit of the wait in progress, and the one timer that watches it (_wait).
        self._limited: asyncio.Future[None] | None = None
        self._limit = 0.0
        self._limit_error: type[Exception] = httpx.ReadTimeout
        self._timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream connection's transport has asyncio.Transport's methods whatever its class:
        # uvloop's, for one, derives from none of asyncio's classes.
        self.transport = cast("asyncio.Transport", transport)
        fd = _socket_fd(transport)
        self.readable = _Readable(fd) if fd >= 0 else None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        _wake(self.waiter)

    def eof_received(self) -> bool:
        self.closed = True
        _wake(self.waiter)
        return False  # close: HTTP/1.1 has no use for a half-closed connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._stop_timer()
        _wake(self.waiter)
        _wake(self.drain)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        _wake(self.drain)

    # -- use -------------------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Idle, open and quiet: a server that closed it or sent unasked bytes rules it out."""
        transport = self.transport
        return (
            not self.closed
            and not self.buffer
            and not (transport is None or transport.is_closing())
        )

    def fit_for_reuse(self) -> bool:
        """:attr:`reusable`, and nothing waiting unread in its socket (an end not handled yet).

        The event loop learns that the server closed an idle connection only when it next runs
        its callbacks; a request written before that goes into a closed connection. Asking the
        socket closes that window (as httpcore does): whatever arrived on an idle connection,
        its end or unasked bytes, rules it out.
        """
        readable = self.readable
        return self.reusable and not (readable is not None and readable())

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def abandon(self) -> None:
        """Let go of a connection whose event loop may be closed: shut its socket down."""
        self.closed = True
        transport = self.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the peer sees the end now; the fd goes with GC
        if transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop is closed
                transport.abort()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    async def _wait(
        self, future: asyncio.Future[None], timeout: float | None, error: type[Exception]
    ) -> None:
        """Await ``future``; after ``timeout`` seconds it fails with ``error("timed out")``.

        One timer per connection, moved lazily: a read waits a millisecond for a timeout of
        seconds, and a timer made and cancelled for each (pushed on the loop's heap) was a
        measurable part of a request's CPU. The timer stays armed for the earliest limit
        given; when it fires it expires the wait in progress if that one's limit has come,
        moves to it if not, and ends if nothing waits.
        """
        if timeout is None:
            try:
                await future
            finally:
                del future  # see below
            return
        loop = asyncio.get_running_loop()
        limit = loop.time() + timeout
        self._limit = limit
        self._limit_error = error
        self._limited = future
        timer = self._timer
        if timer is None or timer.when() > limit:
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(limit, self._fire)
        try:
            await future
        finally:
            self._limited = None
            # A timeout or an error raised here holds this frame in its traceback, and the
            # future holds the error: without this the two (and the answer being read, up the
            # traceback) would wait for the cyclic collector.
            del future

    def _fire(self) -> None:
        self._timer = None
        future = self._limited
        if future is None or future.done():
            return  # nothing waits: no timer until the next wait
        loop = future.get_loop()
        if loop.time() + _EARLY >= self._limit:
            _expire(future, self._limit_error)
        else:
            self._timer = loop.call_at(self._limit, self._fire)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _more(self, timeout: float | None) -> None:
        """Wait until more bytes arrive; raise when the connection ended instead."""
        if self.closed:
            raise self._ended()
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        try:
            await self._wait(waiter, timeout, httpx.ReadTimeout)
        finally:
            self.waiter = None
            del waiter  # as in _wait: no cycle through a timeout's traceback

    def _ended(self) -> Exception:
        if self.error is not None:
            return httpx.ReadError(str(self.error) or type(self.error).__name__)
        return httpx.RemoteProtocolError(
            "the server closed the connection in the middle of an answer"
        )

    async def send(self, data: bytes, timeout: float | None) -> None:
        transport = self.transport
        if transport is None or self.closed or transport.is_closing():
            raise _NotSentError
        try:
            transport.write(data)
        except (OSError, RuntimeError) as error:  # refused at once: nothing was written
            raise _NotSentError from error
        if self.paused:
            drain = self.drain = asyncio.get_running_loop().create_future()
            try:
                await self._wait(drain, timeout, httpx.WriteTimeout)
            finally:
                self.drain = None
            if self.error is not None:
                raise httpx.WriteError(str(self.error) or type(self.error).__name__)

    async def receive(self, timeout: float | None) -> tuple[WireResponse, bool]:
        """Read one answer; returns it and whether the connection may carry another request."""
        answer = _Answer()
        # The parser holds the answer's callbacks and the answer holds the parser: a cycle that
        # only the garbage collector frees. Broken here, every answer is freed as it goes out of
        # use (at 512 jobs in flight the collector's passes took a fifth of the worker's CPU).
        try:
            head: list[bytes] = []  # what was fed until the final head was read
            fed = 0
            while not answer.complete:
                if self.buffer:
                    data = bytes(self.buffer)
                    self.buffer.clear()
                    if not answer.read_head:
                        head.append(data)
                        fed += len(data)
                    _feed(answer, data)
                    if not answer.read_head and fed > _MAX_HEAD:
                        raise httpx.RemoteProtocolError(_HEAD_TOO_LARGE)
                    if head and answer.read_head:
                        _check_protocol(b"".join(head), answer.interim + 1)
                        head = []
                    continue
                if self.closed:
                    if self.error is None and answer.to_close:
                        answer.complete = True
                        answer.keep_alive = False
                        break
                    if not fed:
                        raise _UnansweredError  # not one byte of an answer
                    raise self._ended()
                await self._more(timeout)
            headers = answer.headers
            body = answer.body[0] if len(answer.body) == 1 else b"".join(answer.body)
            encoding = headers.get("content-encoding", "identity").strip().lower()
            if body and encoding not in ("", "identity"):  # an empty body stays empty (httpx)
                body = _decode(body, encoding)
            # Bytes nobody asked for: this connection's framing cannot be trusted.
            keep_alive = answer.keep_alive and not answer.surplus and not self.buffer
            return WireResponse(answer.status, headers, body), keep_alive
        finally:
            del answer.parser


class _Surplus(Exception):  # noqa: N818 - a signal to stop parsing, not an error
    """Bytes after the answer: parsing stops there, the connection is not reused."""


# RFC 9112, 4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ). h11 lets most controls in.
_REASON_CONTROLS = bytes(c for c in range(32) if c != 9) + b"\x7f"


class _Answer:
    """httptools' callbacks for one answer: its head, its body, and the checks llhttp leaves.

    llhttp (the parser of Node.js) does the framing: the status line, header syntax, one
    ``Content-Length`` (a second one, or one beside ``Transfer-Encoding``, is refused), chunk
    sizes and chunk ends, interim answers. What h11 refuses and llhttp lets through is checked
    here: a second ``Transfer-Encoding`` field, one that is not exactly ``chunked``, a status
    under 100 or a ``101`` (nothing asked to switch protocols), control characters in the reason
    phrase, and a protocol other than ``HTTP/`` (llhttp also reads ``RTSP/`` and ``ICE/``).
    """

    __slots__ = (
        "body",
        "complete",
        "framed",
        "headers",
        "interim",
        "keep_alive",
        "parser",
        "read_head",
        "status",
        "surplus",
        "te_seen",
    )

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.status = 0
        self.interim = 0  # interim (1xx) answers before this one
        self.read_head = False  # the final answer's head is read
        self.framed = False  # Content-Length or Transfer-Encoding frame the body
        self.te_seen = False
        self.keep_alive = False
        self.complete = False
        self.surplus = False  # bytes came after the answer

    def on_message_begin(self) -> None:
        if self.complete:
            raise _Surplus

    def on_status(self, reason: bytes) -> None:
        if reason.translate(None, _REASON_CONTROLS) != reason:
            raise httpx.RemoteProtocolError("a control character in the reason phrase")

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        if key == "transfer-encoding":
            # As h11: one field, exactly "chunked" (llhttp reads "chunked, gzip" to the close).
            if self.te_seen:
                raise httpx.RemoteProtocolError("two Transfer-Encoding fields")
            if value.strip(b" \t").lower() != b"chunked":
                msg = f"unsupported Transfer-Encoding {value[:40]!r}: only chunked is"
                raise httpx.RemoteProtocolError(msg)
            self.te_seen = self.framed = True
        elif key == "content-length":
            self.framed = True
        self.headers[key] = value.decode("latin-1").strip(" \t")

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 100:
            raise httpx.RemoteProtocolError(f"status {status} is not an HTTP status")
        if status == 101:
            # Nothing here asks to switch protocols: what follows is not HTTP/1.1 (h11 agrees).
            raise httpx.RemoteProtocolError("a 101 answer switches protocols nobody asked for")
        self.status = status
        if status < 200:  # an interim answer (100 Continue): the real one follows
            return
        self.read_head = True
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.read_head:  # the end of an interim answer
            self.interim += 1
            self.headers = {}
            self.te_seen = self.framed = False
            return
        self.keep_alive = self.parser.should_keep_alive()
        self.complete = True

    @property
    def to_close(self) -> bool:
        """The body is delimited by the connection's close (no framing header)."""
        return self.read_head and not self.framed and self.status not in _NO_BODY_STATUSES


def _feed(answer: _Answer, data: bytes) -> None:
    """Give ``data`` to ``answer``'s parser; a framing error raises ``RemoteProtocolError``."""
    try:
        answer.parser.feed_data(data)
    except httptools.HttpParserCallbackError as error:
        # The callback's error holds, through its traceback, the callback's frame (the answer)
        # and this one: kept in a local, it would make a cycle only the collector frees.
        reason = error.__context__
        try:
            if isinstance(reason, _Surplus):
                answer.surplus = True
                return
            if isinstance(reason, httpx.RemoteProtocolError):
                raise reason from None
            raise  # pragma: no cover - the callbacks raise nothing else
        finally:
            del reason
    except httptools.HttpParserError as error:
        if answer.complete:  # garbage after a whole answer: the answer stands, not the connection
            answer.surplus = True
            return
        raise httpx.RemoteProtocolError(f"malformed answer: {error}") from None


def _check_protocol(head: bytes, count: int) -> None:
    """Check the ``count`` heads at the start of ``head``: each begins ``HTTP/`` (h11's rule).

    Together they are at most ``_MAX_HEAD`` bytes, however the network split them. llhttp
    also takes ``RTSP/`` and ``ICE/`` answers, and skips blank lines before one.
    """
    start = 0
    for _ in range(count):
        if not head.startswith(b"HTTP/", start):
            line = head[start : head.find(b"\r\n", start)]
            raise httpx.RemoteProtocolError(f"not an HTTP/1.1 answer: {line[:80]!r}")
        start = head.find(b"\r\n\r\n", start) + 4
    if start > _MAX_HEAD:
        raise httpx.RemoteProtocolError(_HEAD_TOO_LARGE)


def _unanswered(conn: _Conn) -> httpx.TransportError:
    error = conn.error
    if error is not None:  # reset rather than closed
        return httpx.ReadError(
            f"the connection failed before any answer: {str(error) or type(error).__name__}"
        )
    return httpx.RemoteProtocolError("the server closed the connection without answering")


def _decode(body: bytes, encoding: str) -> bytes:
    for name in reversed([part.strip() for part in encoding.split(",")]):
        if name in ("gzip", "x-gzip"):
            wbits = 16 + zlib.MAX_WBITS
        elif name == "deflate":
            wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
        else:  # identity, or an encoding httpx would not decode either: the bytes as they came
            continue
        try:
            body = zlib.decompress(body, wbits)
        except zlib.error as error:
            raise httpx.RemoteProtocolError(f"cannot decode the {name} body: {error}") from None
    return body


class WirePool:
    """Persistent HTTP/1.1 connections to one origin, used from one asyncio event loop at a time.

    Args:
        url: the origin (scheme, host and port are used).
        ssl_context: the TLS context for ``https``; ignored for ``http``.
        limits: at most ``max_connections`` connections at once (``None``: no bound), at most
            ``max_keepalive_connections`` kept idle.
    """

    def __init__(
        self, url: httpx.URL, *, ssl_context: ssl.SSLContext | None, limits: httpx.Limits
    ) -> None:
        self._host = url.host
        self._tls = url.scheme == "https"
        self._port = url.port or (443 if self._tls else 80)
        self._ssl = ssl_context if self._tls else None
        if self._tls and ssl_context is None:
            msg = "an https origin needs an SSL context"
            raise ValueError(msg)
        self._max = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._idle: list[_Conn] = []
        self._busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    async def request(self, head: bytes, body: bytes, timeout: httpx.Timeout) -> WireResponse:
        """Send one request (its head, then its body) and read the whole answer.

        The request goes out at most twice: once more on a new connection when the first one
        was found closed before anything was written, or when a kept-alive connection closed
        without answering an idempotent request (its method, the head's first word, says so).
        A connection that closes without answering any other request raises: the server may
        have read it.

        Raises:
            httpx.TransportError: one of the types listed in the module's documentation, e.g.
                ``RemoteProtocolError`` when the server closed the connection without answering.
        """
        if self._closed:
            msg = "the client is closed"
            raise RuntimeError(msg)
        self._adopt(asyncio.get_running_loop())
        data = head + body
        method = head[: head.find(b" ")]
        if method == b"HEAD":
            # The answer's framing headers describe a body that never comes: the lane sends none.
            msg = "the fast lane does not send HEAD requests"
            raise ValueError(msg)
        idempotent = method in _IDEMPOTENT
        for attempt in (1, 2):
            conn = await self._acquire(timeout)
            try:
                await conn.send(data, timeout.write)
                response, keep_alive = await conn.receive(timeout.read)
            except _NotSentError:
                self._release(conn, reusable=False)
                if attempt == 2:
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection before the request was sent"
                    ) from None
                continue
            except _UnansweredError:
                self._release(conn, reusable=False)
                if attempt == 2 or not idempotent or conn.requests == 0:
                    raise _unanswered(conn) from None
                continue
            except BaseException:
                conn.abort()  # cancelled or failed mid-request: its framing is lost
                self._release(conn, reusable=False)
                raise
            conn.requests += 1
            self._release(conn, reusable=keep_alive)
            return response
        raise RuntimeError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _adopt(self, loop: asyncio.AbstractEventLoop) -> None:
        # Connections belong to the loop that opened them; a new loop starts afresh.
        if self._loop is loop:
            return
        for conn in self._idle:
            conn.abandon()
        self._idle.clear()
        self._busy = 0
        self._waiters.clear()
        self._loop = loop

    async def _acquire(self, timeout: httpx.Timeout) -> _Conn:
        while True:
            while self._idle:
                conn = self._idle.pop()
                if conn.fit_for_reuse():
                    self._busy += 1
                    return conn
                conn.close()
            if self._max is None or self._busy < self._max:
                break
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            timer = None
            if timeout.pool is not None:
                timer = asyncio.get_running_loop().call_later(
                    timeout.pool, _expire, waiter, httpx.PoolTimeout
                )
            try:
                await waiter
            except BaseException:
                # Cancelled just as a released connection woke it: pass the turn on, or the
                # next waiter sleeps until its pool timeout although a connection is free.
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._wake_one()
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._busy += 1
        try:
            return await self._connect(timeout.connect)
        except BaseException:
            self._busy -= 1
            self._wake_one()
            raise

    def _release(self, conn: _Conn, *, reusable: bool) -> None:
        self._busy -= 1
        if (
            reusable
            and not self._closed
            and conn.reusable
            and (self._max_idle is None or len(self._idle) < self._max_idle)
        ):
            self._idle.append(conn)
        else:
            conn.close()
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(self, timeout: float | None) -> _Conn:
        loop = asyncio.get_running_loop()
        conn = _Conn()
        try:
            await asyncio.wait_for(
                loop.create_connection(
                    lambda: conn,
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl is not None else None,
                ),
                timeout,
            )
        except asyncio.TimeoutError:
            raise httpx.ConnectTimeout("connecting timed out") from None
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(str(error) or type(error).__name__) from None
        return conn

    async def aclose(self) -> None:
        """Close the idle connections; busy ones close when their answer is read."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            if self._loop is None or self._loop.is_closed():
                conn.abandon()
            else:
                conn.close()
