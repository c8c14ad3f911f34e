"""Fluent assertions (``assert_that``...) in a user's suite: they pass, and fail with a diagnosis."""

from __future__ import annotations

import pytest

from .bpmn import LOAN_BPMN
from .support import run_user_suite

pytest_plugins = ["pytester"]

PASSING = """
import datetime as dt

import pydantic
import pytest

from camunda_worker.testing import assert_that, assert_that_jobs, assert_that_user_task

pytestmark = pytest.mark.camunda("loan.bpmn")


class Scored(pydantic.BaseModel):
    loanId: str
    score: int


def test_the_happy_path(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=80)
    camunda_engine.mock_job_worker("payout").complete(paid=True)
    key = camunda_engine.start_instance("loan", {"loanId": "L-1", "officer": "alice"})

    assert_that(key).is_active().is_at("Review contract").has_passed("score", "Approved?")
    assert_that(key).has_not_passed("payout", "Rejected").has_taken_flow("f_yes")
    assert_that(key).has_variables(score=80).has_variable_names("loanId", "officer")
    assert_that(key).has_variables_matching(lambda v: v["score"] > 50, "a good score")
    assert_that(key).has_variables_of(Scored, score=80)
    assert_that_user_task("Review contract", instance=key).is_created().has_assignee(
        "alice"
    ).has_candidate_groups("risk", "credit").has_due_date(
        dt.datetime(2025, 1, 3, 17, tzinfo=dt.timezone.utc)
    )
    camunda_engine.complete_user_task("review")
    assert_that_user_task("review").is_completed()
    assert_that(key).is_waiting_for_message("contract-signed", correlation_key="L-1")
    camunda_engine.publish_message("contract-signed", "L-1")
    camunda_engine.advance(dt.timedelta(days=2))

    assert_that(key).is_completed().has_passed_in_order("score", "review", "signed", "payout")
    assert_that(key).has_variables({"paid": True}).has_no_incidents()
    assert_that_jobs("payout", instance=key).was_activated(times=1).was_completed_with(paid=True)


def test_a_low_score_is_rejected(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=10)
    key = camunda_engine.start_instance("loan", {"loanId": "L-2"})
    assert_that(key).is_completed().has_passed("rejected").has_not_passed("review")
    assert_that(key).has_taken_flow("f_no").has_taken_flow("no")  # by id, by name


def test_an_incident_and_a_cancel(camunda_engine):
    camunda_engine.mock_job_worker("score").fail("scoring is down", retries=0)
    key = camunda_engine.start_instance("loan", {"loanId": "L-3"})
    assert_that(key).has_incident("JOB_NO_RETRIES", element="Score applicant", message="down")
    assert_that(key).has_active_incidents().is_active()
    camunda_engine.cancel_instance(key)
    assert_that(key).is_terminated()


def test_a_real_worker_is_awaited(camunda_engine, job_worker, camunda_client):
    job_worker(lambda job: {"score": 70}, "score")  # a real worker, in its own thread
    created = camunda_client.create_process_instance(
        process_definition_id="loan", variables={"loanId": "L-4", "officer": "bob"}
    )
    assert_that(created).is_at("review")
    assert_that_jobs("score").was_activated().was_completed_with(score=70)
"""

FAILING = """
import pytest

from camunda_worker.testing import assert_that, assert_that_jobs, assert_that_user_task

pytestmark = pytest.mark.camunda("loan.bpmn")


@pytest.fixture
def key(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=80)
    return camunda_engine.start_instance("loan", {"loanId": "L-9", "officer": "alice"})


def test_not_completed(key):
    assert_that(key).is_completed()


def test_wrong_variable(key):
    assert_that(key).has_variables(score=99)


def test_not_waiting_for_that_message(key):
    assert_that(key).is_waiting_for_message("contract-signed")


def test_wrong_assignee(key):
    assert_that_user_task("review").has_assignee("mallory")


def test_unknown_element(key):
    assert_that(key).has_passed("Sing a song")


def test_not_activated(key):
    assert_that_jobs("payout").was_activated()


def test_a_key_of_no_instance(camunda_engine):
    assert_that("2251799813699999").is_completed()
"""


