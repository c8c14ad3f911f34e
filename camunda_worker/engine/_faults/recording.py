"""Recording of every request the engine's app answers, for assertions in tests.

Each exchange keeps the request (method, path, JSON body) and the answer (status, JSON body), in
a bounded deque: the oldest exchanges are dropped past ``limit``. Credentials are never recorded:
no headers are kept, and the token endpoint's form is recorded without ``client_secret``.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import attrs

__all__ = ["Exchange", "Recorder"]


@attrs.frozen
class Exchange:
    """One request and its answer.

    Attributes:
        method: the HTTP method.
        path: the request path, e.g. ``/v2/jobs/activation``.
        endpoint: the endpoint name (``activate``, ``complete``...; see
            :class:`~camunda_worker.engine.FaultPlan`), ``None`` for an unknown route.
        request: the request body: parsed JSON, a summary of a multipart deployment
            (``{"resources": [names], "tenantId": ...}``), the token form without secrets, or
            ``None``.
        status: the status answered, ``None`` when the connection was dropped without an answer.
        response: the answer's JSON document, ``None`` for no body.
        content_type: the answer's media type, ``None`` for no body.
        fault: the injected fault, ``None`` when the engine answered normally.
        query: the raw query string.
    """

    method: str
    path: str
    endpoint: str | None
    request: Any
    status: int | None
    response: Any
    content_type: str | None = None
    fault: str | None = None
    query: str = ""


class Recorder:
    """A bounded, thread-safe log of exchanges.

    Args:
        limit: how many exchanges to keep (the oldest go first).
        enabled: whether to record at all (turn off for benchmarks).
    """

    def __init__(self, *, limit: int = 10_000, enabled: bool = True) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.enabled = enabled
        self._exchanges: deque[Exchange] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        """Record ``exchange`` (no-op while disabled)."""
        if self.enabled:
            with self._lock:
                self._exchanges.append(exchange)

    def clear(self) -> None:
        """Forget every recorded exchange."""
        with self._lock:
            self._exchanges.clear()

    @property
    def exchanges(self) -> list[Exchange]:
        """A snapshot of the recorded exchanges, oldest first."""
        with self._lock:
            return list(self._exchanges)

    def to(self, endpoint: str) -> list[Exchange]:
        """Return the recorded exchanges of one endpoint, oldest first.

        Args:
            endpoint: an endpoint name such as ``"activate"`` or ``"complete"``.
        """
        return [exchange for exchange in self.exchanges if exchange.endpoint == endpoint]

    def __len__(self) -> int:
        return len(self._exchanges)
