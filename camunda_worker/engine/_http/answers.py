"""Answers of the engine's HTTP surface: JSON documents, RFC 9457 problem details, no content.

A handler returns a :class:`Reply`; the ASGI app turns it into bytes. Refusals that belong to the
HTTP layer (routing, request validation, authentication) raise :class:`HttpError`; refusals of
the engine core raise :class:`~camunda_worker.engine.EngineError`. Both become an
``application/problem+json`` document with the five members every server line sends
(``type``, ``title``, ``status``, ``detail``, ``instance``), as the gateway writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "JSON",
    "NO_CONTENT",
    "PROBLEM_JSON",
    "HttpError",
    "Reply",
    "bad_request",
    "body_too_large",
    "encode_json",
    "invalid_argument",
    "problem_document",
]

JSON = b"application/json"
PROBLEM_JSON = b"application/problem+json"

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_json(document: Any) -> bytes:
    """Serialize ``document`` compactly as UTF-8 JSON.

    Args:
        document: plain JSON values (dict, list, str, int, float, bool, None).

    Returns:
        The encoded bytes.
    """
    return _encoder.encode(document).encode()


@attrs.frozen
class Reply:
    """One HTTP answer before encoding.

    Attributes:
        status: the HTTP status code.
        document: the JSON document to send, or ``None`` for no body.
        content_type: the media type of ``document``.
        headers: extra response headers (lower-case names).
    """

    status: int
    document: Any = None
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


NO_CONTENT = Reply(204)
"""The answer of completion, failure, BPMN error, update and status: 204 without a body."""


def problem_document(status: int, title: str, detail: str, instance: str) -> dict[str, Any]:
    """Build a problem-detail document as the REST gateway sends it.

    Args:
        status: the HTTP status code.
        title: the gRPC-style code (``INVALID_ARGUMENT``, ``NOT_FOUND``...) or an HTTP reason.
        detail: the human-readable explanation.
        instance: the request path the problem is about (e.g. ``/v2/jobs/activation``).

    Returns:
        The document (``type`` is ``about:blank``, as Spring writes it).
    """
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }


class HttpError(Exception):
    """A refusal of the HTTP layer, answered as a problem detail.

    Attributes:
        status: the HTTP status code.
        title: the problem title.
        detail: the explanation (never contains a secret).
        headers: extra response headers, e.g. ``WWW-Authenticate`` or ``Allow``.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in (headers or {}).items()
        )

    def reply(self, instance: str) -> Reply:
        """Return the problem-detail answer for a request to ``instance``."""
        return Reply(
            self.status,
            problem_document(self.status, self.title, self.detail, instance),
            PROBLEM_JSON,
            self.headers,
        )


def invalid_argument(*violations: str) -> HttpError:
    """Build the gateway's 400 ``INVALID_ARGUMENT`` answer for validation failures.

    The gateway joins the violations with ``". "`` and ends the detail with a period.

    Args:
        violations: one message per violated rule, e.g. ``"No type provided"``.
    """
    detail = ". ".join(violations)
    if not detail.endswith((".", "?")):
        detail += "."
    return HttpError(400, "INVALID_ARGUMENT", detail)


def bad_request(detail: str) -> HttpError:
    """Build the gateway's 400 ``Bad Request`` answer for a body it cannot read.

    Args:
        detail: e.g. ``"Request property [timeout] cannot be parsed"``.
    """
    return HttpError(400, "Bad Request", detail)


_CLOSE = {"Connection": "close"}


def body_too_large(limit: int) -> HttpError:
    """Build the 413 answer to a request body over ``limit`` bytes.

    Worded as Spring words it on a cluster whose multipart limit is passed (a cluster's REST
    gateway refuses deployments over ``spring.servlet.multipart.max-request-size``, 4 MB by
    default, this way). The answer closes the connection: the rest of the body is never read.

    Args:
        limit: the largest body accepted, in bytes.
    """
    return HttpError(
        413, "Payload Too Large", f"Maximum upload size of {limit} bytes exceeded", headers=_CLOSE
    )
