"""``deploy``, ``start``, ``instances``, ``jobs``, ``incidents``, ``publish``, ``status``: run as
subprocesses against the engine on a loopback port, as a new user runs them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker._base.errors import ConfigurationError
from camunda_worker.cli._tables import render_table
from camunda_worker.cli._variables import parse_variables

from .conftest import ServedEngine, run_cli

PAY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_pay"
    targetNamespace="http://bpmn.io/schema/bpmn">
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

NOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_noop"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="noop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="done" />
    <bpmn:endEvent id="done"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

CHARGE = """
import camunda_worker

@camunda_worker.task("charge")
async def charge(job):
    return {"charged": job.variables["amount"]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pay.bpmn").write_text(PAY, encoding="utf-8")
    (tmp_path / "noop.bpmn").write_text(NOOP, encoding="utf-8")
    (tmp_path / "handlers.py").write_text(textwrap.dedent(CHARGE), encoding="utf-8")
    return tmp_path


def cli_json(served: ServedEngine, *args: str, cwd: Path | None = None) -> Any:
    result = run_cli(*args, "--json", env=served.env(), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_start_run_and_inspect_as_a_new_user(
    served_engine: ServedEngine, project: Path
) -> None:
    env = served_engine.env(CAMUNDA_WORKER_TIMEOUT="30000")
    deployed = run_cli("deploy", "pay.bpmn", "noop.bpmn", env=env, cwd=project)
    assert deployed.returncode == 0, deployed.stderr
    assert "pay " in deployed.stdout
    assert "noop " in deployed.stdout

    started = run_cli("start", "pay", "--var", "amount=12", env=env, cwd=project)
    assert started.returncode == 0, started.stderr
    key = started.stdout.split()[2]
    assert started.stdout.startswith(f"process instance {key} of pay (version 1) started")

    [job] = cli_json(served_engine, "jobs", "--type", "charge")["items"]
    assert (job["processInstanceKey"], job["state"]) == (key, "CREATED")
    listed = run_cli("instances", "--state", "ACTIVE", env=env)
    assert key in listed.stdout
    assert "ACTIVE" in listed.stdout

    ran = run_cli("run", "handlers", "--limit", "1", env=env, cwd=project)
    assert ran.returncode == 0, ran.stderr

    completed = cli_json(served_engine, "instances", "--state", "COMPLETED")
    assert [item["processInstanceKey"] for item in completed["items"]] == [key]
    assert served_engine.engine.process_instance(key).variables == {"amount": 12, "charged": 12}


def test_start_await_prints_the_variables_the_instance_ended_with(
    served_engine: ServedEngine, project: Path
) -> None:
    assert run_cli("deploy", "noop.bpmn", env=served_engine.env(), cwd=project).returncode == 0
    created = cli_json(
        served_engine, "start", "noop", "--variables", '{"a": [1, 2]}', "--var", "b=x", "--await"
    )
    assert created["variables"] == {"a": [1, 2], "b": "x"}
    text = run_cli("start", "noop", "--var", "n=1", "--await", env=served_engine.env())
    assert "completed" in text.stdout
    assert 'variables: {"n": 1}' in text.stdout


def test_incidents_lists_the_active_ones(served_engine: ServedEngine) -> None:
    assert "(none)" in run_cli("incidents", env=served_engine.env()).stdout
    job = served_engine.engine.create_job("charge", retries=1)
    served_engine.engine.fail_job(job, retries=0, error_message="card declined")
    listed = run_cli("incidents", env=served_engine.env())
    assert listed.returncode == 0, listed.stderr
    assert "JOB_NO_RETRIES" in listed.stdout
    assert "card declined" in listed.stdout
    [incident] = cli_json(served_engine, "incidents")["items"]
    assert incident["jobKey"] == job
    assert cli_json(served_engine, "incidents", "--state", "RESOLVED")["items"] == []


def test_publish_and_a_refused_duplicate(served_engine: ServedEngine) -> None:
    args = ("publish", "paid", "--correlation-key", "o-1", "--ttl", "60", "--message-id", "m1")
    first = run_cli(*args, env=served_engine.env())
    assert first.returncode == 0, first.stderr
    assert "message 'paid' published (key " in first.stdout
    again = run_cli(*args, env=served_engine.env())
    assert again.returncode == 1
    assert "the cluster refused the request: 409" in again.stderr


def test_status_reports_readiness_and_version(served_engine: ServedEngine) -> None:
    shown = run_cli("status", env=served_engine.env())
    assert shown.returncode == 0, shown.stderr
    assert "ready" in shown.stdout
    assert "gateway version 8.9.0" in shown.stdout
    document = cli_json(served_engine, "status")
    assert document["ready"] is True
    assert document["topology"]["gatewayVersion"] == "8.9.0"


def test_exit_codes_of_refusals_and_mistakes(served_engine: ServedEngine, project: Path) -> None:
    env = served_engine.env()
    unknown = run_cli("start", "nope", env=env)
    assert (unknown.returncode, "NOT_FOUND" in unknown.stderr) == (1, True)
    (project / "bad.bpmn").write_text("<nope", encoding="utf-8")
    assert run_cli("deploy", "bad.bpmn", env=env, cwd=project).returncode == 1
    assert run_cli("deploy", "missing.bpmn", env=env, cwd=project).returncode == 2
    bad_var = run_cli("start", "pay", "--var", "no-equals-sign", env=env)
    assert (bad_var.returncode, "--var expects NAME=VALUE" in bad_var.stderr) == (2, True)
    assert run_cli("start", "pay", "--variables", "[1]", env=env).returncode == 2
    assert run_cli("jobs", "--state", "SLEEPING", env=env).returncode == 2  # argparse
    assert run_cli("deploy", "pay.bpmn", env=env, cwd=project).returncode == 0
    waited = run_cli("start", "pay", "--await", "--await-timeout", "0.2", env=env)
    assert waited.returncode == 1
    assert "504 DEADLINE_EXCEEDED" in waited.stderr
    dead = run_cli("status", env={**env, "CAMUNDA_REST_ADDRESS": "http://127.0.0.1:9/v2"})
    assert (dead.returncode, "cannot reach the cluster" in dead.stderr) == (4, True)


def test_refused_credentials_exit_3_without_showing_them() -> None:
    served = ServedEngine(basic_auth=("operator", "the-right-password"))
    with served.server:
        result = run_cli(
            "status",
            env=served.env(
                CAMUNDA_BASIC_AUTH_USERNAME="operator",
                CAMUNDA_BASIC_AUTH_PASSWORD="a-wrong-password-123",
            ),
        )
        allowed = run_cli(
            "jobs",
            env=served.env(
                CAMUNDA_BASIC_AUTH_USERNAME="operator",
                CAMUNDA_BASIC_AUTH_PASSWORD="the-right-password",
            ),
        )
    served.engine.close()
    assert result.returncode == 3
    assert "the credentials were refused" in result.stderr
    assert "a-wrong-password-123" not in result.stdout + result.stderr
    assert allowed.returncode == 0, allowed.stderr


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
names = st.text(min_size=1).filter(lambda name: "=" not in name and name.strip() == name)


@given(st.dictionaries(names, json_values, max_size=4), st.dictionaries(names, json_values))
def test_variables_and_pairs_round_trip(
    document: dict[str, object], pairs: dict[str, object]
) -> None:
    given_pairs = [f"{name}={json.dumps(value)}" for name, value in pairs.items()]
    assert parse_variables(json.dumps(document), given_pairs) == {**document, **pairs}


@given(st.text().filter(lambda text: not _is_json(text)))
def test_a_value_that_is_not_json_is_text(text: str) -> None:
    assert parse_variables(None, [f"name={text}"]) == {"name": text}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("pair", ["nothing", "=1", " =1"])
def test_a_pair_without_a_name_is_refused(pair: str) -> None:
    with pytest.raises(ConfigurationError, match="--var expects NAME=VALUE"):
        parse_variables(None, [pair])


def test_no_variables_sends_none() -> None:
    assert parse_variables(None, []) is None


def test_tables_right_align_number_columns_only() -> None:
    table = render_table(("key", "state"), [(7, "ACTIVE"), (12345, None)])
    assert table.splitlines() == [
        "  key  state",
        "-----  ------",
        "    7  ACTIVE",
        "12345  -",
    ]
