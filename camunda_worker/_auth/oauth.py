"""OAuth 2.0 client credentials as an :class:`httpx.Auth`, for sync and async clients.

One token serves every request. It is refreshed shortly before it expires (10% of its lifetime,
at most 30 s); while it is refreshed, the old token keeps serving requests. Many callers that
need a token at once, in any thread or event loop, cause one token request (single flight). A
401 from the API drops the token and retries the request once with a new one.
"""

from __future__ import annotations

import collections
import copy
import ssl
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path

import httpx
from pydantic import SecretStr

from camunda_worker._auth.flight import Flight
from camunda_worker._auth.token_cache import CachedToken, TokenDiskCache, cache_key
from camunda_worker._auth.token_response import token_from_response
from camunda_worker._base.errors import ConnectError, RequestTimeoutError
from camunda_worker._base.logs import logger
from camunda_worker._base.redact import redact_url, remember_secrets, scrub

__all__ = ["OAuthClientCredentials"]


class OAuthClientCredentials(httpx.Auth):
    """OAuth 2.0 client credentials grant; works with ``httpx.Client`` and ``httpx.AsyncClient``.

    ``repr`` and ``str`` show the token endpoint (its userinfo and query values masked), client
    id and audience, never the secret or the token. The secret and the last tokens received
    are masked, in every form, wherever the library shows text from elsewhere (see
    :func:`~camunda_worker._base.redact.scrub`) for as long as this object lives.

    Args:
        oauth_url: the token endpoint (``CAMUNDA_OAUTH_URL``).
        client_id: the client id (``CAMUNDA_CLIENT_ID``).
        client_secret: the client secret (``CAMUNDA_CLIENT_SECRET``).
        audience: the audience to request (``CAMUNDA_TOKEN_AUDIENCE``); not sent when empty.
        scope: the scope to request (``CAMUNDA_TOKEN_SCOPE``); not sent when empty.
        cache_dir: directory of the disk cache; ``None`` keeps tokens in memory only.
        transport: httpx transport for sync token requests (tests pass a fake endpoint).
        async_transport: httpx transport for async token requests.
        verify: TLS verification for the token endpoint (an :class:`ssl.SSLContext` or bool).
        timeout: seconds to wait for the token endpoint.
        clock: wall-clock time source, replaceable in tests.
    """

    requires_request_body = True  # the request is sent twice after a 401

    def __init__(
        self,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: SecretStr | str,
        audience: str | None = None,
        scope: str | None = None,
        cache_dir: Path | str | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.oauth_url = oauth_url
        self.client_id = client_id
        self.audience = audience or None
        self.scope = scope or None
        self._secret = SecretStr(client_secret) if isinstance(client_secret, str) else client_secret
        self._transport = transport
        self._async_transport = async_transport
        self._verify = verify
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._token: CachedToken | None = None
        self._flight: Flight | None = None
        # A refused token may still be echoed by an error answer: keep masking the last ones.
        self._recent_tokens: collections.deque[str] = collections.deque(maxlen=_REMEMBERED_TOKENS)
        self._shown_url = redact_url(oauth_url)
        remember_secrets(self, (self._secret,))
        self._disk = (
            None
            if cache_dir is None
            else TokenDiskCache(
                Path(cache_dir).expanduser(),
                cache_key(oauth_url=oauth_url, client_id=client_id, audience=audience, scope=scope),
            )
        )

    def __repr__(self) -> str:
        return (
            f"OAuthClientCredentials(oauth_url={self._shown_url!r}, client_id={self.client_id!r}, "
            f"audience={self.audience!r})"
        )

    __str__ = __repr__

    # -- httpx.Auth ------------------------------------------------------------------------

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Authorize ``request``; on a 401, retry it once with a new token."""
        token = self.token()
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            self.reject(token)
            request.headers["Authorization"] = self.token().authorization
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Authorize ``request``; on a 401, retry it once with a new token."""
        token = await self.atoken()
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            self.reject(token)
            request.headers["Authorization"] = (await self.atoken()).authorization
            yield request

    # -- tokens ----------------------------------------------------------------------------

    def token(self) -> CachedToken:
        """Return a valid token, fetching one (once for all concurrent callers) when needed."""
        while True:
            claimed = self._claim()
            if isinstance(claimed, CachedToken):
                return claimed
            flight, leader = claimed
            if leader:
                return self._lead(flight, self._fetch_sync)
            # A generous bound: if the leader is stuck on this very thread's event loop, fetch
            # without it rather than wait forever.
            if not flight.wait(self._timeout + 1):
                return self._store(self._fetch_sync())
            if flight.token is not None:
                return flight.token
            _reraise(flight.error)

    async def atoken(self) -> CachedToken:
        """Async :meth:`token`: waits without blocking the event loop."""
        while True:
            claimed = self._claim()
            if isinstance(claimed, CachedToken):
                return claimed
            flight, leader = claimed
            if leader:
                return await self._alead(flight)
            await flight.wait_async()
            if flight.token is not None:
                return flight.token
            _reraise(flight.error)

    def _claim(self) -> CachedToken | tuple[Flight, bool]:
        """Return a usable token, or the flight to join (``False``), or a new one to lead."""
        now = self._clock()
        with self._lock:
            token = self._token
            if token is not None and now < token.refresh_at:
                return token
            if self._flight is not None:
                if token is not None and now < token.expires_at:
                    return token  # still valid while the refresh is in flight
                return self._flight, False
            self._flight = Flight()
            return self._flight, True

    def _lead(self, flight: Flight, fetch: Callable[[], CachedToken]) -> CachedToken:
        token: CachedToken | None = None
        error: BaseException | None = None
        try:
            token = self._from_disk() or self._store(fetch(), to_disk=True)
            return token
        except BaseException as caught:
            error = caught
            raise
        finally:
            with self._lock:
                self._flight = None
            flight.finish(token, error)

    async def _alead(self, flight: Flight) -> CachedToken:
        token: CachedToken | None = None
        error: BaseException | None = None
        try:
            token = self._from_disk() or self._store(await self._fetch_async(), to_disk=True)
            return token
        except BaseException as caught:
            error = caught
            raise
        finally:
            with self._lock:
                self._flight = None
            flight.finish(token, error)

    def _from_disk(self) -> CachedToken | None:
        cached = self._disk.load() if self._disk is not None else None
        if cached is None or self._clock() >= cached.refresh_at:
            return None
        logger.debug("Using the cached OAuth token for client id {}", self.client_id)
        return self._store(cached)

    def _store(self, token: CachedToken, *, to_disk: bool = False) -> CachedToken:
        with self._lock:
            self._token = token
            if token.access_token not in self._recent_tokens:
                self._recent_tokens.append(token.access_token)
            remember_secrets(self, (self._secret, *self._recent_tokens))
        if to_disk and self._disk is not None:
            self._disk.save(token)
        return token

    def reject(self, token: CachedToken) -> None:
        """Forget ``token`` (the API answered 401 to it): the next call fetches a new one."""
        logger.debug("The API answered 401; fetching a new OAuth token and retrying once")
        with self._lock:
            if self._token == token:
                self._token = None
        if self._disk is not None:
            self._disk.discard(token)

    # -- the token request -----------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        form = {"grant_type": "client_credentials", "client_id": self.client_id}
        form["client_secret"] = self._secret.get_secret_value()
        if self.audience:
            form["audience"] = self.audience
        if self.scope:
            form["scope"] = self.scope
        return form

    def _fetch_sync(self) -> CachedToken:
        issued_at = self._clock()
        transport = _Borrowed(self._transport) if self._transport else None
        try:
            with httpx.Client(transport=transport, verify=self._verify) as client:
                response = client.post(
                    self.oauth_url, data=self._form(), headers=_HEADERS, timeout=self._timeout
                )
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        return self._accept(response, issued_at)

    async def _fetch_async(self) -> CachedToken:
        issued_at = self._clock()
        transport = _BorrowedAsync(self._async_transport) if self._async_transport else None
        try:
            async with httpx.AsyncClient(transport=transport, verify=self._verify) as client:
                response = await client.post(
                    self.oauth_url, data=self._form(), headers=_HEADERS, timeout=self._timeout
                )
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        return self._accept(response, issued_at)

    def _accept(self, response: httpx.Response, issued_at: float) -> CachedToken:
        token = token_from_response(
            response.status_code,
            response.content,
            issued_at=issued_at,
            oauth_url=self._shown_url,
            client_id=self.client_id,
            secrets=(self._secret,),  # and the tokens it remembered
        )
        logger.debug(
            "Fetched an OAuth token for client id {} from {} (expires in {:.0f} s)",
            self.client_id,
            self._shown_url,
            token.expires_at - issued_at,
        )
        return token

    def _transport_error(self, error: httpx.TransportError) -> Exception:
        what = scrub(str(error) or type(error).__name__, (self._secret,))
        if isinstance(error, httpx.TimeoutException):
            return RequestTimeoutError(
                f"The OAuth token endpoint {self._shown_url} did not answer within "
                f"{self._timeout:g} s ({what})"
            )
        return ConnectError(f"The OAuth token endpoint {self._shown_url} is unreachable ({what})")


_HEADERS = {"Accept": "application/json"}
_REMEMBERED_TOKENS = 4


def _reraise(error: BaseException | None) -> None:
    """Raise a leader's error in a waiter; a leader that was cancelled makes waiters retry."""
    if isinstance(error, Exception):
        raise copy.copy(error)


class _Borrowed(httpx.BaseTransport):
    """A transport the caller owns: used for a token request, never closed by us."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport.handle_request(request)

    def close(self) -> None:
        """Leave the borrowed transport open."""


class _BorrowedAsync(httpx.AsyncBaseTransport):
    """An async transport the caller owns: used for a token request, never closed by us."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        """Leave the borrowed transport open."""
