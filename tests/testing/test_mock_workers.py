"""Mocked job workers (``camunda_engine.mock_job_worker``) in a user's suite, beside real ones."""

from __future__ import annotations

import pytest

from .bpmn import LOAN_BPMN
from .support import run_user_suite

pytest_plugins = ["pytester"]

SUITE = """
import datetime as dt

import pytest

from camunda_worker.testing import assert_that
from camunda_worker.worker import JobError

pytestmark = pytest.mark.camunda("loan.bpmn")


def to_payout(camunda_engine, key):
    camunda_engine.complete_user_task("review")
    camunda_engine.publish_message("contract-signed", "L-1")
    camunda_engine.advance(dt.timedelta(hours=48))


def test_answers_come_in_order_and_the_last_repeats(camunda_engine):
    score = camunda_engine.mock_job_worker("score").complete(score=60)
    payout = camunda_engine.mock_job_worker("payout").fail("bank is down").complete(paid=True)
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    to_payout(camunda_engine, key)
    assert_that(key).is_completed().has_variables(paid=True)
    assert [served.outcome.status for served in payout.jobs] == ["failed", "completed"]
    assert payout.jobs[0].outcome.retries == 1 and payout.jobs[0].outcome.error_message == "bank is down"
    assert score.count == 1 and score.jobs[0].variables["loanId"] == "L-1"
    assert camunda_engine.mock_job_worker("score") is score


def test_a_bpmn_error_is_caught_by_the_boundary_event(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=60)
    camunda_engine.mock_job_worker("payout").throw_bpmn_error("BLOCKED", {"reason": "fraud"})
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    to_payout(camunda_engine, key)
    assert_that(key).is_completed().has_passed("Account blocked", "refunded").has_not_passed("paid")


def test_a_handler_runs_as_in_a_worker(camunda_engine):
    def score(job):
        if job.variables["loanId"].startswith("X"):
            raise JobError("BLOCKED", "never")
        return {"score": len(job.variables["loanId"]) * 20}

    mock = camunda_engine.mock_job_worker("score").with_handler(score)
    key = camunda_engine.start_instance("loan", {"loanId": "L-12"})
    assert_that(key).is_at("review").has_variables(score=80)
    assert mock.jobs[0].outcome.completed


def test_an_async_handler_gets_an_async_client(camunda_engine):
    async def score(job):
        await job.client.complete_job(job.job_key, {"score": 66})  # ends the job itself

    mock = camunda_engine.mock_job_worker("score").with_handler(score)
    key = camunda_engine.start_instance("loan", {"loanId": "L-8"})
    assert_that(key).is_at("review").has_variables(score=66)
    assert mock.jobs[0].outcome.status == "acknowledged"


def test_a_mock_made_after_the_job_waited_answers_as_told(camunda_engine):
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    assert_that(key).is_at("score")
    camunda_engine.mock_job_worker("score").complete(score=55)
    assert_that(key).is_at("review").has_variables(score=55)


def test_real_workers_and_mocks_in_one_test(camunda_engine, job_worker):
    job_worker(lambda job: {"score": 75}, "score")  # real: its own thread, over the in-process client
    camunda_engine.mock_job_worker("payout").complete(paid=True)
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    assert_that(key).is_at("review")
    to_payout(camunda_engine, key)
    assert_that(key).is_completed().has_variables(score=75, paid=True)
"""

FAILING = """
import pytest

from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_an_uncaught_error_code(camunda_engine):
    camunda_engine.mock_job_worker("score").throw_bpmn_error("NO_SUCH_CODE")
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    assert_that(key).is_completed()


def test_a_mock_that_keeps_failing(camunda_engine):
    camunda_engine.mock_job_worker("score").fail("scoring is down")
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"})
    assert_that(key).is_at("review")
"""


@pytest.fixture
def loan_project(user_project: pytest.Pytester) -> pytest.Pytester:
    user_project.path.joinpath("loan.bpmn").write_text(LOAN_BPMN, encoding="utf-8")
    return user_project


def test_mocks_complete_fail_throw_and_run_handlers(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(test_mocks=SUITE)
    result = run_user_suite(loan_project, "test_mocks.py")
    result.assert_outcomes(passed=6)


def test_what_a_mock_did_shows_in_the_failure(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(test_mocks=FAILING)
    result = run_user_suite(loan_project, "test_mocks.py")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*expected it to be COMPLETED, but it is ACTIVE",
            "*incidents:",
            "*UNHANDLED_ERROR_EVENT on score*",
            "*BPMN error 'NO_SUCH_CODE'*",
        ]
    )
    # Three retries, three failures, then the incident: the mock served the job three times.
    result.stdout.fnmatch_lines(
        [
            "*expected it to be at review, but it is not at review (it is at score, ACTIVE)",
            "*JOB_NO_RETRIES on score*scoring is down",
            "*'score': 3 job(s) served",
        ]
    )


def test_a_mock_that_fails_forever_with_retries_left_does_not_hang_the_test(
    loan_project: pytest.Pytester,
) -> None:
    # fail(retries=1) as the last answer repeats for ever: the job is failed with a retry left,
    # activatable at once, answered again... start_instance never returned.
    loan_project.makepyfile(
        test_mocks="""
import signal

import pytest
from camunda_worker.testing import assert_that


def _hung(signum, frame):
    raise RuntimeError("start_instance hung")


@pytest.mark.camunda("loan.bpmn")
def test_flaky_for_ever(camunda_engine):
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(30)  # a hang fails this test instead of the whole run
    payout = camunda_engine.mock_job_worker("payout").fail("bank down", retries=1)
    key = camunda_engine.start_instance("loan", {"loanId": "L-1"}, start_at="payout")
    signal.alarm(0)
    assert 1 <= payout.count <= 1000
    assert_that(key).is_completed()
"""
    )
    result = run_user_suite(loan_project, "test_mocks.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected it to be COMPLETED, but it is ACTIVE",
            "*'payout': * job(s) served; it answered job * 100 times in a row and stopped: "
            "its answers never end that job*",
        ]
    )


def test_a_mock_and_a_real_worker_for_one_type_are_refused(loan_project: pytest.Pytester) -> None:
    # Both would take jobs of the type, each some: a test that passes or fails by the race.
    loan_project.makepyfile(
        test_mocks="""
import pytest

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_mock_then_worker(camunda_engine, job_worker):
    camunda_engine.mock_job_worker("score").complete(score=80)
    job_worker(lambda job: {"score": 10}, "score")


def test_worker_then_mock(camunda_engine, job_worker):
    job_worker(lambda job: {"score": 10}, "score")
    camunda_engine.mock_job_worker("score")


def test_other_types_mix(camunda_engine, job_worker):
    job_worker(lambda job: {"score": 10}, "score")
    camunda_engine.mock_job_worker("payout")
"""
    )
    result = run_user_suite(loan_project, "test_mocks.py")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["*ValueError: job type 'score' is mocked (mock_job_worker): a real worker for it would "
         "race the mock for its jobs*"]
    )  # fmt: skip
    result.stdout.fnmatch_lines(
        ["*ValueError: a real worker serves job type 'score': a mock for it would race the "
         "worker for its jobs*"]
    )  # fmt: skip
