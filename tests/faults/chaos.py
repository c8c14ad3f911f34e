"""A TCP chaos proxy for fault tests: sits between a worker and the engine, misbehaves on command.

:class:`ChaosProxy` listens on 127.0.0.1 (a free port) and forwards every connection to an
upstream address (the engine served over loopback), on an asyncio event loop in a thread of its
own, so it keeps working whatever the code under test does with its own loops and threads. Point
the worker at :attr:`ChaosProxy.url` instead of the engine's URL::

    with ChaosProxy(server.host, server.port) as proxy:
        client = CamundaAsyncClient(proxy.url)     # the worker's REST address
        ...
        proxy.stall()                              # a black hole, from now on
        ...
        proxy.resume()                             # everything flows again

The ``chaos_proxy`` fixture (import it from here into the test module:
``from .chaos import chaos_proxy``) gives a started proxy in front of the ``camunda_engine``
fixture's TCP server, closed at teardown. :func:`running_worker` runs a
worker with its own client for a URL (the proxy's) on an event loop of its own, and closes both;
:func:`wait_for` waits for an end state with a generous bound.

Commands (thread-safe: call them from the test, a handler, any thread; each takes effect before
it returns). *direction* is ``"up"`` (client to server), ``"down"`` (server to client) or
``"both"``:

- :meth:`~ChaosProxy.resume` / :meth:`~ChaosProxy.pass_through`: clear every fault; bytes held
  by a stall flow on (in order, as TCP delivers them once a partition heals).
- :meth:`~ChaosProxy.delay`: wait that many seconds before forwarding each chunk.
- :meth:`~ChaosProxy.stall`: stop forwarding (a black hole) while every socket stays open: open
  connections and new ones get nothing through, nothing is closed, the peers see silence. The
  proxy stops reading too, so held bytes stay in the kernel's buffers (bounded, as in TCP).
- :meth:`~ChaosProxy.truncate`: cut answers: forward ``after_bytes`` bytes of the server's
  stream, then close both sides (FIN).
- :meth:`~ChaosProxy.reset`: the same, but with a reset (RST, ``SO_LINGER`` 0) instead of a FIN;
  ``after_bytes=0`` drops the whole answer (the server did the work, the client never hears).
- :meth:`~ChaosProxy.reset_connections`: reset every open connection now (held bytes are lost).
- :meth:`~ChaosProxy.refuse`: close the listening socket: new connections are refused
  (``ECONNREFUSED``), open ones go on; :meth:`~ChaosProxy.resume` listens again on the same port.

:meth:`~ChaosProxy.truncate` and :meth:`~ChaosProxy.reset` take ``match``: only an answer to a
request whose bytes contain it is cut (e.g. ``b"/completion"``, ``b"/jobs/activation"``); the
proxy looks at the client's bytes only for that (a request head arrives in one chunk in
practice; a match spanning two chunks is found too). Without ``match`` the server's bytes on
every connection count from when the fault was set. ``times`` is how many answers are cut before
the fault clears itself (``None``: until :meth:`~ChaosProxy.resume`).

What happened is counted in :attr:`~ChaosProxy.stats` (:class:`ProxyStats`) and described in
:attr:`~ChaosProxy.events` (one line each, for failure messages). Everything is bounded: chunks of
at most 64 KiB, one chunk held per direction and connection, commands and the shutdown wait at
most a few seconds; :meth:`~ChaosProxy.close` aborts every connection and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, Literal, TypeVar

import attrs
import httpx
import pytest

from camunda_worker import CamundaAsyncClient, CamundaSettings, JobWorker, WorkerConfig
from camunda_worker.testing import EngineHarness

__all__ = ["ChaosProxy", "Direction", "ProxyStats", "chaos_proxy", "running_worker", "wait_for"]

Direction = Literal["up", "down", "both"]
"""``"up"``: client to server; ``"down"``: server to client; ``"both"``."""

T = TypeVar("T")

_CHUNK = 64 * 1024
_COMMAND_TIMEOUT = 10.0
_UPSTREAM_CONNECT_TIMEOUT = 5.0


@attrs.frozen
class ProxyStats:
    """What the proxy did so far.

    Attributes:
        accepted: connections accepted from clients.
        open: connections open now.
        upstream_failures: connections whose upstream could not be reached (reset at once).
        cut: answers truncated or reset by :meth:`ChaosProxy.truncate` / :meth:`ChaosProxy.reset`.
        resets: connections reset (by :meth:`ChaosProxy.reset`, :meth:`ChaosProxy.reset_connections`
            or an unreachable upstream).
        bytes_up: bytes forwarded from clients to the server.
        bytes_down: bytes forwarded from the server to clients.
        held: chunks waiting at a stall now.
    """

    accepted: int
    open: int
    upstream_failures: int
    cut: int
    resets: int
    bytes_up: int
    bytes_down: int
    held: int


@attrs.define
class _Cut:
    """An armed truncate/reset fault."""

    after_bytes: int
    reset: bool
    match: bytes | None
    times: int | None

    def take(self) -> bool:
        """Use up one of the fault's times; ``False`` when none is left."""
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, number: int, client: asyncio.StreamWriter) -> None:
        self.number = number
        self.client = client
        self.server: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.tail = b""  # the end of the client's last chunk, to match across chunks
        self.armed: _Cut | None = None  # the cut waiting for this connection's answer
        self.counted = 0  # server bytes forwarded since the cut was armed
        self.closed = False

    def close(self, *, reset: bool) -> None:
        if self.closed:
            return
        self.closed = True
        current = asyncio.current_task()
        for task in self.tasks:  # a pump waiting at a stall or a delay ends now
            if task is not current and not task.done():
                task.cancel()
        for writer in (self.client, self.server):
            if writer is None:
                continue
            if reset:
                _linger_zero(writer)
                writer.transport.abort()
            else:
                writer.close()


