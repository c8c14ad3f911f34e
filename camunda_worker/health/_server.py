"""Serving the health probes over HTTP: ``GET /livez`` and ``GET /readyz`` for Kubernetes.

A stdlib :class:`~http.server.ThreadingHTTPServer` in a daemon thread: no dependency, and a
probe is answered even while the workers' event loop is busy. Each answer is ``200`` or ``503``
with a JSON body (the :class:`~camunda_worker.health.HealthReport`), so ``kubectl describe``
and a curl show why a probe fails.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from camunda_worker.health._check import HealthReport, check

if TYPE_CHECKING:
    from types import TracebackType

    from camunda_worker.worker import JobWorker

__all__ = ["HealthServer"]

_PROBES = {"/livez": "live", "/readyz": "ready", "/healthz": "ready"}
_SHUTDOWN_POLL = 0.05  # seconds: how soon stop() takes effect


class HealthServer:
    """Serves ``/livez`` (liveness) and ``/readyz`` (readiness) of workers from a thread.

    ``with HealthServer(workers, port=8081):`` serves until the block ends. Each probe answers
    ``200`` when every worker passes it, else ``503``; the body is the report as JSON, with the
    reasons. ``/healthz`` is the same as ``/readyz``.

    Args:
        workers: the workers to report on, or a function returning a
            :class:`~camunda_worker.health.HealthReport` (to combine other checks).
        host: the interface to listen on; ``0.0.0.0`` for a probe from outside the container.
        port: the port; 0 picks a free one (read it from :attr:`port` after :meth:`start`).
        liveness_bound_seconds: passed to :func:`~camunda_worker.health.check`.
        routes: more paths to serve on the same port, each a function returning
            ``(content type, body)``: ``{"/metrics": metrics_page(registry)}`` serves the
            Prometheus metrics beside the probes (see :func:`camunda_worker.metrics.metrics_page`).

    Attributes:
        host: the interface listened on.
        port: the port listened on (known once :meth:`start` returned).
    """

    def __init__(
        self,
        workers: Sequence[JobWorker] | Callable[[], HealthReport],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        liveness_bound_seconds: float | None = None,
        routes: Mapping[str, Callable[[], tuple[str, bytes]]] | None = None,
    ) -> None:
        self.host = host
        self._routes = dict(routes or {})
        self.port = port
        self._started_at = datetime.now(timezone.utc)
        if callable(workers):
            self._report = workers
        else:
            watched = tuple(workers)
            self._report = lambda: check(
                watched,
                started_at=self._started_at,
                liveness_bound_seconds=liveness_bound_seconds,
            )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8081`` (append ``/livez`` or ``/readyz``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def report(self) -> HealthReport:
        """The report the endpoints answer with now."""
        return self._report()

    def start(self) -> HealthServer:
        """Bind and serve in a daemon thread; returns at once.

        Returns:
            The server itself.

        Raises:
            OSError: the address cannot be bound (port in use, unknown interface).
            RuntimeError: the server is already started.
        """
        if self._server is not None:
            raise RuntimeError("the health server is already started")
        server = _Server((self.host, self.port), _handler(self.report, self._routes))
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL},
            name="camunda-worker-health",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)


def _handler(
    report: Callable[[], HealthReport], routes: Mapping[str, Callable[[], tuple[str, bytes]]]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "camunda-worker-health"

        def do_GET(self) -> None:
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _answer(self, *, with_body: bool) -> None:
            path = self.path.split("?", 1)[0]
            route = routes.get(path)
            if route is not None:
                content_type, page = route()
                self._send(HTTPStatus.OK, content_type, page, with_body=with_body)
                return
            probe = _PROBES.get(path)
            if probe is None:
                body = {"error": "not found; probes are /livez and /readyz"}
                status = HTTPStatus.NOT_FOUND
            else:
                current = report()
                passed = current.live if probe == "live" else current.ready
                body = {"status": "ok" if passed else "failing", **current.to_dict()}
                status = HTTPStatus.OK if passed else HTTPStatus.SERVICE_UNAVAILABLE
            payload = json.dumps(body).encode("utf-8")
            self._send(status, "application/json", payload, with_body=with_body)

        def _send(
            self, status: HTTPStatus, content_type: str, payload: bytes, *, with_body: bool
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if with_body:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Probes every few seconds would flood the logs: stay quiet."""

    return Handler