@pytest.fixture
def loan_project(user_project: pytest.Pytester) -> pytest.Pytester:
    user_project.path.joinpath("loan.bpmn").write_text(LOAN_BPMN, encoding="utf-8")
    return user_project


def test_the_assertions_pass_on_a_process_that_does_what_they_say(
    loan_project: pytest.Pytester,
) -> None:
    loan_project.makepyfile(test_loan=PASSING)
    result = run_user_suite(loan_project, "test_loan.py")
    result.assert_outcomes(passed=4)


def test_a_failed_assertion_shows_the_instance_and_no_library_frames(
    loan_project: pytest.Pytester,
) -> None:
    loan_project.makepyfile(test_loan=FAILING)
    result = run_user_suite(loan_project, "test_loan.py", "-o", "camunda_assert_timeout=30")
    result.assert_outcomes(failed=7)
    out = result.stdout.str()
    # Nothing but the test can move this engine: they fail at once, not after 30 s, and say so.
    assert "(waited" not in out
    result.stdout.fnmatch_lines(
        [
            "*expected it to be COMPLETED, but it is ACTIVE",
            "*path: start -> score -> approved -> review",
            "*waiting in: review",
            "*variables: {*'score': 80*}",
            "*jobs:",
            "*type 'score' on score: COMPLETED*worker 'mock:score'",
            "*mocked job workers:",
            "*'score': 1 job(s) served",
        ]
    )
    result.stdout.fnmatch_lines(["*expected variables {'score': 99}, but it has {'score': 80}"])
    result.stdout.fnmatch_lines(
        ["*expected it to wait for message 'contract-signed', but it waits for no message"]
    )
    result.stdout.fnmatch_lines(
        ["*user task 'review': expected assignee 'mallory', but its assignee is 'alice'"]
    )
    result.stdout.fnmatch_lines(
        ["*has no element with id or name 'Sing a song'; it has: *review ('Review contract')*"]
    )
    result.stdout.fnmatch_lines(
        ["*jobs of type 'payout': expected activations, but they were activated 0 time(s)"]
    )
    result.stdout.fnmatch_lines(["*there is no process instance 2251799813699999 in this engine*"])
    # The failure points at the test's line, not at the library's frames.
    assert "_assertions.py" not in out
    assert "_harness.py" not in out


def test_a_wait_for_a_real_worker_ends_with_its_timeout(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(
        test_loan="""
import pytest
from camunda_worker.testing import assert_that

@pytest.mark.camunda("loan.bpmn")
def test_waits(camunda_engine, job_worker):
    job_worker(lambda job: {"score": 10}, "score")
    key = camunda_engine.start_instance("loan", {"loanId": "L-5"})
    assert_that(key, timeout=0.2).is_at("review")
"""
    )
    result = run_user_suite(loan_project, "test_loan.py")
    result.assert_outcomes(failed=1)
    # The worker ran the instance to its end: the assertion stops waiting once it has ended.
    result.stdout.fnmatch_lines(
        ["*expected it to be at review, but it is not at review (it is at nowhere, COMPLETED)"]
    )


def test_a_wait_that_runs_out_says_how_long_it_waited(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(
        test_loan="""
import pytest
from camunda_worker.testing import assert_that

@pytest.mark.camunda("loan.bpmn")
def test_waits(camunda_engine, job_worker):
    job_worker(lambda job: {}, "unrelated")  # a running worker: someone else could move it
    key = camunda_engine.start_instance("loan", {"loanId": "L-6"})
    assert_that(key).has_variables(score=1)  # the wait from the ini option
"""
    )
    result = run_user_suite(loan_project, "test_loan.py", "-o", "camunda_assert_timeout=0.3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*expected variables {'score': 1}, but it has {'score': '<missing>'} (waited 0.3 s)"]
    )


def test_a_wait_that_is_not_a_number_is_a_usage_error(loan_project: pytest.Pytester) -> None:
    loan_project.makepyfile(test_loan="def test_nothing():\n    pass\n")
    result = run_user_suite(loan_project, "-o", "camunda_assert_timeout=soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*camunda_assert_timeout must be a number of seconds*"])


