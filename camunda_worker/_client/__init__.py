"""The REST clients: :class:`CamundaAsyncClient` and its blocking twin :class:`CamundaClient`.

Both send the calls defined in :mod:`camunda_worker._api.endpoints` through httpx; the only thing that
differs between them is ``_send`` (``await`` or not), the rest of the seam is in
:mod:`camunda_worker._transport.http`. Every error answer raises a :class:`~camunda_worker.ProblemError`
subclass, every failure to get an answer a :class:`~camunda_worker.TransportError` subclass.

One client may be shared by many workers and tasks (or threads, for the sync client): it holds a
connection pool and no per-request state. Close it once, when the application stops.

Owns, beside the two clients, :mod:`.connection` (building clients from resolved settings: address, auth and
TLS in one place) and :mod:`.retry` (capped exponential back-off with jitter, for what is safe to
retry). It may import :mod:`.._transport`, :mod:`.._auth`, :mod:`.._config`, :mod:`.._api` and
:mod:`.._base`; the worker imports it.
"""

from __future__ import annotations

from camunda_worker._client.async_client import CamundaAsyncClient
from camunda_worker._client.sync_client import CamundaClient

__all__ = ["CamundaAsyncClient", "CamundaClient"]
