"""Fidelity: the official TypeScript SDK (``@camunda8/orchestration-cluster-api`` 9.x) drives
the engine served over TCP, with its strictest response validation on.

``official_ts_sdk/drive.cjs`` (run by node) deploys from files, starts instances (one awaiting
its completion), runs the SDK's own job worker (complete, BPMN error, failure without retries),
finds the incident by search, updates the job's retries and resolves the incident, correlates
and publishes messages, and searches with sort and offset paging. Then it works a user task
(search, get, assign, unassign, update, its variables, complete with variables), reads the
incident by key, element instances, variables, process definitions (search, get, XML) and
message subscriptions, searches instances by a variable, reads a call hierarchy, modifies an
instance to its end and pins and resets the clock; then the remaining operations (incidents
of an instance and of an element, status, expression, signal, setting variables, statistics,
forms, cursor paging, advanced filters; an expression incident, a multi-instance body, a
sub-process with a message boundary event) and refused commands (404 problem details); the engine's own state is checked after
the run. The SDK validates every
answer with ``CAMUNDA_SDK_VALIDATION=fanatical``: a missing, mistyped or unknown field fails
the call. The SDK follows the 8.9 spec, the engine's default line.

The SDK is installed with npm once into pytest's cache (``.pytest_cache``; beside pytest's
temporary folders when the cache is off; ``CAMUNDA_TS_SDK_DIR`` to choose), so later runs
reuse it. Without node and npm, or when the install
fails (no registry), the test is skipped with the reason; it never passes without running.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock

from .conftest import ORDER_BPMN
from .test_official_sdk_client import PAYMENT_BPMN

# npm may take up to its own 300 s on a first run, then the drive up to 180 s: more than the
# suite's 300 s per test (pyproject.toml), which is for hangs.
pytestmark = pytest.mark.timeout(600)

PACKAGE = "@camunda8/orchestration-cluster-api"
VERSION = "9"
_DRIVER = Path(__file__).with_name("official_ts_sdk") / "drive.cjs"
_MODELS = Path(__file__).with_name("models")
_INSTALLED = Path("node_modules") / "@camunda8" / "orchestration-cluster-api" / "package.json"


def _cache_base(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # CAMUNDA_TS_SDK_DIR, else pytest's cache (.pytest_cache), else beside pytest's temporary
    # folders (kept across runs), else (an explicit --basetemp) inside this run's folder.
    configured = os.environ.get("CAMUNDA_TS_SDK_DIR")
    if configured:
        return Path(configured)
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("camunda-ts-sdk"))
    if config.option.basetemp:
        return tmp_path_factory.getbasetemp()
    return tmp_path_factory.getbasetemp().parent


def _sdk_folder(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the SDK is (installed there first when missing); skips with the reason otherwise."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the official TypeScript SDK; not on PATH")
    base = _cache_base(config, tmp_path_factory)
    folder = base / f"camunda-ts-sdk-{VERSION}"
    if (folder / _INSTALLED).is_file():
        return folder
    base.mkdir(parents=True, exist_ok=True)
    staging = base / f".camunda-ts-sdk-{uuid.uuid4().hex}"
    staging.mkdir()
    (staging / "package.json").write_text('{"private": true}\n')
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"{PACKAGE}@{VERSION}"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.skip(f"npm install {PACKAGE}@{VERSION} did not finish within 300 s")
    if done.returncode != 0 or not (staging / _INSTALLED).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        reason = (done.stderr or done.stdout).strip().splitlines()[-3:]
        pytest.skip(f"npm install {PACKAGE}@{VERSION} failed: {' | '.join(reason)}")
    try:
        staging.rename(folder)  # atomic: a concurrent run that won keeps its folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@pytest.fixture(scope="module")
def ts_sdk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the installed TypeScript SDK."""
    return _sdk_folder(request.config, tmp_path_factory)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_typescript_sdk_drives_the_engine_with_strict_validation(
    ts_sdk: Path, make_app: Callable[..., EngineApp], tmp_path: Path
) -> None:
    app = make_app(Engine(clock=ManualClock()))  # the default line, 8.9: the SDK's
    (tmp_path / "order.bpmn").write_text(ORDER_BPMN)
    (tmp_path / "payment.bpmn").write_text(PAYMENT_BPMN)
    models = (
        "user-task",
        "call-activity",
        "job-type-expression",
        "multi-instance-user-task",
        "message-boundary-sub-process",
    )
    for model in (f"{name}.bpmn" for name in models):
        (tmp_path / model).write_bytes((_MODELS / model).read_bytes())
    with EngineServer(app) as server:
        environment = {**os.environ, "CAMUNDA_REST_ADDRESS": server.url.removesuffix("/v2")}
        done = subprocess.run(
            ["node", str(_DRIVER), str(ts_sdk), str(tmp_path)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    assert done.returncode == 0, f"the SDK's run failed:\n{done.stderr}"
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["gatewayVersion"] == "8.9.0"
    assert seen["deployed"] == ["order", "payment"]
    assert seen["awaitedVariables"] == {"amount": 21, "paid": 42}
    assert seen["declined"] == {"state": "COMPLETED", "hasIncident": False}
    assert seen["incident"] == {"errorType": "JOB_NO_RETRIES", "errorMessage": "card expired"}
    assert seen["resolved"] == {"state": "COMPLETED", "hasIncident": False}
    assert seen["correlatedToWaiting"] is True
    assert seen["bufferedState"] == "COMPLETED"
    assert seen["completedJobs"] == 2
    assert seen["newestFirst"] == seen["newestExpected"]
    assert seen["totalInstances"] == 5
    assert seen["badEnum"] == {"status": 400, "title": "Bad Request"}
    assert seen["incidentByKey"] == {"state": "RESOLVED", "jobKey": True}
    # User tasks: each command seen by the next read, and by the engine itself.
    assert seen["taskCreated"] == {"assignee": "ann", "state": "CREATED"}
    assert seen["taskAssigned"] == "bob"
    assert seen["taskUnassigned"] is None
    assert seen["taskUpdated"] == {"priority": 12, "candidateGroups": ["sales"]}
    assert seen["taskVariables"] == [["amount", "5"], ["order", '{"total":5}'], ["owner", '"ann"']]
    assert seen["taskCompleted"] == "COMPLETED"
    due, follow_up, created = seen["taskDates"]
    assert [_instant(due), _instant(follow_up), created] == [
        _instant("2026-03-01T09:00:00Z"),
        _instant("2026-02-27T09:30:00Z"),
        "string",
    ]
    task = app.engine.get_record("userTasks", seen["userTaskKey"])
    assert (task["state"], task.get("assignee"), task["priority"]) == ("COMPLETED", None, 12)
    # Element instances and variables after the task (its output mapping ran).
    assert seen["elements"] == [["approve", "COMPLETED"], ["ship", "ACTIVE"]]
    assert seen["shipElement"] == {"type": "SERVICE_TASK", "state": "ACTIVE"}
    assert seen["variables"] == [
        ["order", '{"total":5}'],
        ["orderApproved", "true"],
        ["owner", '"ann"'],
    ]
    assert seen["variable"] == "true"
    # Modification (terminate ship, activate end) ended the instance.
    assert seen["modified"] == "COMPLETED"
    ended = app.engine.get_process_instance(seen["userTaskInstance"])
    assert (ended["state"], ended["hasIncident"]) == ("COMPLETED", False)
    assert seen["definition"] == {"id": "user-task", "version": 1}
    assert seen["xmlHasProcess"] is True
    assert seen["subscriptions"] == [["paid", "o-9", "CREATED"]]
    assert seen["byVariable"] == seen["byVariableExpected"]
    assert seen["hierarchy"] == seen["hierarchyExpected"]
    assert seen["hierarchy"][0] == seen["callingInstance"]
    # The pinned clock dated the instance started under it; the reset let it go again.
    assert seen["pinnedStart"] == "2026-02-02T02:40:00.000Z"  # 1_770_000_000_000 ms
    assert app.engine.clock.now_ms() > 1_770_000_000_000
    # The incidents of an instance and of an element, the rest of the implemented operations,
    # and refused commands read as problem details.
    assert seen["resolvedIncidents"] == [["RESOLVED"], ["RESOLVED"]]
    assert seen["status"] is None  # 204
    assert seen["expression"] == 3
    assert seen["signalKey"] is True
    assert seen["setVariable"] == ['"over REST"']
    assert seen["truncated"] == [[False, 10_002]]  # never truncated (docs/engine.md)
    assert seen["fullLength"] == 10_002
    assert seen["instanceStatistics"] == [["approve", 1], ["start", 0]]
    assert seen["definitionStatistics"] == [
        ["approve", 1, 1],
        ["end", 0, 1],
        ["ship", 0, 0],
        ["start", 0, 2],
    ]
    assert seen["form"] == seen["startForm"] == {"ok": None}  # 204: no forms
    assert seen["missingTask"] == {"status": 404, "title": "NOT_FOUND"}
    assert seen["completedTwice"] == {"status": 404, "title": "NOT_FOUND"}
    assert seen["missingIncident"] == {"status": 404, "title": "NOT_FOUND"}
    # Cursor pages forth and back (amount is the task's local input), advanced filters.
    assert seen["cursorPages"] == [["amount", "note"], ["order", "owner"], ["amount", "note"]]
    assert seen["advanced"] == [True]
    assert seen["likeAssignee"] == ["cid"]
    # Other shapes, and the boundary message that ended its sub-process's instance.
    assert seen["expressionIncident"] == [["EXTRACT_VALUE_ERROR", "dispatch"]]
    assert seen["shapes"] == {
        "broken": [["dispatch", "SERVICE_TASK", True]],
        "looped": [["approve", "MULTI_INSTANCE_BODY", False], ["approve", "USER_TASK", False]],
        "bounded": [
            ["processing", "SUB_PROCESS", False],
            ["crunch", "SERVICE_TASK", False],
            ["check", "USER_TASK", False],
        ],
    }
    assert seen["innerTasks"] == ["x"]  # sequential: the first approver's task
    assert seen["boundarySubscriptions"] == [["aborted", "abort"]]
    assert app.engine.get_process_instance(seen["bounded"])["state"] == "COMPLETED"
    rest = app.engine.get_process_instance(seen["restInstance"])
    assert (rest["state"], rest["hasIncident"]) == ("ACTIVE", False)  # now at ship
    (set_over_rest,) = app.engine.search_records(
        "variables", {"processInstanceKey": seen["restInstance"], "name": "set"}
    )["items"]
    assert set_over_rest["value"] == '"over REST"'
