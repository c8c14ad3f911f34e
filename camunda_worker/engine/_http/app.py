"""The engine's ASGI app: routing, authentication, fault injection, recording, problem details.

:class:`EngineApp` is a plain ASGI 3 callable around one :class:`~camunda_worker.engine.Engine`.
Serve it over TCP (:func:`~camunda_worker.engine.serve`) or in-process through an httpx
transport (:class:`~camunda_worker.engine.InProcessTransport`). Routing is done by hand: a dict
lookup for fixed paths and a short list of templates for paths with a key, which keeps the hot
path (activation, completion) short.

Per request: body (size limit) -> route -> added latency -> injected fault ->
authentication -> handler -> answer -> record. Every refusal is an ``application/problem+json``
document.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import anyio
from loguru import logger

from camunda_worker.engine._faults.injection import FaultKind, FaultPlan
from camunda_worker.engine._faults.recording import Exchange, Recorder
from camunda_worker.engine._http.answers import (
    PROBLEM_JSON,
    HttpError,
    Reply,
    body_too_large,
    problem_document,
)
from camunda_worker.engine._http.asgi_io import (
    Receive,
    Scope,
    Send,
    declared_length,
    drop_connection,
    lifespan,
    read_body,
    read_headers,
    send_reply,
)
from camunda_worker.engine._http.auth import Authenticator, TokenIssuer, TokenRefusedError
from camunda_worker.engine._http.call import Handler, RouteHost
from camunda_worker.engine._http.long_polls import LongPolls
from camunda_worker.engine._http.router import Router
from camunda_worker.engine._http.routes import ROUTES, Call, Route
from camunda_worker.engine._http.search_filters import check_search_enums
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

__all__ = ["DEFAULT_MAX_BODY_SIZE", "EngineApp", "create_app"]

DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024
"""The default request body limit: 4 MB, a cluster's default (Zeebe's ``maxMessageSize`` and the
REST gateway's ``spring.servlet.multipart.max-request-size``)."""

T = TypeVar("T")
_FAULT_PROBLEMS: dict[str, tuple[int, str, str]] = {
    "503": (503, "RESOURCE_EXHAUSTED", "Expected to handle request, but the broker is overloaded"),
    "500": (500, "INTERNAL", "Unexpected error occurred during the request processing"),
    "429": (429, "TOO_MANY_REQUESTS", "Expected to handle request, but too many requests"),
    "504": (504, "DEADLINE_EXCEEDED", "Expected to handle request, but the request timed out"),
    "401": (401, "Unauthorized", "The credentials were refused"),
}
_TOKEN_FAULTS: dict[str, tuple[int, str]] = {
    "503": (503, "temporarily_unavailable"),
    "500": (500, "server_error"),
    "429": (429, "temporarily_unavailable"),
    "504": (504, "temporarily_unavailable"),
    "401": (401, "invalid_client"),
}


