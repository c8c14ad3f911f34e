"""``pytest --camunda-coverage``: what a user's suite passed of each process, in three reports."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from .bpmn import LOAN_BPMN
from .support import run_user_suite

pytest_plugins = ["pytester"]

SUITE = """
import datetime as dt

import pytest

from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_paid(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=90)
    camunda_engine.mock_job_worker("payout").complete()
    key = camunda_engine.start_instance("loan", {"loanId": "L-1", "officer": "o"})
    camunda_engine.complete_user_task("review")
    camunda_engine.publish_message("contract-signed", "L-1")
    camunda_engine.advance(dt.timedelta(days=2))
    assert_that(key).is_completed()


def test_rejected(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=10)
    assert_that(camunda_engine.start_instance("loan", {"loanId": "L-2"})).is_completed()


def test_without_the_engine():
    pass
"""

ALL_NODES = {
    "start", "score", "approved", "review", "signed", "cooling_off", "payout", "paid",
    "rejected", "blocked", "refunded",
}  # fmt: skip
ALL_FLOWS = {"f1", "f2", "f_yes", "f_no", "f3", "f4", "f5", "f6", "f7"}
NOT_PASSED = {"blocked", "refunded", "f7"}


class _Drawing(HTMLParser):
    """The shapes and edges of the report's SVG, and whether the page has a script."""

    def __init__(self) -> None:
        super().__init__()
        self.in_svg = False
        self.groups: dict[str, set[str]] = {}
        self.titles: dict[str, str] = {}
        self.rows: dict[str, str] = {}
        self.scripts = 0
        self._open: list[str] = []
        self._title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "svg":
            self.in_svg = True
        if tag == "g" and self.in_svg and found.get("data-element"):
            element = str(found["data-element"])
            self.groups[element] = set(str(found.get("class", "")).split())
            self._open.append(element)
        if tag == "title" and self._open:
            self._title = True
        if tag == "tr" and found.get("data-element"):
            self.rows[str(found["data-element"])] = str(found.get("class"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.in_svg = False
        if tag == "title":
            self._title = False
        if tag == "g" and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._title and self._open:
            self.titles[self._open[-1]] = self.titles.get(self._open[-1], "") + data


@pytest.fixture
def loan_project(user_project: pytest.Pytester) -> pytest.Pytester:
    user_project.path.joinpath("loan.bpmn").write_text(LOAN_BPMN, encoding="utf-8")
    user_project.makepyfile(test_loan=SUITE)
    return user_project


def test_the_three_reports_say_what_the_suite_passed(loan_project: pytest.Pytester) -> None:
    result = run_user_suite(loan_project, "--camunda-coverage")
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*BPMN coverage (camunda-worker)*",
            "process * flow nodes * flows * total",
            "loan * 9/11  82% * 8/9  89% * 85%",
            '  not passed: blocked ("Account blocked"), refunded ("Refunded")',
            "  flows not taken: f7",
            "TOTAL * 85%",
            "JSON: camunda-coverage.json",
            "HTML: camunda-coverage.html",
        ]
    )

    report = json.loads(loan_project.path.joinpath("camunda-coverage.json").read_text())
    assert report["totals"] == {
        "flow_nodes": 11,
        "flow_nodes_covered": 9,
        "sequence_flows": 9,
        "sequence_flows_covered": 8,
        "percent": 85.0,
    }
    loan = report["processes"]["loan"]
    assert loan["resource"] == "loan.bpmn"
    assert loan["flow_nodes"]["review"] == {
        "kind": "userTask",
        "name": "Review contract",
        "tests": ["test_loan.py::test_paid"],
    }
    assert loan["flow_nodes"]["score"]["tests"] == [
        "test_loan.py::test_paid",
        "test_loan.py::test_rejected",
    ]
    assert loan["sequence_flows"]["f_no"] == {
        "name": "no",
        "tests": ["test_loan.py::test_rejected"],
    }
    assert loan["flow_nodes"]["blocked"]["tests"] == []

    drawing = _Drawing()
    drawing.feed(loan_project.path.joinpath("camunda-coverage.html").read_text())
    assert drawing.scripts == 0
    assert set(drawing.groups) == ALL_NODES | ALL_FLOWS  # every shape and edge of the diagram
    uncovered = {element for element, classes in drawing.groups.items() if "uncovered" in classes}
    assert uncovered == NOT_PASSED
    assert all("covered" in drawing.groups[e] for e in (ALL_NODES | ALL_FLOWS) - NOT_PASSED)
    assert "reached by 1 test(s)\ntest_loan.py::test_rejected" in drawing.titles["rejected"]
    assert "not reached by any test" in drawing.titles["f7"]
    assert drawing.rows["refunded"] == "uncovered"


def test_fail_under_fails_a_passing_run_below_the_mark(loan_project: pytest.Pytester) -> None:
    below = run_user_suite(loan_project, "--camunda-coverage-fail-under=90")
    below.assert_outcomes(passed=3)
    assert below.ret == pytest.ExitCode.TESTS_FAILED
    below.stdout.fnmatch_lines(["FAIL Required BPMN coverage of 90% not reached: 85.00%"])
    above = run_user_suite(loan_project, "--camunda-coverage-fail-under=80")
    assert above.ret == 0
    above.stdout.fnmatch_lines(["Required BPMN coverage of 80% reached: 85.00%"])


def test_a_fail_under_of_zero_still_implies_the_coverage(loan_project: pytest.Pytester) -> None:
    # 0 is a mark like any other (a project that starts its gate at 0 and raises it later).
    result = run_user_suite(loan_project, "--camunda-coverage-fail-under=0")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "TOTAL * 85%",
            "JSON: camunda-coverage.json",
            "Required BPMN coverage of 0% reached: 85.00%",
        ]
    )
    assert loan_project.path.joinpath("camunda-coverage.json").exists()


def test_without_the_option_nothing_is_recorded_or_written(loan_project: pytest.Pytester) -> None:
    result = run_user_suite(loan_project)
    result.assert_outcomes(passed=3)
    assert "BPMN coverage" not in result.stdout.str()
    assert not loan_project.path.joinpath("camunda-coverage.json").exists()


def test_a_failing_test_counts_what_it_passed(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(
        test_failing="""
import pytest
from camunda_worker.testing import assert_that

@pytest.mark.camunda("loan.bpmn")
def test_blocked(camunda_engine):
    camunda_engine.mock_job_worker("payout").throw_bpmn_error("BLOCKED")
    key = camunda_engine.start_instance("loan", start_at="payout")
    assert_that(key).is_at("payout")  # wrong on purpose: it went to refunded
"""
    )
    result = run_user_suite(
        loan_project, "--camunda-coverage", "--camunda-coverage-json=out/c.json"
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["loan * 11/11 100% * 9/9 100% * 100%"])
    report = json.loads(loan_project.path.joinpath("out/c.json").read_text())
    assert report["processes"]["loan"]["flow_nodes"]["refunded"]["tests"] == [
        "test_failing.py::test_blocked"
    ]
