"""A schemathesis run over every operation the engine serves, against the engine over TCP.

The official 8.9 spec (``../shared/camunda-openapi``, skipped without it) drives schemathesis:
for each operation the engine routes, it generates requests, valid and invalid, and checks that
no answer is a 5xx and that every answer is one the spec allows (status code, content type,
body schema). Small and derandomized, so it stays fast and repeatable.

Documented exceptions (docs/engine.md, "Checked by schemathesis"): long polls are shortened
(an activation answers at once, an awaited instance waits 20 ms) so a run never waits on
generated timeouts, and two answers a cluster gives too although the spec does not list them
are allowed: 415 to a body in a media type the operation does not take, and 404 to
``createProcessInstance`` of an unknown process, to variables of an unknown element
instance, and to the statistics or variables of an unknown process definition, process
instance or user task.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock
from camunda_worker.engine._http.routes import ROUTES

from .spec_check import SKIP_REASON, SPEC_DIR, specs_available

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

_SPEC = SPEC_DIR / "8.9" / "rest-api.oas31.json"
IMPLEMENTED = frozenset((route.method, route.template.removeprefix("/v2")) for route in ROUTES)
"""(method, spec path) of every operation the engine serves."""

if not specs_available():
    pytest.skip(SKIP_REASON, allow_module_level=True)

schema = schemathesis.openapi.from_path(str(_SPEC)).include(
    lambda context: (context.operation.method.upper(), context.operation.path) in IMPLEMENTED
)


@pytest.fixture(scope="module")
def engine_url() -> Iterator[str]:
    """An 8.9 engine over TCP for the whole run (base URL ending in ``/v2``)."""
    app = EngineApp(Engine(server_line="8.9", clock=ManualClock()), record=False)
    with EngineServer(app) as server:
        yield server.url
    app.close()


def _shorten_long_polls(case: Any) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    if case.operation.path == "/jobs/activation":
        body["requestTimeout"] = -1
    elif case.operation.path == "/process-instances" and body.get("awaitCompletion") is True:
        body["requestTimeout"] = 20


@schema.parametrize()
@settings(
    max_examples=10,
    database=None,
    derandomize=True,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_engine_answers_as_the_spec_says(case: Any, engine_url: str) -> None:
    _shorten_long_polls(case)
    response = case.call(base_url=engine_url, timeout=10)
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    if not _documented_exception(case, response.status_code):
        checks.append(status_code_conformance)
    case.validate_response(response, checks=checks)


def _documented_exception(case: Any, status: int) -> bool:
    """The answers outside the spec that a cluster gives too (listed in docs/engine.md)."""
    declared = case.operation.get_request_payload_content_types()
    sent = (case.media_type or "").split(";")[0]
    # Spring's 415 to a body in a media type the operation does not take (none, for one
    # with a required body); the spec lists no 415 anywhere.
    if status == 415 and sent not in declared:
        return True
    # The broker's NOT_FOUND rejection of a command on something unknown (an instance of an
    # unknown process definition, variables of an unknown element instance): a cluster
    # answers 404 as well, which the spec of these operations does not list.
    return status == 404 and (case.method, case.operation.path) in _NOT_FOUND_UNLISTED


_NOT_FOUND_UNLISTED = frozenset(
    {
        ("POST", "/process-instances"),
        ("PUT", "/element-instances/{elementInstanceKey}/variables"),
        # Reads of one record's parts: an unknown record is a 404, as its get answers.
        ("POST", "/process-definitions/{processDefinitionKey}/statistics/element-instances"),
        ("GET", "/process-instances/{processInstanceKey}/statistics/element-instances"),
        ("POST", "/user-tasks/{userTaskKey}/variables/search"),
        ("POST", "/user-tasks/{userTaskKey}/effective-variables/search"),
    }
)


def test_every_route_of_the_engine_is_in_the_spec() -> None:
    operations = {
        (operation.method.upper(), operation.path)
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    assert operations >= IMPLEMENTED, IMPLEMENTED - operations
