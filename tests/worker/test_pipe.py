"""The worker's end of a child's pipe (``_pipe.PipeEnd``) against a real ``Connection``.

The child keeps multiprocessing's blocking :class:`~multiprocessing.connection.Connection`; the
worker reads and writes the other end on its loop with framing of its own. Both must agree on
every message, however the kernel splits the bytes, and the worker's writes must never block.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import threading
from multiprocessing.connection import Connection
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.worker._child import decode_outcome, encode_outcome
from camunda_worker.worker._outcomes import Acknowledged, BpmnError, Completion, Failure
from camunda_worker.worker._pipe import PipeEnd, frame, split_frames
from camunda_worker.worker._runners import EXPIRED

big = st.tuples(st.binary(max_size=20), st.integers(16_000, 70_000)).map(
    lambda made: made[0] + bytes(range(256)) * (made[1] // 256)
)
payloads = st.lists(st.binary(max_size=300) | big, max_size=12)


def long_frame(payload: bytes) -> bytes:
    """The header ``Connection`` writes above 2 GiB (-1, then 8 bytes), for any size."""
    return struct.pack("!i", -1) + struct.pack("!Q", len(payload)) + payload


@given(payloads, st.lists(st.booleans(), max_size=12), st.data())
@settings(max_examples=200, deadline=None)
def test_split_frames_reads_every_message_whatever_the_chunks(
    messages: list[bytes], longs: list[bool], data: st.DataObject
) -> None:
    wire = b"".join(
        long_frame(m) if i < len(longs) and longs[i] else frame(m) for i, m in enumerate(messages)
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=20)))
    buffer, read = bytearray(), []
    for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True):
        buffer += wire[start:end]
        read += split_frames(buffer)
    assert read == messages
    assert not buffer


def test_a_negative_length_is_refused() -> None:
    with pytest.raises(ValueError, match="negative length"):
        split_frames(bytearray(struct.pack("!i", -5) + b"xxxxx"))


class Ends:
    """A socket pair: ``pipe`` (ours, on a loop) and ``conn`` (the child's ``Connection``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        ours, theirs = socket.socketpair()
        self.conn = Connection(theirs.detach())
        self.messages: list[bytes] = []
        self.closed: list[int] = []
        self.got = asyncio.Event()
        self.pipe = PipeEnd(ours, loop, self._on_messages, lambda: self.closed.append(1))

    def _on_messages(self, messages: list[bytes]) -> None:
        self.messages += messages
        self.got.set()


async def until(condition: Any) -> None:
    for _ in range(6_000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("not reached within 30 s")


@given(payloads)
@settings(max_examples=25, deadline=None)
def test_what_a_child_sends_arrives_whole_and_in_order(messages: list[bytes]) -> None:
    async def main() -> None:
        ends = Ends(asyncio.get_running_loop())

        def write() -> None:
            for message in messages:
                ends.conn.send_bytes(message)

        writer = threading.Thread(target=write)
        writer.start()
        await until(lambda: len(ends.messages) == len(messages))
        writer.join()
        assert ends.messages == messages
        ends.conn.close()
        await until(lambda: ends.closed)
        assert ends.closed == [1]
        ends.pipe.close()

    asyncio.run(main())


def test_a_5_mb_message_to_a_child_that_does_not_read_never_blocks_the_loop() -> None:
    """What the socket does not take is kept: send() returns, the rest goes when it can."""

    async def main() -> None:
        ends = Ends(asyncio.get_running_loop())
        big = bytes(range(256)) * 20_480  # 5 MiB
        ends.pipe.send(frame(big) + frame(b"after"))  # the child reads nothing yet
        assert ends.pipe.unsent > 0
        received: list[bytes] = []
        reader = threading.Thread(
            target=lambda: received.extend(ends.conn.recv_bytes() for _ in "ab")
        )
        reader.start()
        await until(lambda: not reader.is_alive())
        assert received == [big, b"after"]
        assert ends.pipe.unsent == 0
        ends.pipe.close()
        ends.conn.close()

    asyncio.run(main())


def test_messages_sent_before_the_child_closes_come_before_the_close() -> None:
    async def main() -> None:
        ends = Ends(asyncio.get_running_loop())
        order: list[str] = []
        ends.pipe._on_messages = lambda messages: order.extend(m.decode() for m in messages)
        ends.pipe._on_closed = lambda: order.append("closed")
        for text in ("one", "two"):
            ends.conn.send_bytes(text.encode())
        ends.conn.close()
        await until(lambda: "closed" in order)
        assert order == ["one", "two", "closed"]
        ends.pipe.close()

    asyncio.run(main())


def refusal(pipe: PipeEnd) -> OSError | None:
    for _ in range(100):
        try:
            pipe.send(frame(b"job"))
        except OSError as error:
            return error
    return None


def test_sending_to_a_child_that_is_gone_raises_and_marks_the_pipe_broken() -> None:
    async def main() -> None:
        ends = Ends(asyncio.get_running_loop())
        ends.conn.close()
        await until(lambda: ends.closed)
        # The first writes may still land in the kernel's buffer; one soon is refused.
        assert isinstance(refusal(ends.pipe), ConnectionError)
        assert ends.pipe.broken
        with pytest.raises(ConnectionError):
            ends.pipe.send(frame(b"job"))
        ends.pipe.close()

    asyncio.run(main())


def test_closing_twice_closes_the_socket_once() -> None:
    """The loop (a child ended) and the pool's end both close a pipe; the second does nothing.

    A second ``os.close`` of the same number would fail with EBADF, or close a descriptor
    opened meanwhile under that number (seen in CI when two threads closed it).
    """

    async def main() -> None:
        ends = Ends(asyncio.get_running_loop())
        ends.pipe.close()
        reused = socket.socket()  # likely given the number just freed
        try:
            ends.pipe.close()
            assert reused.fileno() != -1
            reused.getsockname()  # still open: the second close did not take it
        finally:
            reused.close()
            ends.conn.close()

    asyncio.run(main())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
variables = st.none() | st.dictionaries(st.text(min_size=1), json_values, max_size=5)
outcomes = st.one_of(
    st.builds(Completion, variables=variables),
    st.builds(
        Failure,
        retries=st.integers(0, 10),
        error_message=st.text(),
        retry_back_off=st.integers(0, 10**6),
        variables=variables,
    ),
    st.builds(BpmnError, error_code=st.text(), error_message=st.text(), variables=variables),
    st.just(Acknowledged()),
    st.just(EXPIRED),
)


@given(outcomes)
@settings(max_examples=300, deadline=None)
def test_an_outcome_crosses_the_pipe_unchanged(outcome: Any) -> None:
    """What a child answers (encoded, pickled) is what the worker acknowledges."""
    wire = pickle.dumps(encode_outcome(outcome), protocol=pickle.HIGHEST_PROTOCOL)
    assert decode_outcome(pickle.loads(wire)) == outcome
