"""A loopback server that echoes each request's secrets back in its error answers, and their forms.

:class:`EchoServer` plays a careless OAuth token endpoint and a careless API at once, on
``127.0.0.1`` (a free port), each answer echoing what it was sent in one *kind* of encoding
chosen by the request path, so that every form a secret can take on the way back is tried:

- ``POST /token/<status>/<kind>``: the token endpoint. ``400`` answers an OAuth error document
  whose ``error_description`` is the echo; ``401`` and ``500`` answer the echo as plain text;
  ``ok`` issues the next token of :attr:`EchoServer.tokens`.
- ``/api/<kind>/...``: the API. Any request is answered ``401`` with a problem document whose
  ``detail`` echoes the request's headers (the ``Authorization`` header, and the credentials in
  it decoded).

Kinds (:data:`KINDS`): the request as sent (``sent``), JSON with ASCII escapes (``json``), JSON
with raw unicode (``utf8``), a Python ``repr`` (``repr``), each value percent-encoded
(``quote``), form-encoded (``quote_plus``) and in base64 (``b64``).

:func:`forms` lists the forms of a secret that must never show anywhere.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, quote_plus

__all__ = ["KINDS", "EchoServer", "basic_credentials", "forms", "leaked"]

KINDS = ("sent", "json", "utf8", "repr", "quote", "quote_plus", "b64")


def _b64(text: str, *, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode("utf-8")).decode("ascii")


def forms(secret: str) -> set[str]:
    """Every form of ``secret`` that must not appear in anything a person or a log may see.

    Raw; percent-encoded (``quote`` with and without ``/`` safe, ``quote_plus`` likewise);
    JSON-escaped (ASCII escapes and raw unicode) and as in a Python ``repr``; base64 of the
    secret alone (standard and URL-safe, without the padding, so a padded copy is caught too).
    """
    return {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        _b64(secret).rstrip("="),
        _b64(secret, urlsafe=True).rstrip("="),
    }


def basic_credentials(username: str, password: str) -> str:
    """The base64 credentials of a Basic ``Authorization`` header, without the padding."""
    return _b64(f"{username}:{password}").rstrip("=")


def leaked(text: str, secrets: dict[str, set[str]]) -> list[str]:
    """Name the secrets (keys of ``secrets``) one of whose forms is in ``text``, and which forms."""
    return [
        f"{name} as {form!r}"
        for name, secret_forms in secrets.items()
        for form in sorted(secret_forms)
        if form in text
    ]


def _echo(kind: str, sent: str, values: list[str], headers: dict[str, str]) -> str:
    """The echo of one request, in one kind of encoding (``values`` first: they hold secrets)."""
    document = {"values": values, "headers": headers, "sent": sent}
    if kind == "sent":
        return f"you sent {sent} with headers {headers}"
    if kind == "json":
        return json.dumps(document)
    if kind == "utf8":
        return json.dumps(document, ensure_ascii=False)
    if kind == "repr":
        return repr(document)
    if kind == "quote":
        return " ".join(quote(value, safe=safe) for value in values for safe in ("", "/"))
    if kind == "quote_plus":
        return " ".join(quote_plus(value, safe=safe) for value in values for safe in ("", "/"))
    if kind == "b64":
        return " ".join(_b64(value, urlsafe=urlsafe) for value in values for urlsafe in (0, 1))
    raise ValueError(kind)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output clean."""

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length).decode("utf-8", "replace")
        headers = dict(self.headers.items())
        parts = self.path.strip("/").split("/")
        if parts[0] == "token":
            self._token(parts[1], parts[2] if len(parts) > 2 else "sent", sent, headers)
        else:
            self._api(parts[1] if len(parts) > 1 else "sent", sent, headers)

    def _token(self, status: str, kind: str, sent: str, headers: dict[str, str]) -> None:
        if status == "ok":
            self._send(200, "application/json", json.dumps(self.server.owner.next_token()))
            return
        form = dict(parse_qsl(sent, keep_blank_values=True))
        values = [form.get("client_secret", ""), *form.values()]
        echo = _echo(kind, sent, values, headers)
        if status == "400":
            answer = {"error": "invalid_request", "error_description": f"cannot read {echo}"}
            self._send(400, "application/json", json.dumps(answer))
        else:
            self._send(int(status), "text/plain; charset=utf-8", f"cannot check {echo}")

    def _api(self, kind: str, sent: str, headers: dict[str, str]) -> None:
        scheme, _, credentials = headers.get("Authorization", "").partition(" ")
        values = [credentials]
        if scheme == "Basic":
            decoded = base64.b64decode(credentials).decode("utf-8", "replace")
            values += [decoded, decoded.partition(":")[2]]
        echo = _echo(kind, sent, values, headers)
        problem = {"type": "about:blank", "title": "UNAUTHORIZED", "status": 401}
        problem["detail"] = f"{scheme} credentials refused: {echo}"
        self._send(401, "application/problem+json", json.dumps(problem))

    def _send(self, status: int, content_type: str, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: EchoServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner


class EchoServer:
    """The echoing token endpoint and API on a loopback port (see the module docstring).

    Attributes:
        tokens: the access tokens ``/token/ok`` issues, in turn (the last one repeats).
        issued: how many tokens were issued.
    """

    def __init__(self) -> None:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()
        self.tokens: list[str] = ["no-token-set"]
        self.issued = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def token_url(self, status: str, kind: str = "sent") -> str:
        """The token endpoint answering ``status`` (``400``, ``401``, ``500`` or ``ok``)."""
        return f"{self.url}/token/{status}/{kind}"

    def api_url(self, kind: str = "sent") -> str:
        """An API base address (``/v2`` is appended by the settings) that echoes in ``kind``."""
        return f"{self.url}/api/{kind}"

    def next_token(self) -> dict[str, object]:
        """The token answer ``/token/ok`` sends."""
        with self._lock:
            token = self.tokens[min(self.issued, len(self.tokens) - 1)]
            self.issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": 300}

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def echo_server() -> Iterator[EchoServer]:
    """Run an :class:`EchoServer` for the duration of a (module-scoped) fixture."""
    with EchoServer() as server:
        yield server
