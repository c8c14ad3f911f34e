"""Validation of the engine's answers against the official OpenAPI specs (test support).

Every exchange an :class:`~camunda_worker.engine.EngineApp` records can be checked against the
spec of the server line its engine answers as (8.8, 8.9 or 8.10-dev in
``<repo>/../shared/camunda-openapi``). Answers the spec does not document for an operation
(a 401 where no 401 is listed, an injected 429, an unknown route) must still be well-formed
problem details. The token endpoint is not part of the spec and is not checked.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

from camunda_worker.engine import EngineApp, Exchange

SPEC_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "camunda-openapi").resolve()
SPEC_FOLDERS = {"8.8": "8.8", "8.9": "8.9", "8.10": "8.10-dev"}
PROBLEM_FIELDS = {"type": str, "title": str, "status": int, "detail": str, "instance": str}
#: A defect of the 8.9 and 8.10 specs: ``ScopeKey`` is ``oneOf`` two key schemas with the same
#: pattern, so no key validates; a cluster's variables break it too (docs/engine.md lists it).
SCOPE_KEY_DEFECT = (
    "is valid under each of {'$ref': '#/components/schemas/ElementInstanceKey'},"
    " {'$ref': '#/components/schemas/ProcessInstanceKey'}"
)
SKIP_REASON = (
    f"the official specs are not in {SPEC_DIR} (../shared/camunda-openapi)"
    " or openapi-core is not installed"
)


def specs_available() -> bool:
    """Whether the spec folder exists next to the repository and openapi-core is installed."""
    has_validator = importlib.util.find_spec("openapi_core") is not None
    return has_validator and (SPEC_DIR / "8.9" / "rest-api.oas31.json").is_file()


@cache
def _api(line: str) -> Any:
    from jsonschema_path import SchemaPath
    from openapi_core import Config, OpenAPI

    document = json.loads((SPEC_DIR / SPEC_FOLDERS[line] / "rest-api.oas31.json").read_text())
    config = Config(
        spec_validator_cls=None,  # the spec itself is trusted; validating it takes seconds
        extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "text/xml": lambda data: data.decode() if isinstance(data, bytes) else data,
        },
    )
    return OpenAPI(SchemaPath.from_dict(document), config=config)


def problem_errors(document: Any) -> list[str]:
    """Check the shape of a problem detail every line shares; returns what is wrong."""
    if not isinstance(document, dict):
        return [f"not a JSON object: {document!r}"]
    errors = [
        f"{name}: expected {kind.__name__}, got {document.get(name)!r}"
        for name, kind in PROBLEM_FIELDS.items()
        if not isinstance(document.get(name), kind) or isinstance(document.get(name), bool)
    ]
    if isinstance(document.get("status"), int) and not 400 <= document["status"] <= 600:
        errors.append(f"status out of range: {document['status']}")
    return errors


def exchange_errors(line: str, exchange: Exchange) -> list[str]:
    """Validate one recorded answer against the spec of ``line``; returns what is wrong."""
    from openapi_core.templating.paths.exceptions import PathNotFound, ServerNotFound
    from openapi_core.templating.responses.exceptions import ResponseNotFound
    from openapi_core.testing import MockRequest, MockResponse

    if exchange.status is None or exchange.endpoint == "token":
        return []
    if exchange.endpoint is None:
        return problem_errors(exchange.response)
    if isinstance(exchange.response, str) and "json" not in (exchange.content_type or ""):
        data = exchange.response.encode()  # a text answer (the XML of a definition)
    else:
        data = b"" if exchange.response is None else json.dumps(exchange.response).encode()
    request = MockRequest(
        "http://localhost:8080",
        exchange.method,
        exchange.path,
        content_type="application/json",
    )
    response = MockResponse(
        data, status_code=exchange.status, content_type=exchange.content_type or ""
    )
    try:
        _api(line).validate_response(request, response)
    except ResponseNotFound:
        return problem_errors(exchange.response)
    except (PathNotFound, ServerNotFound):
        # An operation of a newer line: this line's cluster has no such endpoint.
        errors = problem_errors(exchange.response)
        return errors if exchange.status == 404 else [*errors, f"{exchange.status}, not 404"]
    except Exception as error:
        causes = [str(error)]
        inner_errors = []
        cause = error.__cause__
        while cause is not None:
            causes.append(str(cause))
            for inner in getattr(cause, "schema_errors", ()) or ():
                inner_errors.append(inner.message)
                causes.append(f"  {inner.message} at {list(inner.absolute_path)}")
            cause = cause.__cause__
        if inner_errors and all(SCOPE_KEY_DEFECT in message for message in inner_errors):
            return []
        return causes
    if (exchange.content_type or "").endswith("problem+json"):
        return problem_errors(exchange.response)
    return []


def app_errors(app: EngineApp) -> list[str]:
    """Validate every answer ``app`` recorded; returns one line per invalid answer."""
    line = str(app.engine.server_line)
    failures = []
    for exchange in app.requests:
        errors = exchange_errors(line, exchange)
        if errors:
            failures.append(
                f"{exchange.method} {exchange.path} -> {exchange.status} "
                f"({line}): {'; '.join(errors)}\n    body: {exchange.response!r}"
            )
    return failures
