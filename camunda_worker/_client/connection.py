"""Building API clients from resolved settings: address, auth and TLS in one place.

The worker, its thread pool and its child processes all build their clients here, so every client
a handler gets shares the worker's address, credentials and TLS settings. One
:class:`Connection` holds one auth object: its sync and async clients share one OAuth token.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

import attrs

from camunda_worker._auth.schemes import build_auth
from camunda_worker._auth.tls import build_ssl_context
from camunda_worker._client import CamundaAsyncClient, CamundaClient

if TYPE_CHECKING:
    import httpx

    from camunda_worker._config.settings import CamundaSettings

__all__ = ["Connection", "async_client_from_settings", "sync_client_from_settings"]


@attrs.frozen
class Connection:
    """The address, auth and TLS context that every client of one worker shares.

    Build it with :meth:`from_settings`; then make as many clients as needed.
    """

    settings: CamundaSettings
    auth: httpx.Auth | None = attrs.field(repr=False)
    verify: ssl.SSLContext | bool = attrs.field(repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: CamundaSettings,
        *,
        token_transport: httpx.BaseTransport | None = None,
        async_token_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Connection:
        """Resolve auth and TLS once for ``settings``.

        Args:
            settings: resolved settings (see :func:`camunda_worker.resolve_settings`).
            token_transport: an httpx transport for the OAuth token endpoint (sync flows).
            async_token_transport: the same for async flows.
        """
        auth = build_auth(
            settings, transport=token_transport, async_transport=async_token_transport
        )
        context = build_ssl_context(settings)
        return cls(settings, auth, context if context is not None else True)

    def async_client(
        self, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> CamundaAsyncClient:
        """A new async client; ``transport`` replaces the network (e.g. the in-memory engine)."""
        return CamundaAsyncClient(
            self.settings.rest_address, auth=self.auth, transport=transport, verify=self.verify
        )

    def sync_client(self, *, transport: httpx.BaseTransport | None = None) -> CamundaClient:
        """A new sync client; ``transport`` replaces the network (e.g. the in-memory engine)."""
        return CamundaClient(
            self.settings.rest_address, auth=self.auth, transport=transport, verify=self.verify
        )


def async_client_from_settings(
    settings: CamundaSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> CamundaAsyncClient:
    """Build an async client for the address, auth and TLS that ``settings`` describe."""
    return Connection.from_settings(settings).async_client(transport=transport)


def sync_client_from_settings(
    settings: CamundaSettings, *, transport: httpx.BaseTransport | None = None
) -> CamundaClient:
    """Build a sync client for the address, auth and TLS that ``settings`` describe."""
    return Connection.from_settings(settings).sync_client(transport=transport)
