"""BPMN coverage: which flow nodes and sequence flows the tests' process instances passed.

The pytest plugin (``--camunda-coverage``) hands every ``camunda_engine`` of a test to
:meth:`CoverageCollector.record` before it closes; the collector keeps, per process id, the
elements and flows of its definitions and which tests reached each one. Then
:func:`summary_lines` writes the terminal summary, :meth:`CoverageCollector.to_json` the JSON
report, and :mod:`._coverage_html` the HTML one, drawn from each process's diagram.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from camunda_worker.testing._diagram import Diagram, parse_diagram

if TYPE_CHECKING:
    from camunda_worker.engine import Engine

__all__ = ["CoverageCollector", "ProcessCoverage", "shown_percent", "summary_lines"]

JSON_VERSION = 1


def _percent(covered: int, total: int) -> float:
    return 100.0 if total == 0 else 100.0 * covered / total


def shown_percent(percent: float) -> str:
    """A percentage rounded to a whole one for the reports, but never to 100 (or 0) unless it is.

    299 of 300 is 99.67 %: shown "100%" beside a list of what was not passed, it contradicts
    itself (coverage.py keeps "99%" too).
    """
    shown = round(percent)
    if shown == 100 and percent < 100:
        shown = 99
    elif shown == 0 and percent > 0:
        shown = 1
    return f"{shown}%"


@attrs.define
class ProcessCoverage:
    """What the tests passed of one process (all its deployed versions together).

    Attributes:
        process_id: the BPMN process id.
        name: the process's name.
        nodes: flow node id to ``(kind, name)``.
        flows: sequence flow id to its name (``None`` without one).
        reached_nodes: flow node id to the ids of the tests that passed it.
        reached_flows: sequence flow id to the ids of the tests that took it.
        resource_name: the BPMN file it came from.
        diagram: its diagram interchange (shapes, edges), when the file has one.
    """

    process_id: str
    name: str | None = None
    nodes: dict[str, tuple[str, str | None]] = attrs.field(factory=dict)
    flows: dict[str, str | None] = attrs.field(factory=dict)
    reached_nodes: dict[str, set[str]] = attrs.field(factory=dict)
    reached_flows: dict[str, set[str]] = attrs.field(factory=dict)
    resource_name: str | None = None
    diagram: Diagram | None = None

    @property
    def covered_nodes(self) -> list[str]:
        """Ids of the flow nodes some test passed."""
        return [node for node in self.nodes if self.reached_nodes.get(node)]

    @property
    def covered_flows(self) -> list[str]:
        """Ids of the sequence flows some test took."""
        return [flow for flow in self.flows if self.reached_flows.get(flow)]

    @property
    def node_percent(self) -> float:
        """Flow nodes covered, in percent."""
        return _percent(len(self.covered_nodes), len(self.nodes))

    @property
    def flow_percent(self) -> float:
        """Sequence flows covered, in percent."""
        return _percent(len(self.covered_flows), len(self.flows))

    @property
    def percent(self) -> float:
        """Flow nodes and sequence flows together, in percent."""
        return _percent(
            len(self.covered_nodes) + len(self.covered_flows), len(self.nodes) + len(self.flows)
        )

    def label(self, element_id: str) -> str:
        """``id ("name")`` of a flow node or flow, or its id alone without a name."""
        name = self.nodes[element_id][1] if element_id in self.nodes else self.flows.get(element_id)
        return f'{element_id} ("{name}")' if name else element_id


class CoverageCollector:
    """Collects, test by test, what the process instances of each engine passed."""

    def __init__(self) -> None:
        self.processes: dict[str, ProcessCoverage] = {}
        self.tests: list[str] = []
        self._parsed: dict[str, Diagram | None] = {}

    def _process(self, engine: Engine, definition_key: str, resource: Any) -> ProcessCoverage:
        model = engine.process_model(definition_key)
        coverage = self.processes.get(model.process_id)
        if coverage is None:
            coverage = self.processes[model.process_id] = ProcessCoverage(
                model.process_id, model.name
            )
        for node in model.nodes.values():
            coverage.nodes.setdefault(node.id, (node.kind, node.name))
        for flow_id in model.flows:
            coverage.flows.setdefault(flow_id, None)
        if resource is not None and coverage.diagram is None:
            name, content = resource
            cache_key = f"{name}\x00{hash(content)}"
            if cache_key not in self._parsed:
                self._parsed[cache_key] = parse_diagram(content)
            diagram = self._parsed[cache_key]
            coverage.resource_name = name
            if diagram is not None and model.process_id in diagram.processes:
                coverage.diagram = diagram
                names = diagram.names
                for flow_id in coverage.flows:
                    coverage.flows[flow_id] = names.get(flow_id) or None
        return coverage

    def record(self, engine: Engine, test_id: str) -> None:
        """Record what the instances of an engine passed, for the test ``test_id``."""
        if test_id not in self.tests:
            self.tests.append(test_id)
        resources = engine.deployed_resources()
        for definition_key, resource in resources.items():
            self._process(engine, definition_key, resource)
        for instance in engine.process_instances():
            coverage = self._process(
                engine,
                instance.process_definition_key,
                resources.get(instance.process_definition_key),
            )
            for node in instance.visited_element_ids:
                coverage.reached_nodes.setdefault(node, set()).add(test_id)
            for flow in engine.taken_flows(instance.key):
                coverage.reached_flows.setdefault(flow, set()).add(test_id)

    # -- totals and the JSON report ------------------------------------------------------------

    def totals(self) -> dict[str, Any]:
        """Counts over every process, and the total percentage (the fail-under gate's)."""
        nodes = sum(len(p.nodes) for p in self.processes.values())
        flows = sum(len(p.flows) for p in self.processes.values())
        covered_nodes = sum(len(p.covered_nodes) for p in self.processes.values())
        covered_flows = sum(len(p.covered_flows) for p in self.processes.values())
        return {
            "flow_nodes": nodes,
            "flow_nodes_covered": covered_nodes,
            "sequence_flows": flows,
            "sequence_flows_covered": covered_flows,
            "percent": round(_percent(covered_nodes + covered_flows, nodes + flows), 2),
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON report: totals, then per process each element and flow with its tests."""
        return {
            "version": JSON_VERSION,
            "totals": self.totals(),
            "tests": list(self.tests),
            "processes": {
                process_id: _process_json(coverage)
                for process_id, coverage in sorted(self.processes.items())
            },
        }


def _process_json(coverage: ProcessCoverage) -> dict[str, Any]:
    return {
        "name": coverage.name,
        "resource": coverage.resource_name,
        "percent": round(coverage.percent, 2),
        "flow_nodes_percent": round(coverage.node_percent, 2),
        "sequence_flows_percent": round(coverage.flow_percent, 2),
        "flow_nodes": {
            node_id: {
                "kind": kind,
                "name": name,
                "tests": sorted(coverage.reached_nodes.get(node_id, ())),
            }
            for node_id, (kind, name) in sorted(coverage.nodes.items())
        },
        "sequence_flows": {
            flow_id: {"name": name, "tests": sorted(coverage.reached_flows.get(flow_id, ()))}
            for flow_id, name in sorted(coverage.flows.items())
        },
    }


def summary_lines(processes: Mapping[str, ProcessCoverage], totals: Mapping[str, Any]) -> list[str]:
    """The terminal summary: per process the flow nodes and flows covered, and what was not."""
    if not processes:
        return ["no process was deployed by a test that used camunda_engine"]
    width = max(len(process_id) for process_id in processes)
    width = max(width, len("process"))
    lines = [f"{'process':<{width}}  {'flow nodes':>14}  {'flows':>14}  {'total':>6}"]
    for process_id, coverage in sorted(processes.items()):
        nodes = f"{len(coverage.covered_nodes)}/{len(coverage.nodes)} "
        nodes += f"{shown_percent(coverage.node_percent):>4}"
        flows = f"{len(coverage.covered_flows)}/{len(coverage.flows)} "
        flows += f"{shown_percent(coverage.flow_percent):>4}"
        total = shown_percent(coverage.percent)
        lines.append(f"{process_id:<{width}}  {nodes:>14}  {flows:>14}  {total:>6}")
        missed_nodes = [
            coverage.label(n) for n in coverage.nodes if n not in coverage.covered_nodes
        ]
        missed_flows = [
            coverage.label(f) for f in coverage.flows if f not in coverage.covered_flows
        ]
        if missed_nodes:
            lines.append(f"  not passed: {', '.join(missed_nodes)}")
        if missed_flows:
            lines.append(f"  flows not taken: {', '.join(missed_flows)}")
    lines.append(f"{'TOTAL':<{width}}  {'':>14}  {'':>14}  {shown_percent(totals['percent']):>6}")
    return lines
