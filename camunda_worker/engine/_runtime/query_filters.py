"""Virtual filters: the fields a search filter may name that the result items do not hold.

A process instance's ``variables``, ``elementId``, ``hasRetriesLeft``...; a user task's
``candidateGroup``, ``processInstanceVariables``...; a definition's ``isLatestVersion``. Each
reads the extras of a row (:mod:`.query_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from camunda_worker.engine._runtime.errors import invalid_argument
from camunda_worker.engine._runtime.search import Virtual, value_matches

__all__ = ["VIRTUAL"]


def _variables_match(variables: Mapping[str, Any], expected: Any) -> bool:
    # [{"name": ..., "value": <JSON text or a string filter>}, ...]: every one must match.
    if not isinstance(expected, list):
        raise invalid_argument("The value of 'variables' must be an array of {name, value}")
    for condition in expected:
        if not isinstance(condition, Mapping) or not isinstance(condition.get("name"), str):
            raise invalid_argument("Each variable filter needs a name")
        name = condition["name"]
        if name not in variables:
            return False
        if "value" in condition:
            text = json.dumps(variables[name], ensure_ascii=False, separators=(",", ":"))
            wanted = condition["value"]
            if isinstance(wanted, str):
                if _canonical(wanted) != text:
                    return False
            elif not value_matches(text, wanted):
                return False
    return True


def _canonical(text: str) -> str:
    # JSON text as the engine writes it ('{"a": 1}' -> '{"a":1}'); not JSON: as it is.
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        return text


def _any_matches(values: Iterable[Any], expected: Any) -> bool:
    return any(value_matches(value, expected) for value in values)


def _contains_all(values: Iterable[Any], expected: Any) -> bool:
    if isinstance(expected, list):
        held = set(values)
        return all(tag in held for tag in expected)
    return _any_matches(values, expected)


def _element_state(extras: Mapping[str, Any], expected: Any) -> bool:
    active_ids = {node_id for node_id, _ in extras["active"]}
    states = ["ACTIVE"] if active_ids else []
    if extras["entered"] - active_ids:
        states.append("COMPLETED")
    return _any_matches(states, expected)


def _never(extras: Mapping[str, Any], expected: Any) -> bool:
    # Batch operations do not exist in the engine: only "$exists: false" matches.
    return isinstance(expected, Mapping) and expected.get("$exists") is False


def _incident_hash(extras: Mapping[str, Any], expected: Any) -> bool:
    return _any_matches((_java_hash(message) for message in extras["errorMessages"]), expected)


def _java_hash(text: str) -> int:
    # Java's String.hashCode, which the cluster's incidentErrorHashCode is.
    value = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        value = (31 * value + int(unit, 16)) & 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


_INSTANCE_VIRTUAL: dict[str, Virtual] = {
    "variables": lambda extras, expected: _variables_match(extras["variables"], expected),
    "errorMessage": lambda extras, expected: _any_matches(extras["errorMessages"], expected),
    "hasRetriesLeft": lambda extras, expected: value_matches(extras["hasRetriesLeft"], expected),
    "elementId": lambda extras, expected: _any_matches(extras["entered"], expected),
    "elementInstanceState": _element_state,
    "hasElementInstanceIncident": lambda extras, expected: _any_matches(
        [bool(any(has for _, has in extras["active"]))], expected
    ),
    "incidentErrorHashCode": _incident_hash,
    "tags": lambda extras, expected: _contains_all((), expected),
    "batchOperationId": _never,
    "batchOperationKey": _never,
}
_USER_TASK_VIRTUAL: dict[str, Virtual] = {
    "candidateGroup": lambda extras, expected: _any_matches(extras["candidateGroups"], expected),
    "candidateUser": lambda extras, expected: _any_matches(extras["candidateUsers"], expected),
    "processInstanceVariables": lambda extras, expected: _variables_match(
        extras["processInstanceVariables"], expected
    ),
    "localVariables": lambda extras, expected: _variables_match(extras["localVariables"], expected),
    "tags": lambda extras, expected: _contains_all((), expected),
}
VIRTUAL: dict[str, dict[str, Virtual]] = {
    "processInstances": _INSTANCE_VIRTUAL,
    "userTasks": _USER_TASK_VIRTUAL,
    "elementInstances": {
        "elementInstanceScopeKey": lambda extras, expected: value_matches(
            extras["scopeKey"], expected
        ),
    },
    "variables": {
        "$scopes": lambda extras, expected: extras["scopeKey"] in expected,
    },
    "incidents": {
        "$instances": lambda extras, expected: extras["instance"] in expected,
    },
    "processDefinitions": {
        "isLatestVersion": lambda extras, expected: value_matches(extras["latest"], expected),
    },
}
