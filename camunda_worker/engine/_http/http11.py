"""A small HTTP/1.1 server on asyncio and httptools that runs the engine's ASGI app.

It replaces uvicorn for the engine, whose needs are few and exact: an answer's head and body go
out in one write (on loopback each write is a system call and a packet, and a worker waits for
every answer); the reading of a request is bounded in time and size (:class:`RequestGuard`);
the app may drop a connection unanswered (:data:`~.asgi_io.ABORT_EXTENSION`); waiting long
polls are answered when the server stops. uvicorn has no public seam for the first two, so
they were got by subclassing its protocol; here they are the server's own. Requests are parsed
by ``httptools.HttpRequestParser`` (llhttp), through its public API only.

What it speaks: HTTP/1.1 and 1.0 requests with ``Content-Length`` or chunked bodies, keep-alive
(``Connection: close`` and HTTP/1.0 honoured), pipelined requests answered in order,
``Expect: 100-continue``; answers with ``Content-Length`` (added when the app gives a whole body
without one) or chunked when the app streams without a length; a ``date`` header. A request
llhttp refuses is answered 400 and its connection closed; an app that fails before answering
gets a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import http
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal, cast

import httptools
from loguru import logger

from camunda_worker.engine._http.answers import PROBLEM_JSON, encode_json, problem_document
from camunda_worker.engine._http.asgi_io import ABORT_EXTENSION
from camunda_worker.engine._http.loops import run_on

__all__ = ["Http11Server", "RequestGuard"]

_HIGH_WATER = 64 * 1024  # request body bytes buffered before reading pauses
_NO_BODY = frozenset({204, 304})
_REASONS = {status.value: status.phrase.encode("ascii") for status in http.HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

App = Callable[..., Any]


def _refusal(status: int, reason: str, detail: str, target: bytes) -> bytes:
    """A whole ``Connection: close`` answer with a problem document, for the server to write."""
    instance = target.decode("latin-1").partition("?")[0][:200] or "/"
    content = encode_json(problem_document(status, reason, detail, instance))
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON.decode()}\r\n"
        f"content-length: {len(content)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + content


class RequestGuard:
    """The limits on reading one connection's requests: deadlines for the head and the body.

    The head deadline runs from :meth:`begin` (the connection is made, or a later request's
    first byte arrived) until :meth:`head_read`; past it the connection is closed unanswered.
    A head over ``max_head`` bytes is answered 431. The body deadline runs from the head until
    :meth:`body_read`, armed only when the body did not come with the head (the common case
    arms no timer); past it the request is answered 408. Both answers close the connection.

    From :meth:`body_read` to the next :meth:`begin` nothing is watched: a request being
    answered, however long (a long poll), is never cut; an idle kept-alive connection is the
    server's idle timeout's.
    """

    def __init__(
        self, transport: Any, *, head_timeout: float, body_timeout: float, max_head: int
    ) -> None:
        self._transport = transport
        self._head_timeout = head_timeout
        self._body_timeout = body_timeout
        self._max_head = max_head
        self._timer: asyncio.TimerHandle | None = None
        self._reading_head = False
        self._reading_body = False
        self._head_size = 0
        self._counting = False
        self._target = b""
        self.refused = False

    def begin(self) -> None:
        """A head may start now: its deadline runs (kept if it already does)."""
        if self._reading_head:
            return
        self._reading_head = True
        self._head_size = 0
        self._counting = False
        self._target = b""
        self._arm(self._head_timeout, self._head_expired)

    def on_target(self, piece: bytes) -> None:
        """Keep (the start of) the request target, for the ``instance`` of a refusal."""
        if len(self._target) < 200:
            self._target += piece

    def head_read(self) -> None:
        """The head is complete: the body is awaited (until :meth:`body_read`)."""
        self._reading_head = False
        self._reading_body = True
        self._disarm()

    def body_read(self) -> None:
        """The request is read whole: nothing is watched until the next :meth:`begin`."""
        self._reading_body = False
        self._disarm()

    def received(self, size: int) -> None:
        """Account for a read of ``size`` bytes, once the parser has taken it.

        While a head is incomplete its bytes are counted, except those of the read it began in
        (they may end a body), so a head passes ``max_head`` by at most one read before it is
        refused. A body still awaited after the read arms the body deadline.
        """
        if self._reading_head:
            if self._counting:
                self._head_size += size
            self._counting = True
            if self._head_size > self._max_head:
                detail = f"The request line and headers are larger than {self._max_head} bytes"
                self._refuse(431, "Request Header Fields Too Large", detail)
        elif self._reading_body and self._timer is None:
            self._arm(self._body_timeout, self._body_expired)

    def close(self) -> None:
        """The connection is lost: stop every deadline."""
        self._reading_head = self._reading_body = False
        self._disarm()

    def _arm(self, delay: float, callback: Callable[[], None]) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(delay, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_expired(self) -> None:
        self._timer = None
        self._reading_head = False
        if not self._transport.is_closing():
            self._transport.close()

    def _body_expired(self) -> None:
        self._timer = None
        detail = f"The request body did not arrive whole within {self._body_timeout:g} s"
        self._refuse(408, "Request Timeout", detail)

    def _refuse(self, status: int, reason: str, detail: str) -> None:
        self.close()
        self.refused = True
        if not self._transport.is_closing():
            self._transport.write(_refusal(status, reason, detail, self._target))
            self._transport.close()


class _Date:
    """The ``date`` header's value, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._line = b""

    def line(self) -> bytes:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._line = b"date: %s\r\n" % email.utils.formatdate(now, usegmt=True).encode()
        return self._line


