"""Reading ``multipart/form-data`` deployment requests (``POST /deployments``).

The gateway takes every file part as a resource (the spec names them ``resources``, but "it is
possible to have more than one form part with different form part names") and a ``tenantId``
text part. The standard library's MIME parser does the work; deployments are rare and small.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

import attrs

from camunda_worker.engine._http.answers import HttpError, bad_request

__all__ = ["DeploymentForm", "parse_deployment_form"]


@attrs.frozen
class DeploymentForm:
    """The parts of a deployment request.

    Attributes:
        resources: ``(file name, content)`` of every file part, in request order.
        tenant_id: the ``tenantId`` field, if sent.
    """

    resources: tuple[tuple[str, bytes], ...]
    tenant_id: str | None


def parse_deployment_form(content_type: str, body: bytes) -> DeploymentForm:
    """Parse a ``multipart/form-data`` body into resources and a tenant id.

    Args:
        content_type: the request's ``Content-Type`` header (with its ``boundary``).
        body: the request body.

    Returns:
        The resources and tenant id.

    Raises:
        HttpError: 400 when the body is not a multipart form, 415 for another media type.
    """
    if not content_type.lower().startswith("multipart/form-data"):
        raise HttpError(
            415,
            "Unsupported Media Type",
            f"Content-Type '{content_type or 'none'}' is not supported; expected multipart/form-data",
        )
    if "boundary=" not in content_type.lower():
        raise bad_request("Failed to parse multipart servlet request; no boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise bad_request("Failed to parse multipart servlet request")
    resources: list[tuple[str, bytes]] = []
    tenant_id: str | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        content = _payload(part)
        if filename is not None:
            resources.append((str(filename), content))
        elif name == "tenantId":
            tenant_id = content.decode("utf-8", "replace")
    return DeploymentForm(tuple(resources), tenant_id)


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""
