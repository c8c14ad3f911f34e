"""Reading the token endpoint's answer: a token, or an error that never shows the secret.

An answer of 400/401/403 (``invalid_client``, ``unauthorized_client``, ...) means the
credentials or the request are wrong: :class:`~camunda_worker.AuthenticationError`, not
retryable. 429 and 5xx are the endpoint's trouble: a retryable problem error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

from pydantic import SecretStr

from camunda_worker._auth.token_cache import CachedToken
from camunda_worker._base.errors import (
    AuthenticationError,
    BackpressureError,
    ProblemError,
    ServerError,
)
from camunda_worker._base.redact import scrub

__all__ = ["DEFAULT_TOKEN_LIFETIME_SECONDS", "token_from_response"]

# When the endpoint does not say how long the token lives.
DEFAULT_TOKEN_LIFETIME_SECONDS = 300.0
_SNIPPET = 300

# What to check for each OAuth error code (RFC 6749 section 5.2).
_CHECK: Mapping[str, str] = {
    "invalid_client": "CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET",
    "unauthorized_client": "CAMUNDA_CLIENT_ID and CAMUNDA_CLIENT_SECRET",
    "invalid_scope": "CAMUNDA_TOKEN_SCOPE",
    "invalid_target": "CAMUNDA_TOKEN_AUDIENCE",
    "invalid_request": "CAMUNDA_OAUTH_URL, CAMUNDA_TOKEN_AUDIENCE and CAMUNDA_TOKEN_SCOPE",
    "unsupported_grant_type": "CAMUNDA_OAUTH_URL (the endpoint must allow client credentials)",
}


def token_from_response(
    status: int,
    body: bytes,
    *,
    issued_at: float,
    oauth_url: str,
    client_id: str,
    secrets: Iterable[SecretStr | str | None],
) -> CachedToken:
    """Turn the token endpoint's answer into a token, or raise a clear error.

    Args:
        status: the HTTP status.
        body: the answer's body.
        issued_at: when the request was sent (wall clock); the lifetime counts from there.
        oauth_url: the endpoint as messages show it (userinfo and query values masked).
        client_id: the client id, for messages.
        secrets: values that must not appear in messages (the client secret), in any form
            (see :func:`~camunda_worker._base.redact.scrub`).

    Returns:
        The token.

    Raises:
        AuthenticationError: the endpoint refused the request (4xx), or answered 200 without
            an access token.
        ProblemError: the endpoint failed (429 or 5xx; retryable).
    """
    secrets = tuple(secrets)
    document = _json(body)
    if status == 200:
        access_token = document.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthenticationError(
                f"The OAuth token endpoint {oauth_url} answered 200 without an access_token "
                f"for client id {client_id!r}: check CAMUNDA_OAUTH_URL."
            )
        return CachedToken.issued(
            access_token, issued_at=issued_at, lifetime=_lifetime(document.get("expires_in"))
        )
    # Scrubbed whole, then cut: a cut first could leave a secret's start showing.
    text = _snippet(scrub(body.decode("utf-8", "replace").strip(), secrets))
    if status == 429 or status >= 500:
        cls: type[ProblemError] = BackpressureError if status in (429, 503) else ServerError
        raise cls(status, None, f"OAuth token endpoint {oauth_url}: {text or 'no details'}")
    error, description = document.get("error"), document.get("error_description")
    code = error if isinstance(error, str) and error else None
    reason = f"HTTP {status}" + (f", {code}" if code else "")
    if isinstance(description, str) and description:
        reason += f": {_snippet(scrub(description, secrets))}"
    elif code is None and text:
        reason += f": {text}"
    check = _CHECK.get(code or "", "CAMUNDA_CLIENT_ID, CAMUNDA_CLIENT_SECRET and CAMUNDA_OAUTH_URL")
    raise AuthenticationError(
        f"The OAuth token endpoint {oauth_url} refused the credentials of client id "
        f"{client_id!r} ({reason}): check {check}."
    )


def _snippet(text: str) -> str:
    return text[:_SNIPPET]


def _json(body: bytes) -> Mapping[str, object]:
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return {}
    return document if isinstance(document, Mapping) else {}


def _lifetime(expires_in: object) -> float:
    if isinstance(expires_in, bool):
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    try:
        lifetime = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    return lifetime if math.isfinite(lifetime) and lifetime > 0 else DEFAULT_TOKEN_LIFETIME_SECONDS
