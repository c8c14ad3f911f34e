"""What a route handler receives (:class:`Call`) and how a route is declared (:class:`Route`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import attrs

from camunda_worker.engine._http.answers import Reply
from camunda_worker.engine._runtime.core import Engine

__all__ = ["Call", "Handler", "Route", "RouteHost"]

T = TypeVar("T")
Receive = Callable[[], Awaitable[dict[str, Any]]]


class RouteHost(Protocol):
    """What a route handler may use of the app serving it: the engine and long-poll guarding.

    The ASGI app implements it; declaring it here keeps handlers free of the app's module.
    """

    @property
    def engine(self) -> Engine:
        """The engine served."""
        ...

    async def guard_long_poll(
        self,
        waiting: Awaitable[T],
        *,
        closed: Callable[[], T],
        receive: Receive | None = None,
    ) -> T:
        """Await a long wait that ends early on disconnection or shutdown."""
        ...


@attrs.frozen
class Call:
    """One request, as a handler sees it.

    Attributes:
        path: the request path.
        params: the path parameters, in template order.
        body: the raw body.
        content_type: the ``Content-Type`` header, ``""`` when absent.
        authorization: the ``Authorization`` header, ``None`` when absent.
        receive: the ASGI ``receive`` of the request (after the body: reports disconnection).
    """

    path: str
    params: tuple[str, ...]
    body: bytes
    content_type: str = ""
    authorization: str | None = None
    receive: Callable[[], Awaitable[dict[str, Any]]] | None = None


Handler = Callable[[RouteHost, Call], Awaitable[Reply]]


@attrs.frozen
class Route:
    """A route of the app.

    Attributes:
        method: the HTTP method.
        template: the path, with ``{name}`` for a parameter.
        endpoint: the endpoint name used by fault injection and recording.
        handler: the coroutine function answering the request.
        authenticated: whether the route needs credentials when authentication is on.
    """

    method: str
    template: str
    endpoint: str
    handler: Handler
    authenticated: bool = True
