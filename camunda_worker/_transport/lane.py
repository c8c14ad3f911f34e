"""How :class:`CamundaAsyncClient` sends a JSON call on the fast lane (:mod:`camunda_worker._transport.wire`).

:func:`wire_lane` decides, once per client, whether the lane can carry its calls exactly as
httpx would: the client owns the network (no injected transport), no proxy applies to the
address, the base URL has no query, the authentication is none, :class:`BasicAuth` or
:class:`OAuthClientCredentials` (their header is known without running an httpx auth flow), and
the extra headers are plain. If not, every call keeps going through httpx. On the lane, a call's
request head is written directly: method and path, the client's fixed headers, the current
``Authorization``, ``Content-Type`` and ``Content-Length``. OAuth keeps its contract: a 401
answer drops the token and the call is sent once more with a new one.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx

from camunda_worker._api.endpoints import Call
from camunda_worker._auth.oauth import OAuthClientCredentials
from camunda_worker._auth.schemes import BasicAuth
from camunda_worker._auth.tls import shared_ssl_context
from camunda_worker._transport.http import read_answer
from camunda_worker._transport.wire import WirePool

__all__ = ["WireLane", "proxied", "wire_lane"]

T = TypeVar("T")

# What httpx.AsyncClient uses when given no limits.
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Headers that frame the request body: the lane writes them itself.
_FRAMING = frozenset({"content-length", "transfer-encoding"})


def _dumps(document: Any) -> bytes:
    # The encoding httpx uses for ``json=``: compact, UTF-8, no NaN.
    if type(document) is dict and not document:
        return b"{}"  # a completion without variables: the JSON encoder's setup is most of it
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _plain(text: str) -> bool:
    return "\r" not in text and "\n" not in text and "\0" not in text


def _header(name: str, value: str) -> bytes:
    if not _plain(value):
        msg = f"the {name} header contains a line break"
        raise httpx.LocalProtocolError(msg)
    return f"{name}: {value}\r\n".encode("latin-1", errors="strict")


def _bypassed(host: str, entry: str) -> bool:
    # httpx's reading of one NO_PROXY entry (curl's rules); a URL pattern is left to httpx.
    entry = entry.strip().lower().strip("[]")
    if not entry or "://" in entry:
        return False
    if entry.startswith("."):  # ".example.com": the subdomains only
        return host.endswith(entry) and len(host) > len(entry)
    return host == entry or host.endswith("." + entry)


def proxied(url: httpx.URL) -> bool:
    """Whether httpx, trusting the environment, would send requests to ``url`` through a proxy.

    It reads the same settings httpx does (``urllib.request.getproxies()``: ``HTTP_PROXY``,
    ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``, and the system's settings on macOS and
    Windows) and applies ``NO_PROXY`` as httpx does. When unsure (a URL pattern in
    ``NO_PROXY``) it answers ``True``: httpx then decides.
    """
    proxies = urllib.request.getproxies()
    if not (proxies.get(url.scheme) or proxies.get("all")):
        return False
    host = url.host.lower()
    entries = proxies.get("no", "").split(",")
    if any(entry.strip() == "*" for entry in entries):
        return False
    return not any(_bypassed(host, entry) for entry in entries)


class WireLane:
    """Sends :class:`Call` s on a :class:`WirePool`; built by :func:`wire_lane`."""

    def __init__(
        self,
        url: httpx.URL,
        *,
        auth: BasicAuth | OAuthClientCredentials | None,
        headers: Mapping[str, str],
        ssl_context: ssl.SSLContext | None,
        limits: httpx.Limits,
    ) -> None:
        self._pool = WirePool(url, ssl_context=ssl_context, limits=limits)
        self._auth = auth
        self._prefix = url.raw_path.decode("ascii").rstrip("/")
        netloc = url.netloc.decode("ascii")
        if "@" in netloc:  # pragma: no cover - httpx's netloc never carries the userinfo
            netloc = netloc.rpartition("@")[2]
        # As httpx: a header the client was given replaces the default of the same name, and
        # the authentication's Authorization replaces a given one.
        lowered = {name.lower() for name in headers}
        fixed = [
            line
            for name, line in (
                ("host", _header("Host", netloc)),
                ("accept", b"Accept: */*\r\n"),
                ("connection", b"Connection: keep-alive\r\n"),
            )
            if name not in lowered
        ]
        fixed.extend(
            _header(name, value)
            for name, value in headers.items()
            if auth is None or name.lower() != "authorization"
        )
        self._fixed = b"".join(fixed)
        json_type = b"Content-Type: application/json\r\n"
        self._json_type = b"" if "content-type" in lowered else json_type
        port = f":{url.port}" if url.port else ""
        self.shown = f"{url.scheme}://{url.host}{port}{self._prefix}"

    async def _authorization(self) -> tuple[bytes, Any]:
        auth = self._auth
        if auth is None:
            return b"", None
        if isinstance(auth, BasicAuth):
            return _header("Authorization", auth.authorization()), None
        token = await auth.atoken()
        return _header("Authorization", token.authorization), token

    async def send(self, call: Call[T], timeout: httpx.Timeout) -> T:
        """Send ``call`` and read its answer (the result, or the matching problem error)."""
        method = call.method
        if call.json is not None:
            body = _dumps(call.json)
            length = self._json_type + b"Content-Length: %d\r\n" % len(body)
        else:
            body = b""
            length = b"Content-Length: 0\r\n" if method in _BODY_METHODS else b""
        start = (
            f"{method} {self._prefix}{call.path} HTTP/1.1\r\n".encode("ascii")
            + self._fixed
            + length
        )
        authorization: bytes = b""
        token: Any = None
        if self._auth is not None:  # no coroutine to await for no header
            authorization, token = await self._authorization()
        response = await self._pool.request(start + authorization + b"\r\n", body, timeout)
        if response.status == 401 and isinstance(self._auth, OAuthClientCredentials):
            self._auth.reject(token)
            authorization, _ = await self._authorization()
            response = await self._pool.request(start + authorization + b"\r\n", body, timeout)
        return read_answer(call, response.status, response.content)

    async def aclose(self) -> None:
        """Close the lane's connections."""
        await self._pool.aclose()


def wire_lane(
    url: httpx.URL,
    *,
    auth: httpx.Auth | None,
    headers: Mapping[str, str],
    verify: ssl.SSLContext | bool,
    limits: httpx.Limits | None,
) -> WireLane | None:
    """The fast lane for a client of ``url``, or ``None`` when only httpx can send exactly right.

    Args:
        url: the client's base URL.
        auth: the client's authentication.
        headers: the headers the client sends with every request (its ``User-Agent`` too).
        verify: the client's TLS verification: the context its httpx client uses too, or a
            flag (the process's shared context for it, as the client builds).
        limits: the client's connection limits (``None``: httpx's defaults).
    """
    if auth is not None and not isinstance(auth, (BasicAuth, OAuthClientCredentials)):
        return None
    if url.query or url.fragment or url.scheme not in ("http", "https") or proxied(url):
        return None
    if any(name.lower() in _FRAMING for name in headers):
        return None
    if auth is None and (url.username or url.password):
        # httpx sends the base URL's user info as Basic authentication.
        auth = BasicAuth(url.username, url.password)
    ssl_context: ssl.SSLContext | None = None
    if url.scheme == "https":
        ssl_context = verify if isinstance(verify, ssl.SSLContext) else shared_ssl_context(verify)
    return WireLane(
        url,
        auth=auth,
        headers=headers,
        ssl_context=ssl_context,
        limits=limits if limits is not None else _DEFAULT_LIMITS,
    )
