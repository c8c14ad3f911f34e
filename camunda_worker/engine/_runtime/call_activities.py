"""Call activities: which process they call, what it starts with, what comes back.

As in Zeebe:

- the called process is found by the ``processId`` (an expression is evaluated in the call
  activity's scope, after its input mappings) and the ``bindingType``: the latest version of the
  tenant (``latest``, the default), the version deployed together with the calling process
  (``deployment``) or the latest version with the ``versionTag``. None found, or one without a
  none start event: a ``CALLED_ELEMENT_ERROR`` incident on the call activity, with Zeebe's
  message (resolving it looks again);
- the child instance starts with every variable the call activity sees
  (``propagateAllParentVariables``, the default), else with the input mappings' results only;
- when the child completes, its root variables are the call activity's completion variables
  (as a job's are: without output mappings they propagate, with them only the mappings' results
  reach the flow scope), unless ``propagateAllChildVariables`` is ``false`` and there are no
  output mappings, when nothing is passed back;
- terminating the call activity (a boundary event, the parent's cancellation) terminates the
  child; a child cannot be canceled on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from camunda_worker.engine._model.conditions import feel_type_name
from camunda_worker.engine._model.definitions import FlowNode, ProcessDefinition
from camunda_worker.engine._model.feel import Now
from camunda_worker.engine._runtime.instances import ElementInstance, ProcessInstanceRecord
from camunda_worker.engine._runtime.scopes import visible

__all__ = [
    "CALLED_ELEMENT_ERROR",
    "MAX_CALL_DEPTH",
    "called_definition",
    "child_variables",
    "returned_variables",
    "too_deep",
]

#: The incident type of a call activity whose process cannot be called.
CALLED_ELEMENT_ERROR = "CALLED_ELEMENT_ERROR"
#: Process instances one call hierarchy may hold (the root included): a deeper call is an
#: incident, so that a process calling itself without end stops instead of running forever.
MAX_CALL_DEPTH = 1000


def too_deep() -> str:
    """The message of the incident on a call activity that would exceed ``MAX_CALL_DEPTH``."""
    return (
        f"Expected to call a process, but the call hierarchy already holds {MAX_CALL_DEPTH} "
        "process instances (an endless recursion?)"
    )


def called_definition(  # noqa: PLR0911 - one incident per return
    versions: Mapping[tuple[str, str], Sequence[ProcessDefinition]],
    instance: ProcessInstanceRecord,
    node: FlowNode,
    element: ElementInstance,
    now: Now = None,
) -> ProcessDefinition | tuple[str, str]:
    """The definition the call activity calls, or the incident (type, message) to raise."""
    called = node.called_element
    if called is None:
        return CALLED_ELEMENT_ERROR, f"the call activity '{node.id}' calls no process"
    process_id = called.process_id.evaluate(visible(element), now=now)
    if not isinstance(process_id, str) or not process_id:
        return (
            "EXTRACT_VALUE_ERROR",
            f"Expected result of the expression '{called.process_id.text.lstrip('=').strip()}' "
            f"to be 'STRING', but was '{feel_type_name(process_id)}'.",
        )
    found = versions.get((instance.tenant_id, process_id), ())
    definition: ProcessDefinition | None = None
    if called.binding_type == "deployment":
        deployment = instance.definition.deployment_key
        definition = next((d for d in found if d.deployment_key == deployment), None)
        if definition is None:
            return CALLED_ELEMENT_ERROR, (
                f"Expected to call process with BPMN process id '{process_id}' with binding type "
                "'deployment', but no such process found in the deployment with key "
                f"{deployment} which contained the current process. To resolve this incident, "
                "migrate the process instance to a process definition that is deployed together "
                "with the intended process definition to call."
            )
    elif called.binding_type == "versionTag":
        tag = called.version_tag
        definition = next((d for d in reversed(found) if d.model.version_tag == tag), None)
        if definition is None:
            return CALLED_ELEMENT_ERROR, (
                f"Expected to call process with BPMN process id '{process_id}' and version tag "
                f"'{tag}', but no such process found. To resolve this incident, deploy a process "
                "with the given process id and version tag."
            )
    elif found:
        definition = found[-1]
    if definition is None:
        return CALLED_ELEMENT_ERROR, (
            f"Expected process with BPMN process id '{process_id}' to be deployed, but not found."
        )
    if definition.model.start_node is None:
        return CALLED_ELEMENT_ERROR, (
            f"Expected process with BPMN process id '{process_id}' to have a none start event, "
            "but not found."
        )
    return definition


def child_variables(node: FlowNode, element: ElementInstance) -> dict[str, Any]:
    """The variables the called process instance starts with."""
    called = node.called_element
    if called is None or called.propagate_all_parent_variables:
        return visible(element)
    return dict(element.variables or {}) if node.inputs else {}


def returned_variables(node: FlowNode, child: ProcessInstanceRecord) -> dict[str, Any]:
    """The variables a completed child hands its call activity (as a job's completion would)."""
    called = node.called_element
    if node.outputs or called is None or called.propagate_all_child_variables:
        return dict(child.variables)
    return {}