class _Exchange:
    """One request and its answer: the ASGI ``receive`` and ``send`` of the app's call."""

    def __init__(self, conn: _Connection, scope: dict[str, Any], *, keep_alive: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self.body: deque[bytes] = deque()
        self.buffered = 0
        self.more_body = True  # the request's body is still arriving
        self.waiter: asyncio.Future[None] | None = None
        self.expect_continue = False
        self.started = False  # the app sent http.response.start
        self.complete = False  # the whole answer is written
        self.head: bytes = b""
        self.chunked = False
        self.head_only = scope["method"] == "HEAD"
        self.ended = False  # receive() gave the app the body's end
        self.has_length = False  # the answer's head frames its body
        self.status = 0

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def add_body(self, data: bytes) -> None:
        self.body.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER:
            self.conn.pause_reading()
        self.wake()

    async def receive(self) -> dict[str, Any]:
        conn = self.conn
        if self.expect_continue and not self.started and self.more_body and not self.body:
            self.expect_continue = False
            conn.write(_CONTINUE)
        if not self.ended:  # the app has not had the body's end yet
            while not self.body and self.more_body and not conn.lost:
                await self._wait()
            if self.body or not self.more_body:
                data = b"".join(self.body)
                self.body.clear()
                self.buffered = 0
                conn.resume_reading()
                self.ended = not self.more_body
                return {"type": "http.request", "body": data, "more_body": self.more_body}
        # The body is read: the next message is the client's going away (or the answer's end).
        while not conn.lost and not self.complete:
            await self._wait()
        return {"type": "http.disconnect"}

    async def _wait(self) -> None:
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self.waiter = None

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        conn = self.conn
        if kind == "http.response.start":
            if self.started:
                msg = "the answer was started already"
                raise RuntimeError(msg)
            self.started = True
            self.head = self._head(message["status"], message.get("headers", ()))
            return
        if kind != "http.response.body":
            return
        if not self.started or self.complete:
            msg = "http.response.body before http.response.start, or after the answer's end"
            raise RuntimeError(msg)
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        body = self._framed(body, more=more)
        data = body
        if self.head:
            data = self.head + b"\r\n" + body  # the head and the body in one write
            self.head = b""
        if data and not conn.lost:
            conn.write(data)
        if not more:
            self.complete = True
            self.wake()
            conn.answered(self)

    def _framed(self, body: bytes, *, more: bool) -> bytes:
        """``body`` as it goes on the wire; the head (not sent yet) learns its framing."""
        if self.head and not self.has_length and self.status not in _NO_BODY:
            if more:  # streamed without a length: chunked
                self.chunked = True
                self.head += b"transfer-encoding: chunked\r\n"
            else:
                self.head += b"content-length: %d\r\n" % len(body)
            self.has_length = True
        if self.head_only or self.status in _NO_BODY:
            return b""
        if self.chunked:
            chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            return chunk if more else chunk + b"0\r\n\r\n"
        return body

    def _head(self, status: int, headers: Sequence[tuple[bytes, bytes]]) -> bytes:
        self.status = status
        conn = self.conn
        reason = _REASONS.get(status, b"")
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, reason), conn.server.date.line()]
        says_close = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"connection" and b"close" in value.lower():
                self.keep_alive = False
                says_close = True
            elif lowered in (b"content-length", b"transfer-encoding"):
                self.has_length = True
            lines.append(b"%s: %s\r\n" % (lowered, value))
        if not self.keep_alive or conn.server.stopping:
            self.keep_alive = False
            if not says_close:
                lines.append(b"connection: close\r\n")
        return b"".join(lines)

    async def run(self, app: App) -> None:
        conn = self.conn
        try:
            await app(self.scope, self.receive, self.send)
        except Exception as error:  # noqa: BLE001 - the app's failure ends its exchange only
            logger.opt(exception=error).error("the engine's app failed")
            if not self.started and not conn.lost:
                self.keep_alive = False
                target = self.scope["raw_path"]
                conn.write(_refusal(500, "Internal Server Error", "The engine failed", target))
                self.complete = True
                conn.answered(self)
                return
        if not self.complete:  # the app returned without ending its answer: nothing can follow
            self.keep_alive = False
            self.complete = True
            conn.answered(self)


