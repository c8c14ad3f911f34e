"""Answers of the engine's HTTP surface: JSON documents, RFC 9457 problem details, no content.

A handler returns a :class:`Reply`; the ASGI app turns it into bytes. Refusals that belong to the
HTTP layer (routing, request validation, authentication) raise :class:`HttpError`; refusals of
the engine core raise :class:`~camunda_worker.engine.EngineError`. Both become an
``application/problem+json`` document with the five members every server line sends
(``type``, ``title``, ``status``, ``detail``, ``instance``), as the gateway writes them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

import attrs
import pydantic_core

__all__ = [
    "FAST_ENCODER",
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
# pydantic-core (Rust; pydantic's own) writes plain JSON values byte for byte as ``_encoder``
# does (the same escapes, Python's shortest float repr, integers of any size) but for floats
# below 1e-4: ``0.00001`` and ``1e-7`` where Python writes ``1e-05`` and ``1e-07``; and it
# writes ``Infinity``/``NaN`` where ``_encoder`` refuses them. Any output holding one of those
# shapes (inside a string too: then only the fast path is lost) is encoded again by ``_encoder``.
# Each shape is looked for on its own: a literal is found at C speed, an alternation is not.
_SHORT_EXPONENT = re.compile(rb"e-[0-9](?![0-9])")


def _as_python_writes(content: bytes) -> bool:
    return (
        _SHORT_EXPONENT.search(content) is None
        and b"0.0000" not in content
        and b"Infinity" not in content
        and b"NaN" not in content
    )


# What the fast path is checked against once, on import: a pydantic-core that writes any of it
# otherwise (an older one formatted floats its own way) is not used.
_PROBE: Any = {
    "floats": [0.1, 42.0, -0.0, 1e16, 1.5e16, 1e-4, 5e-324, 1.7976931348623157e308],
    "integers": [0, -1, 2**63, -(2**64) - 1],
    "text": ["", 'é"\\\n\t\b\f\r\x00\x1f\x7f\u2028', "日本"],
    "others": [True, False, None, {}, []],
}


def _fast_path_writes_as_json() -> bool:
    try:
        fast = pydantic_core.to_json(_PROBE, inf_nan_mode="constants")
    except (TypeError, pydantic_core.PydanticSerializationError):  # pragma: no cover - old core
        return False
    return fast == _encoder.encode(_PROBE).encode()


FAST_ENCODER = _fast_path_writes_as_json()
"""Whether :func:`encode_json` writes through pydantic-core (it passed the check on import)."""


def encode_json(document: Any) -> bytes:
    """Serialize ``document`` compactly as UTF-8 JSON.

    The bytes are those of ``json.dumps(document, ensure_ascii=False, separators=(",", ":"),
    allow_nan=False)`` encoded as UTF-8, written by pydantic-core about three times faster (an
    activation answer of 32 jobs is the engine's biggest answer, and its most frequent one).

    Args:
        document: plain JSON values (dict with string keys, list, str, int, float, bool, None).

    Returns:
        The encoded bytes.

    Raises:
        ValueError: for a float that is not finite, or a circular document (as ``json``).
        UnicodeEncodeError: for a string holding a lone surrogate (as ``json`` + UTF-8).
    """
    content = None
    if FAST_ENCODER:
        # A lone surrogate, a circular document: json below raises as it always did.
        with contextlib.suppress(pydantic_core.PydanticSerializationError):
            content = pydantic_core.to_json(document, inf_nan_mode="constants")
    if content is None or not _as_python_writes(content):
        return _encoder.encode(document).encode()
    return content


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