class EngineApp:
    """The ASGI app serving one engine's REST API under ``/v2``.

    Args:
        engine: the engine to serve; a new :class:`~camunda_worker.engine.Engine` (owned and
            closed by the app) when omitted.
        faults: the fault plan; an empty one when omitted (see :attr:`faults`).
        basic_auth: ``(username, password)``: require HTTP basic authentication.
        bearer_tokens: static bearer tokens to accept.
        oauth_clients: client id -> client secret: serve an OAuth2 token endpoint at
            ``token_path`` and accept the tokens it issues.
        token_expires_in: lifetime of issued tokens, in seconds.
        token_path: the path of the token endpoint.
        record: whether to record exchanges (see :attr:`requests`).
        record_limit: how many exchanges to keep.
        max_body_size: the largest request body accepted, in bytes (default 4 MB, as a
            cluster); a larger one is answered 413 without being read further. ``None``: no
            limit.
        search_lag_ms: set the engine's
            :attr:`~camunda_worker.engine.Engine.search_lag_ms`: searches see a command that
            long after it, in ms of the engine's clock, as on a cluster (``None``: leave it).

    Attributes:
        engine: the engine served.
        faults: the fault plan consulted on every request; change it at any time.
        recorder: the exchange recorder (``recorder.enabled = False`` to stop recording).
        auth: the credential checker.
        token_issuer: the OAuth2 token endpoint, ``None`` unless ``oauth_clients`` was given.
        max_body_size: the body limit in bytes (``None``: none).
    """

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        faults: FaultPlan | None = None,
        basic_auth: tuple[str, str] | None = None,
        bearer_tokens: Iterable[str] = (),
        oauth_clients: Mapping[str, str] | None = None,
        token_expires_in: int = 3600,
        token_path: str = "/oauth/token",  # noqa: S107 - a path, not a secret
        record: bool = True,
        record_limit: int = 10_000,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        search_lag_ms: int | None = None,
    ) -> None:
        if max_body_size is not None and max_body_size < 0:
            raise ValueError(f"max_body_size must be at least 0, got {max_body_size}")
        self.max_body_size = max_body_size
        self._owns_engine = engine is None
        self.engine: Engine = engine if engine is not None else Engine()
        if search_lag_ms is not None:
            self.engine.search_lag_ms = search_lag_ms
        self.faults = faults if faults is not None else FaultPlan()
        self.recorder = Recorder(limit=record_limit, enabled=record)
        self.token_issuer = (
            TokenIssuer(oauth_clients, expires_in=token_expires_in) if oauth_clients else None
        )
        self.auth = Authenticator(
            basic_auth=basic_auth, bearer_tokens=bearer_tokens, issuer=self.token_issuer
        )
        self.token_path = token_path
        routes = ROUTES
        if self.token_issuer is not None:
            token = _token_route(self.token_issuer)
            routes = (*routes, Route("POST", token_path, "token", token, authenticated=False))
        self._router = Router(routes)
        self._long_polls = LongPolls()
        self._closed = False

    def __repr__(self) -> str:
        return f"EngineApp(engine={self.engine!r}, auth={self.auth!r})"

    @property
    def requests(self) -> list[Exchange]:
        """Every recorded exchange, oldest first (a snapshot)."""
        return self.recorder.exchanges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection scope (``http`` or ``lifespan``)."""
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self._read_body(scope, receive)
        except HttpError as refusal:  # too large: answered at once, the connection closed
            await self._refuse_body(scope, send, refusal)
            return
        if body is None:
            return  # the client went away before sending its request
        method: str = scope["method"]
        path: str = scope["path"]
        instance = _instance(scope)
        content_type, authorization = read_headers(scope)
        endpoint: str | None = None
        fault: FaultKind | None = None
        reply: Reply | None = None
        try:
            route, params = self._router.match(method, path)
            endpoint = route.endpoint
            fault = await self._fault(endpoint)
            if fault is None or fault == "drop-after":
                self._admit(route, authorization, body)
                call = Call(path, params, body, content_type, authorization, receive)
                reply = await route.handler(self, call)
            elif fault != "drop":
                reply = _fault_reply(fault, endpoint, instance)
        except HttpError as problem:
            reply = problem.reply(instance)
        except EngineError as error:
            reply = Reply(
                error.status,
                problem_document(error.status, error.title, error.detail, instance),
                PROBLEM_JSON,
            )
        except Exception as error:  # noqa: BLE001 - a bug must still be answered as HTTP 500
            logger.opt(exception=error).error("in-memory engine failed on {} {}", method, path)
            reply = Reply(
                500,
                problem_document(500, "INTERNAL", f"Unexpected error: {error!r}", instance),
                PROBLEM_JSON,
            )
        if fault in ("drop", "drop-after"):
            await drop_connection(scope, send)
            reply = None
        elif reply is None:  # every branch above that does not drop makes a reply
            msg = f"no answer was made for {method} {path}"
            raise RuntimeError(msg)
        else:
            await send_reply(send, reply)
        if self.recorder.enabled:
            self._record(scope, endpoint, body, content_type, reply, fault)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        limit = self.max_body_size
        if limit is not None:
            declared = declared_length(scope)
            if declared is not None and declared > limit:
                raise body_too_large(limit)  # at once: not a byte of the body is read
        return await read_body(receive, limit)

    async def _refuse_body(self, scope: Scope, send: Send, refusal: HttpError) -> None:
        reply = refusal.reply(_instance(scope))
        await send_reply(send, reply)
        if self.recorder.enabled:
            try:
                route, _ = self._router.match(scope["method"], scope["path"])
            except HttpError:
                endpoint = None
            else:
                endpoint = route.endpoint
            content_type, _ = read_headers(scope)
            self._record(scope, endpoint, b"", content_type, reply, None)

    async def _fault(self, endpoint: str) -> FaultKind | None:
        faults = self.faults
        delay = faults.delay_for(endpoint)
        if delay:
            await anyio.sleep(delay)
        return faults.next_fault(endpoint)

    def _admit(self, route: Route, authorization: str | None, body: bytes) -> None:
        # Checks before the handler runs: credentials, then the spec's enums of a search.
        if route.authenticated:
            self._authenticate(authorization)
        if route.template.endswith("/search"):
            check_search_enums(self.engine.server_line, route.template, body)

    def _authenticate(self, authorization: str | None) -> None:
        if self.auth.required and not self.auth.accepts(authorization):
            raise HttpError(
                401,
                "Unauthorized",
                "No valid credentials were sent",
                headers={"WWW-Authenticate": self.auth.challenge},
            )

    def _record(
        self,
        scope: Scope,
        endpoint: str | None,
        body: bytes,
        content_type: str,
        reply: Reply | None,
        fault: FaultKind | None,
    ) -> None:
        self.recorder.add(
            Exchange(
                method=scope["method"],
                path=scope["path"],
                endpoint=endpoint,
                request=_request_summary(endpoint, body, content_type),
                status=None if reply is None else reply.status,
                response=_response_summary(endpoint, reply),
                content_type=(
                    None if reply is None or reply.document is None else reply.content_type.decode()
                ),
                fault=fault,
                query=scope.get("query_string", b"").decode("latin-1"),
            )
        )

    async def guard_long_poll(
        self,
        waiting: Awaitable[T],
        *,
        closed: Callable[[], T],
        receive: Receive | None = None,
    ) -> T:
        """Await a long wait (activation, ``awaitCompletion``) that may end early.

        It ends early when the client disconnects (``receive`` reports ``http.disconnect``) or
        when :meth:`end_long_polls` is called.

        Args:
            waiting: the engine's awaitable.
            closed: gives the answer when the wait ended early.
            receive: the request's ASGI ``receive``.

        Returns:
            What ``waiting`` returned, or ``closed()``.
        """
        return await self._long_polls.guard(waiting, closed=closed, receive=receive)

    def end_long_polls(self) -> None:
        """End every waiting long poll now: activations answer ``{"jobs": []}``.

        Called by the TCP server when it shuts down, so that waiting clients get an answer
        instead of a dropped connection. Safe to call from any thread.
        """
        self._long_polls.end_all()

    def close(self) -> None:
        """End waiting long polls and close the engine if the app created it. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.end_long_polls()
        if self._owns_engine:
            self.engine.close()


