"""The worker's end of a child's pipe, served by the event loop: no thread, no blocking write.

The process strategy's children keep a :class:`multiprocessing.connection.Connection` (blocking,
one message per ``send``/``recv``). The worker's end is the other half of the same socket pair,
non-blocking and watched by the loop with ``add_reader``, speaking the same framing: a 4-byte
big-endian signed length, or ``-1`` and an 8-byte length for messages over 2 GiB, then the bytes.

Reading on the loop costs one ``recv`` for every message that arrived meanwhile, where a reader
thread paid a wake-up, a hand-back to the loop and the GIL's trips between the two per message.
Writing never blocks the loop: what the socket does not take at once is kept and sent when it
can take more, and several messages queued in one loop iteration go out in one ``send``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable

__all__ = ["PipeEnd", "frame"]

_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")
_SHORT_MAX = 0x7FFFFFFF
_READ_SIZE = 256 * 1024


def frame(payload: bytes) -> bytes:
    """``payload`` framed as :meth:`Connection.send_bytes` frames it (for ``recv_bytes``)."""
    size = len(payload)
    if size > _SHORT_MAX:
        return _SHORT.pack(-1) + _LONG.pack(size) + payload
    return _SHORT.pack(size) + payload


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take every complete message off the front of ``buffer``; the rest stays in it."""
    messages: list[bytes] = []
    position, available = 0, len(buffer)
    while available - position >= _SHORT.size:
        (size,) = _SHORT.unpack_from(buffer, position)
        header = _SHORT.size
        if size == -1:
            if available - position < _SHORT.size + _LONG.size:
                break
            (size,) = _LONG.unpack_from(buffer, position + _SHORT.size)
            header += _LONG.size
        elif size < 0:
            msg = f"a child's pipe sent a message of negative length {size}"
            raise ValueError(msg)
        end = position + header + size
        if end > available:
            break
        messages.append(bytes(buffer[position + header : end]))
        position = end
    if position:
        del buffer[:position]
    return messages


class PipeEnd:
    """One end of a stream socket pair, read and written by ``loop``.

    Args:
        sock: the worker's end (made non-blocking; owned from here on).
        loop: the loop that serves it; every method runs on it.
        on_messages: called with the messages of each read, in order.
        on_closed: called once when the other end has closed (or the socket failed); the
            messages before it were delivered first.
    """

    def __init__(
        self,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
        on_messages: Callable[[list[bytes]], None],
        on_closed: Callable[[], None],
    ) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._fd = sock.fileno()
        self._loop = loop
        self._on_messages = on_messages
        self._on_closed = on_closed
        self._incoming = bytearray()
        self._outgoing = bytearray()
        self._reading = True
        self.closed = False
        self.broken = False
        """The other end is gone (or writing failed): nothing sent reaches it any more."""
        loop.add_reader(self._fd, self.read_ready)

    def read_ready(self) -> None:
        """Read what is there (the loop calls it; the pool calls it to drain a dead child)."""
        while self._reading:
            try:
                data = self._sock.recv(_READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._stop_reading()
                self._on_closed()
                return
            self._incoming += data
            try:
                messages = split_frames(self._incoming)
            except ValueError:  # not our child's framing: treat the pipe as gone
                self._incoming.clear()
                self._stop_reading()
                self._on_closed()
                return
            if messages:
                self._on_messages(messages)
            if len(data) < _READ_SIZE:
                return

    def send(self, data: bytes) -> None:
        """Send ``data`` (framed messages) now, or as soon as the socket takes it.

        Raises:
            OSError: the other end is gone (nothing of ``data`` was sent).
        """
        if self.closed or self.broken:
            raise BrokenPipeError("the child's pipe is closed")
        if self._outgoing:
            self._outgoing += data
            return
        try:
            sent = self._sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.broken = True
            raise
        if sent < len(data):
            self._outgoing += memoryview(data)[sent:]
            self._loop.add_writer(self._fd, self._write_ready)

    @property
    def unsent(self) -> int:
        """Bytes accepted by :meth:`send` that the socket has not taken yet."""
        return len(self._outgoing)

    def _write_ready(self) -> None:
        try:
            sent = self._sock.send(self._outgoing)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the child is gone: its end reaches the pool through on_closed
            self.broken = True
            sent = len(self._outgoing)
        del self._outgoing[:sent]
        if not self._outgoing:
            self._loop.remove_writer(self._fd)

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def close(self) -> None:
        """Stop watching the socket and close it (once; later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        self._stop_reading()
        if self._outgoing:
            self._outgoing.clear()
            self._loop.remove_writer(self._fd)
        self._sock.close()
