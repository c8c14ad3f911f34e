"""The HTML coverage report: each process drawn from its own diagram, covered parts highlighted.

One self-contained page: inline CSS and SVG, no JavaScript. Each shape and edge carries
``data-element`` (its id) and the class ``covered`` or ``uncovered``; its ``<title>`` (the
browser's tooltip) names the tests that reached it. Under each drawing, a table lists every
flow node and flow with its tests.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

from camunda_worker.testing._coverage import ProcessCoverage, shown_percent
from camunda_worker.testing._diagram import Diagram, Shape

__all__ = ["render_html"]

_PAD = 30.0
_MAX_TESTS_IN_TITLE = 12

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; }
.bar { display: inline-block; width: 160px; height: 10px; background: #eee; vertical-align: middle; }
.bar span { display: block; height: 10px; background: #2e7d32; }
svg { border: 1px solid #ddd; background: #fff; max-width: 100%; height: auto; }
svg .shape { stroke-width: 2; }
svg .covered .shape { stroke: #2e7d32; fill: #e8f5e9; }
svg .uncovered .shape { stroke: #9e9e9e; fill: #fafafa; stroke-dasharray: 5 3; }
svg .container .shape { fill-opacity: 0.35; }
svg .edge { fill: none; stroke-width: 2; }
svg .covered.flow .edge { stroke: #2e7d32; }
svg .uncovered.flow .edge { stroke: #bdbdbd; stroke-dasharray: 5 3; }
svg text { font: 11px system-ui, sans-serif; fill: #222; text-anchor: middle; }
svg .uncovered text { fill: #888; }
svg .count { font-weight: bold; fill: #2e7d32; text-anchor: start; }
table { border-collapse: collapse; margin-top: 12px; }
td, th { border-bottom: 1px solid #eee; padding: 3px 10px; text-align: left; vertical-align: top; }
tr.uncovered td { color: #b71c1c; }
.tests { font-size: 12px; color: #555; }
"""

_CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _title(coverage: ProcessCoverage, element_id: str, tests: Iterable[str]) -> str:
    reached = sorted(tests)
    label = coverage.label(element_id)
    if not reached:
        return f"{label}: not reached by any test"
    shown = reached[:_MAX_TESTS_IN_TITLE]
    more = len(reached) - len(shown)
    lines = [f"{label}: reached by {len(reached)} test(s)", *shown]
    if more:
        lines.append(f"... and {more} more")
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:4]


def _label(x: float, y: float, text: str, width: int) -> str:
    lines = _wrap(text, width)
    first = y - (len(lines) - 1) * 6.5
    return "".join(
        f'<text x="{x:.1f}" y="{first + 13 * index + 4:.1f}">{_esc(line)}</text>'
        for index, line in enumerate(lines)
    )


def _shape(kind: str, box: Shape) -> str:
    x, y, w, h = box.x, box.y, box.width, box.height
    cx, cy = x + w / 2, y + h / 2
    if kind in _EVENTS or kind == "boundaryEvent":
        extra = (
            f'<circle class="shape" cx="{cx:.1f}" cy="{cy:.1f}" r="{w / 2 - 3:.1f}"/>'
            if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
            else ""
        )
        width = 4 if kind == "endEvent" else 2
        return (
            f'<circle class="shape" cx="{cx:.1f}" cy="{cy:.1f}" r="{w / 2:.1f}" '
            f'style="stroke-width:{width}"/>{extra}'
        )
    if kind.endswith("Gateway"):
        points = f"{cx:.1f},{y:.1f} {x + w:.1f},{cy:.1f} {cx:.1f},{y + h:.1f} {x:.1f},{cy:.1f}"
        return f'<polygon class="shape" points="{points}"/>'
    return (
        f'<rect class="shape" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        'rx="10" ry="10"/>'
    )