def test_true_is_not_one_for_variable_assertions(loan_project: pytest.Pytester) -> None:
    # In Python True == 1 and 0 == False; in the process they are different values (the FEEL
    # condition `=paid = true` is false for 1). An assertion must not take one for the other.
    loan_project.makepyfile(
        test_loan="""
import pytest
from camunda_worker.testing import assert_that, assert_that_jobs

pytestmark = pytest.mark.camunda("loan.bpmn")


@pytest.fixture
def key(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=1, flags=[1, 0], extra={"ok": 0})
    return camunda_engine.start_instance("loan", {"loanId": "L-7"})


def test_true_for_one(key):
    assert_that(key).has_variables(score=True)


def test_booleans_in_a_list(key):
    assert_that(key).has_variables(flags=[True, False])


def test_false_in_a_dict(key):
    assert_that(key).has_variables(extra={"ok": False})


def test_a_job_completed_with_true(key):
    assert_that_jobs("score").was_completed_with(score=True)


def test_numbers_still_equal(key):
    assert_that(key).has_variables(score=1.0, flags=[1, 0], extra={"ok": 0})
    assert_that_jobs("score").was_completed_with(score=1.0)
"""
    )
    result = run_user_suite(loan_project, "test_loan.py")
    result.assert_outcomes(passed=1, failed=4)
    result.stdout.fnmatch_lines(["*expected variables {'score': True}, but it has {'score': 1}"])
    result.stdout.fnmatch_lines(["*expected a completion with {'score': True}*"])


def test_an_element_that_was_terminated_has_not_been_passed(loan_project: pytest.Pytester) -> None:
    # has_passed is hasCompletedElements: an element left because a boundary event interrupted
    # it, or because the instance was canceled, did not complete.
    loan_project.makepyfile(
        test_loan="""
import pytest
from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_payout_interrupted_by_the_error_boundary(camunda_engine):
    camunda_engine.mock_job_worker("payout").throw_bpmn_error("BLOCKED")
    key = camunda_engine.start_instance("loan", start_at="payout")
    assert_that(key).is_completed().has_passed("Account blocked", "refunded")
    assert_that(key).has_passed("payout")


def test_review_canceled(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=80)
    key = camunda_engine.start_instance("loan", {"loanId": "L-8"})
    assert_that(key).is_at("review")
    camunda_engine.cancel_instance(key)
    assert_that(key).is_terminated().has_passed("score")
    assert_that(key).has_passed("review")
"""
    )
    result = run_user_suite(loan_project, "test_loan.py")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*expected it to have passed payout, but it has not passed payout"]
    )
    result.stdout.fnmatch_lines(
        ["*expected it to have passed review, but it has not passed review"]
    )