def _instance(scope: Scope) -> str:
    # A problem's ``instance`` is a URI reference: the path as sent, percent-encoding kept.
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.split(b"?", 1)[0].decode("latin-1")
    return str(scope["path"])


def create_app(engine: Engine | None = None, **options: Any) -> EngineApp:
    """Build the ASGI app for ``engine`` (a new engine when omitted).

    Args:
        engine: the engine to serve.
        **options: the keyword arguments of :class:`EngineApp`.

    Returns:
        The app.
    """
    return EngineApp(engine, **options)


def _token_route(issuer: TokenIssuer) -> Handler:
    async def token(_host: RouteHost, call: Call) -> Reply:
        try:
            return Reply(200, issuer.issue(call.body, call.authorization))
        except TokenRefusedError as refusal:
            return Reply(refusal.status, refusal.document())

    return token


def _fault_reply(fault: FaultKind, endpoint: str, path: str) -> Reply:
    if endpoint == "token":
        status, error = _TOKEN_FAULTS[fault]
        document = {"error": error, "error_description": "injected fault"}
        return Reply(status, document)
    status, title, detail = _FAULT_PROBLEMS[fault]
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if fault == "401":
        headers = ((b"www-authenticate", b'Bearer realm="camunda"'),)
    document = problem_document(status, title, f"{detail} (injected fault)", path)
    return Reply(status, document, PROBLEM_JSON, headers)


def _response_summary(endpoint: str | None, reply: Reply | None) -> Any:
    if reply is None:
        return None
    document = reply.document
    if endpoint == "token" and isinstance(document, dict) and "access_token" in document:
        return {**document, "access_token": "***"}  # a token is a secret: never recorded
    return document


def _request_summary(endpoint: str | None, body: bytes, content_type: str) -> Any:
    if not body:
        return None
    if endpoint == "token":
        from urllib.parse import parse_qsl  # noqa: PLC0415 - rare path

        return {k: v for k, v in parse_qsl(body.decode("utf-8", "replace")) if k != "client_secret"}
    if endpoint == "deploy":
        from camunda_worker.engine._http.multipart import parse_deployment_form  # noqa: PLC0415

        try:
            form = parse_deployment_form(content_type, body)
        except HttpError:
            return None
        return {"resources": [name for name, _ in form.resources], "tenantId": form.tenant_id}
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
