"""ASGI plumbing of the engine's app: reading requests, sending answers, dropping connections.

The app speaks plain ASGI 3. :data:`ABORT_EXTENSION` is the one extension it uses: a server that
offers it lets the app close a connection without any answer (the ``drop`` fault); the engine's
HTTP/1.1 server (:mod:`.http11`) and the in-process transports offer it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio.lowlevel

from camunda_worker.engine._http.answers import JSON, Reply, body_too_large, encode_json

__all__ = [
    "ABORT_EXTENSION",
    "Receive",
    "Scope",
    "Send",
    "declared_length",
    "drop_connection",
    "lifespan",
    "read_body",
    "read_headers",
    "send_reply",
]

ABORT_EXTENSION = "camunda_worker.abort"
"""ASGI scope extension through which a server lets the app drop a connection unanswered.

Its value is ``{"abort": callable}``; the engine's HTTP/1.1 server and in-process transports set
it. Without it, a dropped connection is imitated by starting an answer and never finishing it.
"""


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def send_reply(send: Send, reply: Reply) -> None:
    """Send ``reply`` (a JSON body, a text body when its document is a ``str``, or none)."""
    if reply.document is None:
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        await send({"type": "http.response.body", "body": b""})
        return
    document = reply.document
    content = document.encode() if isinstance(document, str) else encode_json(document)
    headers = [
        (b"content-type", reply.content_type),
        (b"content-length", str(len(content)).encode()),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def drop_connection(scope: Scope, send: Send) -> None:
    """Close the connection without an answer (or, lacking the extension, a truncated one)."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is not None:
        abort["abort"]()
        # Let the server see the closed connection before the app returns, so it does not
        # try to answer in our place.
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        return
    # A server without the extension: promise a body and never send it.
    headers = [(b"content-type", JSON), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})


def read_headers(scope: Scope) -> tuple[str, str | None]:
    """Return the ``Content-Type`` (``""`` if absent) and ``Authorization`` headers."""
    content_type, authorization = "", None
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"authorization":
            authorization = value.decode("latin-1")
    return content_type, authorization


def declared_length(scope: Scope) -> int | None:
    """Return the request's ``Content-Length``, ``None`` when absent (chunked) or unreadable."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """Read the whole request body; ``None`` when the client disconnected first.

    Args:
        receive: the request's ASGI ``receive``.
        limit: the largest body accepted, in bytes; ``None`` for no limit.

    Raises:
        HttpError: 413 as soon as the body read so far is over ``limit``; nothing more is read
            (what the server buffered is at most one more chunk).
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk: bytes = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if limit is not None and size > limit:
                raise body_too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body"):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge lifespan startup and shutdown (the app needs no setup)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
