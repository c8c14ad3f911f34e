"""In-process httpx transports: clients talk to the engine's app without sockets.

``httpx.Client(transport=InProcessTransport(engine), base_url="http://engine/v2")`` and the async
twin send every request straight into the engine's ASGI app, with the same answers, problem
details and injected faults as over TCP. A dropped connection raises
:class:`httpx.RemoteProtocolError`; the request's read timeout (``httpx.Timeout(read=...)``) is
honoured and raises :class:`httpx.ReadTimeout`, so long-poll timeout rules can be tested.

Threads and loops:

* :class:`AsyncInProcessTransport` runs the app in the caller's event loop (any asyncio or trio
  loop; several loops may share one engine). It owns no thread.
* :class:`InProcessTransport` (sync, usable from any number of threads at once) runs the app on
  one background event-loop thread of its own, started on the first request, so a long poll in
  one thread never blocks another. :meth:`InProcessTransport.close` (called by
  ``httpx.Client.close()``) cancels requests still in flight and joins that thread: nothing leaks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx

from camunda_worker.engine._http.app import EngineApp
from camunda_worker.engine._http.asgi_io import ABORT_EXTENSION
from camunda_worker.engine._runtime.core import Engine

__all__ = ["AsyncInProcessTransport", "InProcessTransport"]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
_DROPPED = "Server disconnected without sending a response."


def _as_app(target: Engine | EngineApp | ASGIApp) -> tuple[ASGIApp, EngineApp | None, bool]:
    """Return (app to call, EngineApp if any, whether the transport created it)."""
    if isinstance(target, EngineApp):
        return target, target, False
    if isinstance(target, Engine):
        app = EngineApp(target)
        return app, app, True
    return target, None, False


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


async def _call_app(app: ASGIApp, request: httpx.Request, body: bytes) -> httpx.Response:
    aborted = False
    started = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    complete = anyio.Event()
    request_sent = False

    def abort() -> None:
        nonlocal aborted
        aborted = True

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal started, status, headers
        if aborted:
            return
        if message["type"] == "http.response.start":
            started = True
            status = message["status"]
            headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    url = request.url
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": ("127.0.0.1", 0),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "extensions": {ABORT_EXTENSION: {"abort": abort}},
    }
    await app(scope, receive, send)
    if aborted or not started or not complete.is_set():
        raise httpx.RemoteProtocolError(_DROPPED, request=request)
    return httpx.Response(status, headers=headers, content=b"".join(chunks))


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """An async httpx transport into the engine's app, in the caller's event loop.

    Args:
        target: an :class:`~camunda_worker.engine.Engine` (a new app is built for it), an
            :class:`~camunda_worker.engine.EngineApp`, or any ASGI app.

    Attributes:
        app: the app requests go to.
    """

    def __init__(self, target: Engine | EngineApp | ASGIApp) -> None:
        self._app, self.engine_app, self._owns_app = _as_app(target)
        self.app = self._app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the app and return its answer."""
        body = await request.aread()
        timeout = _read_timeout(request)
        try:
            with anyio.fail_after(timeout) if timeout is not None else contextlib.nullcontext():
                return await _call_app(self._app, request, body)
        except TimeoutError:
            raise httpx.ReadTimeout("in-process read timed out", request=request) from None

    async def aclose(self) -> None:
        """Close the app if this transport created it (ends its long polls)."""
        if self._owns_app and self.engine_app is not None:
            self.engine_app.close()


class InProcessTransport(httpx.BaseTransport):
    """A sync httpx transport into the engine's app, through a background event-loop thread.

    Args:
        target: an :class:`~camunda_worker.engine.Engine` (a new app is built for it), an
            :class:`~camunda_worker.engine.EngineApp`, or any ASGI app.

    Attributes:
        app: the app requests go to.
    """

    def __init__(self, target: Engine | EngineApp | ASGIApp) -> None:
        self._app, self.engine_app, self._owns_app = _as_app(target)
        self.app = self._app
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("the in-process transport is closed")
            if self._loop is not None:
                return self._loop
            ready = threading.Event()
            loop = asyncio.new_event_loop()

            async def main() -> None:
                self._stop = asyncio.Event()
                ready.set()
                await self._stop.wait()
                # Cancel requests still in flight, so their callers get an answer.
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            def run() -> None:
                asyncio.set_event_loop(loop)
                try:
                    loop.run_until_complete(main())
                finally:
                    loop.run_until_complete(loop.shutdown_asyncgens())
                    loop.close()

            thread = threading.Thread(target=run, name="camunda-engine-transport", daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
            return loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the app and return its answer (blocks this thread only)."""
        body = request.read()
        loop = self._loop or self._start()
        future = asyncio.run_coroutine_threadsafe(_call_app(self._app, request, body), loop)
        try:
            return future.result(_read_timeout(request))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout("in-process read timed out", request=request) from None
        except concurrent.futures.CancelledError:
            raise httpx.ReadError("the in-process transport was closed", request=request) from None

    def close(self) -> None:
        """Cancel requests in flight, stop the background thread and wait for it. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, stop, thread = self._loop, self._stop, self._thread
        if loop is not None and stop is not None and thread is not None:
            loop.call_soon_threadsafe(stop.set)
            thread.join()
        if self._owns_app and self.engine_app is not None:
            self.engine_app.close()
