"""Optional authentication of the engine's API: basic, static bearer tokens, OAuth2 tokens.

Off by default, as on a local Camunda 8 run. When any credential is configured, every ``/v2``
request needs a valid ``Authorization`` header, otherwise it is answered 401 (problem detail,
``WWW-Authenticate`` header). A small OAuth2 token endpoint (``client_credentials`` grant) issues
opaque bearer tokens with ``expires_in``; tests can expire or revoke them to exercise a client's
token refresh and its retry after a 401.

Secrets (passwords, client secrets, tokens) are compared in constant time and never appear in a
repr, a log line or a problem detail.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Authenticator", "TokenIssuer", "TokenRefusedError"]


class TokenRefusedError(Exception):
    """The token endpoint refuses a request (OAuth2 error response).

    Attributes:
        status: 400 or 401.
        error: the OAuth2 error code (``invalid_client``, ``unsupported_grant_type``...).
        description: the ``error_description``.
    """

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def document(self) -> dict[str, str]:
        """Return the OAuth2 error document."""
        return {"error": self.error, "error_description": self.description}


class TokenIssuer:
    """An OAuth2 token endpoint for the ``client_credentials`` grant.

    Args:
        clients: client id -> client secret.
        expires_in: lifetime of an issued token, in seconds.
        clock: monotonic time source in seconds (tests may pass their own).
    """

    def __init__(
        self,
        clients: Mapping[str, str],
        *,
        expires_in: int = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if expires_in < 1:
            raise ValueError("expires_in must be at least 1 second")
        self._clients = dict(clients)
        self.expires_in = expires_in
        self._clock = clock
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self.issued = 0
        """How many tokens were issued so far."""

    def __repr__(self) -> str:
        return f"TokenIssuer(clients={sorted(self._clients)!r}, expires_in={self.expires_in})"

    def issue(self, form: bytes, authorization: str | None = None) -> dict[str, Any]:
        """Answer a token request.

        Args:
            form: the ``application/x-www-form-urlencoded`` body.
            authorization: the ``Authorization`` header, for clients that authenticate with
                HTTP basic instead of form fields.

        Returns:
            The token document (``access_token``, ``token_type``, ``expires_in``).

        Raises:
            TokenRefusedError: for an unknown client, a wrong secret or another grant type.
        """
        fields = dict(parse_qsl(form.decode("utf-8", "replace")))
        client_id, secret = fields.get("client_id"), fields.get("client_secret")
        basic = _basic_credentials(authorization)
        if basic is not None:
            client_id, secret = basic
        if fields.get("grant_type") != "client_credentials":
            raise TokenRefusedError(
                400, "unsupported_grant_type", "only client_credentials is supported"
            )
        expected = self._clients.get(client_id or "")
        if expected is None or not hmac.compare_digest(expected.encode(), (secret or "").encode()):
            raise TokenRefusedError(401, "invalid_client", "unknown client or wrong client secret")
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = self._clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.expires_in
            self.issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}

    def is_valid(self, token: str) -> bool:
        """Return whether ``token`` was issued here and is neither expired nor revoked."""
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > self._clock()

    def revoke(self, token: str) -> None:
        """Make ``token`` invalid at once."""
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self) -> None:
        """Make every token issued so far invalid, as if they had all expired."""
        with self._lock:
            self._tokens.clear()


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class Authenticator:
    """Checks the ``Authorization`` header of API requests.

    Args:
        basic_auth: ``(username, password)`` accepted with HTTP basic authentication.
        bearer_tokens: static bearer tokens accepted as they are.
        issuer: the token endpoint whose tokens are accepted.
    """

    def __init__(
        self,
        *,
        basic_auth: tuple[str, str] | None = None,
        bearer_tokens: Iterable[str] = (),
        issuer: TokenIssuer | None = None,
    ) -> None:
        self._basic = basic_auth
        self._static = frozenset(
            (bearer_tokens,) if isinstance(bearer_tokens, str) else bearer_tokens
        )
        self.issuer = issuer

    def __repr__(self) -> str:
        return (
            f"Authenticator(basic={self._basic is not None}, "
            f"bearer_tokens={len(self._static)}, oauth={self.issuer is not None})"
        )

    @property
    def required(self) -> bool:
        """Whether any credential is configured (otherwise every request is let through)."""
        return self._basic is not None or bool(self._static) or self.issuer is not None

    @property
    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value sent with a 401."""
        if self._basic is not None and not self._static and self.issuer is None:
            return 'Basic realm="camunda"'
        return 'Bearer realm="camunda"'

    def accepts(self, authorization: str | None) -> bool:
        """Return whether the ``Authorization`` header carries valid credentials."""
        if not authorization:
            return False
        scheme, _, value = authorization.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value:
            if any(hmac.compare_digest(value.encode(), t.encode()) for t in self._static):
                return True
            return self.issuer is not None and self.issuer.is_valid(value)
        if scheme == "basic" and self._basic is not None:
            credentials = _basic_credentials(authorization)
            if credentials is None:
                return False
            user_ok = hmac.compare_digest(credentials[0].encode(), self._basic[0].encode())
            password_ok = hmac.compare_digest(credentials[1].encode(), self._basic[1].encode())
            return user_ok and password_ok
        return False