def _node(coverage: ProcessCoverage, diagram: Diagram, element_id: str, box: Shape) -> str:
    kind = diagram.kinds.get(element_id, "task")
    tests = coverage.reached_nodes.get(element_id, set())
    state = "covered" if tests else "uncovered"
    extra = " container" if kind in _CONTAINERS else ""
    parts = [
        f'<g class="node {state}{extra}" data-element="{_esc(element_id)}">'
        f"<title>{_esc(_title(coverage, element_id, tests))}</title>{_shape(kind, box)}"
    ]
    name = diagram.names.get(element_id, "")
    boxed = not (kind in _EVENTS or kind == "boundaryEvent" or kind.endswith("Gateway"))
    if name and kind in _CONTAINERS:
        parts.append(_label(box.x + box.width / 2, box.y + 16, name, 30))
    elif name and boxed:
        parts.append(_label(box.x + box.width / 2, box.y + box.height / 2, name, 14))
    elif name:
        parts.append(_label(box.x + box.width / 2, box.y + box.height + 14, name, 11))
    if tests:
        parts.append(
            f'<text class="count" x="{box.x + box.width + 2:.1f}" y="{box.y + 2:.1f}">'
            f"{len(tests)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


def _svg(coverage: ProcessCoverage, diagram: Diagram, index: int) -> str:
    # Marker ids carry the drawing's index: an HTML id is unique in the page.
    arrow = f"arrow-{index}"
    process_id = coverage.process_id
    mine = [element for element, owner in diagram.process_of.items() if owner == process_id]
    shapes = {e: diagram.shapes[e] for e in mine if e in diagram.shapes}
    edges = {e: diagram.edges[e] for e in mine if e in diagram.edges}
    xs = [s.x for s in shapes.values()] + [p[0] for points in edges.values() for p in points]
    ys = [s.y for s in shapes.values()] + [p[1] for points in edges.values() for p in points]
    x2 = [s.x + s.width for s in shapes.values()] + xs
    y2 = [s.y + s.height + 30 for s in shapes.values()] + ys
    if not xs:
        return "<p>The BPMN file has no diagram for this process.</p>"
    left, top = min(xs) - _PAD, min(ys) - _PAD
    width, height = max(x2) - left + _PAD, max(y2) - top + _PAD
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left:.0f} {top:.0f} '
        f'{width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{_esc(process_id)}">',
        "<defs>"
        f'<marker id="{arrow}-covered" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#2e7d32"/></marker>'
        f'<marker id="{arrow}-uncovered" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#bdbdbd"/></marker></defs>',
    ]
    containers = [e for e in shapes if diagram.kinds.get(e) in _CONTAINERS]
    parts.extend(_node(coverage, diagram, e, shapes[e]) for e in containers)  # under the flows
    for flow_id, points in edges.items():
        tests = coverage.reached_flows.get(flow_id, set())
        state = "covered" if tests else "uncovered"
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<g class="flow {state}" data-element="{_esc(flow_id)}">'
            f"<title>{_esc(_title(coverage, flow_id, tests))}</title>"
            f'<polyline class="edge" points="{path}" marker-end="url(#{arrow}-{state})"/>'
        )
        name = diagram.names.get(flow_id)
        if name:
            (ax, ay), (bx, by) = points[0], points[1]
            parts.append(_label((ax + bx) / 2 + 10, (ay + by) / 2 - 8, name, 20))
        parts.append("</g>")
    rest = [e for e in shapes if e not in containers]
    rest.sort(key=lambda e: diagram.kinds.get(e) == "boundaryEvent")  # on their activity
    parts.extend(_node(coverage, diagram, e, shapes[e]) for e in rest)
    parts.append("</svg>")
    return "".join(parts)


def _bar(percent: float) -> str:
    return f'<span class="bar"><span style="width:{math.floor(percent)}%"></span></span>'


def _rows(coverage: ProcessCoverage) -> str:
    rows = []
    for element_id, (kind, _) in sorted(coverage.nodes.items()):
        rows.append((element_id, kind, coverage.reached_nodes.get(element_id, set())))
    for flow_id in sorted(coverage.flows):
        rows.append((flow_id, "sequenceFlow", coverage.reached_flows.get(flow_id, set())))
    cells = []
    for element_id, kind, tests in rows:
        state = "covered" if tests else "uncovered"
        shown = ", ".join(sorted(tests)) if tests else "not reached"
        cells.append(
            f'<tr class="{state}" data-element="{_esc(element_id)}">'
            f"<td>{_esc(coverage.label(element_id))}</td><td>{_esc(kind)}</td>"
            f'<td class="tests">{_esc(shown)}</td></tr>'
        )
    return (
        "<table><thead><tr><th>element</th><th>kind</th><th>tests that reached it</th></tr>"
        f"</thead><tbody>{''.join(cells)}</tbody></table>"
    )


def render_html(processes: Mapping[str, ProcessCoverage], totals: Mapping[str, Any]) -> str:
    """The whole report page, one section per process."""
    sections = []
    for index, (process_id, coverage) in enumerate(sorted(processes.items())):
        title = f"{coverage.name} ({process_id})" if coverage.name else process_id
        drawing = (
            _svg(coverage, coverage.diagram, index)
            if coverage.diagram is not None
            else "<p>No diagram: the BPMN file was not deployed through the harness, or has "
            "no bpmndi section.</p>"
        )
        sections.append(
            f'<section class="process" id="process-{_esc(process_id)}" '
            f'data-process="{_esc(process_id)}" data-percent="{coverage.percent:.2f}">'
            f"<h2>{_esc(title)}</h2>"
            f"<p>{_bar(coverage.percent)} {shown_percent(coverage.percent)} &#8212; flow nodes "
            f"{len(coverage.covered_nodes)}/{len(coverage.nodes)}, sequence flows "
            f"{len(coverage.covered_flows)}/{len(coverage.flows)}"
            f"{' &#8212; ' + _esc(coverage.resource_name) if coverage.resource_name else ''}</p>"
            f"{drawing}{_rows(coverage)}</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        "<title>BPMN coverage</title>"
        f"<style>{_CSS}</style></head><body>"
        f'<h1>BPMN coverage: <span id="total" data-percent="{totals["percent"]:.2f}">'
        f"{shown_percent(totals['percent'])}</span></h1>"
        f"<p>{totals['flow_nodes_covered']}/{totals['flow_nodes']} flow nodes and "
        f"{totals['sequence_flows_covered']}/{totals['sequence_flows']} sequence flows passed "
        "by the tests. Green: passed (the number: how many tests); grey, dashed: never "
        "reached. Hover an element for its tests.</p>"
        f"{''.join(sections)}</body></html>\n"
    )
