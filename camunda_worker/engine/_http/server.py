"""Serving the engine over TCP: :func:`serve`, :class:`EngineServer` and the CLI.

``camunda-worker engine [--host 127.0.0.1] [--port 8080]`` serves ``http://HOST:PORT/v2``, prints
``camunda engine listening on http://HOST:PORT/v2`` and stops cleanly (exit code 0) on SIGINT or
SIGTERM; ``--port 0`` picks a free port. The HTTP/1.1 server is the package's own
(:mod:`~camunda_worker.engine._http.http11`, on asyncio and httptools): an answer's head and body
go out in one write, and the limits below are its own, with no private seam of another library.
:func:`serve` and the command run it on uvloop when it is installed (``--loop asyncio`` opts
out, see :mod:`~camunda_worker.engine._http.loops`).

When the server stops, waiting long polls are answered at once (``{"jobs": []}``) instead of
being cut off. While it serves, the engine's timers fire on time under the system clock, with no
request needed (:meth:`Engine.run_timers <camunda_worker.engine.Engine.run_timers>` runs on the
server's loop).

Limits (a laptop's engine must survive a runaway or hostile client): a request head must arrive
whole within ``header_timeout`` (counted from the connection, or from the first byte of a later
request on a kept-alive connection; later, the connection is closed) and be at most
:data:`MAX_HEAD_SIZE` bytes (431), its body within ``body_timeout`` of the head (408), and a
kept-alive connection is closed after ``idle_timeout`` without a new request. The app refuses
bodies over its ``max_body_size`` (413). A request being answered (a long poll above all) is
never cut by these timeouts.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

from camunda_worker.engine._faults.injection import (
    ENDPOINTS,
    FaultKind,
    FaultPlan,
    parse_fault_spec,
)
from camunda_worker.engine._http.app import DEFAULT_MAX_BODY_SIZE, EngineApp
from camunda_worker.engine._http.loops import LOOPS, LoopName, resolve_loop
from camunda_worker.engine._runtime.lines import DEFAULT_SERVER_LINE

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    from camunda_worker.engine._runtime.core import Engine

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_IDLE_TIMEOUT",
    "MAX_HEAD_SIZE",
    "EngineServer",
    "ServerDependencyError",
    "build_parser",
    "main",
    "serve",
]

_INSTALL_HINT = (
    "serving the engine over TCP needs httptools (a dependency of camunda-worker): "
    "pip install httptools"
)
_STARTUP_TIMEOUT = 10.0
DEFAULT_HEADER_TIMEOUT = 10.0
"""Seconds a request head has to arrive whole (from the connection, or the request's first byte)."""
DEFAULT_BODY_TIMEOUT = 30.0
"""Seconds a request body has to arrive whole once its head is read."""
DEFAULT_IDLE_TIMEOUT = 60.0
"""Seconds a kept-alive connection may wait for its next request (longer than clients keep one)."""
MAX_HEAD_SIZE = 64 * 1024
"""The largest request head (request line and headers) read, in bytes; larger: 431."""


class ServerDependencyError(RuntimeError):
    """httptools (which parses the requests), or the uvloop asked for, cannot be imported."""


def _server_class() -> Any:
    try:
        from camunda_worker.engine._http.http11 import Http11Server  # noqa: PLC0415
    except ImportError as error:  # httptools is missing or broken in this environment
        raise ServerDependencyError(_INSTALL_HINT) from error
    return Http11Server


def _loop_kind(loop: str) -> Literal["asyncio", "uvloop"]:
    try:
        return resolve_loop(loop)
    except ModuleNotFoundError as error:
        raise ServerDependencyError(str(error)) from error


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then, and
    # without it every answer with a body waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v2"


def _build_server(
    app: EngineApp,
    *,
    graceful_timeout: float,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> Any:
    return _server_class()(
        app,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        idle_timeout=idle_timeout,
        graceful_timeout=graceful_timeout,
        max_head=MAX_HEAD_SIZE,
        on_stop=app.end_long_polls,
        background=app.engine.run_timers,
    )


def _check_timeouts(**timeouts: float) -> None:
    for name, value in timeouts.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")


def _as_app(target: Engine | EngineApp | None) -> EngineApp:
    if isinstance(target, EngineApp):
        return target
    return EngineApp(target)


class EngineServer:
    """The engine served over TCP from a background thread (for tests and embedding).

    ``with EngineServer(engine) as server:`` serves until the block ends; ``server.url`` is
    the ``/v2`` base URL.

    Args:
        target: an engine, an :class:`~camunda_worker.engine.EngineApp`, or ``None`` for a new
            engine.
        host: the interface to listen on.
        port: the port; 0 picks a free one (read it from :attr:`port`).
        header_timeout: seconds a request head has to arrive whole, counted from the
            connection (or, on a kept-alive one, from the request's first byte); later, the
            connection is closed.
        body_timeout: seconds a request body has to arrive whole once its head is read;
            later, the request is answered 408 and the connection closed.
        idle_timeout: seconds a kept-alive connection may wait for its next request.
        loop: the event loop of the server's thread: ``"asyncio"`` (the default here, as in
            the tests' fixtures), ``"uvloop"``, or ``"auto"`` (uvloop when installed).

    Attributes:
        app: the app served.
        host: the interface listened on.
        port: the port listened on (known once :meth:`start` returned).
    """

    def __init__(
        self,
        target: Engine | EngineApp | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        loop: LoopName = "asyncio",
    ) -> None:
        self._timeouts = {
            "header_timeout": header_timeout,
            "body_timeout": body_timeout,
            "idle_timeout": idle_timeout,
        }
        _check_timeouts(**self._timeouts)
        self._loop = _loop_kind(loop)
        self.app = _as_app(target)
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """The REST API base URL, e.g. ``http://127.0.0.1:8080/v2``."""
        return _url(self.host, self.port)

    @property
    def address(self) -> str:
        """The address without ``/v2``, as ``CAMUNDA_REST_ADDRESS`` takes it."""
        return self.url[: -len("/v2")]

    def start(self) -> EngineServer:
        """Bind, start serving in a background thread and wait until the server is up.

        Returns:
            The server itself.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        self._server = server = _build_server(self.app, graceful_timeout=5.0, **self._timeouts)
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]

        def run() -> None:
            try:
                server.run(sockets=[sock], loop=self._loop)
            except BaseException as error:  # noqa: BLE001 - reported by start()
                self._failure = error
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="camunda-engine-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError(f"the engine server did not start: {self._failure!r}")
        return self

    def stop(self) -> None:
        """Answer waiting long polls, stop serving and join the thread. Idempotent."""
        if self._server is not None:
            self._server.request_stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> EngineServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    target: Engine | EngineApp | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    on_ready: Callable[[str], None] | None = None,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    loop: LoopName = "auto",
) -> None:
    """Serve the engine over TCP in this thread until SIGINT or SIGTERM.

    Args:
        target: an engine, an :class:`~camunda_worker.engine.EngineApp`, or ``None`` for a new
            engine.
        host: the interface to listen on.
        port: the port; 0 picks a free one.
        on_ready: called with the ``/v2`` base URL once the socket is bound.
        header_timeout: seconds a request head has to arrive whole (see
            :class:`EngineServer`).
        body_timeout: seconds a request body has to arrive whole once its head is read.
        idle_timeout: seconds a kept-alive connection may wait for its next request.
        loop: the event loop: ``"auto"`` (uvloop when installed, as uvicorn chooses),
            ``"asyncio"`` (asyncio's own) or ``"uvloop"`` (fails when it is not installed).

    Raises:
        ServerDependencyError: httptools cannot be imported, or ``loop="uvloop"`` without
            uvloop.
    """
    timeouts = {
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "idle_timeout": idle_timeout,
    }
    _check_timeouts(**timeouts)
    kind = _loop_kind(loop)
    app = _as_app(target)
    server = _build_server(app, graceful_timeout=5.0, **timeouts)
    sock = _bind(host, port)
    url = _url(host, sock.getsockname()[1])
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)
        server.request_stop()

    main_thread = threading.current_thread() is threading.main_thread()
    previous = {}
    if main_thread:
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready(url)
        server.run(sockets=[sock], loop=kind)
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser (docs/cli.md is tested against it)."""
    parser = argparse.ArgumentParser(
        prog="camunda-worker engine",
        description="Serve the in-memory Camunda 8 engine's REST API (/v2) over HTTP.",
        epilog=(
            f"fault endpoints: * {' '.join(ENDPOINTS)}; "
            f"fault kinds: {' '.join(get_args(FaultKind))}"
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--server-line",
        choices=("8.8", "8.9", "8.10"),
        default=DEFAULT_SERVER_LINE,
        help=(
            "answer in the shape of this Camunda version (default: "
            f"{DEFAULT_SERVER_LINE}, the newest line whose spec is final)"
        ),
    )
    parser.add_argument(
        "--multi-tenancy",
        metavar="TENANT[,TENANT...]",
        type=_tenants,
        default=None,
        help=(
            "switch multi-tenancy on with these tenants (<default> always exists); off by "
            "default, as a stock cluster, which accepts only the tenant <default>"
        ),
    )
    parser.add_argument(
        "--request-timeout-ms",
        type=_positive,
        default=10_000,
        help="long-poll timeout when a request gives none (default: 10000)",
    )
    parser.add_argument(
        "--search-lag-ms",
        type=_not_negative,
        default=0,
        metavar="MS",
        help="searches see a command this long after it, as on a cluster (default: 0, at once)",
    )
    parser.add_argument("--latency-ms", type=float, default=0, help="latency added to answers")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ENDPOINT:KIND:RATE",
        help="inject faults, e.g. activate:503:0.1 or complete:drop:0.05 (repeatable)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault generator")
    parser.add_argument(
        "--oauth-client",
        action="append",
        default=[],
        metavar="ID:SECRET",
        help="require OAuth2 tokens and serve /oauth/token for this client (repeatable)",
    )
    parser.add_argument("--basic-auth", metavar="USER:PASSWORD", help="require basic auth")
    parser.add_argument("--record", action="store_true", help="record exchanges (memory)")
    parser.add_argument(
        "--max-body-size",
        type=_positive,
        default=DEFAULT_MAX_BODY_SIZE,
        metavar="BYTES",
        help=f"largest request body; larger: 413 (default: {DEFAULT_MAX_BODY_SIZE}, 4 MB)",
    )
    parser.add_argument(
        "--header-timeout",
        type=_seconds,
        default=DEFAULT_HEADER_TIMEOUT,
        metavar="SECONDS",
        help=f"time a request head has to arrive whole (default: {DEFAULT_HEADER_TIMEOUT:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=_seconds,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help=f"time a request body has to arrive whole; later: 408 (default: "
        f"{DEFAULT_BODY_TIMEOUT:g})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"time a kept-alive connection may wait for a request (default: "
        f"{DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--loop",
        choices=LOOPS,
        default="auto",
        help="event loop: auto picks uvloop when installed (pip install 'camunda-worker[fast]'), "
        "asyncio opts out (default: auto)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``engine`` sub-command.

    Args:
        argv: the arguments after ``engine`` (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 after a signal, 2 for bad arguments.
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    plan = FaultPlan(seed=args.seed, latency_ms=max(args.latency_ms, 0))
    try:
        for spec in args.fault:
            plan.error_rate(*parse_fault_spec(spec))
        clients = dict(_pair(text, "--oauth-client") for text in args.oauth_client)
        basic = _pair(args.basic_auth, "--basic-auth") if args.basic_auth else None
    except ValueError as error:
        parser.error(str(error))
    from camunda_worker.engine._runtime.core import Engine  # noqa: PLC0415 - keeps --help fast

    engine = Engine(
        server_line=args.server_line,
        default_request_timeout_ms=args.request_timeout_ms,
        search_lag_ms=args.search_lag_ms,
        tenants=args.multi_tenancy,
    )
    app = EngineApp(
        engine,
        faults=plan,
        basic_auth=basic,
        oauth_clients=clients or None,
        record=args.record,
        max_body_size=args.max_body_size,
    )

    def announce(url: str) -> None:
        print(f"camunda engine listening on {url}", flush=True)  # noqa: T201 - the CLI's output

    try:
        serve(
            app,
            host=args.host,
            port=args.port,
            on_ready=announce,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            idle_timeout=args.idle_timeout,
            loop=args.loop,
        )
    except ServerDependencyError as error:
        print(f"camunda-worker engine: {error}", file=sys.stderr)  # noqa: T201 - CLI output
        return 1
    except OSError as error:
        message = f"camunda-worker engine: cannot listen on {args.host}:{args.port}: {error}"
        print(message, file=sys.stderr)  # noqa: T201 - the CLI's output
        return 1
    finally:
        app.close()
        engine.close()
    return 0


def _tenants(text: str) -> list[str]:
    tenants = [tenant.strip() for tenant in text.split(",") if tenant.strip()]
    if not tenants:
        raise argparse.ArgumentTypeError("give at least one tenant, e.g. --multi-tenancy a,b")
    return tenants


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _pair(text: str, option: str) -> tuple[str, str]:
    first, sep, second = text.partition(":")
    if not sep or not first:
        raise ValueError(f"{option} expects NAME:SECRET")
    return first, second
