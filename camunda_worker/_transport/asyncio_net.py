"""A lean network layer for the async client: httpcore over asyncio's transports and protocols.

httpx's async transport reaches the network through httpcore's anyio backend: a cancel scope,
an async-library lookup and a dict of socket attributes on every read and write. On asyncio
that is about a quarter of the CPU time of a completion request, and a worker sends one per job.
:class:`AsyncioBackend` gives httpcore the same streams built directly on an asyncio protocol:
reads wait on one future with a ``call_later`` timeout, writes go straight to the transport.
Everything above the socket stays httpx's and httpcore's (HTTP/1.1, the connection pool, TLS
settings, proxies, auth). Under another event loop (trio), it hands over to httpcore's backend.
It runs on any asyncio event loop (the default one, uvloop...): it uses only the documented
transport methods, whatever the transport's class.

:func:`async_transport` builds the default transport of :class:`CamundaAsyncClient`.
"""

# httpcore's stream and backend interfaces take ``timeout`` arguments: they are kept as named.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
from collections.abc import Iterable
from typing import Any, cast

import anyio
import httpcore
import httpx

__all__ = [
    "AsyncioBackend",
    "AsyncioStream",
    "async_transport",
    "expire",
    "socket_fd",
    "socket_readable",
    "wake",
]

# What httpx.AsyncClient uses when given no limits.
_HTTPX_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Stop reading from the socket while this many bytes wait unread (a reader that lags behind).
_HIGH_WATER = 256 * 1024

# httpcore's SOCKET_OPTION: (level, option, value) or (level, option, None, length).
SocketOption = Any


class _Protocol(asyncio.Protocol):
    """Buffers what arrives and wakes the one reader (httpcore reads one request at a time)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drain: asyncio.Future[None] | None = None
        self.paused = False
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream connection's transport has asyncio.Transport's methods whatever its class:
        # uvloop's, for one, derives from none of asyncio's classes.
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.reading_paused = True
        wake(self.waiter)

    def eof_received(self) -> bool:
        self.eof = True
        wake(self.waiter)
        return False  # close the transport: HTTP/1.1 has no half-closed connections

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        wake(self.waiter)
        wake(self.drain)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        wake(self.drain)

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what is buffered (at least one byte is)."""
        chunks = self.chunks
        if self.buffered <= max_bytes:
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
        else:
            joined = b"".join(chunks)
            data = joined[:max_bytes]
            chunks[:] = [joined[max_bytes:]]
        self.buffered -= len(data)
        if self.reading_paused and self.buffered <= _HIGH_WATER // 4 and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()
        return data


