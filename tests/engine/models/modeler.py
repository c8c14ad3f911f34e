"""Write the corpus's BPMN files the way the Camunda Modeler saves them.

A model is written compactly in :mod:`.corpus` (the process's elements, without
``bpmn:incoming``/``bpmn:outgoing``); :func:`modeler_xml` adds what the Modeler adds: the
``modeler:`` execution platform attributes, every flow node's incoming and outgoing flows, and a
diagram (``bpmndi``) with a shape per flow node and an edge per sequence flow, laid out left to
right. ``python -m tests.engine.models.modeler`` rewrites the ``.bpmn`` files next to this module;
``tests/engine/test_models.py`` checks they are up to date and runs each one.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NAMESPACES = {
    "bpmn": BPMN,
    "bpmndi": BPMNDI,
    "dc": DC,
    "di": DI,
    "zeebe": "http://camunda.org/schema/zeebe/1.0",
    "modeler": "http://camunda.org/schema/modeler/1.0",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)

_HEADER = (
    '<bpmn:definitions xmlns:bpmn="{bpmn}" xmlns:bpmndi="{bpmndi}" xmlns:dc="{dc}" '
    'xmlns:di="{di}" xmlns:zeebe="{zeebe}" xmlns:modeler="{modeler}" xmlns:xsi="{xsi}" '
    'id="Definitions_{name}" targetNamespace="http://bpmn.io/schema/bpmn" '
    'exporter="Camunda Modeler" exporterVersion="5.38.0" '
    'modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">'
)
_NOT_NODES = {
    "multiInstanceLoopCharacteristics",
    "sequenceFlow",
    "extensionElements",
    "documentation",
    "incoming",
    "outgoing",
    "laneSet",
    "textAnnotation",
    "association",
}
_SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
_COLUMN = 160
_ROW = 130


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _size(element: ET.Element) -> tuple[int, int]:
    local = _local(element.tag)
    if local.endswith("Event"):
        return _SIZES["event"]
    if local.endswith("Gateway"):
        return _SIZES["gateway"]
    return _SIZES["activity"]


def _nodes(container: ET.Element) -> list[ET.Element]:
    return [
        child
        for child in container
        if child.tag.startswith(f"{{{BPMN}}}") and _local(child.tag) not in _NOT_NODES
    ]


def _flows(container: ET.Element) -> list[ET.Element]:
    return [child for child in container if child.tag == f"{{{BPMN}}}sequenceFlow"]


def _add_incoming_outgoing(container: ET.Element) -> None:
    flows = _flows(container)
    for node in _nodes(container):
        node_id = node.get("id")
        refs = [("incoming", f.get("id")) for f in flows if f.get("targetRef") == node_id]
        refs += [("outgoing", f.get("id")) for f in flows if f.get("sourceRef") == node_id]
        position = sum(
            1 for child in node if _local(child.tag) in ("documentation", "extensionElements")
        )
        for offset, (kind, flow_id) in enumerate(refs):
            child = ET.Element(f"{{{BPMN}}}{kind}")
            child.text = flow_id
            node.insert(position + offset, child)
        if _local(node.tag) == "subProcess":
            _add_incoming_outgoing(node)


def _layout(
    container: ET.Element, origin: tuple[int, int], shapes: dict[str, tuple[int, int, int, int]]
) -> tuple[int, int]:
    """Place the nodes of a container in columns (longest path from a start); return its size."""
    nodes = {node.get("id", ""): node for node in _nodes(container)}
    flows = _flows(container)
    boundaries = {
        node_id: node for node_id, node in nodes.items() if _local(node.tag) == "boundaryEvent"
    }
    column: dict[str, int] = {}
    queue: deque[str] = deque()
    for node_id in nodes:
        incoming = [f for f in flows if f.get("targetRef") == node_id]
        if not incoming and node_id not in boundaries:
            column[node_id] = 0
            queue.append(node_id)
    while queue:
        node_id = queue.popleft()
        targets = [f.get("targetRef", "") for f in flows if f.get("sourceRef") == node_id]
        for boundary_id, boundary in boundaries.items():
            if boundary.get("attachedToRef") == node_id and boundary_id not in column:
                column[boundary_id] = column[node_id]
                queue.append(boundary_id)
        for target in targets:
            if target in nodes and target not in boundaries and column.get(target, -1) < 0:
                column[target] = column[node_id] + 1
                queue.append(target)
    for node_id in nodes:
        column.setdefault(node_id, 0)
    rows: dict[int, int] = {}
    sizes: dict[str, tuple[int, int]] = {}
    widths: dict[int, int] = {}
    for node_id, node in nodes.items():
        if node_id in boundaries:
            continue
        if _local(node.tag) == "subProcess":
            inner: dict[str, tuple[int, int, int, int]] = {}
            sizes[node_id] = _layout(node, (0, 0), inner)
        else:
            sizes[node_id] = _size(node)
        widths[column[node_id]] = max(widths.get(column[node_id], 0), sizes[node_id][0])
    x_of: dict[int, int] = {}
    x = origin[0] + 40
    for index in range(max(widths, default=0) + 1):
        x_of[index] = x
        x += max(widths.get(index, 0), 100) + _COLUMN - 100
    height = 0
    y_rows: dict[int, int] = {}
    for node_id, node in nodes.items():
        if node_id in boundaries:
            continue
        col = column[node_id]
        width, node_height = sizes[node_id]
        y = origin[1] + 40 + y_rows.get(col, 0)
        y_rows[col] = y_rows.get(col, 0) + max(node_height, 80) + _ROW - 80
        rows[col] = rows.get(col, 0) + 1
        left = x_of[col] + (max(widths.get(col, 0), 100) - width) // 2
        shapes[node_id] = (left, y, width, node_height)
        if _local(node.tag) == "subProcess":
            _layout(node, (left, y), shapes)
        height = max(height, y - origin[1] + node_height)
    for index, (boundary_id, boundary) in enumerate(boundaries.items()):
        host = shapes.get(boundary.get("attachedToRef", ""))
        if host is None:
            continue
        left = host[0] + host[2] - 36 - 40 * (index % 2)
        shapes[boundary_id] = (left, host[1] + host[3] - 18, 36, 36)
    return x - origin[0], height + 60


def _edges(container: ET.Element, shapes: dict[str, tuple[int, int, int, int]]) -> list[ET.Element]:
    edges = []
    for flow in _flows(container):
        source = shapes[flow.get("sourceRef", "")]
        target = shapes[flow.get("targetRef", "")]
        edge = ET.Element(
            f"{{{BPMNDI}}}BPMNEdge",
            {"id": f"{flow.get('id')}_di", "bpmnElement": flow.get("id", "")},
        )
        start = (source[0] + source[2], source[1] + source[3] // 2)
        if _local(container.find(f".//*[@id='{flow.get('sourceRef')}']").tag) == "boundaryEvent":  # type: ignore[union-attr]
            start = (source[0] + source[2] // 2, source[1] + source[3])
        end = (target[0], target[1] + target[3] // 2)
        points = [start]
        if start[1] != end[1]:
            middle = (start[0] + 20, start[1]) if start[0] + 20 < end[0] else start
            points += [middle, (middle[0], end[1])]
        points.append(end)
        for point_x, point_y in points:
            ET.SubElement(edge, f"{{{DI}}}waypoint", {"x": str(point_x), "y": str(point_y)})
        edges.append(edge)
    for node in _nodes(container):
        if _local(node.tag) == "subProcess":
            edges += _edges(node, shapes)
    return edges


def _shape_elements(
    container: ET.Element, shapes: dict[str, tuple[int, int, int, int]]
) -> list[ET.Element]:
    elements = []
    for node in _nodes(container):
        node_id = node.get("id", "")
        attributes = {"id": f"{node_id}_di", "bpmnElement": node_id}
        local = _local(node.tag)
        if local == "subProcess":
            attributes["isExpanded"] = "true"
        if local == "exclusiveGateway":
            attributes["isMarkerVisible"] = "true"
        shape = ET.Element(f"{{{BPMNDI}}}BPMNShape", attributes)
        x, y, width, height = shapes[node_id]
        ET.SubElement(
            shape,
            f"{{{DC}}}Bounds",
            {"x": str(x), "y": str(y), "width": str(width), "height": str(height)},
        )
        if node.get("name") and local != "subProcess":
            label = ET.SubElement(shape, f"{{{BPMNDI}}}BPMNLabel")
            ET.SubElement(
                label,
                f"{{{DC}}}Bounds",
                {"x": str(x), "y": str(y + height + 4), "width": "90", "height": "14"},
            )
        elements.append(shape)
        if local == "subProcess":
            elements += _shape_elements(node, shapes)
    return elements


def modeler_xml(name: str, body: str) -> str:
    """A Modeler-style document from ``body``: root elements (errors, messages, processes)."""
    text = _HEADER.format(name=name, **NAMESPACES) + body + "</bpmn:definitions>"
    root = ET.fromstring(text)
    for diagram_index, process in enumerate(root.findall(f"{{{BPMN}}}process"), 1):
        _add_incoming_outgoing(process)
        shapes: dict[str, tuple[int, int, int, int]] = {}
        _layout(process, (120, 40), shapes)
        diagram = ET.SubElement(
            root, f"{{{BPMNDI}}}BPMNDiagram", {"id": f"BPMNDiagram_{diagram_index}"}
        )
        plane = ET.SubElement(
            diagram,
            f"{{{BPMNDI}}}BPMNPlane",
            {"id": f"BPMNPlane_{diagram_index}", "bpmnElement": process.get("id", "")},
        )
        plane.extend(_shape_elements(process, shapes))
        plane.extend(_edges(process, shapes))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def main() -> None:
    """Rewrite every model file of the corpus."""
    from tests.engine.models.corpus import MODELS

    here = Path(__file__).parent
    for name, body in MODELS.items():
        (here / f"{name}.bpmn").write_text(modeler_xml(name, body), encoding="utf-8")
    sys.stdout.write(f"wrote {len(MODELS)} models\n")


if __name__ == "__main__":
    main()
