"""Handler of ``POST /process-instances/{key}/modification``: terminate and activate elements.

The engine terminates by element (every active instance of an element id, with what runs
inside it) and activates in the element's flow scope, without variables: a terminate
instruction by key names an element instance that must be its element's only active one, and
variable instructions or an explicit ancestor scope are refused (400), never ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from camunda_worker.engine._http.answers import NO_CONTENT, Reply, invalid_argument
from camunda_worker.engine._http.requests import check_key
from camunda_worker.engine._http.search_requests import StrictBody, read_body

if TYPE_CHECKING:
    from camunda_worker.engine._http.call import Call, RouteHost

__all__ = ["modify"]

_DEFAULT_SCOPE = (None, "-1")


class _ModificationBody(StrictBody):
    operation_reference: int | None = Field(None, alias="operationReference")
    activate_instructions: list[dict[str, Any]] | None = Field(None, alias="activateInstructions")
    move_instructions: list[dict[str, Any]] | None = Field(None, alias="moveInstructions")
    terminate_instructions: list[dict[str, Any]] | None = Field(None, alias="terminateInstructions")


async def modify(app: RouteHost, call: Call) -> Reply:
    key = check_key("processInstanceKey", call.params[0])
    body = read_body(_ModificationBody, call)
    activate: list[str] = []
    terminate: list[str] = []
    for item in body.terminate_instructions or ():
        terminate.append(_terminated(app, key, item))
    for item in body.move_instructions or ():
        source = item.get("sourceElementInstruction")
        if not isinstance(source, dict):
            raise invalid_argument("No sourceElementInstruction provided")
        terminate.append(_terminated(app, key, source))
        scope = item.get("ancestorScopeInstruction")
        if scope is not None and (
            not isinstance(scope, dict)
            or scope.get("ancestorScopeType", "direct") != "direct"
            or scope.get("ancestorElementInstanceKey") not in _DEFAULT_SCOPE
        ):
            raise invalid_argument("Only the default ancestor scope is supported by the engine")
        activate.append(_element_id(item, "targetElementId", item.get("variableInstructions")))
    for item in body.activate_instructions or ():
        if item.get("ancestorElementInstanceKey") not in _DEFAULT_SCOPE:
            raise invalid_argument("Only the default ancestor scope is supported by the engine")
        activate.append(_element_id(item, "elementId", item.get("variableInstructions")))
    if not activate and not terminate:
        raise invalid_argument("No activate, move or terminate instructions provided")
    app.engine.modify_process_instance(key, activate=activate, terminate=terminate)
    return NO_CONTENT


def _element_id(item: dict[str, Any], field: str, variables: Any) -> str:
    if variables:
        raise invalid_argument("Variable instructions are not supported by the in-memory engine")
    element_id = item.get(field)
    if not isinstance(element_id, str) or not element_id.strip():
        raise invalid_argument(f"No {field} provided")
    return element_id


def _terminated(app: RouteHost, instance_key: str, item: dict[str, Any]) -> str:
    # The element id to terminate, from an instruction by id or by element instance key.
    if "elementId" in item or "sourceElementId" in item:
        return _element_id(item, "elementId" if "elementId" in item else "sourceElementId", None)
    element_key = item.get("elementInstanceKey", item.get("sourceElementInstanceKey"))
    if not isinstance(element_key, str):
        raise invalid_argument("No elementId or elementInstanceKey provided")
    element = app.engine.get_record(
        "elementInstances", check_key("elementInstanceKey", element_key)
    )
    if element["processInstanceKey"] != instance_key or element["state"] != "ACTIVE":
        raise invalid_argument(
            f"Element instance '{element_key}' is not an active element instance of process"
            f" instance '{instance_key}'"
        )
    same = app.engine.search_records(
        "elementInstances",
        {"processInstanceKey": instance_key, "elementId": element["elementId"], "state": "ACTIVE"},
    )
    if same["page"]["totalItems"] != 1:
        raise invalid_argument(
            f"The engine terminates every instance of element '{element['elementId']}'; it has"
            f" {same['page']['totalItems']} active: terminate it by elementId"
        )
    return str(element["elementId"])