def socket_fd(transport: asyncio.BaseTransport) -> int:
    """The descriptor of ``transport``'s socket; -1 when it has none the loop shows."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return -1
    with contextlib.suppress(AttributeError, OSError, ValueError):
        return int(sock.fileno())
    return -1


def socket_readable(fd: int) -> bool:
    """Whether something waits to be read in socket ``fd`` right now (data, its end, an error).

    On an idle connection that is the server's close (or unasked bytes), possibly not handled by
    the event loop yet. A descriptor that cannot be asked counts as readable: not reusable.
    """
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def wake(future: asyncio.Future[None] | None) -> None:
    """Resolve ``future`` unless it is gone or done (a waiter woken by a protocol callback)."""
    if future is not None and not future.done():
        future.set_result(None)


def expire(future: asyncio.Future[None], error: type[Exception]) -> None:
    """Fail ``future`` with ``error("timed out")`` unless it is done (a timer's callback)."""
    if not future.done():
        future.set_exception(error("timed out"))


async def _wait(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[None],
    timeout: float | None,
    error: type[Exception],
) -> None:
    timer = loop.call_later(timeout, expire, future, error) if timeout is not None else None
    try:
        await future
    finally:
        if timer is not None:
            timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, as httpcore sees it, on an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._fd = socket_fd(transport)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to ``max_bytes`` bytes; ``b""`` at the end of the stream."""
        protocol = self._protocol
        if not protocol.chunks and not protocol.eof:
            loop = asyncio.get_running_loop()
            waiter = protocol.waiter = loop.create_future()
            try:
                await _wait(loop, waiter, timeout, httpcore.ReadTimeout)
            finally:
                protocol.waiter = None
        if protocol.chunks:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``; waits only while the transport's write buffer is full."""
        if not buffer:
            return
        protocol = self._protocol
        if protocol.error is not None or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        if protocol.paused:
            loop = asyncio.get_running_loop()
            drain = protocol.drain = loop.create_future()
            try:
                await _wait(loop, drain, timeout, httpcore.WriteTimeout)
            finally:
                protocol.drain = None
            if protocol.error is not None:
                raise httpcore.WriteError(str(protocol.error))

    async def aclose(self) -> None:
        """Close the connection (without waiting for the peer)."""
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade the connection to TLS (https, or a proxy tunnel)."""
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(
                    self._transport,
                    self._protocol,
                    ssl_context,
                    server_hostname=server_hostname,
                ),
                timeout,
            )
        except asyncio.TimeoutError as error:
            self._transport.abort()
            raise httpcore.ConnectTimeout("the TLS handshake timed out") from error
        except (OSError, ssl.SSLError) as error:
            self._transport.abort()
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks about a connection: TLS object, addresses, socket, readable."""
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            # An idle connection with something to read was closed by the server. The protocol
            # knows once the loop ran its callbacks; the socket knows before.
            protocol = self._protocol
            return (
                bool(protocol.chunks)
                or protocol.eof
                or transport.is_closing()
                or (self._fd >= 0 and socket_readable(self._fd))
            )
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`AsyncioStream` connections on asyncio; any other loop gets httpcore's."""

    def __init__(self) -> None:
        self._fallback = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection (asyncio sets ``TCP_NODELAY`` on it)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): httpcore's own backend
            return await self._fallback.connect_tcp(
                host, port, timeout, local_address, socket_options
            )
        local = (local_address, 0) if local_address else None
        return await self._connect(
            loop,
            lambda protocol: loop.create_connection(lambda: protocol, host, port, local_addr=local),
            timeout,
            socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - only with a uds transport
        """Open a Unix socket connection."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return await self._fallback.connect_unix_socket(path, timeout, socket_options)
        return await self._connect(
            loop,
            lambda protocol: loop.create_unix_connection(lambda: protocol, path),
            timeout,
            socket_options,
        )

    async def _connect(
        self,
        loop: asyncio.AbstractEventLoop,
        open_connection: Any,
        timeout: float | None,
        socket_options: Iterable[SocketOption] | None,
    ) -> AsyncioStream:
        protocol = _Protocol()
        try:
            transport, _ = await asyncio.wait_for(open_connection(protocol), timeout)
        except asyncio.TimeoutError as error:
            raise httpcore.ConnectTimeout("connecting timed out") from error
        except OSError as error:
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        sock = transport.get_extra_info("socket")
        if sock is not None:
            for option in socket_options or ():
                sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        """Sleep on whichever event loop runs."""
        await anyio.sleep(seconds)


def async_transport(
    *, verify: ssl.SSLContext | bool, limits: httpx.Limits | None
) -> httpx.AsyncHTTPTransport:
    """The async transport ``httpx.AsyncClient`` would build, on :class:`AsyncioBackend`.

    Args:
        verify: TLS verification, as for httpx.
        limits: connection-pool limits; ``None`` for httpx's defaults.

    Returns:
        The transport; it keeps httpcore's default backend if this httpx no longer exposes its
        pool (slower, never wrong).
    """
    transport = httpx.AsyncHTTPTransport(
        verify=verify, limits=limits if limits is not None else _HTTPX_DEFAULT_LIMITS
    )
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.AsyncConnectionPool) and hasattr(pool, "_network_backend"):
        pool._network_backend = AsyncioBackend()
    return transport
