"""The coverage report's parts: the diagram interchange read from BPMN, the HTML drawn from it."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.testing._coverage import ProcessCoverage
from camunda_worker.testing._coverage_html import render_html
from camunda_worker.testing._diagram import Diagram, Shape, parse_diagram

from .bpmn import LOAN_BPMN, ORDER_BPMN

_ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span", "section", "svg",
    "defs", "marker", "path", "g", "polyline", "text", "circle", "polygon", "rect", "table",
    "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def test_the_diagram_of_a_modeler_file_is_read() -> None:
    diagram = parse_diagram(LOAN_BPMN)
    assert diagram is not None
    assert diagram.processes == {"loan"}
    assert len(diagram.shapes) == 11
    assert len(diagram.edges) == 9
    assert diagram.shapes["score"] == Shape(180, 160, 100, 80)
    assert diagram.edges["f_no"] == ((355, 225), (355, 320), (462, 320))
    assert diagram.kinds["blocked"] == "boundaryEvent"
    assert diagram.names["f_yes"] == "yes"


def test_a_file_without_a_diagram_has_no_shapes() -> None:
    diagram = parse_diagram(ORDER_BPMN)
    assert diagram is not None
    assert diagram.processes == {"order"}
    assert diagram.shapes == {}


@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_content_is_read_or_refused_never_raises(content: bytes | str) -> None:
    result = parse_diagram(content)
    assert result is None or isinstance(result, Diagram)


@given(name=st.text(max_size=40), flow_name=st.text(max_size=20))
def test_names_cannot_inject_markup(name: str, flow_name: str) -> None:
    diagram = Diagram(
        processes=frozenset({"p"}),
        process_of={"a": "p", "f": "p"},
        kinds={"a": "serviceTask", "f": "sequenceFlow"},
        names={"a": name, "f": flow_name},
        shapes={"a": Shape(0, 0, 100, 80)},
        edges={"f": ((100, 40), (200, 40))},
    )
    coverage = ProcessCoverage(
        "p",
        name,
        nodes={"a": ("serviceTask", name)},
        flows={"f": flow_name},
        reached_nodes={"a": {f"test_x.py::test[{name}]"}},
        diagram=diagram,
    )
    page = render_html(
        {"p": coverage},
        {
            "percent": 50.0,
            "flow_nodes": 1,
            "flow_nodes_covered": 1,
            "sequence_flows": 1,
            "sequence_flows_covered": 0,
        },
    )
    tags = _Tags()
    tags.feed(page)
    assert tags.tags <= _ALLOWED_TAGS
    words = name.split()
    if words:
        assert words[0] in "".join(tags.texts)


def test_a_sub_process_is_drawn_under_the_flows_inside_it() -> None:
    diagram = Diagram(
        processes=frozenset({"p"}),
        process_of={"sub": "p", "inner": "p", "s1": "p", "start": "p"},
        kinds={"sub": "subProcess", "inner": "serviceTask", "s1": "sequenceFlow"},
        names={"sub": "Ship"},
        shapes={"sub": Shape(0, 0, 400, 200), "inner": Shape(150, 60, 100, 80)},
        edges={"s1": ((40, 100), (150, 100))},
    )
    coverage = ProcessCoverage(
        "p",
        nodes={"sub": ("subProcess", "Ship"), "inner": ("serviceTask", None)},
        flows={"s1": None},
        reached_nodes={"sub": {"t"}},
        diagram=diagram,
    )
    totals = {"percent": 0.0, "flow_nodes": 2, "flow_nodes_covered": 1}
    page = render_html(
        {"p": coverage}, {**totals, "sequence_flows": 1, "sequence_flows_covered": 0}
    )
    sub = page.index('data-element="sub"')
    assert sub < page.index('data-element="s1"') < page.index('data-element="inner"')
    assert 'class="node covered container" data-element="sub"' in page


def _almost_covered(process_id: str) -> ProcessCoverage:
    nodes = {f"n{i}": ("task", None) for i in range(300)}
    reached = {f"n{i}": {"t"} for i in range(299)}  # n299 never: 99.67 %
    return ProcessCoverage(process_id, nodes=nodes, reached_nodes=reached)


def test_a_process_not_fully_covered_never_shows_100_percent() -> None:
    # 299 of 300 rounded is "100%" beside a "not passed: n299" line: which one is true?
    from camunda_worker.testing._coverage import summary_lines

    coverage = _almost_covered("p")
    totals = {"percent": round(coverage.percent, 2)}
    lines = summary_lines({"p": coverage}, totals)
    assert lines[1].split()[-1] == "99%", lines[1]
    assert "299/300  99%" in lines[1]
    assert lines[-1].split()[-1] == "99%"
    assert "not passed: n299" in lines[2]
    page = render_html(
        {"p": coverage},
        {
            **totals,
            "flow_nodes": 300,
            "flow_nodes_covered": 299,
            "sequence_flows": 0,
            "sequence_flows_covered": 0,
        },
    )
    assert "100%" not in page.split("</style>")[1]
    assert '<span id="total" data-percent="99.67">99%</span>' in page


def test_the_ids_of_the_page_are_unique_with_several_processes() -> None:
    # An HTML id is unique in its document: each drawing's arrow markers need their own.
    import re

    diagrams = {}
    for process_id in ("a", "b"):
        diagrams[process_id] = ProcessCoverage(
            process_id,
            nodes={f"{process_id}1": ("task", None)},
            flows={f"{process_id}f": None},
            reached_flows={f"{process_id}f": {"t"}},
            diagram=Diagram(
                processes=frozenset({process_id}),
                process_of={f"{process_id}1": process_id, f"{process_id}f": process_id},
                kinds={f"{process_id}1": "task"},
                names={},
                shapes={f"{process_id}1": Shape(0, 0, 100, 80)},
                edges={f"{process_id}f": ((100, 40), (200, 40))},
            ),
        )
    page = render_html(
        diagrams,
        {"percent": 50.0, "flow_nodes": 2, "flow_nodes_covered": 0, "sequence_flows": 2,
         "sequence_flows_covered": 2},
    )  # fmt: skip
    ids = re.findall(r'\sid="([^"]*)"', page)
    assert len(ids) == len(set(ids)), sorted(ids)
    for reference in re.findall(r"url\(#([^)]*)\)", page):
        assert reference in ids
