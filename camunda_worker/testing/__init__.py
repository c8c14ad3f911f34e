"""Testing job workers without a Camunda cluster: an engine per test, workers, helpers.

Usable with any test runner; the pytest fixtures (``camunda_engine``, ``job_worker``...) are
in :mod:`camunda_worker.pytest_plugin`, registered when the package is installed. Importing this
module never imports pytest.

- :class:`EngineHarness`: an in-memory engine with its clock, in-process clients, a TCP
  server on demand, deploy/start helpers, inspection, and workers closed when it closes.
- :func:`run_handler` / :func:`run_handler_async`: run one handler on a synthetic job (no
  engine) and get its :class:`HandlerOutcome`, decided by the worker's own code.
- :func:`wait_for_completion` / :func:`wait_for_incident` (and ``_async`` twins): wait with a
  timeout; on failure :class:`ProcessInstanceStateError` shows the instance's state and jobs.
- :func:`assert_that` (and :func:`assert_that_user_task`, :func:`assert_that_jobs`): fluent
  assertions that wait until they hold; :class:`MockJobWorker` answers jobs of a type.
"""

from camunda_worker.testing._assertions import (
    JobTypeAssert,
    ProcessAssertionError,
    ProcessInstanceAssert,
    UserTaskAssert,
    assert_that,
    assert_that_jobs,
    assert_that_user_task,
)
from camunda_worker.testing._harness import BpmnResource, EngineHarness, Faults
from camunda_worker.testing._mocks import MockJobWorker, ServedJob
from camunda_worker.testing._synthetic import (
    HandlerOutcome,
    run_handler,
    run_handler_async,
    synthetic_job,
)
from camunda_worker.testing._waiting import (
    ProcessInstanceStateError,
    wait_for_completion,
    wait_for_completion_async,
    wait_for_incident,
    wait_for_incident_async,
)

__all__ = [
    "BpmnResource",
    "EngineHarness",
    "Faults",
    "HandlerOutcome",
    "JobTypeAssert",
    "MockJobWorker",
    "ProcessAssertionError",
    "ProcessInstanceAssert",
    "ProcessInstanceStateError",
    "ServedJob",
    "UserTaskAssert",
    "assert_that",
    "assert_that_jobs",
    "assert_that_user_task",
    "run_handler",
    "run_handler_async",
    "synthetic_job",
    "wait_for_completion",
    "wait_for_completion_async",
    "wait_for_incident",
    "wait_for_incident_async",
]