class _Connection(asyncio.Protocol):
    """One client connection: parses its requests and runs one exchange at a time."""

    def __init__(self, server: Http11Server) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.guard: RequestGuard | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.lost = False
        self.current: _Exchange | None = None  # being read (its head is complete)
        self.active: _Exchange | None = None  # being answered
        self.queue: deque[_Exchange] = deque()  # pipelined, waiting for their turn
        self.idle: asyncio.TimerHandle | None = None
        self.paused = False
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._client: tuple[str, int] | None = None
        self._local: tuple[str, int] | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream connection's transport has asyncio.Transport's methods whatever its class.
        self.transport = cast("asyncio.Transport", transport)
        self._client = _address(transport.get_extra_info("peername"))
        self._local = _address(transport.get_extra_info("sockname"))
        self.guard = RequestGuard(
            transport,
            head_timeout=self.server.header_timeout,
            body_timeout=self.server.body_timeout,
            max_head=self.server.max_head,
        )
        self.guard.begin()
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        guard = self.guard
        if guard is None or guard.refused:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._bad_request("Protocol upgrades are not supported")
            return
        except httptools.HttpParserError:
            self._bad_request("The request is not valid HTTP/1.1")
            return
        guard.received(len(data))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.guard is not None:
            self.guard.close()
        self._stop_idle()
        for exchange in (self.current, self.active, *self.queue):
            if exchange is not None:
                exchange.wake()
        self.server.connections.discard(self)
        self.server.connection_gone()

    def pause_writing(self) -> None:
        pass  # answers are small; a client that stops reading is the idle/close timers'

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._stop_idle()
        if self.guard is not None:
            self.guard.begin()
        self._url = b""
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url
        if self.guard is not None:
            self.guard.on_target(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        if self.guard is not None:
            self.guard.head_read()
        parsed = httptools.parse_url(self._url)
        raw_path = parsed.path or b"/"
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": self.parser.get_http_version(),
            "server": self._local,
            "client": self._client,
            "scheme": "http",
            "method": self.parser.get_method().decode("ascii"),
            "root_path": "",
            "path": _unquote(raw_path),
            "raw_path": raw_path,
            "query_string": parsed.query or b"",
            "headers": self._headers,
            "extensions": {ABORT_EXTENSION: {"abort": self.abort}},
        }
        exchange = _Exchange(self, scope, keep_alive=self.parser.should_keep_alive())
        exchange.expect_continue = (b"expect", b"100-continue") in (
            (name, value.lower()) for name, value in self._headers
        )
        self.current = exchange
        if self.active is None:
            self._start(exchange)
        else:
            self.queue.append(exchange)
            self.pause_reading()  # one pipelined request at a time is enough

    def on_body(self, body: bytes) -> None:
        if self.current is not None:
            self.current.add_body(body)

    def on_message_complete(self) -> None:
        if self.guard is not None:
            self.guard.body_read()
        exchange = self.current
        if exchange is not None:
            exchange.more_body = False
            exchange.wake()
        self.current = None

    # -- exchanges -------------------------------------------------------------------------

    def _start(self, exchange: _Exchange) -> None:
        self.active = exchange
        task = asyncio.get_running_loop().create_task(exchange.run(self.server.app))
        self.server.tasks.add(task)
        task.add_done_callback(self.server.tasks.discard)

    def answered(self, exchange: _Exchange) -> None:
        """``exchange``'s answer is written whole: close, or go on with the next request."""
        if exchange is not self.active:
            return
        self.active = None
        if self.lost:
            return
        if not exchange.keep_alive or exchange.more_body:
            # Closing, or the app answered before the body's end: what follows cannot be read.
            self.close()
            return
        if self.queue:
            self.resume_reading()
            self._start(self.queue.popleft())
            return
        if self.server.stopping:
            self.close()
            return
        self.resume_reading()
        self.idle = asyncio.get_running_loop().call_later(self.server.idle_timeout, self.close)

    @property
    def busy(self) -> bool:
        """An exchange is being read or answered."""
        return self.active is not None or self.current is not None

    # -- transport -------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def pause_reading(self) -> None:
        if not self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.paused and self.transport is not None and not self.transport.is_closing():
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self._stop_idle()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection at once, unanswered (the ``drop`` fault)."""
        self.lost = True
        if self.transport is not None:
            self.transport.abort()

    def _stop_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def _bad_request(self, detail: str) -> None:
        if self.guard is not None:
            self.guard.close()
        if self.active is None:
            self.write(_refusal(400, "Bad Request", detail, self._url))
        self.close()


def _address(address: Any) -> tuple[str, int] | None:
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


def _unquote(raw: bytes) -> str:
    if b"%" not in raw:
        return raw.decode("ascii", "replace")
    from urllib.parse import unquote_to_bytes  # noqa: PLC0415 - rare: paths are plain

    return unquote_to_bytes(raw).decode("utf-8", "replace")


class Http11Server:
    """Serves an ASGI app on listening sockets until :meth:`request_stop`.

    Args:
        app: the ASGI app (its HTTP scope only: no lifespan).
        header_timeout: seconds a request head has to arrive whole.
        body_timeout: seconds a request body has to arrive whole once its head is read.
        idle_timeout: seconds a kept-alive connection may wait for its next request.
        graceful_timeout: seconds requests in flight get to end once stopping began.
        max_head: the largest request head read, in bytes (larger: 431).
        on_stop: called when stopping begins (the engine answers its waiting long polls).
        background: a coroutine function run on the server's loop while it serves (the
            engine's real-time timers), cancelled when stopping begins.
    """

    def __init__(
        self,
        app: App,
        *,
        header_timeout: float,
        body_timeout: float,
        idle_timeout: float,
        graceful_timeout: float,
        max_head: int,
        on_stop: Callable[[], None] | None = None,
        background: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self.app = app
        self._background = background
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.graceful_timeout = graceful_timeout
        self.max_head = max_head
        self.date = _Date()
        self.connections: set[_Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.started = False
        self.stopping = False
        self._on_stop = on_stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_asked = False
        self._gone: asyncio.Event | None = None

    def run(self, sockets: Sequence[Any], loop: Literal["asyncio", "uvloop"] = "asyncio") -> None:
        """Serve on ``sockets`` in this thread, on a new event loop of kind ``loop``, until stopped."""
        run_on(loop, self.serve(sockets))

    def request_stop(self) -> None:
        """Begin stopping (from any thread, or a signal handler)."""
        self._stop_asked = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: it stopped already
                loop.call_soon_threadsafe(stop.set)

    def connection_gone(self) -> None:
        if self._gone is not None and not self.connections:
            self._gone.set()

    async def serve(self, sockets: Sequence[Any]) -> None:
        """Serve until :meth:`request_stop`; then answer, wait for, and close every connection."""
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._loop = loop
        listeners = [
            await loop.create_server(lambda: _Connection(self), sock=sock) for sock in sockets
        ]
        background = None if self._background is None else loop.create_task(self._background())
        self.started = True
        if self._stop_asked:
            self._stop.set()
        try:
            await self._stop.wait()
        finally:
            if background is not None:
                background.cancel()
                await asyncio.gather(background, return_exceptions=True)
            await self._shutdown(listeners)

    async def _shutdown(self, listeners: list[asyncio.Server]) -> None:
        self.stopping = True
        for listener in listeners:
            listener.close()
        if self._on_stop is not None:
            self._on_stop()
        for conn in list(self.connections):
            if not conn.busy:
                conn.close()
        self._gone = asyncio.Event()
        if self.connections:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._gone.wait(), self.graceful_timeout)
        for conn in list(self.connections):
            conn.abort()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        for listener in listeners:
            await listener.wait_closed()
