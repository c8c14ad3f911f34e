"""Parse what makes an activity call a process or run many times.

- ``zeebe:calledElement`` of a call activity: ``processId`` (static or an ``=`` expression),
  ``bindingType`` (``latest``, ``deployment``, ``versionTag``) with ``versionTag``,
  ``propagateAllChildVariables`` and ``propagateAllParentVariables`` (both ``true`` by default).
- ``bpmn:multiInstanceLoopCharacteristics`` (``isSequential``) with its
  ``zeebe:loopCharacteristics`` (``inputCollection``, ``inputElement``, ``outputCollection``,
  ``outputElement``) and a ``bpmn:completionCondition``.

Problems are reported through a callback, worded as Zeebe's deployment validation words them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

from camunda_worker.engine._model.conditions import ConditionSyntaxError, parse_condition
from camunda_worker.engine._model.definitions import CalledElement, LoopCharacteristics
from camunda_worker.engine._model.expressions import (
    ExpressionSyntaxError,
    is_variable_path,
    parse_expression,
)

__all__ = ["BINDING_TYPES", "parse_called_element", "parse_loop_characteristics"]

_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
#: The values of ``bindingType`` Zeebe knows.
BINDING_TYPES = ("latest", "deployment", "versionTag")

Report = Callable[[str], None]


def _static(value: str) -> str:
    # Zeebe's message for a static value where it wants an expression.
    return (
        f"Expected expression but found static value '{value}'. An expression must start with "
        f"'=' (e.g. '={value}')."
    )


def _children(element: ET.Element, namespace: str) -> Iterator[tuple[str, ET.Element]]:
    prefix = f"{{{namespace}}}"
    for child in element:
        if isinstance(child.tag, str) and child.tag.startswith(prefix):
            yield child.tag[len(prefix) :], child


def _flag(element: ET.Element, name: str, report: Report) -> bool:
    text = (element.get(name) or "").strip().lower() or "true"
    if text not in ("true", "false"):
        report(f"Attribute '{name}' must be 'true' or 'false', but was '{element.get(name)}'")
    return text != "false"


def parse_called_element(called: ET.Element | None, report: Report) -> CalledElement | None:
    """The ``zeebe:calledElement`` of a call activity (``None``: refused, reported)."""
    if called is None:
        report("Must have exactly one 'zeebe:calledElement' extension element")
        return None
    text = (called.get("processId") or "").strip()
    if not text:
        report("Attribute 'processId' must be present and not empty")
        return None
    binding = (called.get("bindingType") or "").strip() or "latest"
    if binding not in BINDING_TYPES:
        report(
            f"Attribute 'bindingType' must be one of {', '.join(BINDING_TYPES)}, "
            f"but was '{binding}'"
        )
        return None
    version_tag = (called.get("versionTag") or "").strip() or None
    if binding == "versionTag" and version_tag is None:
        report(
            "Attribute 'versionTag' must be present and not empty if 'bindingType' is 'versionTag'"
        )
        return None
    child = _flag(called, "propagateAllChildVariables", report)
    parent = _flag(called, "propagateAllParentVariables", report)
    try:
        process_id = parse_expression(text)
    except ExpressionSyntaxError as exc:
        report(f"the expression {text!r} cannot be parsed: {exc}")
        return None
    return CalledElement(process_id, binding, version_tag, child, parent)


def _variable_name(value: str | None, attribute: str, report: Report) -> str | None:
    # inputElement and outputCollection name one variable (no dots, no expression).
    name = (value or "").strip()
    if not name:
        return None
    if "." in name or not is_variable_path(name):
        report(f"Attribute '{attribute}' must be a variable name, but was '{name}'")
        return None
    return name


def parse_loop_characteristics(  # noqa: PLR0911, PLR0912 - one Zeebe rule per return
    loop: ET.Element, report: Report
) -> LoopCharacteristics | None:
    """The multi-instance characteristics (``None``: refused, reported)."""
    sequential = (loop.get("isSequential") or "false").strip().lower() == "true"
    zeebe: list[ET.Element] = []
    condition_text = None
    for local, child in _children(loop, _BPMN_NS):
        if local == "extensionElements":
            zeebe += [
                element
                for name, element in _children(child, _ZEEBE_NS)
                if name == "loopCharacteristics"
            ]
        elif local == "completionCondition":
            condition_text = (child.text or "").strip()
        elif local == "loopCardinality":
            report("'bpmn:loopCardinality' is not supported: define a 'zeebe:loopCharacteristics'")
            return None
        elif local != "documentation":
            report(f"'bpmn:{local}' inside a multiInstanceLoopCharacteristics is not supported")
            return None
    if len(zeebe) != 1:
        report("Must have exactly one 'zeebe:loopCharacteristics' extension element")
        return None
    characteristics = zeebe[0]
    collection_text = (characteristics.get("inputCollection") or "").strip()
    if not collection_text:
        report("Attribute 'inputCollection' must be present and not empty")
        return None
    if not collection_text.startswith("="):
        report(_static(collection_text))
        return None
    input_element = _variable_name(characteristics.get("inputElement"), "inputElement", report)
    output_collection = _variable_name(
        characteristics.get("outputCollection"), "outputCollection", report
    )
    output_text = (characteristics.get("outputElement") or "").strip()
    if output_collection is not None and not output_text:
        report(
            "Attribute 'outputElement' must be present if the attribute 'outputCollection' is set"
        )
        return None
    if output_text and output_collection is None:
        report(
            "Attribute 'outputCollection' must be present if the attribute 'outputElement' is set"
        )
        return None
    if output_text and not output_text.startswith("="):
        report(_static(output_text))
        return None
    try:
        collection = parse_expression(collection_text)
        output = parse_expression(output_text) if output_text else None
    except ExpressionSyntaxError as exc:
        report(f"the expression cannot be parsed: {exc}")
        return None
    condition = None
    if condition_text:
        if not condition_text.startswith("="):
            report(_static(condition_text))
            return None
        try:
            condition = parse_condition(condition_text[1:])
        except ConditionSyntaxError as exc:
            report(f"the condition {condition_text!r} cannot be parsed: {exc}")
            return None
    return LoopCharacteristics(
        sequential=sequential,
        input_collection=collection,
        input_element=input_element,
        output_collection=output_collection,
        output_element=output,
        completion_condition=condition,
    )
