"""Authentication for the REST API: none, HTTP Basic, or OAuth 2.0 client credentials.

:func:`build_auth` turns resolved settings into an :class:`httpx.Auth` (or ``None``) that works
with both ``httpx.Client`` and ``httpx.AsyncClient``. No credential ever appears in a ``repr``,
``str``, log line or exception message.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from pathlib import Path

import httpx
from pydantic import SecretStr

from camunda_worker._auth.oauth import OAuthClientCredentials
from camunda_worker._auth.tls import build_ssl_context
from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.redact import remember_secrets, secret_value
from camunda_worker._config.fields import DEFAULT_TOKEN_CACHE_DIR
from camunda_worker._config.settings import CamundaSettings

__all__ = ["BasicAuth", "OAuthClientCredentials", "build_auth"]


class BasicAuth(httpx.Auth):
    """HTTP Basic authentication; ``repr`` shows the user name only.

    The password, and ``user:password`` (whose base64 the header carries), are masked in every
    form wherever the library shows text from elsewhere (see
    :func:`~camunda_worker._base.redact.scrub`) for as long as this object lives.

    Args:
        username: the user name (``CAMUNDA_BASIC_AUTH_USERNAME``).
        password: the password (``CAMUNDA_BASIC_AUTH_PASSWORD``).
    """

    def __init__(self, username: str, password: SecretStr | str) -> None:
        self.username = username
        plain = secret_value(password)
        credentials = f"{username}:{plain}"
        encoded = base64.b64encode(credentials.encode()).decode("ascii")
        self._authorization = SecretStr("Basic " + encoded)
        remember_secrets(self, (plain, credentials))

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"

    __str__ = __repr__

    def authorization(self) -> str:
        """The ``Authorization`` header's value (a secret: never log it)."""
        return self._authorization.get_secret_value()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the ``Authorization`` header."""
        request.headers["Authorization"] = self.authorization()
        yield request


def build_auth(
    settings: CamundaSettings,
    *,
    transport: httpx.BaseTransport | None = None,
    async_transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Auth | None:
    """Build the authentication that ``settings.auth_strategy`` asks for.

    Share the result between the clients of one worker: an :class:`OAuthClientCredentials`
    serves sync and async clients at once and fetches one token for all of them.

    Args:
        settings: resolved settings.
        transport: httpx transport for sync OAuth token requests (tests: a fake endpoint).
        async_transport: httpx transport for async OAuth token requests.

    Returns:
        ``None`` for ``NONE``, a :class:`BasicAuth` for ``BASIC``, an
        :class:`OAuthClientCredentials` for ``OAUTH``. The token endpoint is verified with the
        ``CAMUNDA_MTLS_*`` TLS settings, like the API.
    """
    if settings.auth_strategy == "BASIC":
        username, password = settings.basic_auth_username, settings.basic_auth_password
        if username is None or password is None:  # CamundaSettings refuses these, if validated
            msg = "CAMUNDA_AUTH_STRATEGY=BASIC needs CAMUNDA_BASIC_AUTH_USERNAME and _PASSWORD"
            raise ConfigurationError(msg, variable="CAMUNDA_BASIC_AUTH_USERNAME")
        return BasicAuth(username, password)
    if settings.auth_strategy == "OAUTH":
        if settings.client_id is None or settings.client_secret is None:  # as for BASIC
            msg = "CAMUNDA_AUTH_STRATEGY=OAUTH needs CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET"
            raise ConfigurationError(msg, variable="CAMUNDA_CLIENT_ID")
        cache_dir = (
            None
            if settings.token_disk_cache_disable
            else Path(settings.token_cache_dir or DEFAULT_TOKEN_CACHE_DIR).expanduser()
        )
        ssl_context = build_ssl_context(settings)
        return OAuthClientCredentials(
            oauth_url=settings.oauth_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            audience=settings.token_audience,
            scope=settings.token_scope,
            cache_dir=cache_dir,
            transport=transport,
            async_transport=async_transport,
            verify=ssl_context if ssl_context is not None else True,
        )
    return None
