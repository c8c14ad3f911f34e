"""The diagram interchange (BPMN DI) of a BPMN file: where each shape and edge is drawn.

Modelers write it beside the process (``bpmndi:BPMNShape`` with ``dc:Bounds``,
``bpmndi:BPMNEdge`` with ``di:waypoint``); the coverage report draws each process from it. The
engine does not keep it, so the file is read again here (with defusedxml, as the engine reads it).
"""

from __future__ import annotations

import attrs
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["Diagram", "Shape", "parse_diagram"]

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
_DC = "{http://www.omg.org/spec/DD/20100524/DC}"
_DI = "{http://www.omg.org/spec/DD/20100524/DI}"
_NOT_ELEMENTS = frozenset(
    {
        "extensionElements",
        "incoming",
        "outgoing",
        "documentation",
        "conditionExpression",
        "laneSet",
        "ioSpecification",
    }
)


@attrs.frozen
class Shape:
    """A flow node's box on the diagram.

    Attributes:
        x: left edge.
        y: top edge.
        width: width.
        height: height.
    """

    x: float
    y: float
    width: float
    height: float


@attrs.frozen
class Diagram:
    """What the report needs of a BPMN file: processes, names, kinds, shapes and edges.

    Attributes:
        processes: the ids of the processes in the file.
        process_of: element id to the id of its process.
        kinds: element id to its BPMN tag (``serviceTask``, ``exclusiveGateway``...).
        names: element id to its name (flows included).
        shapes: element id to its shape.
        edges: sequence flow id to its waypoints.
    """

    processes: frozenset[str]
    process_of: dict[str, str]
    kinds: dict[str, str]
    names: dict[str, str]
    shapes: dict[str, Shape]
    edges: dict[str, tuple[tuple[float, float], ...]]


def _walk(element: object, process_id: str, diagram: dict[str, dict[str, str]]) -> None:
    for child in element:  # type: ignore[attr-defined]
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_BPMN):
            continue
        kind = tag[len(_BPMN) :]
        if kind in _NOT_ELEMENTS or kind.endswith("EventDefinition"):
            continue
        element_id = child.get("id")
        if element_id:
            diagram["process_of"][element_id] = process_id
            diagram["kinds"][element_id] = kind
            name = child.get("name")
            if name:
                diagram["names"][element_id] = name
        if kind in ("subProcess", "transaction", "adHocSubProcess"):
            _walk(child, process_id, diagram)


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def parse_diagram(content: bytes | str) -> Diagram | None:
    """Read the processes and the diagram interchange of a BPMN file; ``None`` if unreadable."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        root = fromstring(data)
    except (DefusedXmlException, SyntaxError, ValueError):
        return None
    found: dict[str, dict[str, str]] = {"process_of": {}, "kinds": {}, "names": {}}
    processes = set()
    for process in root.iter(f"{_BPMN}process"):
        process_id = process.get("id")
        if process_id:
            processes.add(process_id)
            _walk(process, process_id, found)
    shapes = {}
    for shape in root.iter(f"{_BPMNDI}BPMNShape"):
        bounds = shape.find(f"{_DC}Bounds")
        element = shape.get("bpmnElement")
        if bounds is not None and element:
            shapes[element] = Shape(
                _number(bounds.get("x")),
                _number(bounds.get("y")),
                _number(bounds.get("width")),
                _number(bounds.get("height")),
            )
    edges = {}
    for edge in root.iter(f"{_BPMNDI}BPMNEdge"):
        element = edge.get("bpmnElement")
        points = tuple(
            (_number(point.get("x")), _number(point.get("y")))
            for point in edge.iter(f"{_DI}waypoint")
        )
        if element and len(points) >= 2:
            edges[element] = points
    return Diagram(
        frozenset(processes),
        found["process_of"],
        found["kinds"],
        found["names"],
        shapes,
        edges,
    )
