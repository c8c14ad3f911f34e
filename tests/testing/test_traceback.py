"""A failing wait in a user's test shows the diagnostic first, with no library frames.

Run in a pytester sub-session: what a user's terminal shows, frames and all.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TEST = '''
import asyncio

from camunda_worker.testing import wait_for_completion, wait_for_completion_async

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://x">
  <bpmn:process id="pay" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:serviceTask id="charge">
      <bpmn:extensionElements><zeebe:taskDefinition type="charge" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="done" />
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_through_the_fixture(camunda_engine):
    camunda_engine.deploy(BPMN)
    key = camunda_engine.start_instance("pay")
    camunda_engine.wait_for_completion(key, timeout=0.2)


def test_through_the_function(camunda_engine):
    camunda_engine.deploy(BPMN)
    key = camunda_engine.start_instance("pay")
    wait_for_completion(camunda_engine.engine, key, timeout=0.2)


def test_the_async_twin(camunda_engine):
    camunda_engine.deploy(BPMN)
    key = camunda_engine.start_instance("pay")
    asyncio.run(wait_for_completion_async(camunda_engine, key, timeout=0.2))


def test_an_incident_wait(camunda_engine):
    camunda_engine.deploy(BPMN)
    key = camunda_engine.start_instance("pay")
    camunda_engine.wait_for_incident(key, timeout=0.2)
'''


def test_a_failed_wait_shows_no_library_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=4)
    output = result.stdout.str()
    frames = [line for line in output.splitlines() if "camunda_worker/" in line and ".py:" in line]
    assert frames == [], "\n".join(frames)
    assert output.count("did not complete within 0.2 s (it is ACTIVE)") >= 3
    assert "got no incident within 0.2 s" in output
    # the diagnostic follows the user's line at once
    user_line = output.index("camunda_engine.wait_for_completion(key, timeout=0.2)")
    diagnostic = output.index("ProcessInstanceStateError", user_line)
    assert output[user_line:diagnostic].count("\n") <= 3, output[user_line : diagnostic + 200]