CPT_DAY_ONE = """
import pytest
from camunda_worker.testing import assert_that, assert_that_user_task

pytestmark = pytest.mark.camunda("loan.bpmn")


@pytest.fixture
def key(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=80)
    return camunda_engine.start_instance("loan", {"loanId": "L-1", "officer": "alice"})


def test_holds(camunda_engine, key):
    assert_that(key).is_created().has_active_elements_exactly("Review contract")
    assert_that(key).has_passed("score", times=1).is_not_waiting_for_message("contract-signed")
    assert_that_user_task("review").has_priority(50)
    camunda_engine.cancel_instance(key)
    assert_that(key).is_created().has_no_active_elements().has_terminated_elements("review")
    assert_that_user_task("review").is_canceled()


def test_blocked_payout_is_terminated(camunda_engine):
    camunda_engine.mock_job_worker("payout").throw_bpmn_error("BLOCKED")
    key = camunda_engine.start_instance("loan", start_at="payout")
    assert_that(key).is_completed().has_terminated_elements("Pay out").has_passed("refunded")


def test_exactly_is_exact(key):
    assert_that(key).has_active_elements_exactly()


def test_no_active_elements(key):
    assert_that(key).has_no_active_elements()


def test_times(key):
    assert_that(key).has_passed("score", times=2)


def test_not_terminated(key):
    assert_that(key).has_terminated_elements("score")


def test_still_waiting(camunda_engine, key):
    camunda_engine.complete_user_task("review")
    assert_that(key).is_not_waiting_for_message("contract-signed", correlation_key="L-1")


def test_not_canceled(key):
    assert_that_user_task("review").is_canceled()


def test_priority(key):
    assert_that_user_task("review").has_priority(99)
"""


def test_what_a_camunda_process_test_user_reaches_for_on_day_one(
    loan_project: pytest.Pytester,
) -> None:
    loan_project.makepyfile(test_loan=CPT_DAY_ONE)
    result = run_user_suite(loan_project, "test_loan.py")
    result.assert_outcomes(passed=2, failed=7)
    for line in (
        "*expected it to be at exactly nowhere, but it is at review (ACTIVE)",
        "*expected it to have passed score 2 time(s), but it passed score 1 time(s)",
        "*expected terminated element(s) score, but score was not terminated (terminated: none)",
        "*expected it not to wait for message 'contract-signed' with correlation key 'L-1', "
        "but signed waits for it (correlation key 'L-1')",
        "*user task 'review': expected it to be CANCELED, but it is CREATED",
        "*user task 'review': expected priority 99, but its priority is 50",
    ):
        result.stdout.fnmatch_lines([line])


def test_a_due_date_given_as_text_is_compared_as_a_moment() -> None:
    # '2025-01-03T17:00:00.000Z' failed against the task's '2025-01-03T17:00:00Z': the same
    # instant, "expected due date 2025-01-03T17:00:00.000Z, but it is due '...17:00:00Z'".
    from camunda_worker.testing import EngineHarness, ProcessAssertionError, assert_that_user_task

    with EngineHarness(bpmn=[("loan.bpmn", LOAN_BPMN)]) as harness:
        harness.mock_job_worker("score").complete(score=80)
        harness.start_instance("loan", {"loanId": "L-1", "officer": "o"})
        task = assert_that_user_task("review", engine=harness)
        for same in ("2025-01-03T17:00:00Z", "2025-01-03T17:00:00.000Z", "2025-01-03T18:00+01:00"):
            task.has_due_date(same)
        with pytest.raises(ProcessAssertionError, match="but it is due '2025-01-03T17:00:00Z'"):
            task.has_due_date("2025-01-03T17:00:01Z")
        with pytest.raises(ProcessAssertionError, match="expected due date tomorrow"):
            task.has_due_date("tomorrow")


MULTI_INSTANCE_REVIEW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="reviews" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review">
      <bpmn:extensionElements><zeebe:userTask /></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="=reviewers" inputElement="reviewer" />
        </bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_active_elements_exactly_counts_a_multi_instance_activity_once() -> None:
    # Its body and each of its instances are active in the same element: as in Camunda Process
    # Test, "exactly" is about which elements, not how many tokens.
    from camunda_worker.testing import EngineHarness, ProcessAssertionError, assert_that

    with EngineHarness(bpmn=[("reviews.bpmn", MULTI_INSTANCE_REVIEW)]) as harness:
        key = harness.start_instance("reviews", {"reviewers": ["ann", "bob"]})
        assert_that(key, engine=harness).has_active_elements_exactly("review")
        with pytest.raises(ProcessAssertionError, match="it is at review, review, review"):
            assert_that(key, engine=harness).has_active_elements_exactly("review", "end")