def _linger_zero(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class ChaosProxy:
    """A TCP proxy on 127.0.0.1 that stalls, delays, truncates, resets or refuses on command.

    See the module docstring for the commands. Use as a context manager or call :meth:`start`
    and :meth:`close`.

    Args:
        upstream_host: where connections are forwarded to (loopback).
        upstream_port: the upstream port.
        host: the interface to listen on.

    Attributes:
        port: the port the proxy listens on (known once started).
    """

    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self._upstream = (upstream_host, upstream_port)
        self._host = host
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._pairs: dict[int, _Pair] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._lock = threading.Lock()  # guards the counters and events read from other threads
        self._events: list[str] = []
        self._accepted = 0
        self._upstream_failures = 0
        self._cuts = 0
        self._resets = 0
        self._bytes = {"up": 0, "down": 0}
        self._held = 0
        # The faults, read and written on the proxy's loop only.
        self._delay = {"up": 0.0, "down": 0.0}
        self._stalled = {"up": False, "down": False}
        self._flowing: asyncio.Event | None = None  # set whenever no direction is stalled
        self._cut: _Cut | None = None
        self._refusing = False

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> ChaosProxy:
        """Start listening (in a background thread) and return the proxy."""
        if self._thread is not None:
            raise RuntimeError("the proxy is already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as error:  # reported by start()
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="chaos-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(_COMMAND_TIMEOUT) or failure:
            self.close()
            raise RuntimeError(f"the chaos proxy did not start: {failure!r}")
        return self

    def close(self) -> None:
        """Abort every connection, stop listening and join the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and thread.is_alive() and not loop.is_closed():
            with contextlib.suppress(RuntimeError, TimeoutError):
                self._run(self._shutdown())
            loop.call_soon_threadsafe(loop.stop)
        thread.join(_COMMAND_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError("the chaos proxy's thread did not end")
        self._thread = None

    def __enter__(self) -> ChaosProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- where it listens, what it did ---------------------------------------------------------

    @property
    def address(self) -> str:
        """``http://127.0.0.1:PORT`` (no ``/v2``)."""
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/v2``: give it to the worker as its REST address."""
        return self.address + "/v2"

    @property
    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        with self._lock:
            return ProxyStats(
                accepted=self._accepted,
                open=len(self._pairs),
                upstream_failures=self._upstream_failures,
                cut=self._cuts,
                resets=self._resets,
                bytes_up=self._bytes["up"],
                bytes_down=self._bytes["down"],
                held=self._held,
            )

    @property
    def events(self) -> tuple[str, ...]:
        """What the proxy did, one line per event, oldest first."""
        with self._lock:
            return tuple(self._events)

    # -- commands ------------------------------------------------------------------------------

    def resume(self) -> None:
        """Clear every fault: forward everything again, held bytes first; listen again."""

        async def apply() -> None:
            self._delay = {"up": 0.0, "down": 0.0}
            self._stalled = {"up": False, "down": False}
            self._cut = None
            if self._refusing:
                await self._listen()
                self._refusing = False
            self._update_flow()
            self._note("resumed")

        self._run(apply())

    pass_through = resume

    def delay(self, seconds: float, direction: Direction = "both") -> None:
        """Wait ``seconds`` before forwarding each chunk going ``direction``."""
        if seconds < 0:
            raise ValueError("a delay cannot be negative")

        async def apply() -> None:
            for name in _directions(direction):
                self._delay[name] = seconds
            self._note(f"delay {seconds:g} s {direction}")

        self._run(apply())

    def stall(self, direction: Direction = "both") -> None:
        """Stop forwarding bytes going ``direction`` (a black hole); sockets stay open."""

        async def apply() -> None:
            for name in _directions(direction):
                self._stalled[name] = True
            self._update_flow()
            self._note(f"stall {direction}")

        self._run(apply())

    def truncate(
        self, after_bytes: int, *, match: bytes | None = None, times: int | None = None
    ) -> None:
        """Forward ``after_bytes`` bytes of an answer, then close the connection (FIN)."""
        self._arm(_Cut(after_bytes, reset=False, match=match, times=times))

    def reset(
        self, *, after_bytes: int = 0, match: bytes | None = None, times: int | None = None
    ) -> None:
        """Forward ``after_bytes`` bytes of an answer, then reset the connection (RST)."""
        self._arm(_Cut(after_bytes, reset=True, match=match, times=times))

    def reset_connections(self) -> int:
        """Reset every open connection now; returns how many were reset."""

        async def apply() -> int:
            pairs = list(self._pairs.values())
            for pair in pairs:
                self._close(pair, reset=True, why="reset on command")
            return len(pairs)

        return self._run(apply())

    def refuse(self) -> None:
        """Stop listening: new connections are refused; open ones go on."""

        async def apply() -> None:
            if self._refusing:
                return
            server, self._server = self._server, None
            if server is not None:
                server.close()
            self._refusing = True
            self._note("refusing new connections")

        self._run(apply())

    # -- on the proxy's loop -------------------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None or self._thread is None:
            coroutine.close()
            raise RuntimeError("the chaos proxy is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(_COMMAND_TIMEOUT)

    def _arm(self, cut: _Cut) -> None:
        if cut.after_bytes < 0:
            raise ValueError("after_bytes cannot be negative")

        async def apply() -> None:
            self._cut = cut
            what = "reset" if cut.reset else "truncate"
            self._note(
                f"{what} answers after {cut.after_bytes} bytes"
                f" (match {cut.match!r}, times {cut.times})"
            )

        self._run(apply())

    def _note(self, event: str) -> None:
        with self._lock:
            self._events.append(event)

    def _update_flow(self) -> None:
        if self._flowing is None:
            self._flowing = asyncio.Event()
        if any(self._stalled.values()):
            self._flowing.clear()
        else:
            self._flowing.set()

    async def _listen(self) -> None:
        self._update_flow()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._accept, sock=sock)

    async def _shutdown(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        pairs = list(self._pairs.values())
        for pair in pairs:
            self._close(pair, reset=True, why="proxy closed")
        pumps = [task for pair in pairs for task in pair.tasks if not task.done()]
        for task in pumps:
            task.cancel()
        # The connection handlers end once their pumps did (cancelling one would make asyncio
        # log the cancellation as an error); cancelled only if one hangs anyway.
        waiting = pumps + [task for task in self._handlers if not task.done()]
        if waiting:
            _, pending = await asyncio.wait(waiting, timeout=_COMMAND_TIMEOUT)
            for task in pending:
                task.cancel()
        if server is not None:
            await server.wait_closed()

    def _close(self, pair: _Pair, *, reset: bool, why: str) -> None:
        if pair.closed:
            return
        with self._lock:  # counted first: the peer may see the close before close() returns
            self._pairs.pop(pair.number, None)
            if reset:
                self._resets += 1
            self._events.append(
                f"connection {pair.number}: {'reset' if reset else 'closed'} ({why})"
            )
        pair.close(reset=reset)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        with self._lock:
            self._accepted += 1
            pair = _Pair(self._accepted, writer)
            self._pairs[pair.number] = pair
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self._upstream), _UPSTREAM_CONNECT_TIMEOUT
            )
        except (OSError, asyncio.TimeoutError) as error:
            with self._lock:
                self._upstream_failures += 1
            self._close(pair, reset=True, why=f"upstream unreachable: {error!r}")
            return
        pair.server = up_writer
        if pair.closed:  # reset or shut down while connecting
            up_writer.transport.abort()
            return
        pair.tasks = [
            asyncio.ensure_future(self._pump(pair, "up", reader, up_writer)),
            asyncio.ensure_future(self._pump(pair, "down", up_reader, writer)),
        ]
        await asyncio.wait(pair.tasks)
        for pump in pair.tasks:
            if not pump.cancelled() and pump.exception() is not None:
                self._note(f"connection {pair.number}: pump failed: {pump.exception()!r}")

    async def _pump(
        self,
        pair: _Pair,
        direction: Literal["up", "down"],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        try:
            while not pair.closed:
                try:
                    data = await reader.read(_CHUNK)
                except OSError:
                    data = b""
                await self._gate(direction)
                if pair.closed:
                    return
                if not data:  # one side ended: HTTP/1.1 has no use for half a connection
                    await _drained(writer)
                    self._close(pair, reset=False, why=f"end of stream {direction}")
                    return
                if self._delay[direction]:
                    await asyncio.sleep(self._delay[direction])
                if direction == "up":
                    self._see_request(pair, data)
                    await self._forward(pair, direction, writer, data)
                else:
                    await self._answer(pair, writer, data)
        except (OSError, RuntimeError):
            self._close(pair, reset=False, why=f"error {direction}")
        except asyncio.CancelledError:
            self._close(pair, reset=True, why="cancelled")
            raise
        except Exception as error:  # a bug here must not leave the connection half open
            self._close(pair, reset=True, why=f"pump {direction} failed: {error!r}")
            raise

    async def _gate(self, direction: str) -> None:
        if not self._stalled[direction]:
            return
        with self._lock:
            self._held += 1
        try:
            while self._stalled[direction] and self._flowing is not None:
                await self._flowing.wait()
        finally:
            with self._lock:
                self._held -= 1

    async def _forward(
        self,
        pair: _Pair,
        direction: Literal["up", "down"],
        writer: asyncio.StreamWriter,
        data: bytes,
    ) -> None:
        if not data or pair.closed:
            return
        with self._lock:  # counted first: the peer may read them before drain() returns
            self._bytes[direction] += len(data)
        writer.write(data)
        await writer.drain()

    def _see_request(self, pair: _Pair, data: bytes) -> None:
        cut = self._cut
        if cut is None or cut.match is None:
            return
        window = pair.tail + data
        pair.tail = window[-max(len(cut.match) - 1, 0) :] if len(cut.match) > 1 else b""
        if pair.armed is None and cut.match in window and cut.take():
            pair.armed, pair.counted = cut, 0
            if cut.times == 0:
                self._cut = None

    async def _answer(self, pair: _Pair, writer: asyncio.StreamWriter, data: bytes) -> None:
        cut = self._cut
        if pair.armed is None and cut is not None and cut.match is None and cut.take():
            pair.armed, pair.counted = cut, 0
            if cut.times == 0:
                self._cut = None
        armed = pair.armed
        if armed is None:
            await self._forward(pair, "down", writer, data)
            return
        room = armed.after_bytes - pair.counted
        if len(data) < room:
            pair.counted += len(data)
            await self._forward(pair, "down", writer, data)
            return
        await self._forward(pair, "down", writer, data[:room])
        with self._lock:
            self._cuts += 1
        what = "reset" if armed.reset else "truncated"
        self._close(pair, reset=armed.reset, why=f"answer {what} after {armed.after_bytes} bytes")


def _directions(direction: Direction) -> tuple[Literal["up", "down"], ...]:
    if direction == "both":
        return ("up", "down")
    if direction in ("up", "down"):
        return (direction,)
    raise ValueError(f"direction must be 'up', 'down' or 'both', got {direction!r}")


async def _drained(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, RuntimeError):
        await writer.drain()


def wait_for(
    predicate: Callable[[], bool], *, timeout: float = 30.0, what: str = "the condition"
) -> None:
    """Wait (polling) until ``predicate()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:g} s")
        time.sleep(0.02)


@contextlib.contextmanager
def running_worker(
    url: str,
    handler: Callable[[Any], Any],
    config: WorkerConfig,
    *,
    client_timeout: float | httpx.Timeout | None = None,
    httpx_transport: bool = False,
    **worker_options: Any,
) -> Iterator[JobWorker]:
    """Run a :class:`JobWorker` with its own client for ``url``, on an event loop of its own.

    The client is built and closed on the worker's loop (its connections belong there), so the
    test leaves no socket behind. By default the client sends JSON calls on its fast lane
    (:mod:`camunda_worker._wire`); ``httpx_transport=True`` gives it an httpx transport instead,
    so every call goes through httpx.

    Args:
        url: the REST address with ``/v2`` (a proxy's :attr:`ChaosProxy.url`).
        handler: the worker's handler.
        config: the worker's configuration.
        client_timeout: the client's ``timeout`` argument.
        httpx_transport: send through httpx rather than the fast lane.
        **worker_options: other :class:`JobWorker` arguments (``logger``, ``drain_timeout``...).

    Yields:
        The started worker; it is drained and closed when the block ends.
    """
    started = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        box["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        transport = httpx.AsyncHTTPTransport() if httpx_transport else None
        async with CamundaAsyncClient(url, timeout=client_timeout, transport=transport) as client:
            worker = JobWorker(
                handler, config, client=client, settings=CamundaSettings(), **worker_options
            )
            async with worker:
                box["worker"] = worker
                started.set()
                await stop.wait()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as error:  # reported to the test
            box["error"] = error
        finally:
            started.set()

    thread = threading.Thread(target=run, name=f"fault-worker[{config.job_type}]", daemon=True)
    thread.start()
    started.wait(_COMMAND_TIMEOUT)
    if "worker" not in box:
        thread.join(_COMMAND_TIMEOUT)
        raise RuntimeError(f"the worker did not start: {box.get('error')!r}")
    try:
        yield box["worker"]
    finally:
        box["stop"]()
        thread.join(90)
        if thread.is_alive():
            raise RuntimeError("the worker's thread did not end")
        if "error" in box:
            raise box["error"]


@pytest.fixture
def chaos_proxy(camunda_engine: EngineHarness) -> Iterator[ChaosProxy]:
    """A :class:`ChaosProxy` in front of ``camunda_engine`` served over TCP; closed after the test.

    Give ``proxy.url`` to the worker; the engine itself stays reachable at
    ``camunda_engine.serve().url`` (to deploy and inspect without going through the faults).
    """
    server = camunda_engine.serve()
    with ChaosProxy(server.host, server.port) as proxy:
        yield proxy
