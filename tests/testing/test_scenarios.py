"""Entering a long process in the middle (start instructions, modification) in a user's suite."""

from __future__ import annotations

import pytest

from .bpmn import LOAN_BPMN
from .support import run_user_suite

pytest_plugins = ["pytester"]

SUITE = """
import datetime as dt

import pytest

from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_start_at_the_payout(camunda_engine):
    camunda_engine.mock_job_worker("payout").complete(paid=True)
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"}, start_at="Pay out")
    assert_that(key).is_completed().has_passed("payout").has_not_passed("score", "review")


def test_skip_the_review_and_the_message(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=90)
    camunda_engine.mock_job_worker("payout").complete(paid=True)
    key = camunda_engine.start_instance("loan", {"loanId": "L-2", "officer": "o"})
    assert_that(key).is_at("review")
    camunda_engine.modify(key, terminate="Review contract", activate="cooling_off")
    assert_that(key).is_at("cooling_off").is_not_at("review")
    camunda_engine.advance(dt.timedelta(hours=48))
    assert_that(key).is_completed().has_not_passed("signed")


def test_terminating_everything_terminates_the_instance(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=90)
    key = camunda_engine.start_instance("loan", {"loanId": "L-3", "officer": "o"})
    camunda_engine.modify(key, terminate=["review"])
    assert_that(key).is_terminated()


def test_a_wrong_start(camunda_engine):
    camunda_engine.start_instance("loan", start_at="Pay in")  # no such element: refused
"""


def test_a_test_enters_the_process_in_the_middle(user_project: pytest.Pytester) -> None:
    user_project.path.joinpath("loan.bpmn").write_text(LOAN_BPMN, encoding="utf-8")
    user_project.makepyfile(test_scenarios=SUITE)
    result = run_user_suite(user_project)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*EngineError*Expected to find element with id 'Pay in' in process 'loan', but "
            "none found*"
        ]
    )
