"""The httpx seam shared by both clients: timeouts, request building, answers and errors.

The sync and async clients differ only in how they send (``client.send`` or
``await client.send``); everything around the send lives here, once.

Timeouts are finite by default (:data:`DEFAULT_TIMEOUT`). A call that the server may hold (a
long-poll activation, a creation that awaits completion) gets a read timeout of its
``requestTimeout`` plus :data:`LONG_POLL_MARGIN`: the client never cuts a long poll short, and
notices a connection that went silent soon after the server would have answered.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from camunda_worker._api.endpoints import Call
from camunda_worker._auth.tls import shared_ssl_context
from camunda_worker._base.errors import (
    ConfigurationError,
    ConnectError,
    RequestTimeoutError,
    TransportError,
    problem_from_response,
)
from camunda_worker._base.redact import redact_url
from camunda_worker._version import __version__

if TYPE_CHECKING:
    from types import TracebackType

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "LONG_POLL_MARGIN",
    "SERVER_DEFAULT_REQUEST_TIMEOUT",
    "build_request",
    "check_base_url",
    "check_headers",
    "client_options",
    "read_answer",
    "resolve_timeout",
    "translate_transport_errors",
    "wait_timeout",
    "where",
]

T = TypeVar("T")

DEFAULT_BASE_URL = "http://localhost:8080/v2"
"""The REST address of a local Camunda 8 (C8 Run, docker compose)."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""Connect within 10 s, and no single read, write or pool wait longer than 30 s."""

LONG_POLL_MARGIN = 2.0
"""Seconds a long poll's read timeout adds to its ``requestTimeout``.

The server answers a long poll within ``requestTimeout``; the margin covers only the trip there
and back and the server's scheduling (milliseconds on a LAN, a few hundred across regions, a
pause of a busy gateway), with room to spare. A longer margin only delays noticing a dead
connection; one too short would at worst cut an answer that came late, whose jobs (if any) are
then activated again after their timeout.
"""

SERVER_DEFAULT_REQUEST_TIMEOUT = 10.0
"""Seconds the server holds a long poll whose ``requestTimeout`` is 0 or absent."""


# A header name (RFC 9110 token), and what a header value must never contain.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BREAKS = ("\r", "\n", "\0")


def check_base_url(base_url: str) -> httpx.URL:
    """Parse and check the API base URL (``http(s)://host:port/v2``).

    Raises:
        ConfigurationError: the URL is not an absolute http or https URL.
    """
    shown = redact_url(base_url)
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as error:
        msg = f"invalid Camunda REST address {shown!r}: {error}"
        raise ConfigurationError(msg, variable="base_url") from None
    if url.scheme not in ("http", "https") or not url.host:
        msg = f"the Camunda REST address must be http(s)://host[:port]/v2, got {shown!r}"
        raise ConfigurationError(msg, variable="base_url")
    return url


def check_headers(headers: Mapping[str, str]) -> None:
    """Refuse extra headers that no HTTP request could carry, before anything is sent.

    Raises:
        ConfigurationError: a name is not an HTTP token, or a value holds a line break or NUL
            (a token read from a file with its trailing newline, say). The value is never
            shown: it may be a secret.
    """
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            msg = f"invalid HTTP header name {name!r}: use letters, digits and !#$%&'*+-.^_`|~"
            raise ConfigurationError(msg, variable="headers")
        if not isinstance(value, str) or any(char in value for char in _BREAKS):
            msg = (
                f"the value of the {name!r} header is not a single line of text (a line break "
                "or NUL; strip it); the value is not shown, it may be a secret"
            )
            raise ConfigurationError(msg, variable="headers")


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """Turn the ``timeout`` argument of a client into an :class:`httpx.Timeout`.

    ``None`` means the finite default; a number applies to connect, read, write and pool.
    """
    if timeout is None:
        return DEFAULT_TIMEOUT
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def client_options(
    base_url: str,
    auth: httpx.Auth | None,
    timeout: float | httpx.Timeout | None,
    verify: ssl.SSLContext | bool,
    headers: Mapping[str, str] | None,
    limits: httpx.Limits | None,
) -> tuple[str, httpx.Timeout, dict[str, Any]]:
    """Check a client's arguments and turn them into httpx client options.

    Returns:
        The base URL to show (no credentials, no trailing slash), the resolved timeout, and the
        keyword arguments for ``httpx.Client``/``httpx.AsyncClient`` (all but ``transport``).

    Raises:
        ConfigurationError: the base URL is not an absolute http(s) URL.
    """
    url = check_base_url(base_url)
    check_headers(headers or {})
    resolved = resolve_timeout(timeout)
    if isinstance(verify, bool):
        verify = shared_ssl_context(verify)
    options: dict[str, Any] = {
        "base_url": url,
        "auth": auth,
        "timeout": resolved,
        "verify": verify,
        "headers": {"User-Agent": f"camunda-worker/{__version__}", **(headers or {})},
    }
    if limits is not None:
        options["limits"] = limits
    shown = redact_url(str(url.copy_with(username=None, password=None)).rstrip("/"))
    return shown, resolved, options


