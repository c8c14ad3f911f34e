"""The engine's clock and one-line triggers (messages, signals, user tasks, incidents) in a user's suite."""

from __future__ import annotations

import pytest

from .support import run_user_suite

pytest_plugins = ["pytester"]

TIMERS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="timers" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first_hour" />
    <bpmn:intermediateCatchEvent id="first_hour">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="first_hour" targetRef="stamp" />
    <bpmn:serviceTask id="stamp">
      <bpmn:extensionElements><zeebe:taskDefinition type="stamp" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="stamp" targetRef="second_hour" />
    <bpmn:intermediateCatchEvent id="second_hour">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="second_hour" targetRef="go" />
    <bpmn:intermediateCatchEvent id="go">
      <bpmn:signalEventDefinition signalRef="sig_go" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="go" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
  <bpmn:signal id="sig_go" name="go" />
</bpmn:definitions>
"""

SUITE = """
import datetime as dt
import threading

import pytest

from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("timers.bpmn")


def test_timers_fire_in_order_at_their_own_time_in_one_call(camunda_engine):
    stamps = []
    camunda_engine.mock_job_worker("stamp").with_handler(
        lambda job: stamps.append(camunda_engine.now()) or {}
    )
    started = camunda_engine.now()
    key = camunda_engine.start_instance("timers")
    camunda_engine.advance(dt.timedelta(hours=2))  # both timers, and the task between them
    assert stamps == [started + dt.timedelta(hours=1)]
    assert_that(key).is_at("go")
    camunda_engine.broadcast_signal("go")
    assert_that(key).is_completed()


def test_setting_the_clock(camunda_engine):
    camunda_engine.mock_job_worker("stamp")
    key = camunda_engine.start_instance("timers")
    camunda_engine.set_time(camunda_engine.now() + dt.timedelta(minutes=59))
    assert_that(key).is_at("first_hour")
    camunda_engine.set_time(dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    assert_that(key).is_at("go").has_passed("second_hour")
    assert camunda_engine.now().year == 2030


def test_an_incident_resolved_in_one_line(camunda_engine):
    camunda_engine.mock_job_worker("stamp").fail("printer jam", retries=0).complete()
    key = camunda_engine.start_instance("timers")
    camunda_engine.advance(3_600_000)
    assert_that(key).has_incident("JOB_NO_RETRIES", element="stamp")
    camunda_engine.resolve_incident(instance=key)  # gives the job a retry, resolves
    assert_that(key).has_no_incidents().has_passed("stamp")


def test_the_clock_does_not_run_alone(camunda_engine):
    key = camunda_engine.start_instance("timers")
    assert_that(key).is_at("second_hour")  # fails at once: only advance() moves time


def test_a_timeout_given_is_waited_for_the_tests_own_thread(camunda_engine):
    key = camunda_engine.start_instance("timers")
    mover = threading.Timer(0.05, camunda_engine.advance, args=(3_600_000,))
    mover.start()
    try:
        assert_that(key, timeout=30).is_at("stamp")  # the thread moves the clock meanwhile
    finally:
        mover.join()
"""

MESSAGES = """
import pytest

from camunda_worker.testing import assert_that

pytestmark = pytest.mark.camunda("loan.bpmn")


def test_correlate_and_publish(camunda_engine):
    camunda_engine.mock_job_worker("score").complete(score=90)
    first = camunda_engine.start_instance("loan", {"loanId": "A", "officer": "o"})
    second = camunda_engine.start_instance("loan", {"loanId": "B", "officer": "o"})
    camunda_engine.complete_user_task("review", instance=first)
    camunda_engine.complete_user_task("Review contract", instance=second)
    camunda_engine.correlate_message("contract-signed", "B", {"signedBy": "b"})
    assert_that(second).is_at("cooling_off").has_variables(signedBy="b")
    assert_that(first).is_waiting_for_message("contract-signed", "A")
    camunda_engine.publish_message("contract-signed", "A", time_to_live=60_000)
    assert_that(first).is_at("cooling_off")
"""


def test_the_clock_and_the_triggers(user_project: pytest.Pytester) -> None:
    from .bpmn import LOAN_BPMN

    user_project.path.joinpath("timers.bpmn").write_text(TIMERS_BPMN, encoding="utf-8")
    user_project.path.joinpath("loan.bpmn").write_text(LOAN_BPMN, encoding="utf-8")
    user_project.makepyfile(test_timers=SUITE, test_messages=MESSAGES)
    result = run_user_suite(user_project, "-o", "camunda_assert_timeout=30")
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_the_clock_does_not_run_alone*",
            "*expected it to be at second_hour, but it is not at second_hour (it is at first_hour, ACTIVE)",
            "*next timer: due in 1:00:00 of engine time (2025-01-01T01:00:00+00:00); the clock "
            "is manual: advance() moves it",
        ]
    )


def test_advance_moves_the_clock_by_exactly_the_timedelta_given() -> None:
    # timedelta(milliseconds=1001).total_seconds() * 1000 is 1000.999...: truncated, the clock
    # stopped a millisecond short and a timer due at that very moment did not fire.
    import datetime as dt

    from camunda_worker.testing import EngineHarness, assert_that

    timer = TIMERS_BPMN.replace("PT1H</bpmn:timeDuration>", "PT1.001S</bpmn:timeDuration>", 1)
    with EngineHarness(bpmn=[("timers.bpmn", timer)]) as harness:
        harness.mock_job_worker("stamp")
        before = harness.now()
        key = harness.start_instance("timers")
        harness.advance(dt.timedelta(milliseconds=1001))
        assert harness.now() - before == dt.timedelta(milliseconds=1001)
        assert_that(key, engine=harness).has_passed("first_hour", "stamp")
        for step in (1003, 5007, 86_400_009):
            before = harness.now()
            harness.advance(dt.timedelta(milliseconds=step))
            assert harness.now() - before == dt.timedelta(milliseconds=step)


JOB_USER_TASK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="approval" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:userTask id="approve" name="Approve order" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_job_based_user_task_is_completed_in_one_line_too() -> None:
    # A <userTask> without <zeebe:userTask/> (the Modeler's default before 8.5) is a job of type
    # io.camunda.zeebe:userTask: complete_user_task said "no open user task" for it.
    from camunda_worker.testing import EngineHarness, assert_that

    with EngineHarness(bpmn=[("approval.bpmn", JOB_USER_TASK_BPMN)]) as harness:
        first = harness.start_instance("approval")
        second = harness.start_instance("approval")
        assert_that(first, engine=harness).is_at("approve")
        with pytest.raises(LookupError, match="2 open user tasks for 'approve'"):
            harness.complete_user_task("approve")
        harness.complete_user_task("Approve order", {"approved": True}, instance=first)
        assert_that(first, engine=harness).is_completed().has_variables(approved=True)
        assert_that(second, engine=harness).is_at("approve")
        harness.complete_user_task("approve")
        assert_that(second, engine=harness).is_completed().has_passed("approve")
        with pytest.raises(LookupError, match="no open user task for 'approve'"):
            harness.complete_user_task("approve")


def test_a_job_based_user_task_is_named_so_by_the_user_task_assertions() -> None:
    from camunda_worker.testing import EngineHarness, ProcessAssertionError, assert_that_user_task

    with EngineHarness(bpmn=[("approval.bpmn", JOB_USER_TASK_BPMN)]) as harness:
        harness.start_instance("approval")
        with pytest.raises(ProcessAssertionError, match="it is a job-based user task"):
            assert_that_user_task("approve", engine=harness).is_created()
