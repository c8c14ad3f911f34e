"""The clients and the TCP server of a test's engine: made on demand, closed together."""

from __future__ import annotations

import threading

import anyio.to_thread

from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker.engine import (
    AsyncInProcessTransport,
    EngineApp,
    EngineServer,
    InProcessTransport,
)
from camunda_worker.testing._loops import run_coroutine
from camunda_worker.testing._workers import IN_PROCESS_URL

__all__ = ["Connections"]


class Connections:
    """Clients bound to one engine app in-process, and that app served over TCP on demand.

    Args:
        app: the engine's app; every client and the server go through it (faults, recording).
    """

    def __init__(self, app: EngineApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._client: CamundaClient | None = None
        self._async_clients: list[CamundaAsyncClient] = []
        self._server: EngineServer | None = None
        self._closed = False

    def check_open(self) -> None:
        """Refuse to make anything once closed.

        Raises:
            RuntimeError: :meth:`close` was called.
        """
        if self._closed:
            raise RuntimeError("this EngineHarness is closed")

    def client(self) -> CamundaClient:
        """The blocking in-process client (one, shared, thread-safe), made on first use."""
        with self._lock:
            self.check_open()
            if self._client is None:
                transport = InProcessTransport(self._app)
                self._client = CamundaClient(IN_PROCESS_URL, transport=transport)
            return self._client

    def async_client(self) -> CamundaAsyncClient:
        """A new async in-process client, closed with the others."""
        client = CamundaAsyncClient(IN_PROCESS_URL, transport=AsyncInProcessTransport(self._app))
        self.track(client)
        return client

    def track(self, client: CamundaAsyncClient) -> None:
        """Close ``client`` with the others."""
        with self._lock:
            self.check_open()
            self._async_clients.append(client)

    @property
    def serving(self) -> bool:
        """Whether the engine is served over TCP (something outside the test may use it)."""
        with self._lock:
            return self._server is not None

    def serve(self) -> EngineServer:
        """The TCP server on 127.0.0.1 (a free port), started on first use."""
        with self._lock:
            self.check_open()
            if self._server is None:
                self._server = EngineServer(self._app).start()
            return self._server

    def _take(self) -> tuple[list[CamundaAsyncClient], CamundaClient | None, EngineServer | None]:
        with self._lock:
            self._closed = True
            clients, self._async_clients = self._async_clients, []
            client, self._client = self._client, None
            server, self._server = self._server, None
        return clients, client, server

    @staticmethod
    def _close_blocking(client: CamundaClient | None, server: EngineServer | None) -> None:
        if client is not None:
            client.close()  # also joins the in-process transport's thread
        if server is not None:
            server.stop()  # answers waiting long polls, joins the server's thread

    def close(self) -> None:
        """Close every client and stop the server. Idempotent."""
        clients, client, server = self._take()

        async def close_clients() -> None:
            for async_client in clients:
                await async_client.aclose()

        if clients:
            run_coroutine(close_clients)
        self._close_blocking(client, server)

    async def aclose(self) -> None:
        """Like :meth:`close`, without blocking the event loop."""
        clients, client, server = self._take()
        for async_client in clients:
            await async_client.aclose()
        await anyio.to_thread.run_sync(self._close_blocking, client, server)