def wait_timeout(base: httpx.Timeout, wait_ms: int) -> httpx.Timeout:
    """The timeout for a request the server may hold for ``wait_ms`` milliseconds.

    The server answers a long poll within its ``requestTimeout`` (with no jobs if none came),
    so a request that gave one is given up :data:`LONG_POLL_MARGIN` after it: a black-holed
    connection (a proxy that stopped forwarding, the sockets still open) is noticed then, not
    after the client's general read timeout. Without one (``wait_ms`` 0) the client cannot know
    the server's default for sure: the read timeout is the usual default (10 s) plus the
    margin, and never less than the client's own. A client without a read timeout
    (``httpx.Timeout(None)``) keeps none.

    Args:
        base: the client's timeout.
        wait_ms: the request's ``requestTimeout``: 0 means the server default (10 s), a
            negative value means the server answers at once.

    Returns:
        ``base`` with a read timeout of the wait plus :data:`LONG_POLL_MARGIN`.
    """
    if wait_ms < 0 or base.read is None:  # no long poll, or a client told never to time out
        return base
    if wait_ms > 0:
        read = wait_ms / 1000 + LONG_POLL_MARGIN
    else:
        read = max(base.read, SERVER_DEFAULT_REQUEST_TIMEOUT + LONG_POLL_MARGIN)
    return httpx.Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)


def build_request(
    http: httpx.Client | httpx.AsyncClient, call: Call[T], base: httpx.Timeout
) -> httpx.Request:
    """Build the httpx request for ``call`` on ``http`` (base URL, headers, auth stay the client's)."""
    timeout = wait_timeout(base, call.wait_ms) if call.wait_ms is not None else base
    return http.build_request(
        call.method,
        call.path,
        json=call.json,
        files=call.files,
        data=call.data,
        timeout=timeout,
    )


def read_answer(call: Call[T], status: int, content: bytes) -> T:
    """Read a complete answer: the parsed result, or the matching problem error.

    Raises:
        ProblemError: the answer was an error status (400, 404, 409, 503...), as its subclass.
    """
    if status >= 400 and status not in call.ok_statuses:
        # Built apart from the raise: a traceback rendered with its locals (loguru's diagnose)
        # shows the names on the raising line, and ``content`` may echo the credentials.
        problem = problem_from_response(status, content)
        raise problem
    return call.parse(status, content)


def where(method: str, url: httpx.URL | str) -> str:
    """``METHOD scheme://host:port/path`` for error messages: never the userinfo or the query.

    A string ``url`` is taken as already safe to show.
    """
    if isinstance(url, str):
        return f"{method} {url}"
    port = f":{url.port}" if url.port else ""
    return f"{method} {url.scheme}://{url.host}{port}{url.path}"


class translate_transport_errors:  # noqa: N801 - used as a function: ``with ...(m, url):``
    """Turn httpx transport errors raised inside the block into camunda-worker errors.

    ``ConnectError``/``ConnectTimeout`` become :class:`ConnectError`; read, write and pool
    timeouts become :class:`RequestTimeoutError`; any other transport error (reset, protocol
    error) becomes :class:`TransportError`. The httpx error is kept as ``__cause__``. The
    message names ``method`` and ``url`` (see :func:`where`).

    A class rather than a generator-based context manager: every request enters one, and a
    generator's was a measurable part of a request's CPU.
    """

    __slots__ = ("_method", "_url")

    def __init__(self, method: str, url: httpx.URL | str) -> None:
        self._method = method
        self._url = url

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None or not isinstance(error, httpx.TransportError):
            return
        method, url = self._method, self._url
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            msg = f"cannot connect for {where(method, url)}: {error or type(error).__name__}"
            raise ConnectError(msg) from error
        if isinstance(error, httpx.TimeoutException):
            msg = f"no answer in time to {where(method, url)} ({type(error).__name__})"
            raise RequestTimeoutError(msg) from error
        if isinstance(error, httpx.LocalProtocolError):
            # h11 quotes the refused header in its message, and it may be a token: drop both.
            msg = (
                f"transport failed for {where(method, url)}: the request could not be written "
                "(a header name or value is invalid, e.g. contains a line break)"
            )
            raise TransportError(msg) from None
        msg = f"transport failed for {where(method, url)}: {error or type(error).__name__}"
        raise TransportError(msg) from error
